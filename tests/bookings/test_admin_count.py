"""The sessions dashboard's count ("12 sessions", selectors._count_capped): for every
combination of status, payment, dates and search it counts exactly the sessions the page
lists, each once, on both databases, with the day bounds taken in the admin's zone."""

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings.models import PaymentStatus, Status
from bookings.selectors import ADMIN_PAGE_SIZE, AdminSessionFilters, admin_session_page
from tests.factories import MentorFactory, SessionFactory, UserFactory

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def sessions(db):
    """Twelve sessions: two mentors, two mentees (one of them shares a first name with a
    mentor), three statuses, four payment statuses, over four days; some start at a Tokyo
    midnight exactly."""
    ada = MentorFactory(first_name="Ada", last_name="Lovelace")
    grace = MentorFactory(first_name="Grace", last_name="Hopper")
    byron = UserFactory(first_name="Ada", last_name="Byron")
    alan = UserFactory(first_name="Alan", last_name="Turing")
    tokyo_midnight = datetime(2030, 1, 15, tzinfo=TOKYO).astimezone(UTC)
    made = []
    pairs = itertools.cycle([(ada, byron), (ada, alan), (grace, byron), (grace, alan)])
    statuses = itertools.cycle([Status.PENDING, Status.CONFIRMED, Status.CANCELLED])
    payments = itertools.cycle(PaymentStatus.values)
    for n in range(12):
        mentor, mentee = next(pairs)
        start = tokyo_midnight + timedelta(hours=7 * n) - timedelta(hours=1 if n % 5 else 0)
        made.append(
            SessionFactory(
                mentor=mentor,
                mentee=mentee,
                start=start,
                status=next(statuses),
                payment_status=next(payments),
            )
        )
    return made


def _names(person) -> str:
    return f"{person.first_name} {person.last_name} {person.email}".lower()


def _matching_person(session, q) -> bool:
    words = q.lower().split()
    return any(
        all(any(name.startswith(word) for name in _names(person).split()) for word in words)
        for person in (session.mentor, session.mentee)
    )


@pytest.mark.parametrize("q", ["", "ada", "ada lovelace", "grace", "turing", "nobody"])
@pytest.mark.parametrize("status", ["", Status.PENDING, Status.CONFIRMED])
@pytest.mark.parametrize("payment", ["", PaymentStatus.PAID])
@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [(None, None), (date(2030, 1, 16), None), (None, date(2030, 1, 16)), (date(2030, 1, 16),) * 2],
)
def test_count_is_the_number_of_sessions_listed(sessions, q, status, payment, date_from, date_to):
    def day(session) -> date:
        return session.start.astimezone(TOKYO).date()

    expected = sorted(
        session.pk
        for session in sessions
        if (not q or _matching_person(session, q))
        and (not status or session.status == status)
        and (not payment or session.payment_status == payment)
        and (date_from is None or day(session) >= date_from)
        and (date_to is None or day(session) <= date_to)
    )
    filters = AdminSessionFilters(
        status=status, payment=payment, q=q, date_from=date_from, date_to=date_to
    )

    with timezone.override(TOKYO):
        page = admin_session_page(filters)

    assert len(expected) <= ADMIN_PAGE_SIZE  # the whole list is on this one page
    assert sorted(session.pk for session in page.sessions) == expected
    assert page.matches == len(expected)
