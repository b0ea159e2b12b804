"""Moving a session to another time (docs/PRODUCT.md §2.7), at the service layer.

The session starts 2030-01-15 13:00 UTC; the mentor is available every day 00:00–23:30 in
their zone; the clock stands two days before the start."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings import services
from bookings.models import MentoringSession, SessionEvent, Status
from bookings.services import SLOT_TAKEN, SessionActionError
from tests.availability.factories import every_day
from tests.factories import SessionFactory

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
NOW = START - timedelta(days=2)
LATER = START + timedelta(hours=3)

pytestmark = [pytest.mark.clock(NOW), pytest.mark.usefixtures("booking_rules")]


@pytest.fixture
def session(mentor, pending_session):
    every_day(mentor, time(0), time(23, 30))
    return pending_session


def _state(session):
    return {
        "session": MentoringSession.objects.values().get(pk=session.pk),
        "events": SessionEvent.objects.filter(session=session).count(),
    }


def _refused(session, message, **kwargs):
    before = _state(session)
    with pytest.raises(SessionActionError) as refusal:
        services.reschedule_session(session, now=NOW, **kwargs)
    assert message in str(refusal.value)
    assert _state(session) == before


@pytest.mark.parametrize("who", ["mentee", "mentor", "admin_user"])
def test_each_role_may_move_the_session(request, session, who):
    by = request.getfixturevalue(who)
    sequence = session.ics_sequence

    moved = services.reschedule_session(session, start=LATER, by=by, reason="Clash", now=NOW)

    moved.refresh_from_db()
    assert moved.start == LATER
    assert moved.ics_sequence == sequence + 1
    assert moved.status == Status.PENDING
    event = SessionEvent.objects.filter(session=session).latest("pk")
    assert event.action == SessionEvent.Action.RESCHEDULE
    assert event.actor == by
    assert event.note == "2030-01-15T13:00:00+00:00 → 2030-01-15T16:00:00+00:00: Clash"


def test_an_outsider_is_refused(session, other_mentee):
    _refused(session, "Only the session's mentee", start=LATER, by=other_mentee)


def test_the_same_start_is_refused(session, mentee):
    _refused(session, "already starts at that time", start=START, by=mentee)


def test_a_time_not_offered_is_refused(session, mentee):
    off_grid = START + timedelta(minutes=10)
    _refused(session, services.NOT_OFFERED, start=off_grid, by=mentee)


def test_a_time_taken_by_another_session_is_refused(session, mentor, mentee, other_mentee):
    SessionFactory(mentor=mentor, mentee=other_mentee, start=LATER)
    _refused(session, SLOT_TAKEN, start=LATER, by=mentee)


def test_moving_by_one_slot_onto_its_own_old_time_is_allowed(session, mentee):
    one_slot = START + timedelta(minutes=30)
    moved = services.reschedule_session(session, start=one_slot, by=mentee, now=NOW)
    assert moved.start == one_slot


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELLED])
def test_a_final_session_is_refused(session, mentee, status):
    MentoringSession.objects.filter(pk=session.pk).update(status=status)
    _refused(session, "which is final", start=LATER, by=mentee)


def test_a_reason_over_500_characters_is_refused(session, mentee):
    _refused(session, "at most 500 characters", start=LATER, by=mentee, reason="x" * 501)


def test_the_mentee_limit(session, mentee, mentor, settings):
    settings.MENTEE_RESCHEDULE_LIMIT = 2
    session = services.reschedule_session(session, start=LATER, by=mentee, now=NOW)
    session = services.reschedule_session(session, start=START, by=mentor, now=NOW)  # not counted
    later = LATER + timedelta(hours=1)
    session = services.reschedule_session(session, start=later, by=mentee, now=NOW)
    _refused(session, "already been moved 2 times", start=LATER, by=mentee)


def test_the_mentee_cutoff_boundary(session, mentee):
    cutoff = START - timedelta(hours=24)
    before = _state(session)
    with pytest.raises(SessionActionError, match="too late to move"):
        services.reschedule_session(session, start=LATER, by=mentee, now=cutoff)
    assert _state(session) == before
    moved = services.reschedule_session(
        session, start=LATER, by=mentee, now=cutoff - timedelta(seconds=1)
    )
    assert moved.start == LATER


def test_a_session_moved_meanwhile_is_refused(session, mentee, mentor):
    stale = MentoringSession.objects.get(pk=session.pk)
    services.reschedule_session(session, start=LATER, by=mentor, now=NOW)
    _refused(stale, "moved to another time meanwhile", start=LATER + timedelta(hours=1), by=mentee)


def test_a_move_across_the_dst_change_keeps_the_wall_clock_time_picked(session, mentee):
    # 08:00 in New York on 2030-01-15 (EST); moved to 09:00 on 2030-03-11, after the clocks
    # went forward on 2030-03-10 (EDT): 13:00 UTC both times, 09:00 on the wall as picked.
    new_york = ZoneInfo("America/New_York")
    picked = datetime(2030, 3, 11, 9, 0, tzinfo=new_york)

    moved = services.reschedule_session(session, start=picked, by=mentee, now=NOW)

    moved.refresh_from_db()
    assert moved.start.astimezone(new_york).time() == time(9, 0)
    assert moved.start == datetime(2030, 3, 11, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize("who", ["mentor", "admin_user"])
def test_nobody_moves_a_session_that_has_started(request, session, who):
    before = _state(session)
    with pytest.raises(SessionActionError, match="already started"):
        services.reschedule_session(
            session, start=LATER, by=request.getfixturevalue(who), now=START
        )
    assert _state(session) == before


def test_a_mentee_limit_of_zero_refuses_the_first_move(session, mentee, settings):
    settings.MENTEE_RESCHEDULE_LIMIT = 0
    _refused(session, "already been moved 0 times", start=LATER, by=mentee)
