"""No double booking (docs/PRODUCT.md §7.1): pending, confirmed and completed sessions hold
their slot; cancelled ones free it.

PostgreSQL: exclusion constraints refuse overlapping sessions of one mentor (pending,
confirmed or completed: migrations bookings/0002, 0010) and of one mentee (pending or
confirmed: bookings/0009), whoever writes them. SQLite: book_session checks and inserts
inside one IMMEDIATE transaction (the database write lock). Both: many concurrent bookings
of one slot give exactly one session. Confirming re-checks for a clash with a confirmed or
completed session.
"""

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from importlib import import_module

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from bookings import selectors, services
from bookings.models import MentoringSession, SessionEvent, Status
from bookings.services import BookingError, SessionActionError, book_session
from notifications.models import EmailKind, OutboundEmail
from payments.models import Payment
from tests.availability.factories import WeeklyAvailabilityFactory
from tests.concurrency import run_together
from tests.conftest import MEET
from tests.factories import SessionFactory, UserFactory

NOW = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # Monday, inside the mentor's window
SLOT_TAKEN = "That time is no longer available. Please choose another time."
CONFLICT = (
    "This session conflicts with another confirmed or completed session at that time for the "
    "same mentor; nothing was changed."
)
THREADS = 8
# The migration that last wrote the PostgreSQL no-overlap constraint.
CONSTRAINT_MIGRATION = "bookings.migrations.0010_completed_sessions_hold_their_time"

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the exclusion constraints exist on PostgreSQL only (SQLite relies on the "
    "IMMEDIATE transaction held by book_session)",
)


pytestmark = pytest.mark.usefixtures("booking_rules")


@pytest.fixture
def mentor(mentor):
    """Jane, Mondays 09:00–17:00 Berlin time (08:00–16:00 UTC in January)."""
    WeeklyAvailabilityFactory(mentor=mentor, weekday=0, start_time=time(9), end_time=time(17))
    return mentor


def counts() -> dict[str, int]:
    return {
        "sessions": MentoringSession.objects.count(),
        "payments": Payment.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "tasks": DBTaskResult.objects.count(),
    }


# --- the database constraint itself (bypassing the service) --------------------------------


# One person's pending and confirmed sessions may not overlap: the mentor's (migration
# bookings/0002) and the mentee's (bookings/0009), each its own constraint.
GUARDS = pytest.mark.parametrize(
    "person, constraint",
    [("mentor", "session_no_overlap"), ("mentee", "session_mentee_no_overlap")],
)


def _session_of(person: str, who, **fields) -> MentoringSession:
    """A session whose `person` ("mentor" or "mentee") is `who`; the other one is new."""
    other = "mentee" if person == "mentor" else "mentor"
    return SessionFactory(**{person: who, other: UserFactory()}, **fields)


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "person, constraint, held",
    [
        *(("mentor", "session_no_overlap", held) for held in selectors.HOLDING),
        *(("mentee", "session_mentee_no_overlap", held) for held in selectors.ACTIVE),
    ],
)
@pytest.mark.parametrize("new", [Status.PENDING, Status.CONFIRMED])
@pytest.mark.parametrize("offset, minutes", [(0, 60), (30, 60), (-30, 45), (-60, 90), (15, 30)])
def test_database_refuses_an_overlapping_session(
    mentor, person, constraint, held, new, offset, minutes
):
    _session_of(person, mentor, start=START, duration_minutes=60, status=held)

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        _session_of(
            person,
            mentor,
            start=START + timedelta(minutes=offset),
            duration_minutes=minutes,
            status=new,
        )

    assert MentoringSession.objects.count() == 1


@postgres_only
@pytest.mark.django_db
@GUARDS
def test_database_refuses_moving_a_session_onto_another(mentor, person, constraint):
    _session_of(person, mentor, start=START)
    later = _session_of(person, mentor, start=START + timedelta(hours=2))

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        MentoringSession.objects.filter(pk=later.pk).update(start=START + timedelta(minutes=30))

    assert MentoringSession.objects.get(pk=later.pk).start == START + timedelta(hours=2)


@postgres_only
@pytest.mark.django_db
@GUARDS
@pytest.mark.parametrize(
    "same_person, start, status",
    [
        (True, START + timedelta(hours=1), Status.PENDING),  # back to back: [start, end)
        (True, START - timedelta(hours=1), Status.CONFIRMED),  # ends as the first begins
        (True, START, Status.CANCELLED),
        (False, START, Status.PENDING),
    ],
)
def test_database_allows_what_does_not_overlap(
    mentor, person, constraint, same_person, start, status
):
    _session_of(person, mentor, start=START, duration_minutes=60)

    _session_of(person, mentor if same_person else UserFactory(), start=start, status=status)

    assert MentoringSession.objects.count() == 2


@postgres_only
@pytest.mark.django_db
def test_a_completed_session_holds_the_mentors_time_but_not_the_mentees(mentor, mentee):
    # Completing comes only after the start, so only the mentor's calendar can still offer
    # what is left of it (docs/PRODUCT.md §7.1); a mentee's own check counts pending and
    # confirmed sessions.
    SessionFactory(mentor=mentor, mentee=mentee, start=START, status=Status.COMPLETED)
    later = START + timedelta(minutes=30)

    SessionFactory(mentor=UserFactory(), mentee=mentee, start=later)  # the same mentee
    with pytest.raises(IntegrityError, match="session_no_overlap"), transaction.atomic():
        SessionFactory(mentor=mentor, mentee=UserFactory(), start=later)  # the same mentor

    assert MentoringSession.objects.count() == 2


@postgres_only
@pytest.mark.django_db
def test_database_lets_a_cancelled_session_overlap_a_completed_one(mentor, mentee, other_mentee):
    SessionFactory(mentor=mentor, mentee=mentee, start=START, status=Status.COMPLETED)

    SessionFactory(
        mentor=mentor,
        mentee=other_mentee,
        start=START + timedelta(minutes=30),
        status=Status.CANCELLED,
    )

    assert MentoringSession.objects.count() == 2


@postgres_only
@pytest.mark.django_db
def test_cancelling_frees_the_slot_for_the_database_too(mentor, mentee, other_mentee, admin_user):
    first = book_session(mentor, mentee, START, 60, now=NOW)
    services.cancel_session(first, by=admin_user, reason="Clash.")

    second = book_session(mentor, other_mentee, START, 60, now=NOW)

    assert MentoringSession.objects.get(pk=second.pk).status == Status.PENDING


@postgres_only
@pytest.mark.django_db
def test_service_turns_the_constraint_into_the_slot_taken_message(
    mentor, mentee, other_mentee, monkeypatch
):
    # A check that misses the clash (as concurrent transactions do): the constraint refuses.
    SessionFactory(mentor=mentor, mentee=other_mentee, start=START)
    before = counts()
    monkeypatch.setattr(services, "is_slot_free", lambda *args, **kwargs: True)

    with pytest.raises(BookingError, match=f"^{SLOT_TAKEN}$"):
        book_session(mentor, mentee, START + timedelta(minutes=30), 60, now=NOW)

    assert counts() == before


# --- what holds a mentor's time ----------------------------------------------------------


@pytest.mark.django_db
def test_held_intervals_are_the_pending_confirmed_and_completed_sessions(
    without_overlap_guards, mentor, mentee
):
    for hour, status in enumerate(Status.values):  # pending, confirmed, completed, cancelled
        SessionFactory(
            mentor=mentor, mentee=mentee, start=START + timedelta(hours=hour), status=status
        )

    held = selectors.held_intervals([mentor.pk], START, START + timedelta(days=1))

    assert sorted(held) == [
        (mentor.pk, START + timedelta(hours=hour), START + timedelta(hours=hour + 1))
        for hour in range(3)
    ]


@pytest.mark.django_db
def test_a_time_held_by_a_completed_session_cannot_be_booked(mentor, mentee, other_mentee):
    # Completed ahead of its time (as an admin once could): the meeting is still in both
    # people's calendars, so its time is not free.
    SessionFactory(mentor=mentor, mentee=other_mentee, start=START, status=Status.COMPLETED)
    before = counts()

    with pytest.raises(BookingError, match=f"^{SLOT_TAKEN}$"):
        book_session(mentor, mentee, START + timedelta(minutes=30), 60, now=NOW)

    assert counts() == before


# --- many concurrent bookings of one slot ----------------------------------------------


def _race(mentor, mentees, starts) -> list[tuple[str, object]]:
    """Each booking's outcome: ("booked", the mentee's id), ("refused", the message) or
    ("crashed", the error)."""

    def book(mentee, start):
        return ("booked", book_session(mentor, mentee, start, 60, "Race", now=NOW).mentee_id)

    outcomes = run_together(
        *(partial(book, m, s) for m, s in zip(mentees, starts, strict=True)),
        refused=(BookingError,),
    )
    return [o if isinstance(o, tuple) else tuple(o.split(": ", 1)) for o in outcomes]


@pytest.fixture
def racers(transactional_db):
    return [UserFactory(email=f"racer{n}@example.com") for n in range(THREADS)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_exactly_one_wins(mentor, racers, admin_user):
    outcomes = _race(mentor, racers, [START] * THREADS)

    booked = [who for what, who in outcomes if what == "booked"]
    assert len(booked) == 1, outcomes
    assert sorted(outcomes) == sorted(
        [("booked", booked[0])] + [("refused", SLOT_TAKEN)] * (THREADS - 1)
    )
    session = MentoringSession.objects.get()
    assert (session.mentee_id, session.start, session.status, session.amount) == (
        booked[0],
        START,
        Status.PENDING,
        Decimal("60.00"),
    )
    # No task yet: the worker's relay queues one per email.
    assert counts() == {"sessions": 1, "payments": 1, "emails": 3, "tasks": 0}
    assert sorted(OutboundEmail.objects.values_list("kind", "recipient_id")) == sorted(
        [
            (EmailKind.BOOKING_RECEIVED, booked[0]),
            (EmailKind.SESSION_REQUESTED, mentor.pk),
            (EmailKind.NEEDS_CONFIRMATION, admin_user.pk),
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_overlapping_slots_exactly_one_wins(mentor, racers):
    # Every start is within 60 minutes of every other: any two would overlap.
    starts = [START + timedelta(minutes=30 * (n % 2)) for n in range(THREADS)]

    outcomes = _race(mentor, racers, starts)

    assert [what for what, _ in outcomes].count("booked") == 1, outcomes
    assert [what for what, _ in outcomes].count("refused") == THREADS - 1, outcomes
    assert MentoringSession.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_separate_slots_all_succeed(mentor, racers):
    # 08:00 … 14:00 UTC hourly (7 sessions), and 14:30, which overlaps the 14:00 one.
    starts = [START + timedelta(hours=n - 1) for n in range(THREADS - 1)]
    starts.append(START + timedelta(hours=5, minutes=30))

    outcomes = _race(mentor, racers, starts)

    assert [o for o in outcomes if o[0] != "booked"] == [("refused", SLOT_TAKEN)], outcomes
    assert MentoringSession.objects.count() == THREADS - 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_constraint_alone_stops_a_race_the_check_misses(mentor, racers, monkeypatch):
    # Every thread's check says "free" (as it may in concurrent transactions on
    # PostgreSQL): the exclusion constraint still lets exactly one insert through.
    monkeypatch.setattr(services, "is_slot_free", lambda *args, **kwargs: True)

    outcomes = _race(mentor, racers, [START] * THREADS)

    assert [what for what, _ in outcomes].count("booked") == 1, outcomes
    assert sorted(o for o in outcomes if o[0] != "booked") == [("refused", SLOT_TAKEN)] * (
        THREADS - 1
    )
    assert counts()["sessions"] == 1


# --- confirming re-checks for a confirmed clash -------------------------------------------


def _overlapping_pair(mentor, mentee, other_mentee, admin_user, *, offset=30):
    """A confirmed session and a pending one that overlaps it (only possible without the
    database guard)."""
    confirmed = SessionFactory(mentor=mentor, mentee=mentee, start=START)
    services.confirm_session(confirmed, link=MEET, by=admin_user)
    pending = SessionFactory(
        mentor=mentor, mentee=other_mentee, start=START + timedelta(minutes=offset)
    )
    return confirmed, pending


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [0, 30, -30, -59, 59])
def test_confirm_refuses_a_clash_with_a_confirmed_session(
    without_overlap_guards, mentor, mentee, other_mentee, admin_user, offset
):
    _, pending = _overlapping_pair(mentor, mentee, other_mentee, admin_user, offset=offset)
    events, emails = SessionEvent.objects.count(), OutboundEmail.objects.count()

    with pytest.raises(SessionActionError, match=f"^{CONFLICT}$"):
        services.confirm_session(pending, link=MEET, by=admin_user)

    pending.refresh_from_db()
    assert (pending.status, pending.admin_provided_link, pending.confirmed_at) == (
        Status.PENDING,
        "",
        None,
    )
    assert (SessionEvent.objects.count(), OutboundEmail.objects.count()) == (events, emails)


@pytest.mark.django_db
def test_confirm_through_set_status_shows_the_clash(
    without_overlap_guards, admin_client, mentor, mentee, other_mentee, admin_user
):
    _, pending = _overlapping_pair(mentor, mentee, other_mentee, admin_user)

    response = admin_client.post(
        f"/admin/sessions/{pending.pk}/set-status/",
        {"action": "confirmed", "meeting_link": MEET},
        follow=True,
    )

    assert CONFLICT in response.content.decode()
    assert MentoringSession.objects.get(pk=pending.pk).status == Status.PENDING


@pytest.mark.django_db
def test_confirm_refuses_a_clash_with_a_completed_session(
    without_overlap_guards, mentor, mentee, other_mentee, admin_user
):
    SessionFactory(mentor=mentor, mentee=mentee, start=START, status=Status.COMPLETED)
    pending = SessionFactory(
        mentor=mentor, mentee=other_mentee, start=START + timedelta(minutes=30)
    )
    events, emails = SessionEvent.objects.count(), OutboundEmail.objects.count()

    with pytest.raises(SessionActionError, match=f"^{CONFLICT}$"):
        services.confirm_session(pending, link=MEET, by=admin_user)

    pending.refresh_from_db()
    assert (pending.status, pending.confirmed_at) == (Status.PENDING, None)
    assert (SessionEvent.objects.count(), OutboundEmail.objects.count()) == (events, emails)


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [60, -60, 120])
def test_confirm_allows_back_to_back_sessions(mentor, mentee, other_mentee, admin_user, offset):
    _, pending = _overlapping_pair(mentor, mentee, other_mentee, admin_user, offset=offset)

    services.confirm_session(pending, link=MEET, by=admin_user)

    assert MentoringSession.objects.get(pk=pending.pk).status == Status.CONFIRMED


@pytest.mark.django_db
def test_confirm_ignores_other_mentors_and_cancelled_sessions(
    mentor, mentee, other_mentee, admin_user
):
    elsewhere = SessionFactory(mentee=mentee, start=START)
    services.confirm_session(elsewhere, link=MEET, by=admin_user)
    cancelled = SessionFactory(mentor=mentor, mentee=UserFactory(), start=START)
    services.cancel_session(cancelled, by=admin_user, reason="Clash.")
    pending = SessionFactory(mentor=mentor, mentee=other_mentee, start=START)

    services.confirm_session(pending, link=MEET, by=admin_user)

    assert MentoringSession.objects.get(pk=pending.pk).status == Status.CONFIRMED


@pytest.mark.django_db
def test_confirm_ignores_a_pending_clash_but_then_holds_the_time(
    without_overlap_guards, mentor, mentee, other_mentee, admin_user
):
    first = SessionFactory(mentor=mentor, mentee=mentee, start=START)
    second = SessionFactory(mentor=mentor, mentee=other_mentee, start=START)

    services.confirm_session(first, link=MEET, by=admin_user)
    with pytest.raises(SessionActionError, match=f"^{CONFLICT}$"):
        services.confirm_session(second, link=MEET, by=admin_user)

    assert dict(MentoringSession.objects.values_list("pk", "status")) == {
        first.pk: Status.CONFIRMED,
        second.pk: Status.PENDING,
    }


def test_slots_and_constraint_agree_on_what_holds_a_slot():
    """The exclusion constraint's WHERE (its latest migration, written as SQL) lists the
    statuses whose sessions are busy in the free times (selectors.HOLDING)."""
    migration = import_module(CONSTRAINT_MIGRATION)
    [where] = re.findall(r"WHERE \(status IN \(([^)]*)\)\)", "\n".join(migration.FORWARD))

    assert sorted(re.findall(r"'(\w+)'", where)) == sorted(selectors.HOLDING)
    assert set(selectors.HOLDING) == {Status.PENDING, Status.CONFIRMED, Status.COMPLETED}


@postgres_only
@pytest.mark.django_db
def test_the_constraint_migration_stops_at_sessions_overlapping_a_completed_one(
    without_overlap_guards, mentor, mentee, other_mentee
):
    completed = SessionFactory(mentor=mentor, mentee=mentee, start=START, status=Status.COMPLETED)
    pending = SessionFactory(
        mentor=mentor, mentee=other_mentee, start=START + timedelta(minutes=59)
    )
    SessionFactory(  # back to back, and cancelled: neither is a clash
        mentor=mentor, mentee=other_mentee, start=START + timedelta(hours=1, minutes=59)
    )
    SessionFactory(mentor=mentor, mentee=mentee, start=START, status=Status.CANCELLED)
    migration = import_module(CONSTRAINT_MIGRATION)

    with (
        CaptureQueriesContext(connection) as ran,
        pytest.raises(RuntimeError) as error,
        connection.schema_editor() as editor,
    ):
        migration._forward(None, editor)

    assert f"(session ids): {completed.pk} and {pending.pk}. Cancel the pending" in str(error.value)
    assert ran.captured_queries  # the check ran, and stopped before any change:
    assert [q["sql"] for q in ran if "ALTER TABLE" in q["sql"].upper()] == []


@pytest.mark.django_db
@pytest.mark.parametrize(("minutes_before", "clashes"), [(479, True), (480, False)])
def test_confirm_sees_a_clash_with_the_longest_session_that_started_before(
    without_overlap_guards, mentor, mentee, other_mentee, admin_user, minutes_before, clashes
):
    """The check reads only sessions starting less than 480 minutes (the longest) earlier:
    one that started 479 minutes before and lasts 480 still runs; one 480 before has ended."""
    long_one = SessionFactory(
        mentor=mentor,
        mentee=mentee,
        start=START - timedelta(minutes=minutes_before),
        duration_minutes=480,
    )
    services.confirm_session(long_one, link=MEET, by=admin_user)
    pending = SessionFactory(mentor=mentor, mentee=other_mentee, start=START)

    if clashes:
        with pytest.raises(SessionActionError, match=f"^{CONFLICT}$"):
            services.confirm_session(pending, link=MEET, by=admin_user)
    else:
        services.confirm_session(pending, link=MEET, by=admin_user)

    expected = Status.PENDING if clashes else Status.CONFIRMED
    assert MentoringSession.objects.get(pk=pending.pk).status == expected
