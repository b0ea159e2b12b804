"""Personas and helpers for the mentor tests: an applicant, applications in each state,
a completed session to rate, listed mentors with ratings."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import ApplicationStatus, MentorProfile
from bookings import services as session_services
from bookings.models import MentoringSession, Status
from mentors.services import MentorDetails
from tests.conftest import MEET
from tests.factories import MentorProfileFactory, SessionFactory, UserFactory, review


def details(**overrides) -> MentorDetails:
    values = {
        "headline": "Staff engineer at Acme",
        "bio": "Ten years of Python.",
        "skills": "Python, Django",
        "hourly_rate": Decimal("75.00"),
        "default_session_minutes": 45,
        "time_zone": "Asia/Kolkata",
        "linkedin_url": "",
        "github_url": "",
    }
    return MentorDetails(**{**values, **overrides})


def form_data(**overrides) -> dict:
    """A valid application as the browser posts it."""
    return {
        "headline": "Staff engineer at Acme",
        "bio": "Ten years of Python.",
        "skills": " python , Django,, PYTHON , SQL ",
        "hourly_rate": "75.50",
        "default_session_minutes": "45",
        "time_zone": "Asia/Kolkata",
        "linkedin_url": "https://www.linkedin.com/in/ada-lovelace/",
        "github_url": "https://github.com/ada",
        **overrides,
    }


def mentor_named(first: str, last: str = "Mentor", **profile) -> MentorProfile:
    """An approved mentor (the profile's fields as given)."""
    user = UserFactory(first_name=first, last_name=last)
    return MentorProfileFactory(user=user, **profile)


def rate(profile: MentorProfile, *ratings: int) -> None:
    """Completed sessions of the mentor, rated; each on its own day (no overlap)."""
    for day, rating in enumerate(ratings):
        session = SessionFactory(
            mentor=profile.user,
            start=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day),
            status=Status.COMPLETED,
        )
        review(session, rating)


def card_ids(page: str) -> list[int]:
    """The user ids of the mentor cards on a page (the directory or the home page), in order."""
    return [int(pk) for pk in re.findall(r'data-mentor-id="(\d+)"', page)]


def card(page: str, user_id: int) -> str:
    """The markup inside the mentor's card on a page (the directory or the home page)."""
    match = re.search(rf'data-mentor-id="{user_id}">(.*?)</div>\s*</li>', page, re.S)
    assert match, f"no card for mentor {user_id}"
    return match.group(1)


def profile_snapshot(profile: MentorProfile) -> dict:
    return MentorProfile.objects.values().get(pk=profile.pk)


@pytest.fixture
def applicant(db):
    """A registered user with no mentor profile. Created after a spare user, so that user
    ids and profile ids differ (the URLs use the user id)."""
    UserFactory()
    return UserFactory(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", time_zone="UTC"
    )


def _profile(user, status: str, **extra) -> MentorProfile:
    return MentorProfileFactory(
        user=user,
        status=status,
        headline="Staff engineer at Acme",
        skills="Python, Django",
        hourly_rate=Decimal("75.00"),
        **extra,
    )


@pytest.fixture
def pending_application(applicant):
    return _profile(applicant, ApplicationStatus.PENDING)


@pytest.fixture
def approved_profile(applicant):
    return _profile(applicant, ApplicationStatus.APPROVED)


@pytest.fixture
def rejected_application(applicant, admin_user):
    return _profile(
        applicant,
        ApplicationStatus.REJECTED,
        rejection_reason="Please add more detail about your experience.",
        reviewed_by=admin_user,
        reviewed_at=timezone.now() - timedelta(days=1),
    )


@pytest.fixture
def completed_session(mentor, mentee, admin_user):
    """Jane Smith mentored John Doe yesterday; the session is completed."""
    session = SessionFactory(mentor=mentor, mentee=mentee, start=timezone.now() + timedelta(days=1))
    session = session_services.confirm_session(session, link=MEET, by=admin_user)
    # Confirmed while it was still ahead (a started session can no longer be confirmed);
    # then its start passed.
    MentoringSession.objects.filter(pk=session.pk).update(start=timezone.now() - timedelta(days=1))
    return session_services.complete_session(session, by=admin_user)
