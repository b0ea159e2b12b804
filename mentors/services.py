"""The only writers of mentor applications, mentor profiles and session feedback.

Each function runs in one transaction with the row it changes locked, checks the rule,
saves with `update_fields` and queues its emails in the same transaction — so a refused
action writes nothing, and an email exists only if its change was committed.

An application's lifecycle:  pending ──approve──▶ approved
                                 │
                                 └──reject (reason)──▶ rejected ──apply again──▶ pending
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from accounts.models import ApplicationStatus, MentorProfile, User, validate_time_zone
from bookings.models import MentoringSession, Status
from mentors import emails as mentor_emails
from mentors import validation
from mentors.models import MAX_COMMENT_LENGTH, MAX_RATING, MIN_RATING, Feedback

MAX_REASON_LENGTH = 500  # MentorProfile.rejection_reason.max_length


class MentorActionError(Exception):
    """A refused application, review or profile action; the message is for the person."""


class FeedbackError(Exception):
    """A refused feedback; the message is for the mentee."""


@dataclass(frozen=True)
class MentorDetails:
    """What an applicant fills in (and a mentor later edits)."""

    headline: str
    bio: str
    skills: str
    hourly_rate: Decimal
    default_session_minutes: int
    time_zone: str
    linkedin_url: str = ""
    github_url: str = ""


PROFILE_FIELDS = (
    "headline",
    "bio",
    "skills",
    "hourly_rate",
    "default_session_minutes",
    "linkedin_url",
    "github_url",
)


def clean_details(details: MentorDetails) -> MentorDetails:
    """The same rules as the form, enforced again here: raises ValidationError."""
    headline = " ".join(details.headline.split())
    if not headline:
        raise ValidationError("A headline is required.")
    if len(headline) > MentorProfile._meta.get_field("headline").max_length:
        raise ValidationError("The headline is too long.")
    validate_time_zone(details.time_zone)
    return replace(
        details,
        headline=headline,
        bio=details.bio.strip(),
        skills=validation.normalise_skills(details.skills),
        hourly_rate=validation.validate_hourly_rate(details.hourly_rate),
        default_session_minutes=validation.validate_session_minutes(
            details.default_session_minutes
        ),
        linkedin_url=validation.canonical_profile_url(details.linkedin_url, "linkedin"),
        github_url=validation.canonical_profile_url(details.github_url, "github"),
    )


def _lock_profile(user: User) -> MentorProfile | None:
    return (
        MentorProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(user=user)
        .first()
    )


def _save_time_zone(user: User, time_zone: str) -> None:
    if user.time_zone != time_zone:
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])


def apply_to_mentor(user: User, details: MentorDetails) -> MentorProfile:
    """Create a pending application, or re-open a rejected one as pending.

    Raises MentorActionError if the user already has a pending or approved profile, and
    ValidationError for invalid details."""
    details = clean_details(details)
    with transaction.atomic():
        profile = _lock_profile(user)
        if profile is not None and profile.status != ApplicationStatus.REJECTED:
            raise MentorActionError(already_applied_message(profile))
        fields = {name: getattr(details, name) for name in PROFILE_FIELDS}
        if profile is None:
            try:
                # A savepoint: a concurrent first application by the same user hits the
                # unique user_id and is refused with a message, not a 500.
                with transaction.atomic():
                    profile = MentorProfile.objects.create(
                        user=user, status=ApplicationStatus.PENDING, **fields
                    )
            except IntegrityError:
                raise MentorActionError(
                    "You have already applied to mentor; nothing was changed."
                ) from None
        else:
            for name, value in fields.items():
                setattr(profile, name, value)
            # A new application: the previous decision no longer applies.
            profile.status = ApplicationStatus.PENDING
            profile.rejection_reason = ""
            profile.reviewed_by = None
            profile.reviewed_at = None
            profile.save(
                update_fields=[
                    *PROFILE_FIELDS,
                    "status",
                    "rejection_reason",
                    "reviewed_by",
                    "reviewed_at",
                    "updated_at",
                ]
            )
        _save_time_zone(user, details.time_zone)
    return profile


def already_applied_message(profile: MentorProfile) -> str:
    if profile.status == ApplicationStatus.APPROVED:
        return "You are already an approved mentor; edit your profile instead."
    return "Your application is already awaiting review; you can still edit it."


def update_mentor_profile(user: User, details: MentorDetails) -> MentorProfile:
    """Edit one's own pending or approved profile. A new hourly rate applies to sessions
    booked from now on: every session stores its own amount when it is booked."""
    details = clean_details(details)
    with transaction.atomic():
        profile = _lock_profile(user)
        if profile is None:
            raise MentorActionError("You have no mentor profile yet; apply to mentor first.")
        if profile.status == ApplicationStatus.REJECTED:
            raise MentorActionError(
                "Your application was not approved; apply again to update your details."
            )
        for name in PROFILE_FIELDS:
            setattr(profile, name, getattr(details, name))
        profile.save(update_fields=[*PROFILE_FIELDS, "updated_at"])
        _save_time_zone(user, details.time_zone)
    return profile


def _lock_application(profile: MentorProfile) -> MentorProfile:
    return (
        MentorProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=profile.pk)
    )


def _check_pending(profile: MentorProfile, verb: str) -> None:
    if profile.status == ApplicationStatus.PENDING:
        return
    if profile.status == ApplicationStatus.APPROVED:
        raise MentorActionError(
            f"{profile.user.get_full_name()} is already approved; it cannot be {verb}. "
            "Nothing was changed."
        )
    raise MentorActionError(
        f"{profile.user.get_full_name()}'s application was already rejected; it cannot be "
        f"{verb} until they apply again. Nothing was changed."
    )


def _decide(
    profile: MentorProfile, status: ApplicationStatus, *, by: User, reason: str = ""
) -> MentorProfile:
    """pending → `status`, inside the caller's transaction: the locked row, with who
    decided, when, and the reason (empty for an approval)."""
    profile = _lock_application(profile)
    _check_pending(profile, status.value)
    profile.status = status
    profile.rejection_reason = reason
    profile.reviewed_by = by
    profile.reviewed_at = timezone.now()
    profile.save(
        update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at", "updated_at"]
    )
    return profile


def approve_application(profile: MentorProfile, *, by: User) -> MentorProfile:
    """pending → approved: listed and bookable from now on; the applicant is emailed."""
    with transaction.atomic():
        profile = _decide(profile, ApplicationStatus.APPROVED, by=by)
        mentor_emails.queue_application_approved(profile)
    return profile


def reject_application(profile: MentorProfile, *, by: User, reason: str) -> MentorProfile:
    """pending → rejected with a reason the applicant is emailed."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise MentorActionError(
            "A reason is required to reject an application; nothing was changed."
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise MentorActionError(
            f"The reason is too long (at most {MAX_REASON_LENGTH} characters); nothing was changed."
        )
    with transaction.atomic():
        profile = _decide(profile, ApplicationStatus.REJECTED, by=by, reason=reason)
        mentor_emails.queue_application_rejected(profile)
    return profile


def leave_feedback(
    session: MentoringSession, *, by: User, rating: int, comment: str = ""
) -> Feedback:
    """The mentee rates a completed session 1–5, once."""
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise FeedbackError("Choose a rating from 1 to 5 stars.")
    if not MIN_RATING <= rating <= MAX_RATING:
        raise FeedbackError("Choose a rating from 1 to 5 stars.")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise FeedbackError(f"The comment is too long (at most {MAX_COMMENT_LENGTH} characters).")
    with transaction.atomic():
        # Locking the session serialises feedback with any status change of the session.
        session = MentoringSession.objects.select_for_update().get(pk=session.pk)
        if session.mentee_id != by.pk:
            raise FeedbackError("Only the session's mentee can leave feedback.")
        if session.status != Status.COMPLETED:
            raise FeedbackError(
                "You can leave feedback once the session has been completed; nothing was saved."
            )
        if Feedback.objects.filter(session=session).exists():
            raise FeedbackError("You have already rated this session; feedback can be given once.")
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(session=session, rating=rating, comment=comment)
        except IntegrityError:
            raise FeedbackError(
                "You have already rated this session; feedback can be given once."
            ) from None
        refresh_rating(session.mentor_id)
    return feedback


def refresh_rating(mentor_id: int) -> None:
    """Store the average and number of the mentor's reviews on their profile (what the
    directory and the home page order by, docs/PRODUCT.md §8.3). The profile row is locked
    first: two reviews of one mentor written at once are counted one after the other, the
    second reading the first once it is committed."""
    with transaction.atomic():
        profile = MentorProfile.objects.select_for_update().filter(user_id=mentor_id)
        if not profile.exists():
            return
        summary = Feedback.objects.filter(session__mentor_id=mentor_id).aggregate(
            average=Avg("rating"), count=Count("pk")
        )
        profile.update(rating_avg=summary["average"] or 0, rating_count=summary["count"])
