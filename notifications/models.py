import uuid

from django.conf import settings
from django.db import models


class EmailKind(models.TextChoices):
    SESSION_CONFIRMED = "session_confirmed", "Session confirmed"
    LINK_CHANGED = "link_changed", "Meeting link changed"
    SESSION_CANCELLED = "session_cancelled", "Session cancelled"
    SESSION_COMPLETED = "session_completed", "Session completed"
    PASSWORD_RESET = "password_reset", "Password reset"
    BOOKING_RECEIVED = "booking_received", "Booking received"
    NEEDS_CONFIRMATION = "needs_confirmation", "Booking needs confirmation"
    PENDING_REMINDER = "pending_reminder", "Pending sessions reminder"
    SESSION_REMINDER = "session_reminder", "Session reminder"
    APPLICATION_APPROVED = "application_approved", "Mentor application approved"
    APPLICATION_REJECTED = "application_rejected", "Mentor application rejected"
    SESSION_REQUESTED = "session_requested", "Session requested (to the mentor)"
    PAYMENT_REFUNDED = "payment_refunded", "Refund made"
    SESSION_MOVED = "session_moved", "Session moved"
    PENDING_SESSION_MOVED = "pending_session_moved", "Pending session moved (to admins)"
    EMAIL_CHANGE_CONFIRM = "email_change_confirm", "Email change: confirm the new address"
    EMAIL_CHANGE_NOTICE = "email_change_notice", "Email change: notice to the old address"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled (to admins)"


class DeliveryState(models.TextChoices):
    """Where a delivery row is (an email, a webhook call): the one engine's states
    (notifications.delivery)."""

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Final, like sent and failed: the row was out of date when its turn came (a reminder
    # for a session cancelled or re-linked since), so it was not sent; last_error says why.
    SKIPPED = "skipped", "Skipped (out of date)"


# An email's states are the engine's.
EmailState = DeliveryState


class DeliveryRow(models.Model):
    """What the delivery engine (notifications.delivery) keeps on every row it delivers:
    where the row is, its attempts and last error, when it is due again, the lease of the
    worker sending it, and the task queued to deliver it. Each kind of row (an email, a
    webhook call) is its own table with these columns, and a `Channel` that sends it."""

    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The django-tasks-db task last queued to deliver this row, so the sweep can tell a row
    # whose task is still waiting from one whose task was lost (notifications.delivery).
    # NULL on a new row until the worker's relay queues its first task.
    task_id = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class OutboundEmail(DeliveryRow):
    """The outbox: one row per email per recipient, written in the same transaction as the
    change that causes it. The row is the truth; the worker only delivers what it says."""

    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    session = models.ForeignKey(
        "bookings.MentoringSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
        db_index=False,  # email_session_order serves it (and its order)
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField()
    ics = models.TextField(blank=True)
    ics_method = models.CharField(max_length=16, blank=True)
    # Stable across retries, so a receiving server (and our tests) can spot a duplicate.
    message_id = models.CharField(max_length=255, unique=True)
    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # The session's revision (its ics_sequence) when this email was written: a reminder
    # written for an older revision is out of date (notifications.reminders).
    session_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=EmailState.values), name="email_state_valid"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="email_due"),
            # A session's emails in order: the dashboard reads them for every row it shows
            # (notifications.selectors.latest_email_lines), the session page and the email log.
            models.Index(fields=["session", "created_at", "id"], name="email_session_order"),
            # The rows the worker's relay has yet to give a task (notifications.delivery.relay),
            # among the few that never had one: a round with nothing to do reads no row.
            # (The condition has no value in it: SQLite matches a query to a partial index
            # only on literal terms, and Django sends `state = %s` as a parameter.)
            models.Index(
                fields=["state"], condition=models.Q(task_id__isnull=True), name="email_unrelayed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_email} ({self.state})"

    @staticmethod
    def new_message_id() -> str:
        return f"<{uuid.uuid4().hex}@codementorhub>"


class PendingReminder(models.Model):
    """One row per (session, admin) already reminded that the session is pending — so a
    reminder never lists the same session twice for the same admin. The unique constraint
    is the last word when two workers remind at once (bookings.jobs)."""

    session = models.ForeignKey(
        "bookings.MentoringSession", on_delete=models.CASCADE, related_name="+"
    )
    admin = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.ForeignKey(OutboundEmail, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "admin"], name="pending_reminder_once")
        ]

    def __str__(self) -> str:
        return f"session {self.session_id} reminded to {self.admin_id}"


class SessionReminder(models.Model):
    """One row per reminder queued before a confirmed session: (session, recipient, lead
    time, session revision). The unique constraint is the last word when two workers remind
    at once (notifications.reminders).

    The key holds the session's `ics_sequence` rather than its link: the sequence is raised
    by every change that is announced (confirmation, new link, move, cancellation) and never
    goes back, so a session whose link changes from A to B and back to A still gets a
    reminder for its latest revision, and the delivery check compares that same number."""

    session = models.ForeignKey(
        "bookings.MentoringSession", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    lead_hours = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    # The start the reminder was for: a reminder delivered for an earlier start does not
    # cover the lead before a later one (the session was moved, docs/PRODUCT.md §5.1).
    start = models.DateTimeField()
    email = models.ForeignKey(OutboundEmail, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "recipient", "lead_hours", "sequence"],
                name="session_reminder_once",
            )
        ]

    def __str__(self) -> str:
        return (
            f"session {self.session_id} reminder {self.lead_hours} h "
            f"(revision {self.sequence}) to {self.recipient_id}"
        )
