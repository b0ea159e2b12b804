"""A mentee's requests waiting for confirmation are capped (docs/PRODUCT.md §7.2): at most
MENTEE_PENDING_LIMIT (3) with one mentor and MENTEE_PENDING_LIMIT_TOTAL (5) with all
mentors together. Only pending requests that have not started count. A refused booking
creates nothing and queues no email; the page answers 409 with the form and the message.

Concurrent bookings by one mentee: tests/races/test_pending_limit_races.py."""

from datetime import UTC, datetime, timedelta

import pytest

from availability.slots import free_slots
from bookings import services
from bookings.models import MentoringSession, Status
from bookings.services import PendingLimitReached, book_session
from notifications.models import OutboundEmail
from tests.bookings.test_booking import created
from tests.bookings.test_mentee_overlap import _available
from tests.conftest import MEET, client_for
from tests.factories import MentorFactory, SessionFactory, UserFactory
from tests.helpers import visible_text

NOW = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)  # a Tuesday
START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # Monday
HOUR = timedelta(hours=1)
WAIT = (
    "Please wait until an admin confirms one, or withdraw one from My Sessions, before "
    "requesting another."
)
JANE_FULL = (
    f"You have reached the limit of 3 requests with Jane Smith waiting for confirmation. {WAIT}"
)
ALL_FULL = (
    "You have reached the limit of 5 requests waiting for confirmation, with all mentors "
    f"together. {WAIT}"
)

pytestmark = pytest.mark.usefixtures("booking_rules")


@pytest.fixture(autouse=True)
def limits(settings):
    """The defaults, whatever the environment says."""
    settings.MENTEE_PENDING_LIMIT = 3
    settings.MENTEE_PENDING_LIMIT_TOTAL = 5


@pytest.fixture
def mentor(mentor):
    """Jane (Berlin): Mondays 08:00–16:00 Berlin time (07:00–15:00 UTC in January)."""
    return _available(mentor)


@pytest.fixture
def others(db):
    """Four more mentors (UTC), each available on Mondays 08:00–16:00."""
    return [_available(MentorFactory(first_name=f"Other{n}")) for n in range(4)]


def book(mentor, mentee, start):
    return book_session(mentor, mentee, start, 60, "Limits", now=NOW)


def pending(mentor, mentee, start, **fields) -> MentoringSession:
    return SessionFactory(mentor=mentor, mentee=mentee, start=start, **fields)


# --- the service -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_fourth_request_with_one_mentor_is_refused_and_creates_nothing(mentor, mentee):
    for hour in range(3):
        book(mentor, mentee, START + hour * HOUR)
    before = created()

    with pytest.raises(PendingLimitReached) as refused:
        book(mentor, mentee, START + 3 * HOUR)

    assert str(refused.value) == JANE_FULL
    assert before == {"sessions": 3, "events": 3, "payments": 3, "emails": 6, "tasks": 0}
    assert created() == before


@pytest.mark.django_db
def test_a_mentee_refused_by_one_mentor_may_still_ask_another(mentor, mentee, others):
    for hour in range(3):
        pending(mentor, mentee, START + hour * HOUR)
    with pytest.raises(PendingLimitReached):
        book(mentor, mentee, START + 3 * HOUR)

    session = book(others[0], mentee, START + 3 * HOUR)

    assert (session.mentor_id, session.status) == (others[0].pk, Status.PENDING)


@pytest.mark.django_db
def test_a_sixth_request_in_all_is_refused_and_creates_nothing(mentor, mentee, others):
    for hour, who in enumerate([mentor, mentor, others[0], others[0], others[1]]):
        pending(who, mentee, START + hour * HOUR)
    before = created()

    with pytest.raises(PendingLimitReached) as refused:
        book(others[2], mentee, START + 5 * HOUR)

    assert str(refused.value) == ALL_FULL
    assert created() == before


@pytest.mark.django_db
def test_when_both_limits_are_reached_the_message_names_the_total(mentor, mentee, others):
    for hour, who in enumerate([mentor, mentor, mentor, others[0], others[1]]):
        pending(who, mentee, START + hour * HOUR)

    with pytest.raises(PendingLimitReached) as refused:
        book(mentor, mentee, START + 5 * HOUR)

    assert str(refused.value) == ALL_FULL


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, start",
    [
        (Status.CONFIRMED, START),
        (Status.CANCELLED, START),
        (Status.COMPLETED, NOW - HOUR),
        (Status.PENDING, NOW - HOUR),  # started: it expires, nobody will confirm it
        (Status.PENDING, NOW),  # starts at this very moment: started
    ],
)
def test_only_pending_requests_that_have_not_started_count(mentor, mentee, status, start):
    pending(mentor, mentee, START + 2 * HOUR)
    pending(mentor, mentee, START + 3 * HOUR)
    pending(mentor, mentee, start, status=status)

    third = book(mentor, mentee, START + 4 * HOUR)  # the third that counts
    with pytest.raises(PendingLimitReached) as refused:
        book(mentor, mentee, START + 5 * HOUR)

    assert third.status == Status.PENDING
    assert str(refused.value) == JANE_FULL


@pytest.mark.django_db
def test_a_request_starting_a_minute_from_now_counts(mentor, mentee):
    pending(mentor, mentee, START + 2 * HOUR)
    pending(mentor, mentee, START + 3 * HOUR)
    pending(mentor, mentee, NOW + timedelta(minutes=1))

    with pytest.raises(PendingLimitReached, match="^You have reached the limit of 3 requests"):
        book(mentor, mentee, START + 4 * HOUR)


@pytest.mark.django_db
def test_other_mentees_requests_and_the_mentees_own_as_a_mentor_do_not_count(
    mentor, mentee, other_mentee
):
    # The mentee is also a mentor: requests others made of them are not theirs to wait for.
    for hour in range(5):  # Jane's 09:00–14:00 UTC
        pending(mentor, other_mentee, START + hour * HOUR)
        pending(mentee, UserFactory(), START + hour * HOUR)

    booked = [book(mentor, mentee, START + hours * HOUR) for hours in (-2, -1, 5)]
    with pytest.raises(PendingLimitReached) as refused:
        book(mentor, mentee, START + 5 * HOUR)

    assert [session.status for session in booked] == [Status.PENDING] * 3
    assert str(refused.value) == JANE_FULL


@pytest.mark.django_db
@pytest.mark.parametrize("making_room", ["withdrawn", "confirmed"])
def test_a_request_withdrawn_or_confirmed_makes_room_for_another(
    mentor, mentee, admin_user, making_room
):
    requests = [book(mentor, mentee, START + hour * HOUR) for hour in range(3)]
    with pytest.raises(PendingLimitReached):
        book(mentor, mentee, START + 3 * HOUR)
    if making_room == "withdrawn":
        services.cancel_session(requests[0], by=mentee, reason="Another time suits me better.")
    else:
        services.confirm_session(requests[0], link=MEET, by=admin_user)

    session = book(mentor, mentee, START + 3 * HOUR)

    assert session.status == Status.PENDING
    assert MentoringSession.objects.filter(mentee=mentee, status=Status.PENDING).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "per_mentor, total, booked, message",
    [
        (1, 5, 1, "the limit of 1 request with Jane Smith waiting for confirmation."),
        (2, 2, 2, "the limit of 2 requests waiting for confirmation, with all mentors together."),
        (4, 6, 4, "the limit of 4 requests with Jane Smith waiting for confirmation."),
    ],
)
def test_the_limits_come_from_the_settings(
    settings, mentor, mentee, per_mentor, total, booked, message
):
    settings.MENTEE_PENDING_LIMIT = per_mentor
    settings.MENTEE_PENDING_LIMIT_TOTAL = total
    for hour in range(booked):
        book(mentor, mentee, START + hour * HOUR)

    with pytest.raises(PendingLimitReached) as refused:
        book(mentor, mentee, START + booked * HOUR)

    assert str(refused.value) == f"You have reached {message} {WAIT}"
    assert MentoringSession.objects.count() == booked


# --- the page --------------------------------------------------------------------------------

URL = "/mentors/{}/book/"


@pytest.mark.django_db
@pytest.mark.clock(NOW)
def test_page_refuses_a_request_over_the_limit_with_409_and_the_form(clock, ravi, mentee):
    for day in (20, 21, 22):
        pending(ravi, mentee, NOW + timedelta(days=day))
    slot = free_slots(ravi, duration_minutes=60)[4].isoformat()
    before = created()

    response = client_for(mentee).post(
        URL.format(ravi.pk), {"start": slot, "duration_minutes": 60, "notes": "Go channels"}
    )

    assert response.status_code == 409
    html = response.content.decode()
    errors = visible_text(html.split('class="form-errors" role="alert">')[1].split("</div>")[0])
    assert errors == (
        f"You have reached the limit of 3 requests with Ravi Kumar waiting for confirmation. {WAIT}"
    )
    assert f'value="{slot}" checked' in html  # the form again, with the chosen time
    assert "Go channels" in html
    assert created() == before
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.clock(NOW)
def test_page_refuses_a_sixth_request_in_all_with_409(clock, ravi, mentee, others):
    for day, who in zip(range(20, 25), [*others, others[0]], strict=True):
        pending(who, mentee, NOW + timedelta(days=day))
    slot = free_slots(ravi, duration_minutes=60)[4].isoformat()
    before = created()

    response = client_for(mentee).post(URL.format(ravi.pk), {"start": slot, "duration_minutes": 60})

    assert response.status_code == 409
    assert ALL_FULL in visible_text(response.content.decode())
    assert created() == before
    assert OutboundEmail.objects.count() == 0
