from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from notifications.apps import lease_warning


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        # The delivery engine learns of this channel here; it never imports webhooks.
        from notifications import delivery
        from webhooks.delivery import WEBHOOK

        delivery.register(WEBHOOK)
        checks.register(check_lease_outlasts_request, checks.Tags.compatibility)


def check_lease_outlasts_request(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return lease_warning(
        ("WEBHOOK_LEASE_SECONDS", settings.WEBHOOK_LEASE_SECONDS),
        ("WEBHOOK_TIMEOUT_SECONDS", settings.WEBHOOK_TIMEOUT_SECONDS),
        "webhooks.W001",
    )
