"""The seed flow in a real browser: the admin confirms with a Meet link, the worker emails
both people, and the mentee's dashboard shows the Join button."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from bookings.models import MentoringSession, Status
from notifications.models import EmailState, OutboundEmail
from tests.e2e.a11y import assert_accessible, unchecked_pages, watch
from tests.e2e.conftest import eventually
from tests.factories import PASSWORD, MentorFactory, SessionFactory, UserFactory

GOOD = "https://meet.google.com/abc-defg-hij"
LOOKALIKE = "https://meet.google.com.evil.test/abc-defg-hij"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    admin = UserFactory(
        email="admin@example.com", first_name="Alex", last_name="Admin", is_staff=True
    )
    mentor = MentorFactory(
        email="mentor@example.com", first_name="Jane", last_name="Smith", time_zone="Europe/Berlin"
    )
    mentee = UserFactory(
        email="mentee@example.com", first_name="John", last_name="Doe", time_zone="America/New_York"
    )
    session = SessionFactory(
        mentor=mentor, mentee=mentee, start=datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
    )
    return admin, mentor, mentee, session


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My Sessions")).to_be_visible()
    assert_accessible(page)


def test_admin_confirms_with_link_and_mentee_sees_join_button(
    page: Page, live_server, people, worker, inbox, shoot
):
    admin, mentor, mentee, session = people
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/sessions/")
    row = page.locator(f"tr[data-session-id='{session.pk}']")
    expect(row.locator(".badge")).to_have_text("PENDING")
    assert_accessible(page)

    row.get_by_role("link", name=re.compile("Confirm with Link")).click()
    dialog = page.get_by_role("dialog", name="Provide Google Meet Link")
    expect(dialog).to_be_visible()
    assert_accessible(page)
    shoot("01-confirm-dialog")

    dialog.get_by_label("Google Meet Link").fill(LOOKALIKE)
    dialog.get_by_role("button", name="Confirm & Send Link").click()
    dialog = page.get_by_role("dialog", name="Provide Google Meet Link")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("alert")).to_contain_text("Only Google Meet links are accepted")
    expect(dialog.get_by_label("Google Meet Link")).to_have_value(LOOKALIKE)
    assert_accessible(page)
    shoot("02-refused-link")
    session.refresh_from_db()
    assert session.status == Status.PENDING
    assert session.admin_provided_link == ""

    dialog.get_by_label("Google Meet Link").fill(f"  {GOOD}/  ")
    dialog.get_by_role("button", name="Confirm & Send Link").click()
    expect(page).to_have_url(f"{live_server.url}/admin/sessions/")
    expect(page.locator(".message.success")).to_contain_text(
        "Session Jane Smith – John Doe confirmed"
    )
    expect(row.locator(".badge")).to_have_text("CONFIRMED")
    expect(row.get_by_role("link", name=GOOD)).to_have_attribute("href", GOOD)
    assert_accessible(page)
    shoot("03-confirmed")

    messages = [item.message for item in inbox.wait_received(2)]
    assert sorted(m["To"] for m in messages) == ["mentee@example.com", "mentor@example.com"]
    assert all(GOOD in m.get_body(("plain",)).get_content() for m in messages)
    assert eventually(
        lambda: set(OutboundEmail.objects.values_list("state", flat=True)) == {EmailState.SENT}
    )

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    assert_accessible(page)
    log_in(page, live_server.url, mentee.email)
    card = page.locator(f"article[data-session-id='{session.pk}']")
    expect(card).to_contain_text("Meeting Link Available")
    join = card.get_by_role("link", name="Join Google Meet")
    expect(join).to_have_attribute("href", GOOD)
    expect(card).to_contain_text(GOOD)
    expect(card).to_contain_text("08:00")
    expect(card).to_contain_text("America/New_York")
    shoot("04-mentee-dashboard")


def test_confirm_dialog_works_without_javascript(browser, live_server, people):
    admin, mentor, mentee, session = people
    context = browser.new_context(java_script_enabled=False)
    page = watch(context.new_page(), javascript=False)
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/sessions/?status=pending")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Confirm with Link")).click()
    dialog = page.get_by_role("dialog", name="Provide Google Meet Link")
    expect(dialog).to_be_visible()
    assert_accessible(page)
    dialog.get_by_label("Google Meet Link").fill(GOOD)
    dialog.get_by_role("button", name="Confirm & Send Link").click()

    expect(page).to_have_url(f"{live_server.url}/admin/sessions/?status=pending")
    expect(page.locator(".message.success")).to_contain_text("confirmed")
    assert_accessible(page)
    assert MentoringSession.objects.get(pk=session.pk).admin_provided_link == GOOD
    assert unchecked_pages(page) == []
    context.close()
