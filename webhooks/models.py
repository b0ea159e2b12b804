"""Webhook endpoints and the deliveries queued for them (docs/PRODUCT.md §12)."""

import base64
import secrets
import uuid

from django.db import models

from notifications.models import DeliveryRow, DeliveryState


class WebhookEvent(models.TextChoices):
    SESSION_BOOKED = "session.booked", "session.booked — a mentee requested a session"
    SESSION_CONFIRMED = "session.confirmed", "session.confirmed — confirmed with a meeting link"
    SESSION_LINK_CHANGED = "session.link_changed", "session.link_changed — a new meeting link"
    SESSION_RESCHEDULED = "session.rescheduled", "session.rescheduled — moved to another time"
    SESSION_CANCELLED = "session.cancelled", "session.cancelled — cancelled"
    SESSION_COMPLETED = "session.completed", "session.completed — marked completed"


SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    """A URL that receives the events it asks for, signed with its own secret.

    The secret is stored as it is (not hashed, unlike passwords and API tokens): every
    delivery is signed with it (an HMAC needs the key itself), and the worker that signs
    may run long after the admin saw it. It is shown once, when created or rotated; pages
    show only its first characters afterwards. Who can read it: the web and worker
    processes and whoever can read the database (its backups too) — the same people who
    could send forged events anyway."""

    url = models.URLField(max_length=2000)
    # The events wanted, as ",session.booked,session.confirmed," (a comma before and after
    # each): queuing an event picks its endpoints with one LIKE inside the INSERT, the same
    # SQL on SQLite and PostgreSQL (webhooks.services.queue_event).
    events = models.CharField(max_length=500)
    secret = models.CharField(max_length=100, default=new_secret)
    enabled = models.BooleanField(default=True)
    # When the deliveries started failing without a success since; cleared by a success.
    failing_since = models.DateTimeField(null=True, blank=True)
    # Why the endpoint is disabled ("" when enabled): by whom, or failing for a day.
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def event_list(self) -> list[str]:
        return [event for event in self.events.split(",") if event]

    @staticmethod
    def join_events(events) -> str:
        chosen = [event for event in WebhookEvent.values if event in set(events)]
        return f",{','.join(chosen)}," if chosen else ""

    @property
    def secret_hint(self) -> str:
        """What pages show of the secret after it was shown once."""
        return f"{self.secret[: len(SECRET_PREFIX) + 4]}…"


class WebhookDelivery(DeliveryRow):
    """One event for one endpoint, delivered by the engine (notifications.delivery) through
    the webhook channel (webhooks.delivery). Written in the transaction of the change."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    # The body exactly as signed and sent, the same bytes at every attempt (a JSON column
    # could reorder its keys: PostgreSQL's jsonb does).
    payload = models.TextField()
    # The `webhook-id` header: the same at every attempt and resend, so a receiver can
    # recognise a message it already has.
    msg_id = models.CharField(max_length=64, db_index=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=DeliveryState.values), name="webhook_state_valid"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["endpoint", "created_at", "id"], name="webhook_endpoint_order"),
            # The rows the worker's relay has yet to give a task (see email_unrelayed).
            models.Index(
                fields=["state"],
                condition=models.Q(task_id__isnull=True),
                name="webhook_unrelayed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.state})"
