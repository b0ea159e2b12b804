"""The database has the last word on overlaps when a session moves (PostgreSQL only: the
no-overlap exclusion constraints exist there).

The service asks the free-time code before it writes, so in normal use a clash is refused
before the constraint is reached; only two transactions that both passed the check could
reach it. To reach it deterministically, these tests replace the two checks with ones that
see nothing busy (a stand-in for a check that missed a clash) and show that the constraint's
violation becomes the same refusal, with nothing written."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from bookings import services
from bookings.models import MentoringSession, SessionEvent
from bookings.services import SLOT_TAKEN, SessionActionError
from notifications.models import OutboundEmail
from tests.factories import SessionFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="The no-overlap exclusion constraints exist on PostgreSQL only.",
    ),
]

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
NOW = START - timedelta(days=2)
TAKEN = START + timedelta(hours=3)


@pytest.fixture
def checks_that_see_nothing(monkeypatch):
    monkeypatch.setattr(services, "is_slot_free", lambda *args, **kwargs: True)
    monkeypatch.setattr(services, "check_mentee_free", lambda *args, **kwargs: None)


def _state(session):
    return {
        "session": MentoringSession.objects.values().get(pk=session.pk),
        "events": SessionEvent.objects.filter(session=session).count(),
        "emails": OutboundEmail.objects.count(),
    }


@pytest.mark.parametrize("clash", ["mentor", "mentee"])
@pytest.mark.usefixtures("checks_that_see_nothing")
def test_a_move_onto_a_taken_time_that_passed_the_checks_is_refused_by_the_database(clash):
    session = SessionFactory(start=START)
    other = {"mentor": session.mentor} if clash == "mentor" else {"mentee": session.mentee}
    if clash == "mentor":
        other["mentee"] = UserFactory()
    blocking = SessionFactory(start=TAKEN, **other)
    before = _state(session)

    with pytest.raises(SessionActionError) as refusal:
        services.reschedule_session(session, start=TAKEN, by=session.mentee, now=NOW)

    assert str(refusal.value) == SLOT_TAKEN
    assert _state(session) == before
    assert MentoringSession.objects.get(pk=blocking.pk).start == TAKEN
