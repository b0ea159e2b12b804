from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import ApplicationStatus, MentorProfile, User
from bookings.models import MentoringSession, Status
from mentors.models import Feedback
from mentors.services import refresh_rating

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    time_zone = "UTC"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MentorFactory(UserFactory):
    """A user with an approved mentor profile."""

    profile = factory.RelatedFactory(
        "tests.factories.MentorProfileFactory", factory_related_name="user"
    )


class MentorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorProfile

    user = factory.SubFactory(UserFactory)
    headline = "Senior engineer"
    skills = "Python, Django"
    hourly_rate = Decimal("60.00")
    status = ApplicationStatus.APPROVED


class SessionFactory(factory.django.DjangoModelFactory):
    """A pending session two days ahead."""

    class Meta:
        model = MentoringSession

    mentor = factory.SubFactory(MentorFactory)
    mentee = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    )
    duration_minutes = 60
    status = Status.PENDING
    amount = Decimal("60.00")
    notes = "Help with my Django project."


def review(session: MentoringSession, rating: int, comment: str = "") -> Feedback:
    """A review of a completed session, as if its mentee had left it: the mentor's profile
    summary (rating_avg, rating_count) follows, as mentors.services.leave_feedback keeps it."""
    feedback = Feedback.objects.create(session=session, rating=rating, comment=comment)
    refresh_rating(session.mentor_id)
    return feedback
