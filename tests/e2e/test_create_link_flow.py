"""Create link in a real browser (docs/PRODUCT.md §3.4): with Jitsi configured, the admin
fills the confirm dialog's field with one click and confirms with that room; with and
without JavaScript."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from bookings.models import MentoringSession, Status
from tests.e2e.a11y import assert_accessible, watch
from tests.e2e.test_confirm_flow import log_in
from tests.factories import MentorFactory, SessionFactory, UserFactory

JITSI_ROOM = re.compile(r"^https://meet\.jit\.si/CodeMentorHub-[a-z2-7]{32}$")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pending(settings):
    settings.MEETING_LINK_AUTO_PROVIDER = "jitsi"
    settings.JITSI_BASE_URL = "https://meet.jit.si"
    admin = UserFactory(
        email="admin@example.com", first_name="Alex", last_name="Admin", is_staff=True
    )
    mentor = MentorFactory(email="mentor@example.com", first_name="Jane", last_name="Smith")
    mentee = UserFactory(email="mentee@example.com", first_name="John", last_name="Doe")
    session = SessionFactory(
        mentor=mentor, mentee=mentee, start=datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
    )
    return admin, session


def _stored(session: MentoringSession) -> tuple[str, str]:
    session.refresh_from_db()
    return session.status, session.admin_provided_link


def test_admin_creates_a_jitsi_link_and_confirms_with_it(page: Page, live_server, pending, shoot):
    admin, session = pending
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/sessions/")
    row = page.locator(f"tr[data-session-id='{session.pk}']")
    assert_accessible(page)

    row.get_by_role("link", name=re.compile("Confirm with Link")).click()
    dialog = page.get_by_role("dialog", name="Provide Google Meet Link")
    field = dialog.get_by_label("Google Meet Link")
    dialog.get_by_role("button", name="Create link").click()

    expect(field).to_have_value(JITSI_ROOM)
    expect(dialog.get_by_role("status")).to_have_text(
        "A new link is in the field. Confirm & Send Link to send it."
    )
    assert_accessible(page)
    shoot("60-created-link-in-the-dialog")
    link = field.input_value()
    assert _stored(session) == (Status.PENDING, "")  # creating saved nothing

    dialog.get_by_role("button", name="Confirm & Send Link").click()

    expect(page.locator(".message.success")).to_contain_text(
        "Session Jane Smith – John Doe confirmed"
    )
    expect(row.get_by_role("link", name=link)).to_have_attribute("href", link)
    assert_accessible(page)
    assert _stored(session) == (Status.CONFIRMED, link)


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_create_link_works_without_javascript(page: Page, live_server, pending):
    admin, session = pending
    watch(page, javascript=False)
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/sessions/?status=pending")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Confirm with Link")).click()
    expect(page.get_by_role("dialog", name="Provide Google Meet Link")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("dialog", name="Provide Google Meet Link").get_by_role(
        "button", name="Create link"
    ).click()

    expect(page).to_have_url(f"{live_server.url}/admin/sessions/?status=pending")
    dialog = page.get_by_role("dialog", name="Provide Google Meet Link")
    field = dialog.get_by_label("Google Meet Link")
    expect(field).to_have_value(JITSI_ROOM)
    # Said by the server (the page was reloaded), not by the script.
    expect(dialog.get_by_role("status")).to_have_text(
        "A new Jitsi Meet link is in the field. Confirm & Send Link to send it."
    )
    assert_accessible(page)
    link = field.input_value()
    assert _stored(session) == (Status.PENDING, "")

    dialog.get_by_role("button", name="Confirm & Send Link").click()

    expect(page.locator(".message.success")).to_contain_text("confirmed")
    assert_accessible(page)
    assert _stored(session) == (Status.CONFIRMED, link)
