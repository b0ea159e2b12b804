"""Every write on webhook endpoints and deliveries (docs/PRODUCT.md §12): queuing an event
inside the caller's transaction, the admins' changes to endpoints, Resend, and an endpoint's
health as the worker learns it."""

import json
import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from common.urls import absolute_url
from notifications.delivery import enqueue_delivery
from notifications.emails import email_to, queue_emails
from notifications.models import DeliveryState, EmailKind
from webhooks.models import WebhookDelivery, WebhookEndpoint, new_msg_id, new_secret

logger = logging.getLogger(__name__)

IN_FLIGHT = (DeliveryState.QUEUED, DeliveryState.SENDING)


class WebhookError(Exception):
    """A refused change; the message is written for the admin who asked."""


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_body(event: str, data: dict, at: datetime) -> str:
    """The body of every delivery of one event: `{"type", "timestamp", "data"}`."""
    return json.dumps(
        {"type": event, "timestamp": _instant(at), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def queue_event(event: str, data: dict) -> int:
    """One delivery of `event` for every enabled endpoint that asked for it, in ONE statement
    (INSERT … SELECT): called inside the transaction of the change, so a delivery exists
    if and only if the change was committed, and a page that changes a session pays one
    query whether there are no endpoints or fifty. Returns how many were queued.

    Each delivery's `webhook-id` is the event's id plus the endpoint's, stable across
    retries. The worker's relay gives each row its task (notifications.delivery.relay)."""
    now = timezone.now()
    quote = connection.ops.quote_name
    deliveries, endpoints = WebhookDelivery._meta, WebhookEndpoint._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    inserted = ", ".join(
        column(deliveries, name)
        for name in (
            "state",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
            "endpoint",
            "event_type",
            "payload",
            "msg_id",
        )
    )
    endpoint_id = f"e.{column(endpoints, 'id')}"
    sql = (
        f"INSERT INTO {quote(deliveries.db_table)} ({inserted}) "
        f"SELECT %s, 0, '', %s, %s, {endpoint_id}, %s, %s, %s || CAST({endpoint_id} AS TEXT) "
        f"FROM {quote(endpoints.db_table)} e "
        f"WHERE e.{column(endpoints, 'enabled')} = %s AND e.{column(endpoints, 'events')} LIKE %s "
        # The deliveries are numbered in the endpoints' order, whatever order the table's
        # rows happen to be stored in.
        f"ORDER BY {endpoint_id}"
    )
    when = connection.ops.adapt_datetimefield_value(now)
    params = [
        DeliveryState.QUEUED,
        when,
        when,
        event,
        event_body(event, data, now),
        f"{new_msg_id()}_",
        True,
        f"%,{event},%",
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- Endpoints ------------------------------------------------------------------------------


def _log(action: str, endpoint: WebhookEndpoint, by) -> None:
    logger.info(
        "webhook endpoint %s (%s) %s by user %s <%s>",
        endpoint.pk,
        endpoint.url,
        action,
        getattr(by, "pk", None),
        getattr(by, "email", ""),
    )


def create_endpoint(*, url: str, events: list[str], by) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (shown to the admin once)."""
    endpoint = WebhookEndpoint.objects.create(url=url, events=WebhookEndpoint.join_events(events))
    _log("created", endpoint, by)
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, url: str, events: list[str], by) -> None:
    """A new URL or events; deliveries already queued go to the new URL."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.url = url
        locked.events = WebhookEndpoint.join_events(events)
        locked.save(update_fields=["url", "events", "updated_at"])
    _log("changed", locked, by)


def rotate_secret(endpoint: WebhookEndpoint, *, by) -> str:
    """A new secret, returned to be shown once. Every delivery from now on, retries of
    earlier ones too, is signed with it."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.secret = new_secret()
        locked.save(update_fields=["secret", "updated_at"])
    _log("given a new secret", locked, by)
    return locked.secret


def set_enabled(endpoint: WebhookEndpoint, *, enabled: bool, by) -> None:
    """Enable or disable. Enabling starts afresh (no failures counted); deliveries skipped
    while it was disabled stay skipped (Resend sends one again)."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.enabled = enabled
        locked.failing_since = None
        name = getattr(by, "email", "") or "an admin"
        locked.disabled_reason = "" if enabled else f"Disabled by {name}."
        locked.save(update_fields=["enabled", "failing_since", "disabled_reason", "updated_at"])
    _log("enabled" if enabled else "disabled", locked, by)


def delete_endpoint(endpoint: WebhookEndpoint, *, by) -> None:
    """The endpoint and its delivery log."""
    _log("deleted", endpoint, by)
    endpoint.delete()


# --- Deliveries -----------------------------------------------------------------------------


def resend_refusal(delivery: WebhookDelivery) -> str:
    """Why Resend would be refused now ("" when it would not)."""
    if delivery.state in IN_FLIGHT:
        return "This delivery is still on its way."
    if not delivery.endpoint.enabled:
        return "The endpoint is disabled; enable it first."
    return ""


def resend_delivery(delivery: WebhookDelivery, *, by) -> WebhookDelivery:
    """Queue the delivery again as a copy: the same body and the same `webhook-id` (it is the
    same message: a receiver that has it already can tell), `resend_of` pointing at it.
    Refused while it, or an earlier copy of it, is on its way; one transaction with the
    original locked, so two admins clicking at once get one copy."""
    with transaction.atomic():
        original = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .get(pk=delivery.pk)
        )
        if refusal := resend_refusal(original):
            raise WebhookError(f"{refusal} Nothing was resent.")
        if WebhookDelivery.objects.filter(resend_of=original, state__in=IN_FLIGHT).exists():
            raise WebhookError("A copy of this delivery is already on its way; nothing was resent.")
        copy = WebhookDelivery.objects.create(
            endpoint=original.endpoint,
            event_type=original.event_type,
            payload=original.payload,
            msg_id=original.msg_id,
            next_attempt_at=timezone.now(),
            resend_of=original,
        )
        enqueue_delivery(copy)
    logger.info(
        "webhook delivery %s resent as %s by user %s <%s>",
        original.pk,
        copy.pk,
        getattr(by, "pk", None),
        getattr(by, "email", ""),
    )
    return copy


def record_endpoint_health(endpoint_id: int, *, ok: bool) -> None:
    """What the worker learnt of an endpoint. A success clears its failing streak. A
    failure starts one, or, when the streak has lasted WEBHOOK_DISABLE_AFTER_HOURS,
    disables the endpoint and emails every active admin — once: the endpoint's row is
    locked and only the worker that finds it still enabled writes the emails."""
    if ok:
        WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=False).update(
            failing_since=None
        )
        return
    now = timezone.now()
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id, enabled=True).first()
        )
        if endpoint is None:
            return
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since"])
            return
        if now - endpoint.failing_since < timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS):
            return
        endpoint.enabled = False
        endpoint.disabled_reason = (
            f"Disabled automatically: every delivery failed for "
            f"{settings.WEBHOOK_DISABLE_AFTER_HOURS} hours."
        )
        endpoint.save(update_fields=["enabled", "disabled_reason", "updated_at"])
        _queue_disabled_emails(endpoint)
    logger.error(
        "webhook endpoint %s (%s) disabled: failing since %s",
        endpoint.pk,
        endpoint.url,
        endpoint.failing_since,
    )


def _queue_disabled_emails(endpoint: WebhookEndpoint) -> None:
    last = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .exclude(last_error="")
        .order_by("-created_at", "-id")
        .values_list("last_error", flat=True)
        .first()
    )
    context = {
        "endpoint": endpoint,
        "hours": settings.WEBHOOK_DISABLE_AFTER_HOURS,
        "last_error": last or "",
        "endpoint_url": absolute_url("admin_webhook_detail", endpoint.pk),
    }
    admins = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("id")
    queue_emails(
        [
            email_to(admin, EmailKind.WEBHOOK_DISABLED, "webhook_disabled", context)
            for admin in admins
        ]
    )
