"""Moving a session while others act on the same time, on both databases. Each round,
threads released together by a barrier: exactly one wins. PostgreSQL: row locks between
concurrent connections, and the no-overlap constraints. SQLite: every writing transaction
starts IMMEDIATE (config/settings.py), so the writers queue for the database's lock and each
checks what the one before it wrote."""

from datetime import UTC, datetime, time, timedelta
from functools import partial

import pytest

from bookings import services
from bookings.models import MentoringSession, SessionEvent
from bookings.services import SessionActionError
from tests.availability.factories import every_day
from tests.concurrency import run_together
from tests.factories import MentorProfileFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
NOW = START - timedelta(days=2)


def _mentor():
    mentor = UserFactory()
    MentorProfileFactory(user=mentor)
    every_day(mentor, time(0), time(23, 30))
    return mentor


def _outcome(call) -> str:
    call()
    return "done"


def test_a_reschedule_and_bookings_of_the_same_time_one_wins(settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 12
    settings.BOOKING_HORIZON_DAYS = 60
    for round_no in range(ROUNDS):
        mentor = _mentor()
        session = SessionFactory(mentor=mentor, start=START)
        target = START + timedelta(hours=3)
        calls = [
            partial(services.reschedule_session, session, start=target, by=session.mentee, now=NOW)
        ] + [
            partial(services.book_session, mentor, UserFactory(), target, 60, now=NOW)
            for _ in range(3)
        ]
        calls = calls[round_no % 4 :] + calls[: round_no % 4]

        outcomes = run_together(
            *(partial(_outcome, call) for call in calls), refused=(SessionActionError,)
        )

        assert outcomes.count("done") == 1, outcomes
        assert all(o == "done" or o.startswith("refused: ") for o in outcomes), outcomes
        assert MentoringSession.objects.filter(mentor=mentor, start=target).count() == 1


def test_two_reschedules_of_one_session_one_wins():
    for _ in range(ROUNDS):
        mentor = _mentor()
        session = SessionFactory(mentor=mentor, start=START)
        sequence = session.ics_sequence
        targets = [START + timedelta(hours=3), START + timedelta(hours=5)]
        outcomes = run_together(
            *(
                partial(
                    _outcome,
                    partial(
                        services.reschedule_session,
                        session,
                        start=target,
                        by=session.mentor,
                        now=NOW,
                    ),
                )
                for target in targets
            ),
            refused=(SessionActionError,),
        )

        session.refresh_from_db()
        moves = SessionEvent.objects.filter(
            session=session, action=SessionEvent.Action.RESCHEDULE
        ).count()
        assert outcomes.count("done") == 1, outcomes
        assert moves == 1
        assert session.ics_sequence == sequence + 1
        assert session.start in targets
