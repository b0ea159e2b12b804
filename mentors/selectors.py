"""Reads for the mentor directory, profiles and the admin review list.

Ratings are read from the profiles (`rating_avg`, `rating_count`, kept by
mentors.services.refresh_rating), so a page of mentors costs one query however many there
are, and the best rated come first from an index.
"""

from collections import Counter
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
from django.db.models.functions import Concat, Lower, Replace

from accounts.models import ApplicationStatus, MentorProfile
from availability.slots import first_free_starts
from bookings.models import MentoringSession, Status
from mentors.models import Feedback
from mentors.validation import SKILL_SEPARATOR

MAX_SEARCH_WORDS = 5
MAX_SKILL_OPTIONS = 60
FEATURED_MENTORS = 3


def _listed() -> QuerySet[MentorProfile]:
    """Approved mentors whose account is active: the only ones listed or bookable."""
    return MentorProfile.objects.filter(
        status=ApplicationStatus.APPROVED, user__is_active=True
    ).select_related("user")


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    skill: str = ""


def _skill_key():
    # ", Python, Django," → ",python,django,": a whole skill matches ",<skill>,".
    spaced = Replace(Lower("skills"), Value(SKILL_SEPARATOR), Value(","))
    return Concat(Value(","), spaced, Value(","))


def directory(filters: DirectoryFilters) -> QuerySet[MentorProfile]:
    """Listed mentors matching the search and skill, in a stable order: best rated first
    (mentors without ratings last), then more ratings, then last name, first name, id."""
    profiles = _listed()
    for word in filters.q.split()[:MAX_SEARCH_WORDS]:
        profiles = profiles.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(headline__icontains=word)
            | Q(skills__icontains=word)
        )
    if filters.skill:
        skill = " ".join(filters.skill.split()).lower()
        profiles = profiles.annotate(skill_key=_skill_key()).filter(
            skill_key__contains=f",{skill},"
        )
    return profiles.order_by(
        F("rating_avg").desc(),
        F("rating_count").desc(),
        Lower("user__last_name"),
        Lower("user__first_name"),
        "id",
    )


def skill_options() -> list[str]:
    """The skills listed mentors name most often (the directory's skill filter)."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for skills in _listed().values_list("skills", flat=True):
        for skill in skills.split(","):
            skill = " ".join(skill.split())
            if skill:
                key = skill.casefold()
                counts[key] += 1
                spelling.setdefault(key, skill)
    top = [key for key, _n in counts.most_common(MAX_SKILL_OPTIONS)]
    return sorted((spelling[key] for key in top), key=str.casefold)


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
