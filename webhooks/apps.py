from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        # The delivery engine learns of this channel here; it never imports webhooks.
        from notifications import delivery
        from webhooks.delivery import WEBHOOK

        delivery.register(WEBHOOK)
