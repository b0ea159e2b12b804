"""Two people acting at the same moment: exactly one wins, the other gets a message."""

import pytest

from accounts.models import ApplicationStatus, MentorProfile
from mentors import services
from mentors.models import Feedback
from notifications.models import OutboundEmail
from tests.concurrency import run_together
from tests.factories import UserFactory

REFUSED = (services.MentorActionError, services.FeedbackError)


@pytest.mark.django_db(transaction=True)
def test_an_approval_and_a_rejection_at_once_exactly_one_wins(pending_application, admin_user):
    second_admin = UserFactory(is_staff=True, first_name="Sam", last_name="Second")

    def approve():
        profile = MentorProfile.objects.get(pk=pending_application.pk)
        services.approve_application(profile, by=admin_user)
        return "approved"

    def reject():
        profile = MentorProfile.objects.get(pk=pending_application.pk)
        services.reject_application(profile, by=second_admin, reason="Not yet.")
        return "rejected"

    outcomes = run_together(approve, reject, refused=REFUSED)

    final = MentorProfile.objects.get(pk=pending_application.pk)
    assert final.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
    winner = "approved" if final.status == ApplicationStatus.APPROVED else "rejected"
    assert winner in outcomes
    assert len(outcomes) == 2
    assert [o for o in outcomes if o != winner][0].startswith("refused: Ada Lovelace")
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_feedbacks_at_once_store_exactly_one(completed_session, mentee):
    def rate(stars: int):
        def action():
            services.leave_feedback(completed_session, by=mentee, rating=stars)
            return f"rated {stars}"

        return action

    outcomes = run_together(rate(5), rate(1), refused=REFUSED)

    stored = Feedback.objects.get(session=completed_session)
    assert sorted(outcomes) == sorted(
        [
            f"rated {stored.rating}",
            "refused: You have already rated this session; feedback can be given once.",
        ]
    )
