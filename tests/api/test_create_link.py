"""POST /api/v1/sessions/{id}/create-link (docs/PRODUCT.md §11): a new link from the site's
provider for a pending session, to confirm it with; nothing is saved. Who may call it is
in the access matrix (tests/api/test_access.py); here, what it answers."""

import re

import pytest

from bookings.models import MentoringSession, Status
from notifications.models import EmailKind, OutboundEmail
from tests.api.conftest import ApiClient, problem_of, product_state, token_for
from tests.conftest import MEET

JITSI_ROOM = re.compile(r"https://meet\.jit\.si/CodeMentorHub-[a-z2-7]{32}")


@pytest.fixture
def jitsi(settings):
    settings.MEETING_LINK_AUTO_PROVIDER = "jitsi"
    settings.JITSI_BASE_URL = "https://meet.jit.si"


@pytest.fixture
def admin_api(admin_user):
    return ApiClient(token_for(admin_user))


def _create_link(client, session_id: int):
    return client.post(f"/api/v1/sessions/{session_id}/create-link")


def _status_and_detail(response) -> tuple[int, str]:
    return response.status_code, problem_of(response)["detail"]


class DownProvider:
    label = "Down Meet"

    def create_link(self, session) -> str:
        raise TimeoutError("timed out")


def test_admin_gets_a_new_jitsi_link_and_nothing_changes(jitsi, world, admin_api):
    before = product_state()

    response = _create_link(admin_api, world.session.pk)

    assert response.status_code == 200
    assert list(response.json()) == ["meeting_link"]
    assert JITSI_ROOM.fullmatch(response.json()["meeting_link"])
    assert product_state() == before


def test_the_created_link_confirms_the_session_with_the_usual_emails(jitsi, world, admin_api):
    link = _create_link(admin_api, world.session.pk).json()["meeting_link"]

    response = admin_api.post(
        f"/api/v1/sessions/{world.session.pk}/confirm", {"meeting_link": link}
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["meeting_link"]) == ("confirmed", link)
    confirmed = OutboundEmail.objects.filter(
        session=world.session, kind=EmailKind.SESSION_CONFIRMED
    ).exclude(message_id="<security-matrix@example.com>")
    assert sorted(confirmed.values_list("to_email", flat=True)) == [
        "jane@example.com",
        "john@example.com",
    ]
    assert all(link in email.body_text and link in email.body_html for email in confirmed)


def test_a_session_that_is_not_pending_is_409(jitsi, world, admin_api):
    admin_api.post(f"/api/v1/sessions/{world.session.pk}/confirm", {"meeting_link": MEET})
    before = product_state()

    response = _create_link(admin_api, world.session.pk)

    assert _status_and_detail(response) == (
        409,
        "Only a pending session can be given a link to confirm it with; this one is "
        "confirmed. Nothing was changed.",
    )
    assert product_state() == before


def test_no_provider_configured_is_409(settings, world, admin_api):
    settings.MEETING_LINK_AUTO_PROVIDER = ""

    response = _create_link(admin_api, world.session.pk)

    assert _status_and_detail(response) == (
        409,
        "No meeting-link provider is configured on this site; paste a link instead.",
    )


def test_a_failing_provider_is_a_503_problem_and_changes_nothing(
    use_link_provider, world, admin_api
):
    use_link_provider(DownProvider())
    before = product_state()

    response = _create_link(admin_api, world.session.pk)

    assert _status_and_detail(response) == (
        503,
        "Down Meet could not create a meeting link (timed out); try again or paste a link "
        "instead. Nothing was changed.",
    )
    assert product_state() == before
    session = MentoringSession.objects.get(pk=world.session.pk)
    assert (session.status, session.meeting_link, session.admin_provided_link) == (
        Status.PENDING,
        "",
        "",
    )


def test_confirm_without_a_link_when_the_provider_fails_is_503(use_link_provider, world, admin_api):
    use_link_provider(DownProvider())
    before = product_state()

    response = admin_api.post(f"/api/v1/sessions/{world.session.pk}/confirm", {})

    assert response.status_code == 503
    assert product_state() == before


def test_confirm_without_a_link_uses_a_created_jitsi_room(jitsi, world, admin_api):
    response = admin_api.post(f"/api/v1/sessions/{world.session.pk}/confirm", {})

    assert response.status_code == 200
    assert JITSI_ROOM.fullmatch(response.json()["meeting_link"])
    session = MentoringSession.objects.get(pk=world.session.pk)
    assert (session.admin_provided_link, session.meeting_link) == (
        "",
        response.json()["meeting_link"],
    )


def test_the_route_is_in_the_openapi_document_with_its_answers(client, db):
    operation = client.get("/api/v1/openapi.json").json()["paths"][
        "/api/v1/sessions/{id}/create-link"
    ]["post"]

    assert operation["summary"] == "Create a meeting link"
    assert {"200", "403", "404", "409", "503"} <= set(operation["responses"])
