"""Reads: every list page's queries live here, with the joins they need (no N+1)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from accounts.search import people_matching
from bookings.models import MentoringSession, Status
from common.keyset import Cursor, KeysetPage, keyset_page
from notifications.selectors import EmailLine, latest_email_lines

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
    after: Cursor | None = None
    before: Cursor | None = None


ADMIN_PAGE_SIZE = 25
# What a dashboard row shows (templates/jinja2/bookings/admin/session_rows.jinja): reading
# only these makes 75 model instances a page cheaper to build.
_PERSON = ("first_name", "last_name", "email", "time_zone")
ADMIN_ROW_FIELDS = (
    "mentor_id",
    "mentee_id",
    "start",
    "duration_minutes",
    "status",
    "meeting_link",
    "admin_provided_link",
    "amount",
    "payment_status",
    *(f"{person}__{field}" for person in ("mentor", "mentee") for field in _PERSON),
)
# "1,000+ sessions": counting every match would cost a scan of all of them.
ADMIN_COUNT_CAP = 1000
# A search shows the sessions of at most this many people ("a" matches thousands).
ADMIN_PEOPLE_CAP = 200


@dataclass(frozen=True)
class AdminSessionPage:
    page: KeysetPage
    matches: int  # at most ADMIN_COUNT_CAP + 1
    email_lines: dict[int, list[EmailLine]]  # by session id
    too_many_people: bool = False  # the search matched more than ADMIN_PEOPLE_CAP people

    @property
    def sessions(self) -> list[MentoringSession]:
        return self.page.rows

    @property
    def more_than_cap(self) -> bool:
        return self.matches > ADMIN_COUNT_CAP


def _admin_filtered(
    filters: AdminSessionFilters, people: list[int] | None
) -> QuerySet[MentoringSession]:
    sessions = MentoringSession.objects.all()
    if filters.status:
        sessions = sessions.filter(status=filters.status)
    if people is not None:
        # A list of ids, not a subquery: PostgreSQL serves `mentor_id = ANY(…) OR
        # mentee_id = ANY(…)` from both indexes, but `IN (subquery) OR IN (subquery)` only
        # by reading every session.
        sessions = sessions.filter(Q(mentor_id__in=people) | Q(mentee_id__in=people))
    zone = timezone.get_current_timezone()
    if filters.date_from:
        sessions = sessions.filter(start__gte=datetime.combine(filters.date_from, time.min, zone))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone)
        sessions = sessions.filter(start__lt=end)
    return sessions


def admin_session_page(filters: AdminSessionFilters) -> AdminSessionPage:
    """The admin dashboard: pending first, then soonest first (SPEC §4), 25 at a time.

    The same queries at 10 or 10,000,000 sessions: each segment (pending; all others, or
    just the filtered status) is read in `(start, id)` order from its own index
    (`session_status_start`, `session_not_pending_start`) with keyset paging, and the
    matches are counted only up to ADMIN_COUNT_CAP + 1."""
    people = None
    if words := filters.q.split()[:5]:
        people = list(people_matching(words)[: ADMIN_PEOPLE_CAP + 1])
    matching = _admin_filtered(filters, None if people is None else people[:ADMIN_PEOPLE_CAP])
    if filters.status:
        segments = [matching]
    else:
        segments = [matching.filter(status=Status.PENDING), matching.exclude(status=Status.PENDING)]
    page = keyset_page(
        [
            segment.select_related("mentor", "mentee").only(*ADMIN_ROW_FIELDS)
            for segment in segments
        ],
        size=ADMIN_PAGE_SIZE,
        after=filters.after,
        before=filters.before,
    )
    emails = latest_email_lines([session.pk for session in page.rows])
    matches = matching.order_by()[: ADMIN_COUNT_CAP + 1].count()
    return AdminSessionPage(
        page=page,
        matches=matches,
        email_lines=emails,
        too_many_people=people is not None and len(people) > ADMIN_PEOPLE_CAP,
    )


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


def session_for_dialog(session_id: int, shown: list[MentoringSession]) -> MentoringSession | None:
    """The session whose dialog the server renders open (the no-JavaScript path): from the
    rows already on the page, else read by id (a link to a session on another page)."""
    if not session_id:
        return None
    for session in shown:
        if session.pk == session_id:
            return session
    return _base().filter(pk=session_id).first()


# --- "My Sessions" (/dashboard/): short lists, paged by keyset ---------------------------

# The longest a session can last (the model's validator and the session_duration_range
