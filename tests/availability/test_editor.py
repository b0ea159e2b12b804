"""The mentor's availability editor /mentor/availability/: approved mentors only; weekly
windows and date exceptions, added through validated forms and removed by their owner."""

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApplicationStatus
from availability.models import AvailabilityException, ExceptionKind, WeeklyAvailability
from availability.slots import free_slots
from tests.availability.factories import AvailabilityExceptionFactory, WeeklyAvailabilityFactory
from tests.conftest import client_for
from tests.factories import MentorFactory
from tests.helpers import messages_of, visible_text

pytestmark = pytest.mark.django_db

EDITOR = "/mentor/availability/"
ADD_WEEKLY = "/mentor/availability/weekly/"
ADD_EXCEPTION = "/mentor/availability/exceptions/"


def windows(mentor) -> list[tuple[int, time, time]]:
    return list(
        WeeklyAvailability.objects.filter(mentor=mentor).values_list(
            "weekday", "start_time", "end_time"
        )
    )


def exceptions(mentor) -> list[tuple]:
    return list(
        AvailabilityException.objects.filter(mentor=mentor).values_list(
            "date", "kind", "start_time", "end_time"
        )
    )


def mentor_today(mentor) -> date:
    return timezone.now().astimezone(mentor.zone).date()


@pytest.fixture
def mentor_client(mentor):
    return client_for(mentor)


# --- who may use it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", EDITOR),
        ("post", ADD_WEEKLY),
        ("post", ADD_EXCEPTION),
        ("post", "/mentor/availability/weekly/1/delete/"),
        ("post", "/mentor/availability/exceptions/1/delete/"),
    ],
)
def test_anonymous_visitors_are_sent_to_login(method, url):
    response = getattr(client_for(None), method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("method, url", [("get", EDITOR), ("post", ADD_WEEKLY)])
def test_a_mentee_is_not_allowed(mentee, method, url):
    response = getattr(client_for(mentee), method)(
        url, {"weekday": 0, "start_time": "09:00", "end_time": "12:00"}
    )

    assert response.status_code == 403
    assert WeeklyAvailability.objects.count() == 0


@pytest.mark.parametrize("status", [ApplicationStatus.PENDING, ApplicationStatus.REJECTED])
def test_an_unapproved_mentor_is_not_allowed(mentor, status):
    mentor.mentor_profile.status = status
    mentor.mentor_profile.save()

    assert client_for(mentor).get(EDITOR).status_code == 403


def test_the_editor_rejects_other_methods(mentor_client):
    assert mentor_client.post(EDITOR).status_code == 405
    assert mentor_client.get(ADD_WEEKLY).status_code == 405


# --- the page --------------------------------------------------------------------------------


def test_the_editor_lists_windows_upcoming_exceptions_and_next_free_times(
    mentor, mentor_client, settings
):
    settings.BOOKING_MIN_NOTICE_HOURS, settings.BOOKING_HORIZON_DAYS = 12, 60
    WeeklyAvailabilityFactory(mentor=mentor, weekday=2, start_time=time(9), end_time=time(12))
    today = mentor_today(mentor)
    AvailabilityExceptionFactory(mentor=mentor, date=today + timedelta(days=20))
    AvailabilityExceptionFactory(mentor=mentor, date=today - timedelta(days=1))  # past: hidden

    response = mentor_client.get(EDITOR)

    assert response.status_code == 200
    text = visible_text(response.text)
    assert "Wednesday 09:00–12:00" in text
    assert f"{today + timedelta(days=20):%a %-d %b %Y} · Time off (all day)" in text
    assert f"{today - timedelta(days=1):%a %-d %b %Y}" not in text
    assert "All times are in your time zone, Europe/Berlin" in text
    assert "Mentees can book from 12 hours ahead up to 60 days ahead." in text
    first = free_slots(mentor, duration_minutes=60)[0]
    assert f"{first.astimezone(mentor.zone):%a %-d %b, %H:%M}" in text


def test_the_editor_says_when_there_are_no_hours(mentor_client):
    text = visible_text(mentor_client.get(EDITOR).text)

    assert "No weekly hours yet: mentees cannot book you until you add some." in text
    assert "No free times yet." in text


@pytest.mark.parametrize("count", [1, 3])
def test_editor_queries(count, mentor, mentor_client, django_assert_num_queries):
    today = mentor_today(mentor)
    for n in range(count):
        WeeklyAvailabilityFactory(mentor=mentor, weekday=n)
        AvailabilityExceptionFactory(mentor=mentor, date=today + timedelta(days=n + 3))

    # session + user, the mentor profile, windows, exceptions, the preview's three reads
    with django_assert_num_queries(8):
        response = mentor_client.get(EDITOR)

    assert response.content.decode().count("data-window-id=") == count


# --- weekly windows ---------------------------------------------------------------------------


def test_adding_a_weekly_window(mentor, mentor_client):
    response = mentor_client.post(
        ADD_WEEKLY, {"weekday": "0", "start_time": "09:00", "end_time": "12:30"}
    )

    assert response.status_code == 302
    assert response["Location"] == EDITOR
    assert windows(mentor) == [(0, time(9), time(12, 30))]
    assert messages_of(response) == [("success", "Added Monday 09:00–12:30.")]


def test_seconds_are_dropped_from_window_times(mentor, mentor_client):
    mentor_client.post(ADD_WEEKLY, {"weekday": "4", "start_time": "09:00:59", "end_time": "10:00"})

    assert windows(mentor) == [(4, time(9), time(10))]


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"weekday": "0", "start_time": "12:00", "end_time": "09:00"},
            "The end time must be after the start time.",
        ),
        (
            {"weekday": "0", "start_time": "09:00", "end_time": "09:00"},
            "The end time must be after the start time.",
        ),
        (
            {"weekday": "0", "start_time": "09:00", "end_time": "09:20"},
            "A window must be at least 30 minutes long.",
        ),
        (
            {"weekday": "7", "start_time": "09:00", "end_time": "10:00"},
            "Select a valid choice. 7 is not one of the available choices.",
        ),
        ({"weekday": "0", "start_time": "", "end_time": "10:00"}, "Give a start time."),
        ({"weekday": "0", "start_time": "9 am", "end_time": "10:00"}, "Give a time like 09:00."),
        ({"weekday": "0", "start_time": "09:00", "end_time": "25:00"}, "Give a time like 17:00."),
    ],
)
def test_a_bad_window_is_refused_next_to_the_form(mentor, mentor_client, data, message):
    response = mentor_client.post(ADD_WEEKLY, data)

    assert response.status_code == 400
    assert message in visible_text(response.text)
    assert "Constraint" not in visible_text(response.text)
    assert windows(mentor) == []


def test_an_overlapping_window_on_the_same_day_is_refused(mentor, mentor_client):
    WeeklyAvailabilityFactory(mentor=mentor, weekday=0, start_time=time(9), end_time=time(12))

    response = mentor_client.post(
        ADD_WEEKLY, {"weekday": "0", "start_time": "11:30", "end_time": "14:00"}
    )

    assert response.status_code == 400
    assert "This overlaps your Monday window 09:00–12:00." in visible_text(response.text)
    assert windows(mentor) == [(0, time(9), time(12))]


def test_adjacent_windows_and_other_days_are_fine(mentor, mentor_client):
    WeeklyAvailabilityFactory(mentor=mentor, weekday=0, start_time=time(9), end_time=time(12))

    mentor_client.post(ADD_WEEKLY, {"weekday": "0", "start_time": "12:00", "end_time": "14:00"})
    mentor_client.post(ADD_WEEKLY, {"weekday": "1", "start_time": "10:00", "end_time": "11:00"})

    assert windows(mentor) == [
        (0, time(9), time(12)),
        (0, time(12), time(14)),
        (1, time(10), time(11)),
    ]


def test_another_mentors_window_does_not_count_as_an_overlap(mentor, mentor_client):
    WeeklyAvailabilityFactory(weekday=0, start_time=time(9), end_time=time(12))

    response = mentor_client.post(
        ADD_WEEKLY, {"weekday": "0", "start_time": "09:00", "end_time": "12:00"}
    )

    assert response.status_code == 302
    assert list(
        WeeklyAvailability.objects.filter(mentor=mentor).values_list(
            "weekday", "start_time", "end_time"
        )
    ) == [(0, time(9), time(12))]


def test_removing_a_weekly_window(mentor, mentor_client):
    window = WeeklyAvailabilityFactory(mentor=mentor)

    response = mentor_client.post(f"/mentor/availability/weekly/{window.pk}/delete/")

    assert response.status_code == 302
    assert windows(mentor) == []
    assert messages_of(response) == [
        ("success", "Removed Monday 09:00–12:00. Sessions already booked are not affected.")
    ]


def test_another_mentors_window_cannot_be_removed(mentor_client):
    window = WeeklyAvailabilityFactory()

    response = mentor_client.post(f"/mentor/availability/weekly/{window.pk}/delete/")

    assert response.status_code == 404
    assert WeeklyAvailability.objects.filter(pk=window.pk).exists()


def test_removing_needs_a_post(mentor, mentor_client):
    window = WeeklyAvailabilityFactory(mentor=mentor)

    response = mentor_client.get(f"/mentor/availability/weekly/{window.pk}/delete/")

    assert response.status_code == 405
    assert WeeklyAvailability.objects.filter(pk=window.pk).exists()


# --- exceptions --------------------------------------------------------------------------------


def test_adding_a_whole_day_off(mentor, mentor_client):
    day = mentor_today(mentor) + timedelta(days=10)

    response = mentor_client.post(ADD_EXCEPTION, {"date": day.isoformat(), "kind": "off"})

    assert response.status_code == 302
    assert exceptions(mentor) == [(day, ExceptionKind.OFF, None, None)]
    assert messages_of(response) == [("success", f"Added {day:%Y-%m-%d}: Time off (all day).")]


def test_adding_part_of_a_day_off_and_extra_hours(mentor, mentor_client):
    day = mentor_today(mentor) + timedelta(days=3)

    mentor_client.post(
        ADD_EXCEPTION,
        {"date": day.isoformat(), "kind": "off", "start_time": "13:00", "end_time": "15:00"},
    )
    mentor_client.post(
        ADD_EXCEPTION,
        {"date": day.isoformat(), "kind": "extra", "start_time": "18:00", "end_time": "20:00"},
    )

    assert exceptions(mentor) == [
        (day, ExceptionKind.OFF, time(13), time(15)),
        (day, ExceptionKind.EXTRA, time(18), time(20)),
    ]


def test_today_in_the_mentors_zone_is_allowed(mentor, mentor_client):
    response = mentor_client.post(
        ADD_EXCEPTION, {"date": mentor_today(mentor).isoformat(), "kind": "off"}
    )

    assert response.status_code == 302
    assert list(
        AvailabilityException.objects.filter(mentor=mentor).values_list("date", "kind")
    ) == [(mentor_today(mentor), "off")]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "extra"}, "Extra hours need a start and an end time."),
        ({"kind": "off", "start_time": "10:00"}, "Give both a start and an end time, or neither"),
        ({"kind": "extra", "end_time": "10:00"}, "Give both a start and an end time, or neither"),
        (
            {"kind": "off", "start_time": "10:00", "end_time": "09:00"},
            "The end time must be after the start time.",
        ),
        (
            {"kind": "extra", "start_time": "10:00", "end_time": "10:15"},
            "Extra hours must be at least 30 minutes long.",
        ),
        ({"kind": "holiday"}, "Select a valid choice. holiday is not one of the available"),
        ({"kind": ""}, "Choose time off or extra hours."),
        ({"date": "2020-01-01", "kind": "off"}, "Choose today or a later date."),
        ({"date": "someday", "kind": "off"}, "Give a date like 2030-03-31."),
        ({"date": "", "kind": "off"}, "Choose a date."),
    ],
)
def test_a_bad_exception_is_refused_next_to_the_form(mentor, mentor_client, data, message):
    values = {"date": (mentor_today(mentor) + timedelta(days=5)).isoformat(), **data}

    response = mentor_client.post(ADD_EXCEPTION, values)

    assert response.status_code == 400
    assert message in visible_text(response.text)
    assert "Constraint" not in visible_text(response.text)
    assert exceptions(mentor) == []


def test_an_exception_more_than_a_year_ahead_is_refused(mentor, mentor_client):
    day = mentor_today(mentor) + timedelta(days=367)

    response = mentor_client.post(ADD_EXCEPTION, {"date": day.isoformat(), "kind": "off"})

    assert response.status_code == 400
    assert "Choose a date within the next year." in visible_text(response.text)


def test_removing_an_exception(mentor, mentor_client):
    day = mentor_today(mentor) + timedelta(days=2)
    exception = AvailabilityExceptionFactory(mentor=mentor, date=day)

    response = mentor_client.post(f"/mentor/availability/exceptions/{exception.pk}/delete/")

    assert response.status_code == 302
    assert exceptions(mentor) == []
    assert messages_of(response) == [("success", f"Removed {day:%Y-%m-%d}: Time off (all day).")]


def test_another_mentors_exception_cannot_be_removed(mentor_client):
    exception = AvailabilityExceptionFactory(date=date(2030, 1, 1))

    response = mentor_client.post(f"/mentor/availability/exceptions/{exception.pk}/delete/")

    assert response.status_code == 404
    assert AvailabilityException.objects.filter(pk=exception.pk).exists()


def test_changes_show_in_the_free_slots_at_once(mentor, mentor_client):
    mentor_client.post(ADD_WEEKLY, {"weekday": "0", "start_time": "09:00", "end_time": "10:00"})
    now = datetime(2030, 1, 1, tzinfo=UTC)

    assert free_slots(mentor, duration_minutes=60, now=now, days=7) == [
        datetime(2030, 1, 7, 8, tzinfo=UTC)  # 09:00 Berlin
    ]


# --- the database refuses what the forms refuse -------------------------------------------------


def test_database_refuses_a_window_that_ends_before_it_starts(mentor):
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyAvailabilityFactory(mentor=mentor, start_time=time(12), end_time=time(9))


def test_database_refuses_a_weekday_out_of_range(mentor):
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyAvailabilityFactory(mentor=mentor, weekday=7)


@pytest.mark.parametrize(
    "kind, start, end",
    [
        (ExceptionKind.EXTRA, None, None),
        (ExceptionKind.OFF, time(9), None),
        (ExceptionKind.OFF, time(10), time(9)),
        ("holiday", None, None),
    ],
)
def test_database_refuses_an_inconsistent_exception(mentor, kind, start, end):
    with pytest.raises(IntegrityError), transaction.atomic():
        AvailabilityExceptionFactory(
            mentor=mentor, date=date(2030, 1, 1), kind=kind, start_time=start, end_time=end
        )


# --- demo data ------------------------------------------------------------------------------------


def test_seed_demo_gives_the_demo_mentor_weekday_hours_once():
    call_command("seed_demo", "--password", "demo1234", stdout=StringIO())
    call_command("seed_demo", "--password", "demo1234", stdout=StringIO())

    mentor = MentorFactory._meta.model.objects.get(email="mentor@example.com")
    assert windows(mentor) == [(day, time(9), time(17)) for day in range(5)]
    assert free_slots(mentor, duration_minutes=60)
