"""Reads for the mentor directory, profiles and the admin review list.

Ratings are read from the profiles (`rating_avg`, `rating_count`, kept by
mentors.services.refresh_rating), so a page of mentors costs one query however many there
are, and the best rated come first from an index.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower

from accounts.models import ApplicationStatus, MentorProfile, SkillOptions
from availability.slots import first_free_starts
from bookings.models import MentoringSession, Status
from mentors.models import Feedback

MAX_SEARCH_WORDS = 5
FEATURED_MENTORS = 3


def _listed() -> QuerySet[MentorProfile]:
    """Approved mentors whose account is active: the only ones listed or bookable (the
    profile's copy of the user's active flag: the `mentor_directory` index's condition)."""
    return MentorProfile.objects.filter(
        status=ApplicationStatus.APPROVED, user_is_active=True
    ).select_related("user")


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    skill: str = ""


def directory(filters: DirectoryFilters) -> QuerySet[MentorProfile]:
    """Listed mentors matching the search and skill, in a stable order: best rated first
    (mentors without ratings last), then more ratings, then last name, first name, id.
    The names are the profile's copies of the user's, so the `mentor_directory` index
    gives this order and the count without reading the users; the search and the skill
    filter compare with text the profile keeps for them (accounts.models.search_text,
    skill_key), one LIKE per mentor."""
    profiles = _listed()
    for word in filters.q.split()[:MAX_SEARCH_WORDS]:
        # Names, headline and skills, lower-cased (accounts.models.search_text).
        profiles = profiles.filter(search_text__contains=word.lower())
    if filters.skill:
        skill = " ".join(filters.skill.split()).lower()
        profiles = profiles.filter(skill_key__contains=f",{skill},")
    return profiles.order_by(
        F("rating_avg").desc(),
        F("rating_count").desc(),
        Lower("user_last_name"),
        Lower("user_first_name"),
        "id",
    )


def skill_options() -> list[str]:
    """The skills listed mentors name most often (the directory's skill filter), as
    accounts.models.SkillOptions keeps them."""
    return SkillOptions.current()


@dataclass(frozen=True)
class FeaturedMentor:
    profile: MentorProfile
    next_free: datetime | None  # the first time the profile offers; None: none in the horizon


def featured_mentors(limit: int = FEATURED_MENTORS) -> list[FeaturedMentor]:
    """The home page's mentors: the best rated first (then more reviews; those without
    reviews fill any places left, longest listed first), each with their next free time.
    Four queries however many there are: the profiles (read in the `mentor_rating` index's
    order), then the free times of all of them at once."""
    best_first = ("-rating_avg", "-rating_count", "id")
    profiles = list(_listed().order_by(*best_first)[:limit])
    starts = first_free_starts([profile.user for profile in profiles])
    return [FeaturedMentor(profile, starts[profile.user_id]) for profile in profiles]


def listed_mentor(user_id: int) -> MentorProfile | None:
    """The listed (approved, active) mentor whose user id is `user_id`, with rating."""
    return _listed().filter(user_id=user_id).first()


def written_feedback(mentor_id: int) -> QuerySet[Feedback]:
    """Feedback on the mentor's sessions that has a comment, newest first (the profile's
    reviews: the rating, the comment and when it was given; nothing about the mentee)."""
    return (
        Feedback.objects.filter(session__mentor_id=mentor_id)
        .exclude(comment="")
        .only("rating", "comment", "created_at")
        .order_by("-created_at", "-id")
    )


def own_profile(user) -> MentorProfile | None:
    return MentorProfile.objects.filter(user=user).first()


@dataclass(frozen=True)
class ApplicationFilters:
    status: str = ""
    q: str = ""


def applications(filters: ApplicationFilters) -> QuerySet[MentorProfile]:
    """The admin review list: pending first (oldest application first), then the rest."""
    profiles = MentorProfile.objects.select_related("user", "reviewed_by")
    if filters.status:
        profiles = profiles.filter(status=filters.status)
    for word in filters.q.split()[:MAX_SEARCH_WORDS]:
        profiles = profiles.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__email__icontains=word)
            | Q(headline__icontains=word)
        )
    pending_first = Case(
        When(status=ApplicationStatus.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return profiles.order_by(pending_first, "created_at", "id")


def session_feedback(session: MentoringSession) -> Feedback | None:
    """The session's feedback; only a completed session can have one (no query otherwise)."""
    if session.status != Status.COMPLETED:
        return None
    return Feedback.objects.filter(session=session).first()
