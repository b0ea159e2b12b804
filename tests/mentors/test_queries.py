"""The mentor pages run a fixed number of queries, however many mentors, applications or
ratings they show (ratings are aggregated inside the page's one query)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApplicationStatus
from bookings.models import Status
from mentors.models import Feedback
from tests.availability.factories import AvailabilityExceptionFactory, every_day
from tests.conftest import client_for
from tests.factories import MentorProfileFactory, SessionFactory, UserFactory, review

# skill options, count, the page of mentors (with user and ratings)
DIRECTORY_QUERIES = 3
# ... plus the Django session and the user
DIRECTORY_QUERIES_LOGGED_IN = DIRECTORY_QUERIES + 2
# the mentor with user and ratings; its free times: weekly windows, exceptions, sessions;
# the number of written reviews
PROFILE_QUERIES = 5
# ... and, when there are any, the page of them
PROFILE_WITH_COMMENTS_QUERIES = PROFILE_QUERIES + 1
# session + user, count, the page of applications (with user and reviewer)
ADMIN_LIST_QUERIES = 4


def _rated_mentors(count: int, ratings_each: int):
    """`count` approved mentors, each with `ratings_each` rated completed sessions."""
    mentors = []
    for n in range(count):
        profile = MentorProfileFactory(user=UserFactory(), skills=f"Python, Skill{n}")
        for day in range(ratings_each):
            session = SessionFactory(
                mentor=profile.user,
                start=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day),
                status=Status.COMPLETED,
            )
            review(session, 1 + (n + day) % 5)
        mentors.append(profile)
    return mentors


@pytest.mark.parametrize("count", [1, 3])
def test_directory_queries(db, count, django_assert_num_queries):
    _rated_mentors(count, ratings_each=count)

    with django_assert_num_queries(DIRECTORY_QUERIES):
        response = Client().get("/mentors/")

    assert response.content.decode().count("data-mentor-id=") == count
    assert response.content.decode().count("★") == count


@pytest.mark.parametrize("count", [1, 3])
def test_directory_queries_with_search_skill_and_page(db, count, mentee, django_assert_num_queries):
    _rated_mentors(count, ratings_each=2)
    client = client_for(mentee)

    with django_assert_num_queries(DIRECTORY_QUERIES_LOGGED_IN):
        response = client.get("/mentors/", {"q": "engineer", "skill": "python", "page": "1"})

    assert response.content.decode().count("data-mentor-id=") == count


def test_directory_queries_with_more_mentors_than_a_page(db, django_assert_num_queries):
    mentors = _rated_mentors(30, ratings_each=1)

    for params in ({}, {"q": "engineer"}, {"skill": "python", "page": "3"}):
        with django_assert_num_queries(DIRECTORY_QUERIES):
            response = Client().get("/mentors/", params)
        shown = 6 if params.get("page") else 12
        assert response.content.decode().count("data-mentor-id=") == shown
    assert len(mentors) == 30


@pytest.mark.parametrize("count", [1, 3])
def test_profile_queries(db, count, django_assert_num_queries):
    """The real free times: the mentor's weekly hours, exceptions and booked sessions are
    read once each, however many ratings or free times there are."""
    (profile,) = _rated_mentors(1, ratings_each=count)
    every_day(profile.user, time(9), time(9 + count))
    AvailabilityExceptionFactory(
        mentor=profile.user, date=(timezone.now() + timedelta(days=3)).date()
    )
    SessionFactory(mentor=profile.user, start=timezone.now() + timedelta(days=4))

    with django_assert_num_queries(PROFILE_QUERIES):
        response = Client().get(f"/mentors/{profile.user_id}/")

    page = response.content.decode()
    assert f"({count} review{'s' if count > 1 else ''})" in page
    assert page.count("<time datetime=") == 6


@pytest.mark.parametrize("count", [1, 3, 12])
def test_profile_queries_with_written_reviews(db, count, django_assert_num_queries):
    """However many comments (a full page of 10 with 12), their page is one query."""
    (profile,) = _rated_mentors(1, ratings_each=count)
    Feedback.objects.filter(session__mentor=profile.user).update(comment="Very helpful.")

    with django_assert_num_queries(PROFILE_WITH_COMMENTS_QUERIES):
        response = Client().get(f"/mentors/{profile.user_id}/")

    assert response.content.decode().count("data-feedback-id=") == min(count, 10)


@pytest.mark.parametrize("count", [1, 3])
def test_admin_application_list_queries(count, admin_client, admin_user, django_assert_num_queries):
    for n in range(count):
        MentorProfileFactory(
            user=UserFactory(),
            status=[ApplicationStatus.PENDING, ApplicationStatus.APPROVED][n % 2],
            reviewed_by=admin_user if n % 2 else None,
        )

    with django_assert_num_queries(ADMIN_LIST_QUERIES):
        response = admin_client.get("/admin/mentors/", {"q": "", "page": "1"})

    assert response.content.decode().count("<tr data-application-id=") == count
