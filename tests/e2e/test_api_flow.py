"""A mentee makes an API token on the tokens page, copies it once, uses it, and revokes it;
the API's documentation page renders Swagger UI under the site's Content-Security-Policy
(no inline script)."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import ApiToken
from tests.e2e.a11y import assert_accessible
from tests.e2e.test_confirm_flow import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mentee_makes_uses_and_revokes_an_api_token(page: Page, live_server, shoot):
    UserFactory(email="john@example.com", first_name="John", last_name="Doe")
    log_in(page, live_server.url, "john@example.com")
    page.goto(f"{live_server.url}/account/")
    assert_accessible(page)
    page.get_by_role("link", name="Manage your API tokens").click()

    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Token name").fill("Slack bot")
    page.get_by_role("button", name="Create token").click()

    shown = page.get_by_test_id("new-token")
    expect(shown).to_be_visible()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    assert_accessible(page)
    shoot("40-api-token-created")
    raw = shown.inner_text()
    api = page.request
    headers = {"Authorization": f"Bearer {raw}"}
    assert api.get(f"{live_server.url}/api/v1/sessions/", headers=headers).status == 200

    page.goto(f"{live_server.url}/account/api-tokens/")
    assert raw not in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke").click()

    expect(page.get_by_text("The token “Slack bot” was revoked")).to_be_visible()
    assert_accessible(page)
    shoot("41-api-token-revoked")
    assert ApiToken.objects.get().revoked_at is not None
    assert api.get(f"{live_server.url}/api/v1/sessions/", headers=headers).status == 401


def test_the_api_docs_render_without_inline_scripts(page: Page, live_server, shoot):
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security" in message.text else None
        ),
    )

    page.goto(f"{live_server.url}/api/v1/docs")

    expect(page.get_by_role("heading", name="CodeMentorHub API")).to_be_visible()
    expect(page.get_by_text("/api/v1/sessions/{id}/confirm")).to_be_visible()
    shoot("42-api-docs")
    assert refused == []
    assert_accessible(page)
