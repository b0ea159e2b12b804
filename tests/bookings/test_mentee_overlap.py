"""A mentee is in one session at a time (docs/PRODUCT.md §7.2): booking refuses a time that
overlaps one of the mentee's own pending or confirmed sessions, with whichever mentor, and
names that session. PostgreSQL also refuses it in the database (an exclusion constraint on
the mentee, migration bookings/0009), whoever writes the row; the booking turns a violation
into the same message. The constraint itself is tested with the mentor's in test_double_booking.py.
"""

import re
import threading
from datetime import UTC, datetime, time, timedelta
from functools import partial
from importlib import import_module

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bookings import selectors, services
from bookings.models import MentoringSession, Status
from bookings.services import BookingError, book_session
from payments.models import Payment
from tests.availability.factories import WeeklyAvailabilityFactory
from tests.bookings.test_booking import NOTHING, created
from tests.bookings.test_double_booking import NOW, START, postgres_only
from tests.concurrency import run_together
from tests.conftest import client_for
from tests.factories import MentorFactory, SessionFactory, UserFactory
from tests.helpers import visible_text

# START: Monday 7 January 2030, 09:00 UTC: 10:00 in Berlin, 04:00 in New York (John's zone).
JANE_AT_START = (
    "You already have a session with Jane Smith on 2030-01-07 from 04:00 to 05:00 "
    "(America/New_York) at that time. Please choose another time."
)
THREADS = 6

pytestmark = pytest.mark.usefixtures("booking_rules")


def _available(mentor):
    """Mondays 08:00–16:00 UTC (the mentor's zone is UTC unless given)."""
    WeeklyAvailabilityFactory(mentor=mentor, weekday=0, start_time=time(8), end_time=time(16))
    return mentor


@pytest.fixture
def mentor(mentor):
    """Jane (Berlin): Mondays 08:00–16:00 Berlin time (07:00–15:00 UTC in January)."""
    WeeklyAvailabilityFactory(mentor=mentor, weekday=0, start_time=time(8), end_time=time(16))
    return mentor


@pytest.fixture
def second_mentor(db):
    return _available(MentorFactory(first_name="Rob", last_name="Rust", email="rob@example.com"))


# --- the service ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED])
@pytest.mark.parametrize("offset, minutes", [(0, 60), (30, 60), (-30, 45), (-60, 90), (30, 30)])
def test_booking_refuses_a_time_overlapping_the_mentees_own_session(
    mentor, second_mentor, mentee, status, offset, minutes
):
    SessionFactory(mentor=mentor, mentee=mentee, start=START, status=status)
    before = created()

    with pytest.raises(BookingError) as refused:
        book_session(second_mentor, mentee, START + timedelta(minutes=offset), minutes, now=NOW)

    assert str(refused.value) == JANE_AT_START
    assert created() == before


@pytest.mark.django_db
def test_the_message_names_the_other_session_in_the_mentees_zone(mentor, second_mentor):
    tokyo = UserFactory(first_name="Aiko", time_zone="Asia/Tokyo")
    SessionFactory(mentor=mentor, mentee=tokyo, start=START, duration_minutes=90)

    with pytest.raises(BookingError) as refused:
        book_session(second_mentor, tokyo, START + timedelta(minutes=60), 60, now=NOW)

    assert str(refused.value) == (
        "You already have a session with Jane Smith on 2030-01-07 from 18:00 to 19:30 "
        "(Asia/Tokyo) at that time. Please choose another time."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start, status",
    [
        (START + timedelta(hours=1), Status.PENDING),  # back to back: [start, end)
        (START - timedelta(hours=1), Status.CONFIRMED),  # ends as the new one begins
        (START, Status.CANCELLED),
        (START, Status.COMPLETED),
    ],
)
def test_booking_allows_what_does_not_hold_the_mentees_time(
    mentor, second_mentor, mentee, start, status
):
    SessionFactory(mentor=mentor, mentee=mentee, start=start, status=status)

    session = book_session(second_mentor, mentee, START, 60, now=NOW)

    assert (session.mentee_id, session.start, session.status) == (mentee.pk, START, Status.PENDING)


@pytest.mark.django_db
def test_another_mentees_session_does_not_block(mentor, second_mentor, mentee, other_mentee):
    SessionFactory(mentor=mentor, mentee=other_mentee, start=START)

    session = book_session(second_mentor, mentee, START, 60, now=NOW)

    assert session.status == Status.PENDING


@pytest.mark.django_db
def test_the_mentees_earlier_session_that_ends_within_the_new_one_is_found(
    mentor, second_mentor, mentee
):
    # Started 3 hours before and lasts 4: only the (start, end) comparison sees the clash.
    SessionFactory(
        mentor=mentor, mentee=mentee, start=START - timedelta(hours=3), duration_minutes=240
    )

    with pytest.raises(BookingError, match="^You already have a session with Jane Smith on "):
        book_session(second_mentor, mentee, START, 60, now=NOW)


@pytest.mark.django_db
def test_check_mentee_free_does_not_count_the_session_being_moved(mentor, mentee):
    """The same check serves a move of a session to a new time: its own time is not a clash."""
    session = SessionFactory(mentor=mentor, mentee=mentee, start=START)

    services.check_mentee_free(mentee, START + timedelta(minutes=30), 60, moving=session)

    with pytest.raises(BookingError) as refused:
        services.check_mentee_free(mentee, START + timedelta(minutes=30), 60)
    assert str(refused.value) == JANE_AT_START


# --- the page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_refuses_an_overlap_with_the_mentees_session_with_400(
    clock, mentor, second_mentor, mentee
):
    clock.set(NOW)
    SessionFactory(mentor=mentor, mentee=mentee, start=START)
    before = created()

    response = client_for(mentee).post(
        f"/mentors/{second_mentor.pk}/book/",
        {"start": START.isoformat(), "duration_minutes": "60"},
    )

    assert response.status_code == 400
    assert JANE_AT_START in visible_text(response.content.decode())
    assert created() == before


# --- the database (PostgreSQL) -----------------------------------------------------------------


MIGRATION = import_module("bookings.migrations.0009_session_mentee_no_overlap")


def _constraint_exists() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(MIGRATION.EXISTS, [MIGRATION.CONSTRAINT])
        return cursor.fetchone() is not None


def test_constraint_and_check_agree_on_what_holds_a_mentees_time():
    """The constraint's WHERE (written as SQL) lists the statuses the check counts."""
    assert sorted(re.findall(r"'(\w+)'", MIGRATION.ACTIVE)) == sorted(selectors.ACTIVE)


@postgres_only
@pytest.mark.django_db
def test_the_migration_names_overlapping_sessions_it_cannot_guard(
    without_overlap_guards, mentor, second_mentor, mentee
):
    first = SessionFactory(mentor=mentor, mentee=mentee, start=START)
    second = SessionFactory(mentor=second_mentor, mentee=mentee, start=START)

    with (
        CaptureQueriesContext(connection) as ran,
        pytest.raises(RuntimeError) as refused,
        connection.schema_editor() as editor,
    ):
        MIGRATION.forward(None, editor)

    assert str(refused.value) == (
        "Some mentees have pending or confirmed sessions that overlap in time, so the "
        f"no-overlap constraint cannot be added. Cancel one of each pair (mentee {mentee.pk}: "
        f"sessions {first.pk} and {second.pk}), then run migrate again."
    )
    assert ran.captured_queries  # the check ran, and stopped before any change:
    assert [q["sql"] for q in ran if "ALTER TABLE" in q["sql"].upper()] == []


@postgres_only
@pytest.mark.django_db
def test_the_migration_adds_the_constraint_once_and_can_run_again(
    without_overlap_guards, mentor, second_mentor, mentee
):
    SessionFactory(mentor=mentor, mentee=mentee, start=START)
    SessionFactory(mentor=second_mentor, mentee=mentee, start=START, status=Status.CANCELLED)
    with connection.cursor() as cursor:  # check the rows' keys now: then the table may change
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with connection.schema_editor() as editor:
        MIGRATION.forward(None, editor)
        MIGRATION.forward(None, editor)

    assert _constraint_exists()
    with connection.schema_editor() as editor:
        MIGRATION.backward(None, editor)
    assert not _constraint_exists()


def _backend_waits_for_a_lock(pid: int) -> bool:
    # pg_locks is read live (pg_stat_activity would be a snapshot for the whole transaction).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", [pid]
        )
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_booking_turns_the_mentee_constraint_into_the_message(mentor, second_mentor, mentee):
    """Another writer (a second process, a data repair) has inserted an overlapping session
    of the mentee and not committed yet: the booking's check cannot see it; the exclusion
    constraint waits for that transaction, refuses once it commits, and the booking answers
    with the message naming the session that won."""
    connection.ensure_connection()
    booking_pid = connection.connection.info.backend_pid
    inserted = threading.Event()
    outcome: list[str] = []

    def other_writer():
        try:
            with transaction.atomic():
                SessionFactory(mentor=mentor, mentee=mentee, start=START)
                inserted.set()
                # Commit only once the booking waits inside the constraint for this row.
                deadline = datetime.now(UTC) + timedelta(seconds=20)
                while not _backend_waits_for_a_lock(booking_pid):
                    assert datetime.now(UTC) < deadline, "the booking never waited"
            outcome.append("committed")
        except Exception as error:  # reported by the assertion below
            outcome.append(repr(error))
        finally:
            inserted.set()
            connection.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert inserted.wait(timeout=20)

    with pytest.raises(BookingError) as refused:
        book_session(second_mentor, mentee, START + timedelta(minutes=30), 60, now=NOW)

    writer.join(timeout=20)
    assert outcome == ["committed"]
    assert str(refused.value) == (
        "You already have a session with Jane Smith on 2030-01-07 from 04:00 to 05:00 "
        "(America/New_York) at that time. Please choose another time."
    )
    assert list(MentoringSession.objects.values_list("mentor_id", "start")) == [(mentor.pk, START)]
    assert created() == {**NOTHING, "sessions": 1}


# --- many concurrent bookings by one mentee ---------------------------------------------------


@pytest.fixture
def mentors(transactional_db):
    return [
        _available(MentorFactory(first_name=f"Mentor{n}", last_name="Racer"))
        for n in range(THREADS)
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_by_one_mentee_at_one_time_exactly_one_wins(mentors):
    mentee = UserFactory(first_name="John", time_zone="UTC")

    def book(mentor):
        return ("booked", book_session(mentor, mentee, START, 60, "Race", now=NOW).mentor_id)

    outcomes = run_together(*(partial(book, m) for m in mentors), refused=(BookingError,))

    booked = [o for o in outcomes if isinstance(o, tuple)]
    assert len(booked) == 1, outcomes
    winner = next(m for m in mentors if m.pk == booked[0][1])
    refusal = (
        f"refused: You already have a session with {winner.get_full_name()} on 2030-01-07 "
        "from 09:00 to 10:00 (UTC) at that time. Please choose another time."
    )
    assert sorted(o for o in outcomes if not isinstance(o, tuple)) == [refusal] * (THREADS - 1)
    assert list(MentoringSession.objects.values_list("mentee_id", "mentor_id", "start")) == [
        (mentee.pk, winner.pk, START)
    ]
    assert Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_by_one_mentee_at_separate_times_all_succeed(mentors, settings):
    # More requests than the cap on requests waiting for confirmation allows (that cap's
    # races: tests/races/test_pending_limit_races.py); here only overlaps are in question.
    settings.MENTEE_PENDING_LIMIT_TOTAL = THREADS
    mentee = UserFactory(time_zone="UTC")
    starts = [START + timedelta(hours=n) for n in range(THREADS)]

    outcomes = run_together(
        *(
            partial(lambda m, s: book_session(m, mentee, s, 60, now=NOW).start, m, s)
            for m, s in zip(mentors, starts, strict=True)
        ),
        refused=(BookingError,),
    )

    assert sorted(outcomes) == starts
    assert MentoringSession.objects.filter(mentee=mentee).count() == THREADS
