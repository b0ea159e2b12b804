"""Booking attempts are throttled per account (docs/PRODUCT.md §7.2): at most
BOOKING_MAX_ATTEMPTS (10) POSTs of the booking form within any BOOKING_THROTTLE_MINUTES
(10), whatever came of them. One more is refused with 429, the form and a message saying
when to try again, and changes nothing. The counter lives in the database (ops/ratelimit.py),
so every web process shares it."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from availability.slots import free_slots
from bookings.models import MentoringSession, Status
from notifications.models import OutboundEmail
from ops.models import RateLimitLog
from tests.bookings.test_booking import created
from tests.conftest import client_for
from tests.helpers import visible_text

NOW = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
URL = "/mentors/{}/book/"


def too_many(wait: str) -> str:
    return (
        "Too many booking attempts: you can try at most 10 times in 10 minutes. "
        f"Please try again in {wait}; nothing was booked."
    )


pytestmark = [pytest.mark.usefixtures("booking_rules"), pytest.mark.clock(NOW)]


def slot(mentor) -> str:
    return free_slots(mentor, duration_minutes=60)[4].isoformat()


def attempt(client, mentor, start: str = ""):
    """One POST of the booking form; without a start it is refused as incomplete (400)."""
    return client.post(URL.format(mentor.pk), {"start": start, "duration_minutes": 60})


def errors(response) -> list[str]:
    """The messages the page shows: at the top of the form, then next to its fields."""
    html = response.content.decode()
    top = re.findall(r'<div class="form-errors" role="alert">(.*?)</div>', html, re.S)
    fields = re.findall(r'<p class="error">(.*?)</p>', html, re.S)
    return [visible_text(text) for text in [*top, *fields]]


@pytest.mark.django_db
def test_the_eleventh_attempt_in_ten_minutes_is_refused_with_429(clock, ravi, mentee):
    client = client_for(mentee)
    for n in range(10):
        client.get(URL.format(ravi.pk))  # looking costs nothing
        clock.advance(timedelta(seconds=30))
        response = attempt(client, ravi)
        assert (response.status_code, errors(response)) == (
            400,
            ["Choose a time from the list."],
        ), n
    # The first attempt was at 00:00:30: the window lets one more in at 00:10:30.
    before = created()

    response = attempt(client, ravi, slot(ravi))

    assert response.status_code == 429
    assert response["Retry-After"] == "330"  # 00:05:00 now
    assert errors(response) == [too_many("6 minutes")]
    assert 'name="start"' in response.content.decode()  # the form, with the times
    assert (
        created()
        == before
        == {
            "sessions": 0,
            "events": 0,
            "payments": 0,
            "emails": 0,
            "tasks": 0,
        }
    )


@pytest.mark.django_db
def test_successful_bookings_count_as_attempts(clock, ravi, mentee, settings):
    settings.MENTEE_PENDING_LIMIT = settings.MENTEE_PENDING_LIMIT_TOTAL = 20
    client = client_for(mentee)
    times = free_slots(ravi, duration_minutes=60)
    for n in range(10):
        assert attempt(client, ravi, times[2 * n].isoformat()).status_code == 302

    response = attempt(client, ravi, times[40].isoformat())

    assert (response.status_code, errors(response)) == (429, [too_many("10 minutes")])
    assert MentoringSession.objects.count() == 10
    assert OutboundEmail.objects.count() == 20  # the ten bookings' two emails each, no more


@pytest.mark.django_db
def test_attempts_leave_the_window_one_by_one(clock, ravi, mentee):
    client = client_for(mentee)
    for _ in range(5):
        attempt(client, ravi)
    clock.advance(timedelta(minutes=4))
    for _ in range(5):
        attempt(client, ravi)
    clock.advance(timedelta(minutes=5, seconds=59))  # 9:59 after the first five

    refused = attempt(client, ravi)
    clock.advance(timedelta(seconds=1))  # the first five have left the window
    allowed = attempt(client, ravi, slot(ravi))

    assert (refused.status_code, refused["Retry-After"], errors(refused)) == (
        429,
        "1",
        [too_many("1 minute"), "Choose a time from the list."],
    )
    assert allowed.status_code == 302
    assert MentoringSession.objects.get().status == Status.PENDING


@pytest.mark.django_db
def test_refused_attempts_do_not_extend_the_wait(clock, ravi, mentee):
    client = client_for(mentee)
    for _ in range(10):
        attempt(client, ravi)
    for _ in range(20):  # hammering while refused
        clock.advance(timedelta(seconds=29))
        assert attempt(client, ravi).status_code == 429
    assert not MentoringSession.objects.exists()
    clock.set(NOW + timedelta(minutes=10))

    assert attempt(client, ravi, slot(ravi)).status_code == 302
    assert MentoringSession.objects.get().mentee == mentee


@pytest.mark.django_db
def test_the_throttle_is_per_account(clock, ravi, mentee, other_mentee):
    for _ in range(10):
        attempt(client_for(mentee), ravi)

    response = attempt(client_for(other_mentee), ravi, slot(ravi))

    assert response.status_code == 302
    assert MentoringSession.objects.get().mentee == other_mentee
    assert attempt(client_for(mentee), ravi, slot(ravi)).status_code == 429


@pytest.mark.django_db
def test_the_attempts_are_kept_in_the_database(clock, ravi, mentee):
    client = client_for(mentee)
    for _ in range(3):
        attempt(client, ravi)

    log = RateLimitLog.objects.get()
    assert (log.scope, log.key, log.attempts) == ("booking", str(mentee.pk), [NOW.isoformat()] * 3)
