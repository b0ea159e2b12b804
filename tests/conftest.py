from datetime import UTC, datetime

import pytest
from django.test import Client

from tests.factories import MentorFactory, SessionFactory, UserFactory

MEET = "https://meet.google.com/abc-defg-hij"


@pytest.fixture
def mentee(db):
    return UserFactory(
        first_name="John", last_name="Doe", email="john@example.com", time_zone="America/New_York"
    )


@pytest.fixture
def mentor(db):
    return MentorFactory(
        first_name="Jane", last_name="Smith", email="jane@example.com", time_zone="Europe/Berlin"
    )


@pytest.fixture
def other_mentee(db):
    return UserFactory(first_name="Olga", last_name="Other", email="olga@example.com")


@pytest.fixture
def admin_user(db):
    return UserFactory(
        first_name="Alex", last_name="Admin", email="admin@example.com", is_staff=True
    )


@pytest.fixture
def pending_session(mentor, mentee):
    """Pending: 2030-01-15 13:00 UTC = 14:00 in Berlin (mentor) = 08:00 in New York (mentee)."""
    return SessionFactory(
        mentor=mentor, mentee=mentee, start=datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
    )


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)
