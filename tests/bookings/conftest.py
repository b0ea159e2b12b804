import pytest


@pytest.fixture
def booking_rules(settings):
    """The booking rules the booking tests' expected slots are worked out from (whatever
    the environment sets): 12 hours' notice, 60 days ahead, starts every 30 minutes."""
    settings.BOOKING_MIN_NOTICE_HOURS = 12
    settings.BOOKING_HORIZON_DAYS = 60
    settings.BOOKING_SLOT_STEP_MINUTES = 30
