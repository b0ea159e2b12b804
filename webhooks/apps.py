from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        # The delivery engine learns of this channel here; it never imports webhooks.
        from notifications import delivery
        from webhooks.delivery import WEBHOOK

        delivery.register(WEBHOOK)
        checks.register(check_lease_outlasts_request, checks.Tags.compatibility)


def check_lease_outlasts_request(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A lease shorter than a slow-but-alive request lets a second worker take the delivery
    over while the first is still sending it: the event then arrives twice."""
    lease, timeout = settings.WEBHOOK_LEASE_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS
    if lease > 2 * timeout:
        return []
    return [
        checks.Warning(
            f"WEBHOOK_LEASE_SECONDS ({lease}) should be more than twice "
            f"WEBHOOK_TIMEOUT_SECONDS ({timeout}).",
            hint="Raise WEBHOOK_LEASE_SECONDS or lower WEBHOOK_TIMEOUT_SECONDS.",
            id="webhooks.W001",
        )
    ]
