"""The bookable session lengths (accounts.models.BOOKABLE_MINUTES): one definition that the
mentor's profile, the booking form, the booking service and the availability editor read."""

from accounts.models import (
    BOOKABLE_MINUTES,
    CHOOSE_A_SESSION_LENGTH,
    DEFAULT_SESSION_MINUTES,
    SESSION_LENGTHS,
)
from availability.forms import SHORTEST_SESSION
from bookings import services
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


def test_the_readers_follow_the_one_definition():
    assert services.BOOKABLE_MINUTES == BOOKABLE_MINUTES
    assert [value for value, _ in BookingForm().fields["duration_minutes"].choices] == list(
        BOOKABLE_MINUTES
    )
    assert SHORTEST_SESSION.total_seconds() == min(BOOKABLE_MINUTES) * 60
