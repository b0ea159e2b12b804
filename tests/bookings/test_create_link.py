"""**Create link** in the admin's confirm dialog (docs/PRODUCT.md §3, "Created links"): a
request of its own that asks the provider and answers the link; nothing is saved until the
admin confirms with it. With JavaScript it answers JSON (static/js/create-link.js); without,
the dialog's form posts to it and the dashboard re-opens the dialog with the link filled in."""

import re

import pytest
from django.test import Client

from bookings.models import MentoringSession, SessionEvent, Status
from notifications.models import EmailKind, OutboundEmail
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory, UserFactory
from tests.helpers import messages_of

JITSI_ROOM = re.compile(r"https://meet\.jit\.si/CodeMentorHub-[a-z2-7]{32}")
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def jitsi(settings):
    settings.MEETING_LINK_AUTO_PROVIDER = "jitsi"
    settings.JITSI_BASE_URL = "https://meet.jit.si"


def _create(client, session_id: int, **extra):
    return client.post(
        f"/admin/sessions/{session_id}/create-link/", {"return_query": "status=pending"}, **extra
    )


def _snapshot(session: MentoringSession) -> dict:
    return MentoringSession.objects.values().get(pk=session.pk)


def _nothing_else_written() -> dict[str, int]:
    return {
        "events": SessionEvent.objects.count(),
        "emails": OutboundEmail.objects.count(),
    }


def _assert_refused(response, status: int, error: str) -> None:
    assert (response.status_code, response.json()) == (status, {"error": error})


def _confirm_field(html: str) -> str:
    match = re.search(r'<input type="url" id="confirm-link"[^>]*>', html)
    assert match, "no confirm field"
    return match.group(0)


class BrokenProvider:
    label = "Broken Meet"

    def create_link(self, session) -> str:
        raise ConnectionError("connection refused")


# --- with JavaScript (JSON) -------------------------------------------------------------


def test_create_link_answers_a_new_jitsi_link_and_saves_nothing(
    jitsi, admin_client, pending_session
):
    before = _snapshot(pending_session)

    response = _create(admin_client, pending_session.pk, **JSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert JITSI_ROOM.fullmatch(response.json()["meeting_link"])
    assert list(response.json()) == ["meeting_link"]
    assert _snapshot(pending_session) == before
    assert _nothing_else_written() == {"events": 0, "emails": 0}


def test_each_click_creates_a_different_room(jitsi, admin_client, pending_session):
    links = {
        _create(admin_client, pending_session.pk, **JSON).json()["meeting_link"] for _ in "abc"
    }

    assert len(links) == 3


def test_create_link_for_a_confirmed_session_is_refused(jitsi, admin_client, pending_session):
    admin_client.post(
        f"/admin/sessions/{pending_session.pk}/set-status/",
        {"action": "confirmed", "meeting_link": MEET},
    )
    before = _snapshot(pending_session)

    response = _create(admin_client, pending_session.pk, **JSON)

    _assert_refused(
        response,
        409,
        "Only a pending session can be given a link to confirm it with; this one is "
        "confirmed. Nothing was changed.",
    )
    assert _snapshot(pending_session) == before


def test_provider_failure_is_a_message_and_changes_nothing(
    use_link_provider, admin_client, pending_session
):
    use_link_provider(BrokenProvider())
    before = _snapshot(pending_session)

    response = _create(admin_client, pending_session.pk, **JSON)

    _assert_refused(
        response,
        503,
        "Broken Meet could not create a meeting link (connection refused); try again or "
        "paste a link instead. Nothing was changed.",
    )
    assert _snapshot(pending_session) == before
    assert _nothing_else_written() == {"events": 0, "emails": 0}


def test_without_a_provider_there_is_no_button_and_the_action_is_refused(
    settings, admin_client, pending_session
):
    settings.MEETING_LINK_AUTO_PROVIDER = ""

    html = admin_client.get("/admin/sessions/").content.decode()
    response = _create(admin_client, pending_session.pk, **JSON)

    assert "Create link" not in html and "create-link.js" not in html
    assert response.status_code == 409
    assert response.json() == {
        "error": "No meeting-link provider is configured on this site; paste a link instead."
    }


# --- who may ask --------------------------------------------------------------------------


def test_unknown_session_is_404(jitsi, admin_client):
    assert _create(admin_client, 999999, **JSON).status_code == 404
    assert _create(admin_client, 999999).status_code == 404


@pytest.mark.parametrize("who", ["mentor", "mentee", "outsider"])
def test_only_staff_may_create_a_link(jitsi, pending_session, who):
    user = {
        "mentor": pending_session.mentor,
        "mentee": pending_session.mentee,
        "outsider": UserFactory(email="outsider@example.com"),
    }[who]
    before = _snapshot(pending_session)

    response = _create(client_for(user), pending_session.pk, **JSON)

    assert response.status_code == 403
    assert _snapshot(pending_session) == before


def test_anonymous_is_sent_to_sign_in(jitsi, pending_session):
    response = _create(Client(), pending_session.pk, **JSON)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_create_link_needs_the_csrf_token(jitsi, admin_user, pending_session):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = _create(client, pending_session.pk, **JSON)

    assert response.status_code == 403


def test_create_link_is_post_only(jitsi, admin_client, pending_session):
    response = admin_client.get(f"/admin/sessions/{pending_session.pk}/create-link/")

    assert response.status_code == 405


# --- without JavaScript -------------------------------------------------------------------


def test_dialog_offers_the_button_and_its_script_when_jitsi_is_configured(
    jitsi, admin_client, pending_session
):
    html = admin_client.get(f"/admin/sessions/?dialog=confirm-{pending_session.pk}").content
    html = html.decode()

    assert (
        '<button type="submit" class="secondary" formnovalidate data-create-link '
        f'formaction="/admin/sessions/{pending_session.pk}/create-link/" '
        'data-formaction-template="/admin/sessions/0/create-link/">Create link</button>' in html
    )
    assert '<script src="/static/js/create-link.js" defer></script>' in html
    assert "A new Jitsi Meet room; check it, then confirm." in html


def test_no_javascript_create_link_reopens_the_dialog_with_the_link_filled_in(
    jitsi, admin_client, pending_session
):
    before = _snapshot(pending_session)

    response = _create(admin_client, pending_session.pk)

    assert response.status_code == 302
    assert response["Location"] == "/admin/sessions/?status=pending"
    assert _snapshot(pending_session) == before
    html = admin_client.get(response["Location"]).content.decode()
    field = _confirm_field(html)
    link = re.search(r'value="([^"]+)"', field).group(1)
    assert JITSI_ROOM.fullmatch(link)
    assert "aria-invalid" not in field
    assert (
        '<dialog id="confirm-dialog" class="modal" aria-labelledby="confirm-dialog-title" open'
        in html
    )
    assert "A new Jitsi Meet link is in the field. Confirm &amp; Send Link to send it." in html
    assert _snapshot(pending_session) == before
    assert _nothing_else_written() == {"events": 0, "emails": 0}


def test_no_javascript_provider_failure_reopens_the_dialog_with_the_message(
    use_link_provider, admin_client, pending_session
):
    use_link_provider(BrokenProvider())
    before = _snapshot(pending_session)

    response = admin_client.post(
        f"/admin/sessions/{pending_session.pk}/create-link/",
        {"return_query": "", "meeting_link": "https://meet.google.com/abc-d"},
    )

    html = admin_client.get(response["Location"]).content.decode()
    assert 'value="https://meet.google.com/abc-d"' in _confirm_field(html)
    assert (
        '<p class="error" id="confirm-link-error" role="alert" data-dialog-error>Broken Meet '
        "could not create a meeting link (connection refused); try again or paste a link "
        "instead. Nothing was changed.</p>" in html
    )
    assert _snapshot(pending_session) == before


# --- then confirming with it --------------------------------------------------------------


def _confirmed_emails(session: MentoringSession) -> list[tuple[str, str]]:
    return list(
        OutboundEmail.objects.filter(session=session, kind=EmailKind.SESSION_CONFIRMED)
        .order_by("to_email")
        .values_list("to_email", "kind")
    )


def test_confirming_with_a_created_link_sends_the_same_emails_as_a_pasted_one(
    jitsi, admin_client, pending_session, mentor, mentee
):
    pasted = SessionFactory(
        mentor=mentor, mentee=mentee, start=pending_session.start.replace(hour=9)
    )
    created = _create(admin_client, pending_session.pk, **JSON).json()["meeting_link"]

    for session, link in ((pending_session, created), (pasted, MEET)):
        response = admin_client.post(
            f"/admin/sessions/{session.pk}/set-status/",
            {"action": "confirmed", "meeting_link": link},
        )
        assert messages_of(response)[0][0] == "success"

    pending_session.refresh_from_db()
    assert (pending_session.status, pending_session.admin_provided_link) == (
        Status.CONFIRMED,
        created,
    )
    assert (
        _confirmed_emails(pending_session)
        == _confirmed_emails(pasted)
        == [
            ("jane@example.com", EmailKind.SESSION_CONFIRMED),
            ("john@example.com", EmailKind.SESSION_CONFIRMED),
        ]
    )
    for email in OutboundEmail.objects.filter(session=pending_session):
        assert created in email.body_text
        assert f'href="{created}"' in email.body_html
        assert "Join Jitsi Meet" in email.body_html


def test_confirm_with_no_link_when_the_provider_fails_reopens_the_dialog(
    use_link_provider, admin_client, pending_session
):
    use_link_provider(BrokenProvider())
    before = _snapshot(pending_session)

    response = admin_client.post(
        f"/admin/sessions/{pending_session.pk}/set-status/",
        {"action": "confirmed", "meeting_link": ""},
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "error",
            "The session was not confirmed: Broken Meet could not create a meeting link "
            "(connection refused); try again or paste a link instead. Nothing was changed.",
        )
    ]
    assert _snapshot(pending_session) == before
    assert _nothing_else_written() == {"events": 0, "emails": 0}


def test_confirm_with_no_link_and_jitsi_configured_stores_a_generated_room(
    jitsi, admin_client, pending_session
):
    admin_client.post(
        f"/admin/sessions/{pending_session.pk}/set-status/",
        {"action": "confirmed", "meeting_link": ""},
    )

    pending_session.refresh_from_db()
    assert pending_session.status == Status.CONFIRMED
    assert pending_session.admin_provided_link == ""
    assert JITSI_ROOM.fullmatch(pending_session.meeting_link)
