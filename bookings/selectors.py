"""Reads: every list page's queries live here, with the joins they need (no N+1)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from bookings.models import MentoringSession, Status

ACTIVE = (Status.PENDING, Status.CONFIRMED)


def _base() -> QuerySet[MentoringSession]:
    return MentoringSession.objects.select_related("mentor", "mentee")


def with_end(queryset: QuerySet[MentoringSession]) -> QuerySet[MentoringSession]:
    # SQLite only multiplies a duration by a plain IntegerField, and only adds it to a
    # datetime (django_format_dtdelta) when the product is typed as a duration. Both
    # wrappers are type hints only: PostgreSQL runs `start + duration_minutes * interval`.
    minutes = ExpressionWrapper(F("duration_minutes"), output_field=IntegerField())
    length = ExpressionWrapper(minutes * Value(timedelta(minutes=1)), output_field=DurationField())
    return queryset.annotate(
        ends_at=ExpressionWrapper(F("start") + length, output_field=DateTimeField())
    )


@dataclass(frozen=True)
class AdminSessionFilters:
    status: str = ""
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None


def admin_session_list(filters: AdminSessionFilters) -> QuerySet[MentoringSession]:
    """The admin dashboard: pending first, then soonest first (SPEC §4)."""
    sessions = _base().prefetch_related("emails")
    if filters.status:
        sessions = sessions.filter(status=filters.status)
    if filters.q:
        for word in filters.q.split()[:5]:
            sessions = sessions.filter(
                Q(mentor__first_name__icontains=word)
                | Q(mentor__last_name__icontains=word)
                | Q(mentor__email__icontains=word)
                | Q(mentee__first_name__icontains=word)
                | Q(mentee__last_name__icontains=word)
                | Q(mentee__email__icontains=word)
            )
    zone = timezone.get_current_timezone()
    if filters.date_from:
        sessions = sessions.filter(start__gte=datetime.combine(filters.date_from, time.min, zone))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone)
        sessions = sessions.filter(start__lt=end)
    pending_first = Case(
        When(status=Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return sessions.order_by(pending_first, "start", "id")


def upcoming_sessions(user, *, as_mentor: bool) -> QuerySet[MentoringSession]:
    """Pending or confirmed sessions that have not ended yet, soonest first."""
    mine = Q(mentor=user) if as_mentor else Q(mentee=user)
    return (
        with_end(_base().filter(mine, status__in=ACTIVE))
        .filter(ends_at__gt=timezone.now())
        .order_by("start", "id")
    )


def past_sessions(user, *, as_mentor: bool) -> QuerySet[MentoringSession]:
    """Completed, cancelled, or already ended sessions, latest first."""
    mine = Q(mentor=user) if as_mentor else Q(mentee=user)
    return (
        with_end(_base().filter(mine))
        .filter(~Q(status__in=ACTIVE) | Q(ends_at__lte=timezone.now()))
        .order_by("-start", "-id")
    )


def session_for_participant(user, session_id: int) -> MentoringSession | None:
    """The session if `user` is its mentee or mentor; None otherwise (the view answers 404)."""
    return _base().filter(Q(mentor=user) | Q(mentee=user), pk=session_id).first()


def is_mentor(user) -> bool:
    profile = getattr(user, "mentor_profile", None)
    return bool(profile and profile.is_approved)
