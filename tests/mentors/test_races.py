"""Two people acting at the same moment: exactly one wins, the other gets a message."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from accounts.models import ApplicationStatus, MentorProfile
from mentors import services
from mentors.models import Feedback
from notifications.models import OutboundEmail
from tests.factories import UserFactory


def _race(*actions: Callable[[], str]) -> list[str]:
    """Run the actions in threads released together; each returns or raises a message."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action):
        try:
            barrier.wait(timeout=10)
            outcomes.append(action())
        except (services.MentorActionError, services.FeedbackError) as error:
            outcomes.append(f"refused: {error}")
        except Exception as error:  # surfaces in the assertion instead of dying in the thread
            outcomes.append(f"crashed: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


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

    outcomes = _race(approve, reject)

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

    outcomes = _race(rate(5), rate(1))

    stored = Feedback.objects.get(session=completed_session)
    assert sorted(outcomes) == sorted(
        [
            f"rated {stored.rating}",
            "refused: You have already rated this session; feedback can be given once.",
        ]
    )
