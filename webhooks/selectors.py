"""Reads for the webhook pages."""

from django.db.models import Count, Max, Q, QuerySet

from notifications.models import DeliveryState
from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    """Every endpoint with its delivery counts (failed, and waiting) and last delivery time."""
    return WebhookEndpoint.objects.annotate(
        failed_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
        waiting_count=Count(
            "deliveries",
            filter=Q(deliveries__state__in=[DeliveryState.QUEUED, DeliveryState.SENDING]),
        ),
        last_delivery_at=Max("deliveries__created_at"),
    ).order_by("created_at", "id")


def endpoint_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first (index webhook_endpoint_order)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
