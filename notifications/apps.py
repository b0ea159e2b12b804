from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        checks.register(check_lease_outlasts_send, checks.Tags.compatibility)


def check_lease_outlasts_send(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A lease shorter than a slow-but-alive send lets a second worker take the email over
    while the first is still sending it: the email then goes out twice."""
    lease, timeout = settings.EMAIL_LEASE_SECONDS, settings.EMAIL_SEND_TIMEOUT
    if lease > 2 * timeout:
        return []
    return [
        checks.Warning(
            f"EMAIL_LEASE_SECONDS ({lease}) should be more than twice EMAIL_TIMEOUT ({timeout}).",
            hint="Raise EMAIL_LEASE_SECONDS or lower EMAIL_TIMEOUT.",
            id="notifications.W001",
        )
    ]
