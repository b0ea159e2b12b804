"""The mentor services: apply, review, edit, feedback — each one transaction, each refusal
changes nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ApplicationStatus, MentorProfile
from bookings import services as session_services
from bookings.models import MentoringSession, Status
from mentors import services
from mentors.models import Feedback
from notifications.models import EmailKind, OutboundEmail
from tests.conftest import MEET
from tests.factories import SessionFactory
from tests.mentors.conftest import details, profile_snapshot

# --- applying ------------------------------------------------------------------------------


def test_apply_creates_a_pending_profile_with_normalised_details(applicant):
    profile = services.apply_to_mentor(
        applicant,
        details(
            headline="  Staff   engineer ",
            skills="python, Django ,PYTHON",
            hourly_rate=Decimal("75.5"),
            linkedin_url="https://linkedin.com/in/ada/",
            github_url="https://GitHub.com/ada",
        ),
    )

    profile.refresh_from_db()
    assert profile.user == applicant
    assert profile.status == ApplicationStatus.PENDING
    assert (profile.headline, profile.skills, profile.hourly_rate) == (
        "Staff engineer",
        "python, Django",
        Decimal("75.50"),
    )
    assert profile.default_session_minutes == 45
    assert profile.linkedin_url == "https://www.linkedin.com/in/ada"
    assert profile.github_url == "https://github.com/ada"
    assert (profile.reviewed_by, profile.reviewed_at, profile.rejection_reason) == (None, None, "")


def test_apply_updates_the_users_time_zone(applicant):
    services.apply_to_mentor(applicant, details(time_zone="Asia/Kolkata"))

    applicant.refresh_from_db()
    assert applicant.time_zone == "Asia/Kolkata"


def test_apply_sends_no_email(applicant):
    services.apply_to_mentor(applicant, details())

    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hourly_rate": Decimal("0")}, "The hourly rate must be more than 0 and at most 1000."),
        ({"default_session_minutes": 50}, "Choose a session length of 30, 45, 60 or 90 minutes."),
        ({"github_url": "javascript:alert(1)"}, "The link must start with https://"),
        ({"time_zone": "Mars/Olympus"}, "Choose a time zone from the list"),
        ({"headline": "   "}, "A headline is required."),
        ({"skills": ""}, "List at least one skill"),
    ],
)
def test_apply_refuses_invalid_details_and_stores_nothing(applicant, overrides, message):
    with pytest.raises(ValidationError) as caught:
        services.apply_to_mentor(applicant, details(**overrides))

    assert message in caught.value.messages[0]
    assert not MentorProfile.objects.filter(user=applicant).exists()
    applicant.refresh_from_db()
    assert applicant.time_zone == "UTC"


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("pending_application", "Your application is already awaiting review"),
        ("approved_profile", "You are already an approved mentor"),
    ],
)
def test_apply_again_while_pending_or_approved_is_refused_and_changes_nothing(
    request, applicant, fixture, message
):
    profile = request.getfixturevalue(fixture)
    before = profile_snapshot(profile)

    with pytest.raises(services.MentorActionError, match=message):
        services.apply_to_mentor(applicant, details(headline="Something else"))

    assert profile_snapshot(profile) == before
    assert MentorProfile.objects.count() == 1


def test_a_rejected_applicant_may_apply_again_and_is_pending_review(
    applicant, rejected_application
):
    profile = services.apply_to_mentor(applicant, details(headline="Now with more detail"))

    profile.refresh_from_db()
    assert profile.pk == rejected_application.pk
    assert profile.status == ApplicationStatus.PENDING
    assert profile.headline == "Now with more detail"
    assert (profile.rejection_reason, profile.reviewed_by, profile.reviewed_at) == ("", None, None)


# --- reviewing -----------------------------------------------------------------------------


def test_approve_makes_the_profile_approved_and_records_the_reviewer(
    pending_application, admin_user
):
    before = timezone.now()

    services.approve_application(pending_application, by=admin_user)

    pending_application.refresh_from_db()
    assert pending_application.status == ApplicationStatus.APPROVED
    assert pending_application.reviewed_by == admin_user
    assert pending_application.reviewed_at >= before


def test_approve_emails_the_applicant_once(pending_application, admin_user):
    services.approve_application(pending_application, by=admin_user)

    assert list(OutboundEmail.objects.values_list("kind", "to_email")) == [
        (EmailKind.APPLICATION_APPROVED, "ada@example.com")
    ]


def test_reject_stores_the_reason_and_emails_the_applicant(pending_application, admin_user):
    services.reject_application(
        pending_application, by=admin_user, reason="  Please add\n more detail. "
    )

    pending_application.refresh_from_db()
    assert pending_application.status == ApplicationStatus.REJECTED
    assert pending_application.rejection_reason == "Please add more detail."
    assert pending_application.reviewed_by == admin_user
    assert list(OutboundEmail.objects.values_list("kind", "to_email")) == [
        (EmailKind.APPLICATION_REJECTED, "ada@example.com")
    ]


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_reject_without_a_reason_is_refused_and_changes_nothing(
    pending_application, admin_user, reason
):
    before = profile_snapshot(pending_application)

    with pytest.raises(services.MentorActionError) as caught:
        services.reject_application(pending_application, by=admin_user, reason=reason)

    assert str(caught.value) == (
        "A reason is required to reject an application; nothing was changed."
    )
    assert profile_snapshot(pending_application) == before
    assert OutboundEmail.objects.count() == 0


def test_reject_with_an_over_long_reason_is_refused(pending_application, admin_user):
    with pytest.raises(services.MentorActionError, match="at most 500 characters"):
        services.reject_application(pending_application, by=admin_user, reason="x" * 501)

    pending_application.refresh_from_db()
    assert pending_application.status == ApplicationStatus.PENDING


@pytest.mark.parametrize(
    ("fixture", "action", "message"),
    [
        ("approved_profile", "approve", "Ada Lovelace is already approved; it cannot be approved."),
        ("approved_profile", "reject", "Ada Lovelace is already approved; it cannot be rejected."),
        ("rejected_application", "approve", "application was already rejected"),
        ("rejected_application", "reject", "application was already rejected"),
    ],
)
def test_reviewing_a_decided_application_is_refused_and_changes_nothing(
    request, admin_user, fixture, action, message
):
    profile = request.getfixturevalue(fixture)
    before = profile_snapshot(profile)

    with pytest.raises(services.MentorActionError, match=message):
        if action == "approve":
            services.approve_application(profile, by=admin_user)
        else:
            services.reject_application(profile, by=admin_user, reason="No.")

    assert profile_snapshot(profile) == before
    assert OutboundEmail.objects.count() == 0


def test_a_stale_copy_cannot_approve_an_application_rejected_meanwhile(
    pending_application, admin_user
):
    """Two admins on the same list: the second acts on an old copy; the locked re-read wins."""
    stale = MentorProfile.objects.get(pk=pending_application.pk)
    services.reject_application(pending_application, by=admin_user, reason="Not yet.")

    with pytest.raises(services.MentorActionError, match="already rejected"):
        services.approve_application(stale, by=admin_user)

    pending_application.refresh_from_db()
    assert pending_application.status == ApplicationStatus.REJECTED
    assert OutboundEmail.objects.filter(kind=EmailKind.APPLICATION_APPROVED).count() == 0


# --- editing one's profile -----------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["pending_application", "approved_profile"])
def test_a_mentor_edits_their_profile_and_keeps_their_status(request, applicant, fixture):
    profile = request.getfixturevalue(fixture)
    status = profile.status

    services.update_mentor_profile(
        applicant,
        details(headline="Principal engineer", skills="Go", time_zone="Europe/Berlin"),
    )

    profile.refresh_from_db()
    applicant.refresh_from_db()
    assert (profile.headline, profile.skills, profile.status) == (
        "Principal engineer",
        "Go",
        status,
    )
    assert applicant.time_zone == "Europe/Berlin"


def test_a_new_rate_leaves_booked_sessions_at_their_amount(approved_profile, applicant, mentee):
    booked = SessionFactory(mentor=applicant, mentee=mentee, amount=Decimal("75.00"))

    services.update_mentor_profile(applicant, details(hourly_rate=Decimal("120.00")))

    approved_profile.refresh_from_db()
    booked.refresh_from_db()
    assert approved_profile.hourly_rate == Decimal("120.00")
    assert booked.amount == Decimal("75.00")


def test_a_new_rate_applies_to_the_next_booking(approved_profile, applicant, mentee, clock):
    """End to end with the booking service: a session booked after the change costs the
    new rate, while the one booked before keeps its amount. The clock stands still and the
    mentor stays in UTC, so the times offered are still offered when they are booked, at
    any time of day (the notice moves with the clock; the hours, with the time zone)."""
    from datetime import time

    from availability.models import WeeklyAvailability
    from availability.slots import next_free_slots

    for weekday in range(7):
        WeeklyAvailability.objects.create(
            mentor=applicant, weekday=weekday, start_time=time(0), end_time=time(23, 30)
        )
    first, second = next_free_slots(applicant, limit=4, duration_minutes=60)[::3][:2]
    before = session_services.book_session(applicant, mentee, first, 60)

    services.update_mentor_profile(
        applicant, details(hourly_rate=Decimal("120.00"), time_zone="UTC")
    )
    after = session_services.book_session(applicant, mentee, second, 60)

    before.refresh_from_db()
    assert (before.amount, after.amount) == (Decimal("75.00"), Decimal("120.00"))


def test_a_rejected_applicant_cannot_edit_and_nothing_changes(applicant, rejected_application):
    before = profile_snapshot(rejected_application)

    with pytest.raises(services.MentorActionError, match="apply again"):
        services.update_mentor_profile(applicant, details(headline="Sneaky"))

    assert profile_snapshot(rejected_application) == before


def test_a_user_without_a_profile_cannot_edit(applicant):
    with pytest.raises(services.MentorActionError, match="apply to mentor first"):
        services.update_mentor_profile(applicant, details())

    assert not MentorProfile.objects.exists()


def test_an_invalid_edit_is_refused_and_changes_nothing(applicant, approved_profile):
    before = profile_snapshot(approved_profile)

    with pytest.raises(ValidationError):
        services.update_mentor_profile(applicant, details(linkedin_url="http://linkedin.com/in/a"))

    assert profile_snapshot(approved_profile) == before


# --- feedback --------------------------------------------------------------------------


def test_the_mentee_rates_a_completed_session(completed_session, mentee):
    feedback = services.leave_feedback(
        completed_session, by=mentee, rating=4, comment="  Very helpful.  "
    )

    feedback.refresh_from_db()
    assert (feedback.session, feedback.rating, feedback.comment) == (
        completed_session,
        4,
        "Very helpful.",
    )


def test_the_comment_is_optional(completed_session, mentee):
    feedback = services.leave_feedback(completed_session, by=mentee, rating=5)

    assert feedback.comment == ""


def test_a_second_feedback_is_refused_and_the_first_stays(completed_session, mentee):
    services.leave_feedback(completed_session, by=mentee, rating=5, comment="Great")

    with pytest.raises(services.FeedbackError, match="already rated this session"):
        services.leave_feedback(completed_session, by=mentee, rating=1, comment="Changed my mind")

    assert list(Feedback.objects.values_list("rating", "comment")) == [(5, "Great")]


@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED, Status.CANCELLED])
def test_feedback_before_completion_is_refused_and_nothing_is_stored(
    mentor, mentee, admin_user, status
):
    session = SessionFactory(mentor=mentor, mentee=mentee)
    if status == Status.CONFIRMED:
        session = session_services.confirm_session(session, link=MEET, by=admin_user)
    if status == Status.CANCELLED:
        session = session_services.cancel_session(session, by=admin_user, reason="Clash")

    with pytest.raises(services.FeedbackError) as caught:
        services.leave_feedback(session, by=mentee, rating=5)

    assert str(caught.value) == (
        "You can leave feedback once the session has been completed; nothing was saved."
    )
    assert not Feedback.objects.exists()


def test_only_the_sessions_mentee_may_rate_it(completed_session, mentor, other_mentee):
    for person in (mentor, other_mentee):
        with pytest.raises(services.FeedbackError, match="Only the session's mentee"):
            services.leave_feedback(completed_session, by=person, rating=5)

    assert not Feedback.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, -1, "5", 4.5, True, None])
def test_a_rating_outside_1_to_5_is_refused(completed_session, mentee, rating):
    with pytest.raises(services.FeedbackError, match="Choose a rating from 1 to 5 stars."):
        services.leave_feedback(completed_session, by=mentee, rating=rating)

    assert not Feedback.objects.exists()


def test_an_over_long_comment_is_refused(completed_session, mentee):
    with pytest.raises(services.FeedbackError, match="at most 2000 characters"):
        services.leave_feedback(completed_session, by=mentee, rating=5, comment="x" * 2001)

    assert not Feedback.objects.exists()


def test_feedback_does_not_touch_the_session(completed_session, mentee):
    before = MentoringSession.objects.values().get(pk=completed_session.pk)

    services.leave_feedback(completed_session, by=mentee, rating=3)

    assert MentoringSession.objects.values().get(pk=completed_session.pk) == before
