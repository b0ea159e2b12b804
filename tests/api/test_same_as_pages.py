"""Every write of the API is the page's write (docs/PRODUCT.md §11): the same service
function, so the same session fields, audit rows and queued emails. Each test does the
change through the page, records what was written, rolls it back, does it through the API,
and compares; and a refused change answers 409 with the words the page shows."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from bookings.models import MentoringSession, SessionEvent, Status
from notifications.models import OutboundEmail
from payments.models import Payment
from tests.api.conftest import ApiClient, problem_of, token_for
from tests.conftest import MEET, client_for
from tests.helpers import messages_of

SESSION_FIELDS = (
    "mentor_id",
    "mentee_id",
    "start",
    "duration_minutes",
    "status",
    "admin_provided_link",
    "meeting_link",
    "notes",
    "amount",
    "currency",
    "payment_status",
    "cancellation_reason",
    "confirmed_by_id",
    "cancelled_by_id",
    "ics_sequence",
)
EVENT_FIELDS = ("action", "actor_id", "from_status", "to_status", "old_link", "new_link", "note")
EMAIL_FIELDS = ("kind", "recipient_id", "to_email", "subject", "body_text", "ics_method")


def written() -> dict:
    """What the sessions, their audit trail, their emails and payments hold now."""
    sessions = MentoringSession.objects.order_by("start", "mentor_id").values(*SESSION_FIELDS)
    events = SessionEvent.objects.order_by("session__start", "id").values(*EVENT_FIELDS)
    emails = OutboundEmail.objects.order_by("kind", "to_email").values(*EMAIL_FIELDS)
    return {
        "sessions": list(sessions),
        "events": list(events),
        "emails": [{**email, "body_text": _no_ids(email["body_text"])} for email in emails],
        "payments": list(Payment.objects.order_by("amount").values("status", "amount")),
    }


class Undo(Exception):
    """Rolls back what the page wrote, once it has been recorded."""


def _no_ids(text: str) -> str:
    """A new session's id in its links: rolled back, PostgreSQL does not give it again."""
    return re.sub(r"sessions/[0-9]+/", "sessions/<id>/", text)


def through_both(page, api) -> tuple[dict, dict, object]:
    """(written by the page, written by the API, the API's response), from the same start."""
    try:
        with transaction.atomic():
            page()
            by_page = written()
            raise Undo
    except Undo:
        pass
    response = api()
    return by_page, written(), response


def _api(user) -> ApiClient:
    return ApiClient(token_for(user))


def _confirmed(world, start) -> MentoringSession:
    session = world.session
    session.status, session.admin_provided_link, session.start = Status.CONFIRMED, MEET, start
    session.save()
    return session


def test_confirm_writes_what_the_admin_dashboard_writes(world):
    admin, pk = world.users["admin"], world.session.pk
    page, api = client_for(admin), _api(admin)

    by_page, by_api, response = through_both(
        lambda: page.post(
            f"/admin/sessions/{pk}/set-status/", {"action": "confirmed", "meeting_link": MEET}
        ),
        lambda: api.post(f"/api/v1/sessions/{pk}/confirm", {"meeting_link": MEET}),
    )

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert response.json()["meeting_link"] == MEET
    assert by_api == by_page
    confirmations = [e["to_email"] for e in by_api["emails"] if e["kind"] == "session_confirmed"]
    assert sorted(confirmations) == ["jane@example.com", "john@example.com", "john@example.com"]


@pytest.mark.parametrize("role", ["admin", "mentee", "mentor"])
def test_cancel_writes_what_the_pages_write(role, world):
    user, pk = world.users[role], world.session.pk
    page, api = client_for(user), _api(user)
    reason = "Something came up."
    if role == "admin":
        url, data = f"/admin/sessions/{pk}/set-status/", {"action": "cancelled", "reason": reason}
    else:
        url, data = f"/sessions/{pk}/cancel/", {"reason": reason}

    by_page, by_api, response = through_both(
        lambda: page.post(url, data),
        lambda: api.post(f"/api/v1/sessions/{pk}/cancel", {"reason": reason}),
    )

    assert response.status_code == 200
    assert response.json()["cancellation_reason"] == reason
    assert by_api == by_page
    assert by_api["sessions"][0]["status"] == Status.CANCELLED


def test_complete_writes_what_the_mentors_page_writes(world):
    _confirmed(world, timezone.now() - timedelta(minutes=10))
    mentor, pk = world.users["mentor"], world.session.pk
    page, api = client_for(mentor), _api(mentor)

    by_page, by_api, response = through_both(
        lambda: page.post(f"/sessions/{pk}/complete/"),
        lambda: api.post(f"/api/v1/sessions/{pk}/complete"),
    )

    assert response.status_code == 200
    assert by_api == by_page
    assert by_api["sessions"][0]["status"] == Status.COMPLETED


def test_change_link_writes_what_the_admin_dashboard_writes(world):
    _confirmed(world, world.session.start)
    admin, pk = world.users["admin"], world.session.pk
    page, api = client_for(admin), _api(admin)
    new = "https://meet.google.com/xyz-wxyz-xyz"

    by_page, by_api, response = through_both(
        lambda: page.post(f"/admin/sessions/{pk}/change-link/", {"meeting_link": new}),
        lambda: api.post(f"/api/v1/sessions/{pk}/change-link", {"meeting_link": new}),
    )

    assert response.status_code == 200
    assert response.json()["meeting_link"] == new
    assert by_api == by_page


@pytest.mark.parametrize("role", ["mentee", "mentor", "admin"])
def test_reschedule_writes_what_the_reschedule_page_writes(role, world):
    user, pk = world.users[role], world.session.pk
    page, api = client_for(user), _api(user)

    by_page, by_api, response = through_both(
        lambda: page.post(
            f"/sessions/{pk}/reschedule/", {"start": world.slot, "reason": "Clash at work."}
        ),
        lambda: api.post(
            f"/api/v1/sessions/{pk}/reschedule", {"start": world.slot, "reason": "Clash at work."}
        ),
    )

    assert response.status_code == 200
    assert by_api == by_page
    assert by_api["sessions"][-1]["start"].isoformat() == world.slot


def test_booking_writes_what_the_booking_page_writes(world):
    other, mentor = world.users["other_mentee"], world.users["mentor"]
    page, api = client_for(other), _api(other)
    fields = {"start": world.slot, "duration_minutes": 60, "notes": "Help with tests."}

    by_page, by_api, response = through_both(
        lambda: page.post(f"/mentors/{mentor.pk}/book/", fields),
        lambda: api.post("/api/v1/bookings", {"mentor": mentor.pk, **fields}),
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["mentee"]["id"], body["notes"]) == (
        "pending",
        other.pk,
        fields["notes"],
    )
    assert by_api == by_page
    assert len(by_api["sessions"]) == 2


def test_a_refused_transition_is_409_with_the_words_the_page_shows(world):
    """Completing a pending session, as an admin."""
    admin, pk = world.users["admin"], world.session.pk
    response = client_for(admin).post(f"/admin/sessions/{pk}/set-status/", {"action": "completed"})
    ((level, shown),) = messages_of(response)
    before = written()

    refused = _api(admin).post(f"/api/v1/sessions/{pk}/complete")

    assert level == "error"
    assert refused.status_code == 409
    assert problem_of(refused)["detail"] == shown
    assert written() == before


def test_a_refused_meeting_link_is_422_with_the_pages_words(world):
    admin, pk = world.users["admin"], world.session.pk
    bad = "https://meet.google.com.evil.test/abc-defg-hij"
    response = client_for(admin).post(
        f"/admin/sessions/{pk}/set-status/", {"action": "confirmed", "meeting_link": bad}
    )
    ((_, shown),) = messages_of(response)
    before = written()

    refused = _api(admin).post(f"/api/v1/sessions/{pk}/confirm", {"meeting_link": bad})

    problem = problem_of(refused)
    assert refused.status_code == 422
    assert shown == f"The session was not confirmed: {problem['errors']['meeting_link'][0]}"
    assert written() == before
