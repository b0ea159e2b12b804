"""Each refusal of the booking and the reschedule services, as the API answers it
(docs/PRODUCT.md §11, §7.2, §2.7): a conflict with what exists is a 409, a refused input a
422 naming its field, both in the words the pages show. Each test asserts the whole problem
body, to the byte, and that the refusal changed nothing."""

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from availability.models import WeeklyAvailability
from availability.slots import free_slots
from bookings import services
from bookings.models import MentoringSession, SessionEvent, Status
from tests.api.conftest import ApiClient, token_for
from tests.factories import MentorFactory, SessionFactory

NOW = datetime(2030, 1, 10, 8, 0, tzinfo=UTC)
# The mentor's first free time after the 12 hours' notice: 09:00 in Berlin.
FREE = datetime(2030, 1, 11, 8, 0, tzinfo=UTC)
# The mentee's pending session (tests/conftest.py `pending_session`).
BOOKED = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)

NOT_OFFERED = "That time is not one of the offered times. Please choose a time from the list."
TAKEN = "That time is no longer available. Please choose another time."
# The mentee's session with Otto Other at FREE, in the mentee's zone.
CLASH = (
    "You already have a session with Otto Other on 2030-01-11 from 03:00 to 04:00 "
    "(America/New_York) at that time. Please choose another time."
)

pytestmark = [pytest.mark.clock(NOW), pytest.mark.usefixtures("booking_rules")]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def conflict(detail: str) -> dict:
    return {"type": "about:blank", "title": "Conflict", "status": 409, "detail": detail}


def unprocessable(field: str, detail: str) -> dict:
    return {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": detail,
        "errors": {field: [detail]},
    }


def sessions() -> list[tuple]:
    """What a refusal must leave as it was: every session's time and status, and how many
    audit rows there are."""
    rows = MentoringSession.objects.order_by("pk").values_list("pk", "start", "status")
    return [*rows, SessionEvent.objects.count()]


@pytest.fixture
def open_hours(clock, mentor, pending_session):
    """The mentor takes bookings from 09:00 to 17:00 (Berlin) every day."""
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            mentor=mentor, weekday=weekday, start_time=time(9), end_time=time(17)
        )
    assert free_slots(mentor, duration_minutes=60)[0] == FREE


@pytest.fixture
def other_mentor(open_hours):
    return MentorFactory(first_name="Otto", last_name="Other")


def assert_refused(response, problem: dict, before: list[tuple]) -> None:
    """The response is exactly `problem`, to the byte, and nothing changed since `before`."""
    assert response.status_code == problem["status"]
    assert response["Content-Type"] == "application/problem+json"
    assert response.content.decode() == json.dumps(problem, ensure_ascii=False)
    assert sessions() == before


# --- POST /api/v1/bookings -------------------------------------------------------------------


def _book(user, mentor, start: datetime = FREE, **fields):
    body = {"mentor": mentor.pk, "start": _iso(start), "duration_minutes": 60, **fields}
    return ApiClient(token_for(user)).post("/api/v1/bookings", body)


def test_booking_oneself_is_422_on_mentor(open_hours, mentor):
    before = sessions()

    response = _book(mentor, mentor)

    assert_refused(
        response, unprocessable("mentor", "You cannot book a session with yourself."), before
    )


def test_booking_a_length_not_offered_is_422_on_duration_minutes(open_hours, mentor, mentee):
    before = sessions()

    response = _book(mentee, mentor, duration_minutes=50)

    assert_refused(
        response,
        unprocessable("duration_minutes", "Choose a session length of 30, 45, 60 or 90 minutes."),
        before,
    )


@pytest.mark.parametrize(
    ("start", "detail"),
    [
        (NOW - timedelta(days=1), "That time is in the past. Please choose a time from the list."),
        (
            NOW + timedelta(hours=2),
            "Sessions must be booked at least 12 hours in advance. Please choose a later time.",
        ),
        (
            NOW + timedelta(days=61),
            "Sessions can be booked at most 60 days ahead. Please choose an earlier time.",
        ),
        (FREE + timedelta(minutes=10), NOT_OFFERED),
    ],
    ids=["in the past", "too soon", "too far ahead", "not offered"],
)
def test_booking_a_time_not_on_offer_is_422_on_start(start, detail, open_hours, mentor, mentee):
    before = sessions()

    response = _book(mentee, mentor, start)

    assert_refused(response, unprocessable("start", detail), before)


def test_booking_a_time_taken_meanwhile_is_409(open_hours, mentor, mentee, other_mentee):
    services.book_session(mentor, other_mentee, FREE, 60)
    before = sessions()

    response = _book(mentee, mentor)

    assert_refused(response, conflict(TAKEN), before)


def test_booking_over_ones_own_session_is_422_on_start(other_mentor, mentor, mentee):
    SessionFactory(mentor=other_mentor, mentee=mentee, start=FREE)
    before = sessions()

    response = _book(mentee, mentor)

    assert_refused(response, unprocessable("start", CLASH), before)


def test_booking_beyond_the_pending_limit_is_409(open_hours, mentor, mentee, settings):
    settings.MENTEE_PENDING_LIMIT = 1
    before = sessions()

    response = _book(mentee, mentor)

    assert_refused(
        response,
        conflict(
            "You have reached the limit of 1 request with Jane Smith waiting for confirmation. "
            "Please wait until an admin confirms one, or withdraw one from My Sessions, before "
            "requesting another."
        ),
        before,
    )


def test_booking_too_often_is_429_with_retry_after(open_hours, mentor, mentee, settings):
    settings.BOOKING_MAX_ATTEMPTS = 1
    assert _book(mentee, mentor, FREE + timedelta(minutes=10)).status_code == 422
    before = sessions()

    response = _book(mentee, mentor)

    assert response["Retry-After"] == "600"
    too_many = {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Too many booking attempts: you can try at most 1 times in 10 minutes. "
        "Please try again in 10 minutes; nothing was booked.",
    }
    assert_refused(response, too_many, before)


# --- POST /api/v1/sessions/{id}/reschedule ---------------------------------------------------


def _move(user, session, start: datetime):
    path = f"/api/v1/sessions/{session.pk}/reschedule"
    return ApiClient(token_for(user)).post(path, {"start": _iso(start)})


def test_moving_to_the_same_start_is_422_on_start(open_hours, pending_session, mentee):
    before = sessions()

    response = _move(mentee, pending_session, BOOKED)

    assert_refused(
        response,
        unprocessable(
            "start",
            "The session already starts at that time; choose a different time. "
            "Nothing was changed.",
        ),
        before,
    )


def test_moving_to_a_time_not_offered_is_422_on_start(open_hours, pending_session, mentee):
    before = sessions()

    response = _move(mentee, pending_session, FREE + timedelta(minutes=10))

    assert_refused(response, unprocessable("start", NOT_OFFERED), before)


def test_moving_to_a_taken_time_is_409(open_hours, pending_session, mentor, mentee, other_mentee):
    SessionFactory(mentor=mentor, mentee=other_mentee, start=FREE)
    before = sessions()

    response = _move(mentee, pending_session, FREE)

    assert_refused(response, conflict(TAKEN), before)


def test_moving_over_ones_own_session_is_409(other_mentor, pending_session, mentee):
    SessionFactory(mentor=other_mentor, mentee=mentee, start=FREE)
    before = sessions()

    response = _move(mentee, pending_session, FREE)

    assert_refused(response, conflict(CLASH), before)


def test_moving_a_final_session_is_409(open_hours, pending_session, mentee):
    pending_session.status = Status.COMPLETED
    pending_session.save(update_fields=["status"])
    before = sessions()

    response = _move(mentee, pending_session, FREE)

    assert_refused(
        response,
        conflict(
            "This session is completed, which is final; it cannot be moved. Nothing was changed."
        ),
        before,
    )


# --- POST /api/v1/sessions/{id}/cancel -------------------------------------------------------


def _cancel(user, session, reason: str):
    path = f"/api/v1/sessions/{session.pk}/cancel"
    return ApiClient(token_for(user)).post(path, {"reason": reason})


def test_cancelling_without_a_reason_is_422_on_reason(clock, pending_session, mentee):
    before = sessions()

    response = _cancel(mentee, pending_session, " \n\t ")

    assert_refused(
        response, unprocessable("reason", "Please give a reason for cancelling."), before
    )


def test_an_admin_may_cancel_without_a_reason(clock, pending_session, admin_user):
    response = _cancel(admin_user, pending_session, "")

    assert response.status_code == 200
    pending_session.refresh_from_db()
    assert (pending_session.status, pending_session.cancellation_reason) == (Status.CANCELLED, "")
