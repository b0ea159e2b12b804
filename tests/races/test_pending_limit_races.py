"""One mentee booking many times at once cannot slip past the cap on requests waiting for
confirmation (docs/PRODUCT.md §7.2), on SQLite and PostgreSQL alike.

Eight bookings by one mentee, at separate times, each on its own connection and released
together: book_session counts the mentee's pending requests after taking the lock that
makes bookings of one mentee queue up (PostgreSQL: the mentee's row; SQLite: the write
lock), so exactly the cap gets through and every other booking gets the cap's message."""

from datetime import timedelta
from functools import partial

import pytest

from bookings.models import MentoringSession
from bookings.services import BookingError, book_session
from notifications.models import OutboundEmail
from payments.models import Payment
from tests.bookings.test_double_booking import NOW, START
from tests.bookings.test_mentee_overlap import _available
from tests.bookings.test_pending_limit import ALL_FULL, JANE_FULL
from tests.concurrency import run_together
from tests.factories import MentorFactory, UserFactory

THREADS = 8

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("booking_rules")]


@pytest.fixture(autouse=True)
def limits(settings):
    settings.MENTEE_PENDING_LIMIT = 3
    settings.MENTEE_PENDING_LIMIT_TOTAL = 5


def _race(mentors, mentee) -> list[str]:
    """Each booking at its own hour from 08:00 on START's day: "booked" or "refused: <message>"."""

    def book(mentor, hour) -> str:
        start = START + timedelta(hours=hour - 1)
        book_session(mentor, mentee, start, 60, "Race", now=NOW)
        return "booked"

    return run_together(
        *(partial(book, mentor, hour) for hour, mentor in enumerate(mentors)),
        refused=(BookingError,),
    )


def test_parallel_requests_with_one_mentor_stop_at_the_per_mentor_cap():
    # Jane in UTC, Mondays 08:00–16:00: the eight hours from 08:00 would all be free.
    jane = _available(MentorFactory(first_name="Jane", last_name="Smith"))
    mentee = UserFactory()

    outcomes = _race([jane] * THREADS, mentee)

    assert sorted(outcomes) == ["booked"] * 3 + [f"refused: {JANE_FULL}"] * (THREADS - 3)
    assert MentoringSession.objects.filter(mentee=mentee, mentor=jane).count() == 3
    assert Payment.objects.count() == 3
    assert OutboundEmail.objects.count() == 3 * 2  # the mentee's and the mentor's, per booking


def test_parallel_requests_with_many_mentors_stop_at_the_total_cap():
    mentors = [_available(MentorFactory()) for _ in range(THREADS)]
    mentee = UserFactory()

    outcomes = _race(mentors, mentee)

    assert sorted(outcomes) == ["booked"] * 5 + [f"refused: {ALL_FULL}"] * (THREADS - 5)
    assert MentoringSession.objects.filter(mentee=mentee).count() == 5
    assert len(set(MentoringSession.objects.values_list("mentor_id", flat=True))) == 5
    assert OutboundEmail.objects.count() == 5 * 2
