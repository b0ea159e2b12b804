"""The cancel page, GET /sessions/<id>/cancel/ (docs/PRODUCT.md §4.1, §5.1): where the
emails' "Cancel it here" link leads. It shows the session in the viewer's zone and the form
with the session page's words, or why it can no longer be cancelled here; opening it
changes nothing (only the POST cancels, as before).

The session starts 2030-01-15 13:00 UTC = 08:00 in New York (John, the mentee) = 14:00 in
Berlin (Jane, the mentor); the mentee's cut-off is 24 hours before."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from bookings import services
from bookings.models import MentoringSession, SessionEvent, Status
from notifications.models import OutboundEmail
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory
from tests.helpers import messages_of, visible_text

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
CUTOFF = START - timedelta(hours=24)

pytestmark = pytest.mark.clock(CUTOFF - timedelta(days=1))


@pytest.fixture
def confirmed(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


def _state() -> dict:
    return {
        "sessions": list(MentoringSession.objects.order_by("pk").values()),
        "events": SessionEvent.objects.count(),
        "emails": OutboundEmail.objects.count(),
    }


def _open(user, session, method="get"):
    """The page as `user` sees it, and proof that opening it changed nothing."""
    before = _state()
    response = getattr(client_for(user), method)(f"/sessions/{session.pk}/cancel/")
    assert _state() == before
    return response


def _text(response) -> str:
    assert response.status_code == 200
    return visible_text(response.content.decode())


def _form(response) -> str:
    """The cancel form's markup ("" when there is none)."""
    found = re.findall(
        r'<form method="post" action="([^"]+)" class="cancel-form">(.*?)</form>',
        response.content.decode(),
        re.S,
    )
    if not found:
        return ""
    [(action, inside)] = found
    assert action == response.request["PATH_INFO"]
    assert 'name="csrfmiddlewaretoken"' in inside
    assert '<textarea name="reason"' in inside
    return inside


def test_the_mentee_sees_the_session_in_his_zone_and_the_cancel_form(confirmed, mentee):
    response = _open(mentee, confirmed)

    text = _text(response)
    assert "Cancel your session with Jane Smith" in text
    assert "Mentor: Jane Smith. Mentee: John Doe." in text
    assert "Date 2030-01-15 Time 08:00 (America/New_York) Duration 60 minutes" in text
    assert "Status: CONFIRMED" in text
    assert (
        "You can cancel until 2030-01-14 08:00 (America/New_York), 24 hours before the start."
        in text
    )
    form = _form(response)
    assert "Reason for cancelling (your mentor will see it)" in form
    assert ">Cancel session</button>" in form
    assert f'href="/sessions/{confirmed.pk}/reschedule/"' in response.content.decode()
    assert (
        response["Cache-Control"] == "private, no-store" or "no-store" in response["Cache-Control"]
    )


def test_the_mentor_sees_her_zone_and_her_words(confirmed, mentor):
    response = _open(mentor, confirmed)

    text = _text(response)
    assert "Cancel your session with John Doe" in text
    assert "Time 14:00 (Europe/Berlin)" in text
    form = _form(response)
    assert "Reason for cancelling (the mentee will see it)" in form
    assert ">Mark as Cancelled</button>" in form


def test_the_mentee_of_a_pending_request_is_offered_to_withdraw_it(pending_session, mentee):
    response = _open(mentee, pending_session)

    text = _text(response)
    assert "Withdraw your request for a session with Jane Smith" in text
    assert (
        "Nobody has confirmed this request yet: you can withdraw it until the session starts, "
        "at 2030-01-15 08:00 (America/New_York). Once it is confirmed, you can cancel it "
        "until 2030-01-14 08:00 (America/New_York), 24 hours before the start."
    ) in text
    form = _form(response)
    assert "Reason for withdrawing (your mentor will see it)" in form
    assert ">Withdraw request</button>" in form


def test_after_the_cutoff_the_mentee_is_told_why_and_gets_no_form(clock, confirmed, mentee):
    clock.set(CUTOFF)
    response = _open(mentee, confirmed)

    assert (
        "Cancelling closed at 2030-01-14 08:00 (America/New_York), 24 hours before the start. "
        "If you cannot attend, please contact us at"
    ) in _text(response)
    assert _form(response) == ""
    assert "Choose a new time" not in _text(response)  # moving closed at the cut-off too


def test_after_the_start_the_mentor_is_told_why_and_gets_no_form(clock, confirmed, mentor):
    clock.set(START)
    response = _open(mentor, confirmed)

    assert (
        "The session has started, so it can no longer be cancelled here; please contact us at"
    ) in _text(response)
    assert _form(response) == ""


def test_withdrawing_closed_at_the_start(clock, pending_session, mentee):
    clock.set(START)
    response = _open(mentee, pending_session)

    assert (
        "Withdrawing closed when the session started, at 2030-01-15 08:00 (America/New_York)."
        in _text(response)
    )
    assert _form(response) == ""


def test_a_cancelled_session_has_nothing_to_cancel(confirmed, mentee, admin_user):
    services.cancel_session(confirmed, by=admin_user, reason="Mentor is ill")

    response = _open(mentee, confirmed)

    assert "This session is cancelled, so there is nothing to cancel." in _text(response)
    assert _form(response) == ""


def test_head_answers_like_get_without_a_body(confirmed, mentee):
    response = _open(mentee, confirmed, method="head")

    assert response.status_code == 200
    assert response.content == b""


def test_other_people_get_404(confirmed, other_mentee, admin_user):
    stranger = SessionFactory().mentor
    for person in (other_mentee, stranger, admin_user):
        assert _open(person, confirmed).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, confirmed):
    response = client.get(f"/sessions/{confirmed.pk}/cancel/")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/sessions/{confirmed.pk}/cancel/"


def test_the_form_on_the_page_cancels_as_before(confirmed, mentee):
    client = client_for(mentee)
    client.get(f"/sessions/{confirmed.pk}/cancel/")

    response = client.post(f"/sessions/{confirmed.pk}/cancel/", {"reason": "Exam moved"})

    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{confirmed.pk}/"
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.cancellation_reason, confirmed.cancelled_by) == (
        Status.CANCELLED,
        "Exam moved",
        mentee,
    )
    assert messages_of(response) == [
        ("success", "Session cancelled. Your mentor has been notified.")
    ]
