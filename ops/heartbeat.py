"""Worker heartbeat: the worker's periodic loop calls beat() every round; /healthz reads
the age of the freshest beat."""

import os
import socket

from django.utils import timezone

from ops.models import WorkerHeartbeat


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(worker_id: str | None = None) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id or default_worker_id(), defaults={"last_seen": timezone.now()}
    )


def last_heartbeat_age_seconds() -> int | None:
    """Seconds since the most recent beat of any worker; None when no worker ever beat."""
    latest = (
        WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
    )
    if latest is None:
        return None
    return max(0, int((timezone.now() - latest).total_seconds()))
