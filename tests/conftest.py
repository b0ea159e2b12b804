import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.factories import MentorFactory, SessionFactory, UserFactory
from tests.smtp_sink import SMTPSink, smtp_mailers

MEET = "https://meet.google.com/abc-defg-hij"


@pytest.fixture(autouse=True)
def one_delivery_task_per_row(settings):
    """Most delivery tests follow one row through its own task (relay, sweep, the task id on
    the row): they run with DELIVERY_TASK_BATCH = 1, as do the worker processes they start
    (tests/worker_process.py). The defaults — a task per batch, sent over several
    connections — have tests of their own: tests/notifications/test_batch_*.py."""
    settings.DELIVERY_TASK_BATCH = 1


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


# The site the email tests' links, footers and invites name (instead of the environment's).
SITE = "https://mentors.example.com"
SUPPORT = "help@mentors.example.com"


@pytest.fixture
def site(settings):
    """SITE_URL and SUPPORT_EMAIL are SITE and SUPPORT, whatever the environment says."""
    settings.SITE_URL = SITE
    settings.SUPPORT_EMAIL = SUPPORT


@pytest.fixture
def without_overlap_guards(db):
    """Overlapping rows as SQLite, a data repair or an import could leave them: on
    PostgreSQL the no-overlap constraints (one mentor's and one mentee's sessions,
    migrations bookings/0002 and bookings/0009) are dropped inside the test's transaction
    (rolled back after)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name in ("session_no_overlap", "session_mentee_no_overlap"):
                cursor.execute(f"ALTER TABLE bookings_mentoringsession DROP CONSTRAINT {name}")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)


@pytest.fixture
def booking_rules(settings):
    """The booking rules the tests' expected free times are worked out from (whatever the
    environment sets): 12 hours' notice, 60 days ahead, starts every 30 minutes."""
    settings.BOOKING_MIN_NOTICE_HOURS = 12
    settings.BOOKING_HORIZON_DAYS = 60
    settings.BOOKING_SLOT_STEP_MINUTES = 30


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "clock(moment): the `clock` fixture starts at this aware datetime"
    )


@dataclass
class Clock:
    """What `django.utils.timezone.now()` returns while the `clock` fixture is in use."""

    now: datetime

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture
def no_jitter(monkeypatch):
    """Backoff without jitter: `random.uniform(a, b)` returns the upper bound b."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


@pytest.fixture
def clock(request, monkeypatch) -> Clock:
    """Time travel without sleeping: every `timezone.now()` (ours, Django's auto_now fields
    and session expiry, django-tasks-db's `run_after` checks) reads `clock.now`. It starts
    at the moment of a `clock(moment)` mark on the test or its module, else at the real
    time to the second; `clock.set()` and `clock.advance()` move it. Log a client in after
    moving the clock far: a login made before looks expired to a later clock."""
    marker = request.node.get_closest_marker("clock")
    start = marker.args[0] if marker else timezone.now().replace(microsecond=0)
    frozen = Clock(now=start)
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


# --- A real SMTP server on 127.0.0.1 (tests/smtp_sink.py) ------------------------------------
# Django's test set-up swaps every mailer for the in-memory one; these put the real SMTP
# backend back, pointed at the sink.


@pytest.fixture
def smtp_down(settings):
    """The SMTP mailer points at a reserved port where nothing listens yet (connection
    refused); call `.start()` to bring the server up on that same port."""
    sink = SMTPSink()
    settings.MAILERS = smtp_mailers(sink.port)
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_down):
    """A running SMTP server that accepts everything (until told otherwise)."""
    return smtp_down.start()


@pytest.fixture
def use_link_provider(settings):
    """`use_link_provider(provider)`: the site creates meeting links with `provider` (an
    object with `label` and `create_link(session)`), registered through the documented
    bookings.link_providers.register_provider under the name "test", for this test only."""
    from bookings import link_providers

    def use(provider) -> None:
        link_providers.register_provider("test", lambda: provider)
        settings.MEETING_LINK_AUTO_PROVIDER = "test"

    yield use
    link_providers.unregister_provider("test")
