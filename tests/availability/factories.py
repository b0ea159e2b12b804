from datetime import time

import factory

from availability.models import AvailabilityException, ExceptionKind, WeeklyAvailability
from tests.factories import MentorFactory


class WeeklyAvailabilityFactory(factory.django.DjangoModelFactory):
    """Mondays 09:00–12:00 in the mentor's zone."""

    class Meta:
        model = WeeklyAvailability

    mentor = factory.SubFactory(MentorFactory)
    weekday = 0
    start_time = time(9, 0)
    end_time = time(12, 0)


class AvailabilityExceptionFactory(factory.django.DjangoModelFactory):
    """A whole day off."""

    class Meta:
        model = AvailabilityException

    mentor = factory.SubFactory(MentorFactory)
    kind = ExceptionKind.OFF
    start_time = None
    end_time = None


def every_day(mentor, start: time, end: time) -> None:
    """The same window on all seven weekdays."""
    for weekday in range(7):
        WeeklyAvailabilityFactory(mentor=mentor, weekday=weekday, start_time=start, end_time=end)
