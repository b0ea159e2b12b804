"""GET /healthz: is the database answering, and has a worker beaten recently?

200 when both hold, 503 otherwise, always with the same JSON shape:
{"database": "ok"|"error", "worker": {"last_heartbeat_age_seconds": N|null, "ok": bool}}.
No login, no session, no database write: a load balancer may poll it every few seconds.
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ops.heartbeat import last_heartbeat_age_seconds

logger = logging.getLogger("codementorhub.health")


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database query failed")
        return False
    return True


def check_worker() -> tuple[int | None, bool]:
    try:
        age = last_heartbeat_age_seconds()
    except Exception:
        logger.exception("health check: worker heartbeat could not be read")
        return None, False
    return age, age is not None and age < settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS


@never_cache
@require_safe
def healthz(request):
    database_ok = check_database()
    age, worker_ok = check_worker() if database_ok else (None, False)
    body = {
        "database": "ok" if database_ok else "error",
        "worker": {"last_heartbeat_age_seconds": age, "ok": worker_ok},
    }
    return JsonResponse(body, status=200 if database_ok and worker_ok else 503)
