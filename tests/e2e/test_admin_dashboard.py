"""The sessions dashboard in a real browser at more than one page of sessions: one shared
dialog per kind serves every row (static/js/site.js fills in the row's session), and
"Next" / "Previous" walk the keyset pages."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from bookings.models import MentoringSession, Status
from tests.e2e.a11y import assert_accessible
from tests.e2e.test_confirm_flow import GOOD, log_in
from tests.factories import MentorFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)


@pytest.fixture
def thirty():
    admin = UserFactory(email="admin@example.com", is_staff=True)
    mentor = MentorFactory(first_name="Jane", last_name="Smith")
    mentee = UserFactory(first_name="John", last_name="Doe")
    sessions = [
        SessionFactory(mentor=mentor, mentee=mentee, start=START + timedelta(hours=n))
        for n in range(30)
    ]
    return admin, sessions


def test_each_row_opens_the_shared_dialog_for_its_own_session(
    page: Page, live_server, thirty, shoot
):
    admin, sessions = thirty
    third = sessions[2]
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/sessions/")
    assert_accessible(page)

    page.locator(f"tr[data-session-id='{third.pk}']").get_by_role(
        "link", name=re.compile("Confirm with Link")
    ).click()
    dialog = page.get_by_role("dialog", name="Provide Google Meet Link")
    expect(dialog).to_contain_text("Jane Smith – John Doe, 2030-01-15 15:00 UTC")
    dialog.get_by_label("Google Meet Link").fill(GOOD)
    assert_accessible(page)
    shoot("20-shared-dialog")
    dialog.get_by_role("button", name="Confirm & Send Link").click()

    expect(page.get_by_text("Session Jane Smith – John Doe confirmed.")).to_be_visible()
    assert_accessible(page)
    statuses = dict(MentoringSession.objects.values_list("pk", "status"))
    assert statuses[third.pk] == Status.CONFIRMED
    assert sorted(pk for pk, status in statuses.items() if status == Status.CONFIRMED) == [third.pk]

    # Pending sessions come first, so it moved to page 2; the confirmed ones offer
    # "Change link", prefilled with the session's own link.
    page.goto(f"{live_server.url}/admin/sessions/?status=confirmed")
    assert_accessible(page)
    page.locator(f"tr[data-session-id='{third.pk}']").get_by_role(
        "link", name="Change link"
    ).click()
    change = page.get_by_role("dialog", name="Change Google Meet Link")
    expect(change.get_by_label("Google Meet Link")).to_have_value(GOOD)
    assert_accessible(page)


def test_next_and_previous_walk_the_pages(page: Page, live_server, thirty, shoot):
    admin, sessions = thirty
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/sessions/")
    rows = page.locator("tr[data-session-id]")
    expect(rows).to_have_count(25)
    expect(page.get_by_text("30 sessions")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Next →").click()
    expect(rows).to_have_count(5)
    assert [int(r.get_attribute("data-session-id")) for r in rows.all()] == [
        s.pk for s in sessions[25:]
    ]
    assert_accessible(page)
    shoot("21-second-page")

    page.get_by_role("link", name="← Previous").click()
    expect(rows).to_have_count(25)
    assert int(rows.first.get_attribute("data-session-id")) == sessions[0].pk
    assert_accessible(page)


def test_a_rows_button_acts_on_its_own_session_and_keeps_the_filters(
    page: Page, live_server, thirty
):
    """Row buttons submit the page's one form (its CSRF token, its filters) to their own
    session's URL: "Mark paid" on the fourth row marks that session paid, nothing else."""
    admin, sessions = thirty
    fourth = sessions[3]
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/sessions/?status=pending")
    assert_accessible(page)

    page.locator(f"tr[data-session-id='{fourth.pk}']").get_by_role(
        "button", name="Mark paid"
    ).click()

    expect(page.get_by_text("Session Jane Smith – John Doe: $")).to_contain_text("marked paid")
    assert page.url == f"{live_server.url}/admin/sessions/?status=pending"
    assert_accessible(page)
    paid = MentoringSession.objects.filter(payment_status="paid").values_list("pk", flat=True)
    assert list(paid) == [fourth.pk]


def test_a_search_matching_over_200_people_asks_for_more_of_the_name(
    page: Page, live_server, thirty, shoot
):
    """201 people named Zed, one of them with a session: no session is listed (the
    sessions of 200 of them would pass for all of them); typing more of the name finds
    the one."""
    from accounts.models import User

    admin, _ = thirty
    zeds = User.objects.bulk_create(
        User(email=f"zed{n:03}@example.com", first_name="Zed", last_name=f"No{n:03}")
        for n in range(201)
    )
    mentor = MentorFactory()
    found = SessionFactory(mentor=mentor, mentee=zeds[150], start=START + timedelta(days=2))
    log_in(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/sessions/")
    assert_accessible(page)

    page.get_by_label("Search").fill("zed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_have_text(
        "More than 200 people match “zed”: too many to list their sessions. "
        "Type more of a name, or an email address."
    )
    expect(page.locator("table.sessions")).to_have_count(0)
    assert_accessible(page)
    shoot("22-search-over-200-people")

    page.get_by_label("Search").fill("zed no150")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tr[data-session-id]")
    expect(rows).to_have_count(1)
    assert int(rows.first.get_attribute("data-session-id")) == found.pk
    expect(page.get_by_text("1 session", exact=True)).to_be_visible()
    assert_accessible(page)
