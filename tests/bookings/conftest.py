from datetime import time

import pytest

from tests.availability.factories import every_day
from tests.factories import MentorFactory
from tests.notifications.conftest import worker_signals  # noqa: F401 (a fixture)


@pytest.fixture
def ravi(db):
    """A mentor (Asia/Kolkata, $60/hour) available 00:00–23:30 every day."""
    mentor = MentorFactory(first_name="Ravi", last_name="Kumar", time_zone="Asia/Kolkata")
    every_day(mentor, time(0), time(23, 30))
    return mentor
