from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from payments.models import PaymentStatus
from payments.providers import payment_instructions


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# The lifecycle (docs/PRODUCT.md §2.2). Nothing else may move a session between statuses.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.COMPLETED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
}


# The shortest and longest a session may be (the field's validators and the check constraint).
# Code that looks for sessions overlapping an instant reads back LONGEST_SESSION from it.
SHORTEST_MINUTES, LONGEST_MINUTES = 15, 480
LONGEST_SESSION = timedelta(minutes=LONGEST_MINUTES)


class MentoringSession(models.Model):
    """One booked 1-on-1 session between a mentor and a mentee (the seed's `Session`)."""

    # No index of their own: session_mentor_start and session_mentee_start begin with them
    # and serve every lookup by person (one index less to write on each change of a row).
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sessions_as_mentor",
        db_index=False,
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sessions_as_mentee",
        db_index=False,
    )
    start = models.DateTimeField(help_text="Start instant, stored in UTC.")
    duration_minutes = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(SHORTEST_MINUTES), MaxValueValidator(LONGEST_MINUTES)],
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    meeting_link = models.URLField("auto-generated meeting link", max_length=500, blank=True)
    admin_provided_link = models.URLField(max_length=500, blank=True)
    link_provided_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField("mentee's notes", blank=True, max_length=2000)
    amount = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="USD")
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    # Calendar invite revision: raised with every invite that is sent (RFC 5545 SEQUENCE).
    ics_sequence = models.PositiveIntegerField(default=0)
    # The calendar event's UID (RFC 5545), fixed once and never changed, so calendars keep
    # updating the same event (bookings.ics.new_uid; docs/PRODUCT.md §5.4). Empty until the
    # session's first invite (its confirmation) gives it one.
    ics_uid = models.CharField("calendar UID", max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The admin dashboard lists pending sessions first (docs/PRODUCT.md §4.2): with this
    # column, kept by the database itself, that order is one index (session_rank_start).
    dashboard_rank = models.GeneratedField(
        expression=models.Case(
            models.When(status=Status.PENDING, then=models.Value(0)), default=models.Value(1)
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = "session"
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(payment_status__in=PaymentStatus.values),
                name="session_payment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    duration_minutes__gte=SHORTEST_MINUTES, duration_minutes__lte=LONGEST_MINUTES
                ),
                name="session_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="session_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(mentor=models.F("mentee")), name="session_not_with_oneself"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "start", "id"], name="session_status_start"),
            models.Index(fields=["start", "id"], name="session_start"),
            # The admin dashboard's default order: pending first, then soonest first. It ends
            # with the people: a search walks it in order and skips other people's sessions
            # on the index entry alone; SQLite then reads the table only for the 25 rows
            # shown (docs/benchmarks.md has the figures).
            models.Index(
                fields=["dashboard_rank", "start", "id", "mentor", "mentee"],
                name="session_rank_start",
            ),
            # The dashboard filtered by payment (e.g. every refund due): its order, within one
            # payment status, as one range of one index (docs/benchmarks.md §4).
            models.Index(
                fields=["payment_status", "dashboard_rank", "start", "id"],
                name="session_payment_rank_start",
            ),
            # One person's sessions in (start, id) order: "My Sessions" pages by that key.
            models.Index(fields=["mentor", "start", "id"], name="session_mentor_start"),
            models.Index(fields=["mentee", "start", "id"], name="session_mentee_start"),
            # One person's sessions in the dashboard's order (pending first): SQLite finds a
            # search's page through these, 4 times faster than through the two above
            # (PostgreSQL keeps walking session_rank_start; docs/benchmarks.md).
            models.Index(
                fields=["mentor", "dashboard_rank", "start", "id"], name="session_mentor_rank_start"
            ),
            models.Index(
                fields=["mentee", "dashboard_rank", "start", "id"], name="session_mentee_rank_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} – {self.mentee}, {self.start:%Y-%m-%d %H:%M} UTC ({self.status})"

    @property
    def get_meeting_link(self) -> str:
        """The admin-provided link, else the auto-generated one (docs/PRODUCT.md §2.1)."""
        return self.admin_provided_link or self.meeting_link

    @property
    def awaits_payment(self) -> bool:
        """Nothing is paid yet, and the session still happens (or happened)."""
        return self.payment_status == PaymentStatus.PENDING and self.status != Status.CANCELLED

    @property
    def how_to_pay(self) -> str:
        """What the mentee is told of paying (docs/PRODUCT.md §7.4): the payment
        instructions while the session awaits payment and payments are offline, else ""."""
        return payment_instructions() if self.awaits_payment else ""

    @property
    def payment_words(self) -> str:
        """The payment status as its people read it: a session cancelled before anybody
        paid owes nothing, rather than staying "pending" (docs/PRODUCT.md §7.4)."""
        if self.payment_status == PaymentStatus.PENDING and self.status == Status.CANCELLED:
            return "nothing due (cancelled before payment)"
        return self.get_payment_status_display().lower()

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_minutes)

    @property
    def meeting_provider_label(self) -> str:
        from bookings.meeting_links import provider_for

        return provider_for(self.get_meeting_link).label

    def allowed_next(self) -> frozenset[str]:
        return ALLOWED_TRANSITIONS[self.status]


class SessionEvent(models.Model):
    """Audit trail: one row per change to a session (who, when, from → to, link old → new)."""

    class Action(models.TextChoices):
        BOOK = "book", "Booked"
        CONFIRM = "confirm", "Confirmed"
        CHANGE_LINK = "change_link", "Changed link"
        COMPLETE = "complete", "Completed"
        CANCEL = "cancel", "Cancelled"
        PAY = "pay", "Marked paid"
        REFUND = "refund", "Marked refunded"
        # The start moved (docs/PRODUCT.md §2.7); the note holds old → new start and the reason.
        RESCHEDULE = "rescheduled", "Rescheduled"

    session = models.ForeignKey(MentoringSession, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, choices=Status.choices)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    old_link = models.CharField(max_length=500, blank=True)
    new_link = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.from_status} → {self.to_status}"
