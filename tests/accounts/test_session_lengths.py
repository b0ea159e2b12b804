"""The bookable session lengths (accounts.models.BOOKABLE_MINUTES): one definition that the
mentor's profile, the booking form, the booking service and the availability editor read."""

from accounts.models import (
    BOOKABLE_MINUTES,
    CHOOSE_A_SESSION_LENGTH,
    DEFAULT_SESSION_MINUTES,
    SESSION_LENGTHS,
)
from bookings.forms import BookingForm
from bookings.models import LONGEST_MINUTES, SHORTEST_MINUTES


def test_the_lengths_and_their_words_are_those_of_the_product():
    assert BOOKABLE_MINUTES == (30, 45, 60, 90)  # docs/PRODUCT.md §7.2
    assert SESSION_LENGTHS == [
        (30, "30 minutes"),
        (45, "45 minutes"),
        (60, "60 minutes"),
        (90, "90 minutes"),
    ]
    assert CHOOSE_A_SESSION_LENGTH == "Choose a session length of 30, 45, 60 or 90 minutes."
    assert DEFAULT_SESSION_MINUTES in BOOKABLE_MINUTES


def test_every_bookable_length_fits_the_sessions_check_constraint():
    assert all(SHORTEST_MINUTES <= minutes <= LONGEST_MINUTES for minutes in BOOKABLE_MINUTES)


# Lengths on both sides of every bookable one.
CANDIDATES = (15, 30, 45, 60, 75, 90, 120)


def test_the_booking_form_accepts_exactly_the_bookable_lengths():
    accepted, refusals = [], []
    for minutes in CANDIDATES:
        form = BookingForm(
            data={"start": "2030-01-07T09:00:00+00:00", "duration_minutes": str(minutes)}
        )
        if form.is_valid():
            accepted.append(form.cleaned_data["duration_minutes"])
        else:
            refusals.append(form.errors.get_json_data())

    assert accepted == [30, 45, 60, 90]
    refused = {"message": CHOOSE_A_SESSION_LENGTH, "code": "invalid_choice"}
    assert refusals == [{"duration_minutes": [refused]}] * 3  # 15, 75 and 120
