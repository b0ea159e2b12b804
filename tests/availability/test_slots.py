"""Free slots: weekly windows + extra hours − time off − held sessions, notice and horizon,
in the mentor's zone and correct across DST changes (docs/PRODUCT.md)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from availability.models import ExceptionKind
from availability.slots import (
    first_free_starts,
    free_slots,
    is_slot_free,
    local_instant,
    next_free_slots,
)
from bookings.models import Status
from bookings.slot_days import slots_by_day
from tests.availability.factories import (
    AvailabilityExceptionFactory,
    WeeklyAvailabilityFactory,
    every_day,
)
from tests.factories import MentorFactory, MentorProfileFactory, SessionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("booking_rules")]

NOW = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)  # a Tuesday
MONDAY = date(2030, 1, 7)
MON, SUN = 0, 6


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def on(day: date, *hhmm: str) -> list[datetime]:
    """UTC instants on `day` at the given HH:MM times."""
    return [datetime.combine(day, time.fromisoformat(t), UTC) for t in hhmm]


def mentor_in(zone: str):
    return MentorFactory(time_zone=zone)


def slots_on(mentor, day: date, *, duration=30, now=NOW) -> list[datetime]:
    """Free slots whose UTC date is `day`."""
    return [s for s in free_slots(mentor, duration_minutes=duration, now=now) if s.date() == day]


# --- windows, grid, fit ------------------------------------------------------------------


def test_window_is_cut_into_steps_where_the_whole_session_fits():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(11))

    slots = free_slots(mentor, duration_minutes=60, now=NOW, days=7)

    assert slots == on(MONDAY, "09:00", "09:30", "10:00")


def test_grid_is_aligned_to_the_window_start():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(
        mentor=mentor, weekday=MON, start_time=time(9, 15), end_time=time(10, 45)
    )

    assert free_slots(mentor, duration_minutes=30, now=NOW, days=7) == on(
        MONDAY, "09:15", "09:45", "10:15"
    )


def test_grid_follows_the_step_setting(settings):
    settings.BOOKING_SLOT_STEP_MINUTES = 15
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(10))

    assert free_slots(mentor, duration_minutes=30, now=NOW, days=7) == on(
        MONDAY, "09:00", "09:15", "09:30"
    )


def test_session_longer_than_the_window_gets_no_slot():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(9, 30))

    assert free_slots(mentor, duration_minutes=45, now=NOW) == []
    assert free_slots(mentor, duration_minutes=30, now=NOW, days=7) == on(MONDAY, "09:00")


def test_no_availability_means_no_slots():
    assert free_slots(mentor_in("UTC"), duration_minutes=30, now=NOW) == []


def test_windows_are_in_the_mentors_zone():
    mentor = mentor_in("Europe/Berlin")  # January: CET, UTC+1
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(10))

    assert free_slots(mentor, duration_minutes=60, now=NOW, days=7) == on(MONDAY, "08:00")


def test_weekday_is_the_mentors_local_weekday():
    # Monday 01:00 in Kolkata is Sunday 19:30 UTC.
    mentor = mentor_in("Asia/Kolkata")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(1), end_time=time(2))

    assert free_slots(mentor, duration_minutes=60, now=NOW, days=7) == on(date(2030, 1, 6), "19:30")


def test_only_the_mentors_own_windows_count():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(weekday=MON)  # someone else's

    assert free_slots(mentor, duration_minutes=30, now=NOW) == []


def test_slots_repeat_every_week_and_are_sorted():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(10))

    slots = free_slots(mentor, duration_minutes=60, now=NOW, days=21)

    assert slots == [utc(2030, 1, 7, 9), utc(2030, 1, 14, 9), utc(2030, 1, 21, 9)]
    assert all(slot.tzinfo is UTC for slot in slots)


# --- notice, past, horizon ---------------------------------------------------------------


def test_nothing_inside_the_minimum_notice():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(14))
    now = utc(2030, 1, 7, 0, 0)  # notice ends 12:00 that day; exactly 12:00 is allowed

    assert slots_on(mentor, MONDAY, duration=60, now=now) == on(MONDAY, "12:00", "12:30", "13:00")


def test_notice_follows_its_setting(settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 0
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(11))
    now = utc(2030, 1, 7, 9, 45)

    assert slots_on(mentor, MONDAY, now=now) == on(MONDAY, "10:00", "10:30")


def test_nothing_in_the_past(settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 0
    mentor = mentor_in("UTC")
    every_day(mentor, time(9), time(10))

    slots = free_slots(mentor, duration_minutes=30, now=utc(2030, 1, 7, 9, 30))

    assert slots[0] == utc(2030, 1, 7, 9, 30)
    assert all(slot >= utc(2030, 1, 7, 9, 30) for slot in slots)


def test_nothing_beyond_the_horizon(settings):
    settings.BOOKING_HORIZON_DAYS = 10
    mentor = mentor_in("UTC")
    every_day(mentor, time(9), time(10))
    now = utc(2030, 1, 1, 9, 30)  # the horizon ends 2030-01-11 09:30, which is included

    slots = free_slots(mentor, duration_minutes=30, now=now)

    assert slots[-2:] == on(date(2030, 1, 11), "09:00", "09:30")
    assert len(slots) == 20


def test_days_narrows_the_range_but_never_past_the_horizon(settings):
    settings.BOOKING_HORIZON_DAYS = 3
    mentor = mentor_in("UTC")
    every_day(mentor, time(9), time(10))

    now = utc(2029, 12, 31, 20)

    assert free_slots(mentor, duration_minutes=60, now=now, days=2) == [
        utc(2030, 1, 1, 9),
        utc(2030, 1, 2, 9),
    ]
    assert len(free_slots(mentor, duration_minutes=60, now=now, days=30)) == 3


# --- exceptions --------------------------------------------------------------------------


def test_extra_hours_add_slots_on_their_date():
    mentor = mentor_in("UTC")
    AvailabilityExceptionFactory(
        mentor=mentor,
        date=date(2030, 1, 6),
        kind=ExceptionKind.EXTRA,
        start_time=time(14),
        end_time=time(15),
    )

    assert free_slots(mentor, duration_minutes=30, now=NOW) == on(
        date(2030, 1, 6), "14:00", "14:30"
    )


def test_extra_hours_overlapping_a_window_give_each_slot_once():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(11))
    AvailabilityExceptionFactory(
        mentor=mentor, date=MONDAY, kind=ExceptionKind.EXTRA, start_time=time(10), end_time=time(12)
    )

    assert free_slots(mentor, duration_minutes=30, now=NOW, days=7) == on(
        MONDAY, "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"
    )


def test_a_whole_day_off_removes_that_date_only():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(10))
    AvailabilityExceptionFactory(mentor=mentor, date=MONDAY)

    assert free_slots(mentor, duration_minutes=60, now=NOW, days=14) == [utc(2030, 1, 14, 9)]


def test_part_of_a_day_off_removes_the_slots_that_overlap_it():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(12))
    AvailabilityExceptionFactory(
        mentor=mentor, date=MONDAY, kind=ExceptionKind.OFF, start_time=time(10), end_time=time(11)
    )

    assert free_slots(mentor, duration_minutes=60, now=NOW, days=7) == on(MONDAY, "09:00", "11:00")


def test_time_off_is_in_the_mentors_zone():
    mentor = mentor_in("Asia/Kolkata")  # UTC+05:30
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(11))
    AvailabilityExceptionFactory(
        mentor=mentor, date=MONDAY, kind=ExceptionKind.OFF, start_time=time(9), end_time=time(10)
    )

    assert free_slots(mentor, duration_minutes=30, now=NOW, days=7) == on(MONDAY, "04:30", "05:00")


def test_a_whole_day_off_wins_over_extra_hours_that_day():
    mentor = mentor_in("UTC")
    AvailabilityExceptionFactory(
        mentor=mentor, date=MONDAY, kind=ExceptionKind.EXTRA, start_time=time(9), end_time=time(10)
    )
    AvailabilityExceptionFactory(mentor=mentor, date=MONDAY)

    assert free_slots(mentor, duration_minutes=30, now=NOW) == []


# --- sessions hold their slot ------------------------------------------------------------


# A completed session is in both people's calendars still (completing sends no cancel
# invite): its time stays taken, even one completed early (docs/PRODUCT.md §7.1).
@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED, Status.COMPLETED])
def test_pending_confirmed_and_completed_sessions_hold_their_time(status):
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(12))
    SessionFactory(mentor=mentor, start=utc(2030, 1, 7, 10), duration_minutes=60, status=status)

    assert free_slots(mentor, duration_minutes=60, now=NOW, days=7) == on(MONDAY, "09:00", "11:00")


def test_cancelled_sessions_free_their_time():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(11))
    SessionFactory(
        mentor=mentor, start=utc(2030, 1, 7, 10), duration_minutes=60, status=Status.CANCELLED
    )

    assert free_slots(mentor, duration_minutes=60, now=NOW, days=7) == on(
        MONDAY, "09:00", "09:30", "10:00"
    )


@pytest.mark.parametrize("status", [Status.CONFIRMED, Status.COMPLETED])
def test_a_cancelled_session_frees_only_what_no_other_session_holds(status):
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(12))
    SessionFactory(mentor=mentor, start=utc(2030, 1, 7, 10), duration_minutes=60, status=status)
    # Cancelled, 10:30–11:30: overlapping the 10:00–11:00 session that still holds its time.
    SessionFactory(
        mentor=mentor, start=utc(2030, 1, 7, 10, 30), duration_minutes=60, status=Status.CANCELLED
    )

    assert free_slots(mentor, duration_minutes=30, now=NOW, days=7) == on(
        MONDAY, "09:00", "09:30", "11:00", "11:30"
    )


def test_the_rest_of_a_session_completed_after_its_start_is_not_offered(settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 0
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(12))
    SessionFactory(
        mentor=mentor, start=utc(2030, 1, 7, 10), duration_minutes=60, status=Status.COMPLETED
    )

    ten_minutes_in = utc(2030, 1, 7, 10, 10)

    assert free_slots(mentor, duration_minutes=30, now=ten_minutes_in, days=1) == on(
        MONDAY, "11:00", "11:30"
    )
    assert not is_slot_free(mentor, utc(2030, 1, 7, 10, 30), 30, now=ten_minutes_in)


def test_a_session_reaching_into_the_window_from_before_blocks_the_overlap():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(11))
    # 07:00–09:30 (booked outside the window, e.g. before the hours changed)
    SessionFactory(mentor=mentor, start=utc(2030, 1, 7, 7), duration_minutes=150)

    assert free_slots(mentor, duration_minutes=30, now=NOW, days=7) == on(
        MONDAY, "09:30", "10:00", "10:30"
    )


def test_back_to_back_sessions_are_allowed():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(11))
    SessionFactory(mentor=mentor, start=utc(2030, 1, 7, 9, 30), duration_minutes=45)

    # 09:30–10:15 is held: 09:00 (ends 09:30) fits before it; 10:30 is the next grid step.
    assert free_slots(mentor, duration_minutes=30, now=NOW, days=7) == on(MONDAY, "09:00", "10:30")


def test_other_mentors_sessions_do_not_block():
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(10))
    SessionFactory(start=utc(2030, 1, 7, 9), duration_minutes=60)

    assert free_slots(mentor, duration_minutes=60, now=NOW, days=7) == on(MONDAY, "09:00")


def test_the_mentors_own_bookings_as_a_mentee_do_not_block_their_hours():
    # Only sessions the user *gives* hold mentor time (a design choice: a mentor booking
    # another mentor is their own calendar business).
    mentor = mentor_in("UTC")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(10))
    SessionFactory(mentee=mentor, start=utc(2030, 1, 7, 9), duration_minutes=60)

    assert free_slots(mentor, duration_minutes=60, now=NOW, days=7) == on(MONDAY, "09:00")


# --- DST: Europe/Berlin (2030-03-31 and 2030-10-27) --------------------------------------


def test_berlin_window_stays_nine_local_across_the_spring_change():
    mentor = mentor_in("Europe/Berlin")
    every_day(mentor, time(9), time(10))
    now = utc(2030, 3, 28, 12)  # the notice ends 2030-03-29 00:00 UTC

    slots = free_slots(mentor, duration_minutes=60, now=now, days=6)

    assert slots == [
        utc(2030, 3, 29, 8),  # Fri, CET (UTC+1)
        utc(2030, 3, 30, 8),  # Sat, CET
        utc(2030, 3, 31, 7),  # Sun, the change happened at 02:00: CEST (UTC+2)
        utc(2030, 4, 1, 7),
        utc(2030, 4, 2, 7),
        utc(2030, 4, 3, 7),
    ]


def test_berlin_spring_gap_times_are_skipped():
    mentor = mentor_in("Europe/Berlin")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=SUN, start_time=time(1), end_time=time(4))

    # 02:00 and 02:30 do not exist on 2030-03-31; 01:00, 01:30 (CET), 03:00, 03:30 (CEST) do.
    assert slots_on(mentor, date(2030, 3, 31), now=utc(2030, 3, 28)) == on(
        date(2030, 3, 31), "00:00", "00:30", "01:00", "01:30"
    )


def test_berlin_spring_day_window_is_measured_in_real_time():
    # 01:00–03:30 on the spring-forward night is 1.5 real hours: one 90-minute session.
    mentor = mentor_in("Europe/Berlin")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=SUN, start_time=time(1), end_time=time(3, 30))

    assert slots_on(mentor, date(2030, 3, 31), duration=90, now=utc(2030, 3, 28)) == on(
        date(2030, 3, 31), "00:00"
    )


def test_berlin_window_ending_inside_the_gap_ends_where_the_gap_ends():
    # A window 01:00–02:30 on the spring night ends at 03:00 CEST (01:00 UTC), not later.
    mentor = mentor_in("Europe/Berlin")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=SUN, start_time=time(1), end_time=time(2, 30))

    assert slots_on(mentor, date(2030, 3, 31), duration=60, now=utc(2030, 3, 28)) == on(
        date(2030, 3, 31), "00:00"
    )


def test_berlin_ambiguous_autumn_times_are_taken_once():
    mentor = mentor_in("Europe/Berlin")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=SUN, start_time=time(1), end_time=time(4))
    now = utc(2030, 10, 20)

    slots = [
        s for s in free_slots(mentor, duration_minutes=30, now=now) if s.month == 10 and s.day >= 26
    ]

    # 01:00, 01:30 CEST; 02:00, 02:30 at their first occurrence (CEST); 03:00, 03:30 CET.
    assert slots == [
        utc(2030, 10, 26, 23, 0),
        utc(2030, 10, 26, 23, 30),
        utc(2030, 10, 27, 0, 0),
        utc(2030, 10, 27, 0, 30),
        utc(2030, 10, 27, 2, 0),
        utc(2030, 10, 27, 2, 30),
    ]


def test_berlin_window_stays_nine_local_across_the_autumn_change():
    mentor = mentor_in("Europe/Berlin")
    every_day(mentor, time(9), time(10))

    slots = free_slots(mentor, duration_minutes=60, now=utc(2030, 10, 25, 12), days=4)

    assert slots == [
        utc(2030, 10, 26, 7),  # Sat, CEST
        utc(2030, 10, 27, 8),  # Sun, CET after the change at 03:00
        utc(2030, 10, 28, 8),
        utc(2030, 10, 29, 8),
    ]


# --- DST: America/New_York (2030-03-10 and 2030-11-03) -----------------------------------


def test_new_york_window_stays_nine_local_across_the_march_change():
    mentor = mentor_in("America/New_York")
    every_day(mentor, time(9), time(10))

    slots = free_slots(mentor, duration_minutes=60, now=utc(2030, 3, 7, 15), days=4)

    assert slots == [
        utc(2030, 3, 8, 14),  # EST (UTC−5)
        utc(2030, 3, 9, 14),
        utc(2030, 3, 10, 13),  # EDT (UTC−4) from 02:00 that Sunday
        utc(2030, 3, 11, 13),
    ]


def test_new_york_window_stays_nine_local_across_the_november_change():
    mentor = mentor_in("America/New_York")
    every_day(mentor, time(9), time(10))

    slots = free_slots(mentor, duration_minutes=60, now=utc(2030, 10, 31, 15), days=4)

    assert slots == [
        utc(2030, 11, 1, 13),  # EDT
        utc(2030, 11, 2, 13),
        utc(2030, 11, 3, 14),  # EST from 02:00 that Sunday
        utc(2030, 11, 4, 14),
    ]


def test_new_york_spring_gap_and_autumn_repeat():
    mentor = mentor_in("America/New_York")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=SUN, start_time=time(0), end_time=time(3))

    march = slots_on(mentor, date(2030, 3, 10), now=utc(2030, 3, 7))
    november = slots_on(mentor, date(2030, 11, 3), now=utc(2030, 10, 31))

    # March: 02:00 and 02:30 do not exist; the window holds 2 real hours.
    assert march == on(date(2030, 3, 10), "05:00", "05:30", "06:00", "06:30")
    # November: 01:00 and 01:30 happen twice; each is offered once (EDT), then 02:00 EST.
    assert november == on(date(2030, 11, 3), "04:00", "04:30", "05:00", "05:30", "07:00", "07:30")


# --- Asia/Kolkata: UTC+05:30, no DST -----------------------------------------------------


@pytest.mark.parametrize(
    "now", [utc(2030, 3, 7), utc(2030, 3, 28), utc(2030, 10, 25), utc(2030, 10, 31)]
)
def test_kolkata_window_is_0330_utc_on_both_sides_of_every_change(now):
    mentor = mentor_in("Asia/Kolkata")
    every_day(mentor, time(9), time(10))

    slots = free_slots(mentor, duration_minutes=60, now=now, days=7)

    assert len(slots) == 6
    assert {(s.hour, s.minute) for s in slots} == {(3, 30)}


def test_kolkata_slots_shown_to_a_berlin_viewer_move_with_the_viewers_dst():
    mentor = mentor_in("Asia/Kolkata")
    every_day(mentor, time(9), time(10))
    slots = free_slots(mentor, duration_minutes=60, now=utc(2030, 3, 29, 12), days=3)

    with timezone.override("Europe/Berlin"):
        days = slots_by_day(slots)
        shown = [
            (day.date.isoformat(), [timezone.localtime(s).strftime("%H:%M") for _, s in day.slots])
            for day in days
        ]

    assert shown == [
        ("2030-03-30", ["04:30"]),  # CET
        ("2030-03-31", ["05:30"]),  # CEST
        ("2030-04-01", ["05:30"]),
    ]


def test_slots_group_by_the_viewers_local_date():
    # 04:30 UTC is still the previous evening in New York.
    slots = [utc(2030, 11, 4, 4, 30), utc(2030, 11, 4, 14, 0)]

    with timezone.override("America/New_York"):
        days = slots_by_day(slots)

    assert [(d.date, [v for v, _ in d.slots]) for d in days] == [
        (date(2030, 11, 3), ["2030-11-04T04:30:00+00:00"]),
        (date(2030, 11, 4), ["2030-11-04T14:00:00+00:00"]),
    ]


def test_local_instant_names_gap_and_ambiguous_times():
    berlin = MentorFactory(time_zone="Europe/Berlin").zone

    assert local_instant(date(2030, 3, 31), time(2, 30), berlin) is None
    assert local_instant(date(2030, 10, 27), time(2, 30), berlin) == utc(2030, 10, 27, 0, 30)


# --- is_slot_free: the same rules, one instant --------------------------------------------


@pytest.fixture
def monday_mentor():
    mentor = mentor_in("Europe/Berlin")
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(12))
    return mentor


def test_is_slot_free_for_a_listed_slot(monday_mentor):
    assert is_slot_free(monday_mentor, utc(2030, 1, 7, 8), 60, now=NOW)


@pytest.mark.parametrize(
    "start, minutes",
    [
        (utc(2030, 1, 7, 8, 10), 60),  # off the grid
        (utc(2030, 1, 7, 7, 30), 60),  # before the window
        (utc(2030, 1, 7, 10, 30), 60),  # would end after the window
        (utc(2030, 1, 8, 8), 60),  # Tuesday: no window
    ],
)
def test_is_slot_free_refuses_times_outside_the_availability(monday_mentor, start, minutes):
    assert not is_slot_free(monday_mentor, start, minutes, now=NOW)


def test_is_slot_free_refuses_a_held_time(monday_mentor):
    SessionFactory(mentor=monday_mentor, start=utc(2030, 1, 7, 9), duration_minutes=30)

    assert not is_slot_free(monday_mentor, utc(2030, 1, 7, 8, 30), 60, now=NOW)
    assert is_slot_free(monday_mentor, utc(2030, 1, 7, 8, 0), 60, now=NOW)


def test_is_slot_free_without_busy_times_says_whether_the_time_is_offered_at_all(monday_mentor):
    """What tells "taken" from "never offered" (docs/PRODUCT.md §7.2)."""
    SessionFactory(mentor=monday_mentor, start=utc(2030, 1, 7, 9), duration_minutes=30)

    assert is_slot_free(monday_mentor, utc(2030, 1, 7, 8, 30), 60, now=NOW, busy=False)
    assert not is_slot_free(monday_mentor, utc(2030, 1, 7, 8, 40), 60, now=NOW, busy=False)


def test_is_slot_free_refuses_notice_past_and_horizon(monday_mentor, settings):
    start = utc(2030, 1, 7, 8)

    assert not is_slot_free(monday_mentor, start, 60, now=start - timedelta(hours=11))
    assert not is_slot_free(monday_mentor, start, 60, now=start + timedelta(hours=1))
    settings.BOOKING_HORIZON_DAYS = 5
    assert not is_slot_free(monday_mentor, start, 60, now=NOW)


def test_is_slot_free_needs_an_aware_datetime(monday_mentor):
    with pytest.raises(ValueError):
        is_slot_free(monday_mentor, datetime(2030, 1, 7, 8), 60, now=NOW)


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Asia/Kolkata"])
def test_is_slot_free_agrees_with_free_slots_around_the_dst_changes(zone):
    mentor = mentor_in(zone)
    every_day(mentor, time(0, 30), time(4))
    WeeklyAvailabilityFactory(mentor=mentor, weekday=SUN, start_time=time(8), end_time=time(23))
    AvailabilityExceptionFactory(
        mentor=mentor,
        date=date(2030, 3, 31),
        kind=ExceptionKind.OFF,
        start_time=time(10),
        end_time=time(11),
    )
    SessionFactory(mentor=mentor, start=utc(2030, 3, 10, 15), duration_minutes=90)
    now = utc(2030, 3, 6)
    listed = set(free_slots(mentor, duration_minutes=45, now=now))

    for first in (utc(2030, 3, 9, 12), utc(2030, 3, 30, 12)):  # 36 h around each change
        assert any(first <= slot < first + timedelta(hours=36) for slot in listed)
        for quarter in range(36 * 4):
            instant = first + timedelta(minutes=15 * quarter)
            assert is_slot_free(mentor, instant, 45, now=now) == (instant in listed), instant


# --- efficiency and the profile helper ----------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
def test_free_slots_runs_three_queries_however_much_there_is(count, django_assert_num_queries):
    mentor = mentor_in("Europe/Berlin")
    for n in range(count):
        WeeklyAvailabilityFactory(mentor=mentor, weekday=n, start_time=time(9), end_time=time(17))
        AvailabilityExceptionFactory(mentor=mentor, date=date(2030, 1, 10 + n))
        SessionFactory(mentor=mentor, start=utc(2030, 1, 7 + n, 10))

    with django_assert_num_queries(3):
        free_slots(mentor, duration_minutes=60, now=NOW)


def test_next_free_slots_uses_the_mentors_default_length_and_limit(clock):
    mentor = UserFactory(time_zone="UTC")
    MentorProfileFactory(user=mentor, default_session_minutes=90)
    WeeklyAvailabilityFactory(mentor=mentor, weekday=MON, start_time=time(9), end_time=time(11))
    every_day(mentor, time(14), time(15, 30))
    clock.set(NOW)

    slots = next_free_slots(mentor, limit=3)

    # 90 minutes: one per 14:00–15:30 window; the 09:00–11:00 Monday window holds 09:00, 09:30.
    assert slots == [utc(2030, 1, 1, 14), utc(2030, 1, 2, 14), utc(2030, 1, 3, 14)]
    assert next_free_slots(mentor, limit=2, duration_minutes=30) == [
        utc(2030, 1, 1, 14),
        utc(2030, 1, 1, 14, 30),
    ]


def test_first_free_starts_gives_each_mentor_the_first_time_their_profile_offers(clock):
    clock.set(NOW)
    berlin = UserFactory(time_zone="Europe/Berlin")
    MentorProfileFactory(user=berlin, default_session_minutes=90)
    every_day(berlin, time(14), time(15, 30))  # 13:00–14:30 UTC
    SessionFactory(mentor=berlin, start=utc(2030, 1, 1, 13), duration_minutes=30)
    AvailabilityExceptionFactory(mentor=berlin, date=date(2030, 1, 2))
    tokyo = mentor_in("Asia/Tokyo")
    WeeklyAvailabilityFactory(mentor=tokyo, weekday=MON, start_time=time(9), end_time=time(10))
    # Berlin's session at Tokyo's first free time is Berlin's business only.
    SessionFactory(mentor=berlin, start=utc(2030, 1, 7, 0))
    idle = mentor_in("UTC")

    starts = first_free_starts([berlin, tokyo, idle])

    assert starts == {berlin.pk: utc(2030, 1, 3, 13), tokyo.pk: utc(2030, 1, 7, 0), idle.pk: None}
    assert [next_free_slots(mentor, limit=1) for mentor in (berlin, tokyo, idle)] == [
        [utc(2030, 1, 3, 13)],
        [utc(2030, 1, 7, 0)],
        [],
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_first_free_starts_runs_three_queries_however_many_mentors(
    count, clock, django_assert_num_queries
):
    clock.set(NOW)
    for n in range(count):
        mentor = mentor_in("Europe/Berlin")
        every_day(mentor, time(9), time(17))
        AvailabilityExceptionFactory(mentor=mentor, date=date(2030, 1, 2 + n))
        SessionFactory(mentor=mentor, start=utc(2030, 1, 1, 12))
    mentors = list(
        User.objects.filter(mentor_profile__isnull=False).select_related("mentor_profile")
    )

    with django_assert_num_queries(3):
        starts = first_free_starts(mentors)

    assert list(starts.values()) == [utc(2030, 1, 1, 13)] * count
