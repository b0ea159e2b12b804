import math

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        checks.register(check_lease_outlasts_send, checks.Tags.compatibility)


def rows_per_connection() -> int:
    """The most rows of one delivery task that one connection sends one after another: all
    of them are leased when the task starts, so the last must still be within its lease."""
    return math.ceil(settings.DELIVERY_TASK_BATCH / settings.DELIVERY_CONNECTIONS)


def lease_warning(
    lease: tuple[str, int], timeout: tuple[str, int], check_id: str
) -> list[checks.Warning]:
    """A lease shorter than slow-but-alive sends lets a second worker take a row over while
    the first is still sending it: the message then goes out twice. `lease` and `timeout`
    are (the setting's name as people set it, its value)."""
    (lease_name, lease_seconds), (timeout_name, timeout_seconds) = lease, timeout
    rows = rows_per_connection()
    if lease_seconds > 2 * timeout_seconds * rows:
        return []
    per_task = (
        f" × {rows} (the rows a connection sends per task: DELIVERY_TASK_BATCH "
        f"{settings.DELIVERY_TASK_BATCH} over DELIVERY_CONNECTIONS "
        f"{settings.DELIVERY_CONNECTIONS})"
        if rows > 1
        else ""
    )
    return [
        checks.Warning(
            f"{lease_name} ({lease_seconds}) should be more than twice {timeout_name} "
            f"({timeout_seconds}){per_task}.",
            hint=f"Raise {lease_name}, or lower {timeout_name} or DELIVERY_TASK_BATCH.",
            id=check_id,
        )
    ]


def check_lease_outlasts_send(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return lease_warning(
        ("EMAIL_LEASE_SECONDS", settings.EMAIL_LEASE_SECONDS),
        ("EMAIL_TIMEOUT", settings.EMAIL_SEND_TIMEOUT),  # read from the variable EMAIL_TIMEOUT
        "notifications.W001",
    )
