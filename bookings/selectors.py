"""Reads: every list page's queries live here, with the joins they need (no N+1)."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ApplicationStatus, MentorProfile, User
from accounts.search import people_matching
from bookings.models import LONGEST_SESSION, MentoringSession, SessionEvent, Status
from common.keyset import Cursor, KeysetPage, keyset_page
from notifications.selectors import latest_email_lines

# Statuses of sessions still to happen (or to be marked completed).
ACTIVE = (Status.PENDING, Status.CONFIRMED)
# Statuses whose session holds its time: nobody else may book it (docs/PRODUCT.md §7.1). A
# completed session too: completing sends no cancel invite, so the meeting stays in both
# people's calendars, and one completed before its end must not offer the rest of its time.
# The same list as the PostgreSQL constraint session_no_overlap (bookings/migrations/0010).
HOLDING = (*ACTIVE, Status.COMPLETED)


def held_intervals(
    mentor_ids: Sequence[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime]]:
    """(mentor id, start, end) of those mentors' sessions that hold their time and overlap
    [start, end): the busy intervals the free times leave out (registered with
    availability.slots)."""
    sessions = MentoringSession.objects.filter(
        mentor_id__in=mentor_ids,
        status__in=HOLDING,
        start__gt=start - LONGEST_SESSION,
        start__lt=end,
    ).values_list("mentor_id", "start", "duration_minutes")
    return [
        (mentor_id, begin, begin + timedelta(minutes=minutes))
        for mentor_id, begin, minutes in sessions
    ]


def _base() -> QuerySet[MentoringSession]:
    return MentoringSession.objects.select_related("mentor", "mentee")


def ends_at(ref: type[F] = F) -> ExpressionWrapper:
    """A session's end instant, as SQL: `start + duration_minutes * 1 minute` (of the
    enclosing query's row with `ref=OuterRef`)."""
    # SQLite only multiplies a duration by a plain IntegerField, and only adds it to a
    # datetime (django_format_dtdelta) when the product is typed as a duration. Both
    # wrappers are type hints only: PostgreSQL runs `start + duration_minutes * interval`.
    minutes = ExpressionWrapper(ref("duration_minutes"), output_field=IntegerField())
    length = ExpressionWrapper(minutes * Value(timedelta(minutes=1)), output_field=DurationField())
    return ExpressionWrapper(ref("start") + length, output_field=DateTimeField())


def with_end(queryset: QuerySet[MentoringSession]) -> QuerySet[MentoringSession]:
    return queryset.annotate(ends_at=ends_at())


def confirmed_clash() -> Exists:
    """Whether another confirmed (or completed) session of the same mentor overlaps the
    enclosing query's session: a value of that query, so the row and the answer come in one
    read.

    Read from the (mentor, start) index: no session is longer than LONGEST_SESSION, so an
    earlier one that reaches ours started less than that before it."""
    earliest = ExpressionWrapper(
        OuterRef("start") - Value(LONGEST_SESSION), output_field=DateTimeField()
    )
    others = MentoringSession.objects.filter(
        mentor_id=OuterRef("mentor_id"),
        status__in=(Status.CONFIRMED, Status.COMPLETED),
        start__lt=ends_at(OuterRef),
        start__gt=earliest,
    ).exclude(pk=OuterRef("pk"))
    return Exists(with_end(others).filter(ends_at__gt=OuterRef("start")))


def mentee_clash(
    mentee_id: int, start: datetime, end: datetime, *, other_than: int | None = None
) -> MentoringSession | None:
    """The mentee's first session that holds its time and overlaps [start, end), with its
    mentor; None if there is none. `other_than`: a session that does not count (one being
    moved to a new time). Read from the (mentee, start) index, as `confirmed_clash`."""
    sessions = MentoringSession.objects.filter(
        mentee_id=mentee_id,
        status__in=ACTIVE,
        start__gt=start - LONGEST_SESSION,
        start__lt=end,
    )
    if other_than is not None:
        sessions = sessions.exclude(pk=other_than)
    overlapping = with_end(sessions).filter(ends_at__gt=start)
    return overlapping.select_related("mentor").order_by("start", "id").first()


def waiting_requests(mentee_id: int, mentor_id: int, now: datetime) -> tuple[int, int]:
    """How many of the mentee's requests wait for confirmation: (with this mentor, with all
    mentors together). Pending and not started; a started one expires (docs/PRODUCT.md
    §7.2). One query, from the (mentee, start) index."""
    counts = MentoringSession.objects.filter(
        mentee_id=mentee_id, status=Status.PENDING, start__gt=now
    ).aggregate(with_mentor=Count("pk", filter=Q(mentor_id=mentor_id)), in_all=Count("pk"))
    return counts["with_mentor"], counts["in_all"]


@dataclass(frozen=True)
class AdminSessionFilters:
    status: str = ""
    payment: str = ""  # a PaymentStatus value: the session's payment_status
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    after: Cursor | None = None
    before: Cursor | None = None


ADMIN_PAGE_SIZE = 25
# A session's columns that a list row or card shows: reading only these (and the people's
# names) makes the 25–75 model instances of a page cheaper to build.
SHOWN_IN_LISTS = (
    "mentor_id",
    "mentee_id",
    "start",
    "duration_minutes",
    "status",
    "meeting_link",
    "admin_provided_link",
    "amount",
    "payment_status",
)
_PERSON = ("first_name", "last_name", "email", "time_zone")
# What a sessions dashboard row shows (templates/bookings/admin/_session_rows.html).
ADMIN_ROW_FIELDS = (
    *SHOWN_IN_LISTS,
    "dashboard_rank",
    *(f"{person}__{field}" for person in ("mentor", "mentee") for field in _PERSON),
)
# "1,000+ sessions": counting every match would cost a scan of all of them.
ADMIN_COUNT_CAP = 1000
# A search lists the sessions of at most this many people ("a" matches thousands).
ADMIN_PEOPLE_CAP = 200


@dataclass(frozen=True)
class AdminSessionPage:
    page: KeysetPage
    matches: int  # counted up to ADMIN_COUNT_CAP + 1
    too_many_people: bool = False  # a search matched more than ADMIN_PEOPLE_CAP people

    @property
    def sessions(self) -> list[MentoringSession]:
        return self.page.rows

    @property
    def more_than_cap(self) -> bool:
        return self.matches > ADMIN_COUNT_CAP


def admin_sessions_matching(
    filters: AdminSessionFilters, people: list[int] | None = None
) -> QuerySet[MentoringSession]:
    """The sessions the dashboard's filters let through: a status, a payment status, a date
    range (a day runs from midnight to midnight in the active, the admin's, time zone) and,
    for a search, its people as mentor or mentee."""
    sessions = MentoringSession.objects.all()
    zone = timezone.get_current_timezone()
    if filters.status:
        sessions = sessions.filter(status=filters.status)
    if filters.payment:
        sessions = sessions.filter(payment_status=filters.payment)
    if filters.date_from:
        sessions = sessions.filter(start__gte=datetime.combine(filters.date_from, time.min, zone))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone)
        sessions = sessions.filter(start__lt=end)
    if people is not None:
        sessions = sessions.filter(Q(mentor_id__in=people) | Q(mentee_id__in=people))
    return sessions


def _count_capped(filters: AdminSessionFilters, people: list[int] | None) -> int:
    """How many sessions match, counted up to ADMIN_COUNT_CAP + 1.

    A search counts the people's sessions as mentor, then as mentee only: each count reads
    its person index. Asked as one `mentor … OR mentee …`, SQLite reads every session. A
    search whose people have more than the cap as mentors asks one query less."""
    cap = ADMIN_COUNT_CAP + 1
    if people is None:
        return admin_sessions_matching(filters).order_by()[:cap].count()
    filtered = admin_sessions_matching(filters).order_by()
    as_mentor = filtered.filter(mentor_id__in=people)[:cap].count()
    if as_mentor == cap:
        return cap  # enough: the second count would only read rows to no end
    as_mentee = filtered.filter(mentee_id__in=people).exclude(mentor_id__in=people)
    return as_mentor + as_mentee[: cap - as_mentor].count()


def admin_session_page(filters: AdminSessionFilters) -> AdminSessionPage:
    """The admin dashboard: pending first, then soonest first (docs/PRODUCT.md §4.2), 25 at
    a time, and how many sessions match, counted up to ADMIN_COUNT_CAP + 1.

    The same queries at 10 or 10,000,000 sessions: the page is one keyset read in index
    order (`session_rank_start`: pending first; with a status filter `session_status_start`)
    and the count stops at the cap. A search that matches more than ADMIN_PEOPLE_CAP people
    lists nothing and asks for more of the name: the sessions of some of them would look
    like all of them."""
    people = None
    if words := filters.q.split()[:5]:
        people = people_matching(words, limit=ADMIN_PEOPLE_CAP + 1)
        if len(people) > ADMIN_PEOPLE_CAP:
            return AdminSessionPage(
                page=KeysetPage(rows=[], has_next=False, has_previous=False),
                matches=0,
                too_many_people=True,
            )
    matching = admin_sessions_matching(filters, people)
    with_people = MentoringSession.objects.select_related("mentor", "mentee")
    page = keyset_page(
        # A search skips most of the index it walks: it finds the page's sessions without
        # the people joined (the index holds mentor and mentee), then reads those 25.
        matching.only("pk", "dashboard_rank", "start")
        if people
        else matching.select_related("mentor", "mentee").only(*ADMIN_ROW_FIELDS),
        size=ADMIN_PAGE_SIZE,
        # One status: (status, start, id) orders it. All: pending first, by their rank.
        rank=None if filters.status else "dashboard_rank",
        after=filters.after,
        before=filters.before,
    )
    if people:
        by_id = with_people.only(*ADMIN_ROW_FIELDS).in_bulk([row.pk for row in page.rows])
        page = replace(page, rows=[by_id[row.pk] for row in page.rows])
    lines = latest_email_lines([row.pk for row in page.rows])
    for row in page.rows:
        row.email_lines = lines.get(row.pk, [])  # its newest notification's states
    return AdminSessionPage(page=page, matches=_count_capped(filters, people))


# "My Sessions" splits by time alone (docs/PRODUCT.md §4.5): Upcoming is every session that
# has not ended, whatever its status (a cancelled or completed one shows marked so), and
# Past is every session that has ended. A session moves from one to the other only when its
# time is over, never because of what someone did to it.


def upcoming_sessions(user, *, as_mentor: bool) -> QuerySet[MentoringSession]:
    """Sessions that have not ended yet, in any status, soonest first.

    Served by the (mentor|mentee, start, id) index: no session lasts longer than
    LONGEST_SESSION, so one that has not ended started after now − LONGEST_SESSION (an index
    range); the exact end is computed only for the few in that range that have started.
    No status in the filter: nothing tempts PostgreSQL to combine in the admin's (status,
    start) index, which would read every person's upcoming sessions."""
    now = timezone.now()
    return (
        _dashboard_sessions(user, as_mentor=as_mentor)
        .filter(start__gt=now - LONGEST_SESSION)
        .filter(Q(start__gt=now) | Q(ends_at__gt=now))
        .order_by("start", "id")
    )


def past_sessions(user, *, as_mentor: bool) -> QuerySet[MentoringSession]:
    """Sessions that have ended, in any status, latest first: exactly those that
    upcoming_sessions leaves out.

    Read backwards along the (mentor|mentee, start, id) index, from `now` (an index range:
    the sessions still ahead are never read). The exact end is computed only for sessions
    that started within LONGEST_SESSION (the only ones whose end is in doubt): the cheap
    test comes first, and SQL stops at the first that decides."""
    now = timezone.now()
    ended = Q(start__lte=now - LONGEST_SESSION) | Q(ends_at__lte=now)
    return (
        _dashboard_sessions(user, as_mentor=as_mentor)
        .filter(ended, start__lte=now)
        .order_by("-start", "-id")
    )


def with_mentee_moves(sessions: QuerySet[MentoringSession]) -> QuerySet[MentoringSession]:
    """Each session with `mentee_moves`: how many times its mentee has moved it (the limit
    of docs/PRODUCT.md §2.7), read in the same query."""
    moves = (
        SessionEvent.objects.filter(
            session=OuterRef("pk"),
            actor=OuterRef("mentee_id"),
            action=SessionEvent.Action.RESCHEDULE,
        )
        .order_by()
        .values("session")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return sessions.annotate(mentee_moves=Coalesce(Subquery(moves), 0))


def session_for_participant(user, session_id: int) -> MentoringSession | None:
    """The session if `user` is its mentee or mentor; None otherwise (the view answers 404).
    With `mentee_moves` (with_mentee_moves)."""
    sessions = with_mentee_moves(_base())
    return sessions.filter(Q(mentor=user) | Q(mentee=user), pk=session_id).first()


def session_for_mover(user, session_id: int) -> MentoringSession | None:
    """The session if `user` is its mentee or mentor, or an admin (any session); None
    otherwise (the reschedule page answers 404). With `mentee_moves`."""
    return with_mentee_moves(sessions_visible_to(user)).filter(pk=session_id).first()


def session_exists(session_id: int) -> bool:
    return MentoringSession.objects.filter(pk=session_id).exists()


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

DASHBOARD_PAGE_SIZE = 10
# The lists, each named by its query parameter: as a mentee, then as a mentor.
DASHBOARD_LISTS = ("upcoming", "past", "mentor_upcoming", "mentor_past")


def _participant(user, *, as_mentor: bool) -> Q:
    return Q(mentor=user) if as_mentor else Q(mentee=user)


# What a "My Sessions" card reads: the listed columns and the cancellation reason (and the
# name of the other person).
_CARD_FIELDS = (*SHOWN_IN_LISTS, "cancellation_reason")


def _dashboard_sessions(user, *, as_mentor: bool) -> QuerySet[MentoringSession]:
    """The user's sessions in one role, with only what a card shows (and the other person),
    and `ends_at` to filter on (an alias: computed only where a filter needs it)."""
    other = "mentee" if as_mentor else "mentor"
    return (
        MentoringSession.objects.filter(_participant(user, as_mentor=as_mentor))
        .select_related(other)
        .only(*_CARD_FIELDS, f"{other}__first_name", f"{other}__last_name")
        .alias(ends_at=ends_at())
    )


@dataclass(frozen=True)
class DashboardCursor:
    """A place in a dashboard list: the rows after (or before) the session at (start, id).
    Its token is "after." or "before." and a keyset cursor's (common/keyset.py)."""

    before: bool
    cursor: Cursor

    @property
    def token(self) -> str:
        return f"{'before' if self.before else 'after'}.{self.cursor.token}"

    @classmethod
    def parse(cls, raw: str) -> "DashboardCursor | None":
        """The place a token names, or None for anything that is not one."""
        direction, _, rest = raw.partition(".")
        cursor = Cursor.parse(rest) if direction in ("after", "before") else None
        if cursor is None or cursor.rank != 0:
            return None
        return cls(direction == "before", cursor)

    @classmethod
    def at(cls, session: MentoringSession, *, before: bool) -> "DashboardCursor":
        return cls(before, Cursor(0, session.start, session.pk))


@dataclass(frozen=True)
class DashboardList:
    """One page of one dashboard list."""

    name: str  # the list's query parameter
    sessions: list[MentoringSession]
    token: str  # where this page starts; "" for the first page
    previous_token: str  # "" when this is the first page
    next_token: str  # "" when nothing follows
    refused: bool  # the parameter named no place in the list: the first page is shown


@dataclass(frozen=True)
class Dashboard:
    """What "My Sessions" shows: the mentor lists too, or not; each list's page."""

    is_mentor: bool
    lists: dict[str, DashboardList]  # by name, in DASHBOARD_LISTS order


def _roles(user) -> tuple[bool, bool]:
    """(is an approved mentor, has booked a session as a mentee), in one query."""
    approved = MentorProfile.objects.filter(user=OuterRef("pk"), status=ApplicationStatus.APPROVED)
    booked = MentoringSession.objects.filter(mentee=OuterRef("pk"))
    return User.objects.filter(pk=user.pk).values_list(Exists(approved), Exists(booked)).get()


def dashboard_lists(user, places: dict[str, str]) -> Dashboard:
    """The lists of "My Sessions", each from the place (token) asked for, by list name.

    Queries: one for the person's roles (is an approved mentor: the two mentor lists; has
    ever booked a session: a mentor who has not, as most have not, gets two empty mentee
    lists for nothing); then one per list shown (see dashboard_list for the one exception).
    At most 5, whatever the data."""
    mentor, has_booked = _roles(user)
    lists = {}
    for name in DASHBOARD_LISTS if mentor else DASHBOARD_LISTS[:2]:
        raw = places.get(name, "")
        if has_booked or not mentor or name.startswith("mentor_"):
            lists[name] = dashboard_list(user, name, raw)
        else:
            empty = KeysetPage([], has_next=False, has_previous=False)
            lists[name] = _page(name, empty, "", refused=bool(raw))
    return Dashboard(is_mentor=mentor, lists=lists)


def dashboard_list(
    user, name: str, raw: str = "", *, size: int = DASHBOARD_PAGE_SIZE
) -> DashboardList:
    """One page of the dashboard list `name` (DASHBOARD_LISTS) from the place the token `raw`
    names ("" = the first page): at most `size` sessions from one query on the
    (mentor|mentee, start, id) index, however many sessions the person has. Whether more follow
    is known by reading one row more than is shown; nothing is counted.

    A place whose page has emptied since its link was made (e.g. the sessions before it
    have ended, or a hand-made token) gives the first page instead: one query more, only
    then. A parameter that is no token at all gives the first page, marked `refused`."""
    as_mentor = name.startswith("mentor_")
    if name.endswith("upcoming"):
        sessions, newest_first = upcoming_sessions(user, as_mentor=as_mentor), False
    else:
        sessions, newest_first = past_sessions(user, as_mentor=as_mentor), True
    cursor = DashboardCursor.parse(raw) if raw else None
    if cursor is not None:
        place = {"before" if cursor.before else "after": cursor.cursor}
        page = keyset_page(sessions, size=size, descending=newest_first, **place)
        # Kept unless the place has emptied, or lies less than a page from the start (the
        # first page is shown instead; exactly a page from it, this is the first page).
        if page.rows and (page.has_previous or len(page.rows) == size):
            return _page(name, page, raw if page.has_previous else "")
    page = keyset_page(sessions, size=size, descending=newest_first)
    return _page(name, page, "", refused=bool(raw) and cursor is None)


def _page(name: str, page: KeysetPage, token: str, *, refused: bool = False) -> DashboardList:
    shown = page.rows
    return DashboardList(
        name=name,
        sessions=shown,
        token=token,
        previous_token=DashboardCursor.at(shown[0], before=True).token if page.has_previous else "",
        next_token=DashboardCursor.at(shown[-1], before=False).token if page.has_next else "",
        refused=refused,
    )


def session_for_admin(pk: int) -> MentoringSession | None:
    return (
        MentoringSession.objects.select_related("mentor", "mentee", "confirmed_by", "cancelled_by")
        .filter(pk=pk)
        .first()
    )


def session_audit_trail(session: MentoringSession) -> QuerySet[SessionEvent]:
    """Who did what to the session, oldest first."""
    return (
        SessionEvent.objects.filter(session=session)
        .select_related("actor")
        .order_by("created_at", "id")
    )


# --- The JSON API's sessions (docs/PRODUCT.md §11) ----------------------------------------

API_PAGE_SIZE = 25


@dataclass(frozen=True)
class SessionQuery:
    """A page of the API's session list: its filters and where it starts."""

    status: str = ""
    start_after: datetime | None = None  # sessions starting at or after this instant
    start_before: datetime | None = None  # … and before this one
    after: Cursor | None = None  # the row the page starts after, in (start, id) order


def sessions_visible_to(user) -> QuerySet[MentoringSession]:
    """Every session for an admin; a person's own, as mentee or mentor, for anyone else."""
    sessions = _base()
    return sessions if user.is_staff else sessions.filter(Q(mentor=user) | Q(mentee=user))


def session_visible_to(user, session_id: int) -> MentoringSession | None:
    """The session with its people if `user` may see it (see sessions_visible_to); None
    otherwise (the API answers 404, as for a session that does not exist)."""
    return sessions_visible_to(user).filter(pk=session_id).first()


def _filtered(sessions: QuerySet[MentoringSession], query: SessionQuery):
    if query.status:
        sessions = sessions.filter(status=query.status)
    if query.start_after is not None:
        sessions = sessions.filter(start__gte=query.start_after)
    if query.start_before is not None:
        sessions = sessions.filter(start__lt=query.start_before)
    return sessions


def api_session_page(user, query: SessionQuery, *, size: int = API_PAGE_SIZE) -> KeysetPage:
    """One page of the sessions `user` may see, soonest first by (start, id), after the
    query's cursor. An admin's page is one range of the (start, id) index, or of (status,
    start, id) with a status: one query at any depth. A person's page merges two such
    ranges, as mentor and as mentee (each from its own (person, start, id) index): two
    queries, since one `mentor OR mentee` condition would walk every session instead."""
    if user.is_staff:
        return keyset_page(_filtered(_base(), query), size=size, after=query.after)
    legs = [
        keyset_page(_filtered(_base().filter(**{role: user}), query), size=size, after=query.after)
        for role in ("mentor", "mentee")
    ]
    rows = sorted(
        {row.pk: row for leg in legs for row in leg.rows}.values(), key=lambda r: (r.start, r.pk)
    )
    has_next = len(rows) > size or any(leg.has_next for leg in legs)
    return KeysetPage(rows[:size], has_next=has_next, has_previous=query.after is not None)
