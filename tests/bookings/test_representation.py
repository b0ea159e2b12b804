"""A session as the API and webhooks show it (bookings/representation.py)."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bookings.models import MentoringSession, Status
from bookings.representation import session_data
from tests.factories import MentorFactory, SessionFactory, UserFactory

MOMENT = datetime(2030, 1, 10, 9, 30, 15, tzinfo=UTC)


@pytest.mark.clock(MOMENT)
def test_a_confirmed_session_in_full(clock, db):
    mentor = MentorFactory(first_name="Jane", last_name="Smith", time_zone="Europe/Berlin")
    mentee = UserFactory(first_name="John", last_name="Doe", time_zone="America/New_York")
    session = SessionFactory(
        mentor=mentor,
        mentee=mentee,
        start=datetime(2030, 1, 15, 13, 0, tzinfo=UTC),
        duration_minutes=90,
        status=Status.CONFIRMED,
        admin_provided_link="https://meet.google.com/abc-defg-hij",
        amount=Decimal("90"),
        notes="Système & <design>",
    )
    session = MentoringSession.objects.select_related("mentor", "mentee").get(pk=session.pk)

    data = session_data(session)

    assert data == {
        "id": session.pk,
        "status": "confirmed",
        "start": "2030-01-15T13:00:00Z",
        "end": "2030-01-15T14:30:00Z",
        "duration_minutes": 90,
        "mentor": {"id": mentor.pk, "name": "Jane Smith"},
        "mentee": {"id": mentee.pk, "name": "John Doe"},
        "meeting_link": "https://meet.google.com/abc-defg-hij",
        "amount": "90.00",
        "currency": "USD",
        "payment_status": "pending",
        "notes": "Système & <design>",
        "cancellation_reason": "",
        "created_at": "2030-01-10T09:30:15Z",
        "updated_at": "2030-01-10T09:30:15Z",
    }
    assert json.loads(json.dumps(data)) == data


def test_a_session_without_a_link_has_none(db):
    data = session_data(SessionFactory())

    assert data["meeting_link"] is None
    assert data["status"] == "pending"
