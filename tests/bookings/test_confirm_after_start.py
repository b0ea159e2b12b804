"""A pending session whose start has passed can no longer be confirmed: the confirmation
would ask both people to join a few minutes before a time that is gone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings import services
from bookings.models import MentoringSession, SessionEvent, Status
from notifications.models import OutboundEmail
from tests.conftest import MEET
from tests.factories import SessionFactory
from tests.helpers import messages_of

PASSED = "This session's start time has passed; it can no longer be confirmed. Nothing was changed."


class ProviderThatMustNotBeAsked:
    """An automatic link provider: a refused confirmation must not create a meeting."""

    label = "Must-not-be-asked Meet"

    def create_link(self, session: MentoringSession) -> str:
        raise AssertionError("a meeting was created for a session that cannot be confirmed")


def _row(session: MentoringSession) -> dict:
    return MentoringSession.objects.values().get(pk=session.pk)


def _side_effects() -> dict[str, int]:
    return {
        "events": SessionEvent.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "tasks": DBTaskResult.objects.count(),
    }


@pytest.fixture
def started(mentor, mentee):
    """Pending, and its start was a minute ago."""
    return SessionFactory(mentor=mentor, mentee=mentee, start=timezone.now() - timedelta(minutes=1))


@pytest.mark.parametrize("ago", [timedelta(minutes=1), timedelta(days=3)])
def test_confirming_a_session_whose_start_has_passed_is_refused_and_changes_nothing(
    mentor, mentee, admin_user, ago: timedelta
):
    session = SessionFactory(mentor=mentor, mentee=mentee, start=timezone.now() - ago)
    before = _row(session)

    with pytest.raises(services.SessionActionError) as refused:
        services.confirm_session(session, link=MEET, by=admin_user)

    assert str(refused.value) == PASSED
    after = _row(session)
    assert after == before
    assert (after["status"], after["admin_provided_link"], after["meeting_link"]) == (
        Status.PENDING,
        "",
        "",
    )
    assert _side_effects() == {"events": 0, "emails": 0, "tasks": 0}


def test_the_refusal_comes_before_an_automatic_meeting_is_created(
    use_link_provider, started, admin_user
):
    use_link_provider(ProviderThatMustNotBeAsked())
    before = _row(started)

    with pytest.raises(services.SessionActionError, match="^This session's start time has passed"):
        services.confirm_session(started, link=None, by=admin_user)

    assert _row(started) == before
    assert _side_effects() == {"events": 0, "emails": 0, "tasks": 0}


def test_a_session_starting_soon_can_still_be_confirmed(mentor, mentee, admin_user):
    soon = SessionFactory(
        mentor=mentor, mentee=mentee, start=timezone.now() + timedelta(minutes=10)
    )

    services.confirm_session(soon, link=MEET, by=admin_user)

    soon.refresh_from_db()
    assert (soon.status, soon.admin_provided_link) == (Status.CONFIRMED, MEET)


def test_admin_confirm_of_a_started_session_redirects_with_the_refusal(admin_client, started):
    before = _row(started)

    response = admin_client.post(
        f"/admin/sessions/{started.pk}/set-status/",
        {"action": "confirmed", "meeting_link": MEET, "return_query": "status=pending"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/sessions/?status=pending"
    assert messages_of(response) == [("error", PASSED)]
    assert _row(started) == before
    assert _side_effects() == {"events": 0, "emails": 0, "tasks": 0}
