"""The "Cancel it here" link of a confirmation email, in a real browser: it asks the
mentee to log in, then shows the session and the cancel form (opening it changes
nothing); the form cancels (docs/PRODUCT.md §4.6, §5.1)."""

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from bookings import services
from bookings.models import Status
from notifications.models import EmailKind, OutboundEmail
from tests.e2e.a11y import assert_accessible
from tests.factories import PASSWORD, MentorFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_cancel_link_of_the_confirmation_leads_to_the_cancel_page(
    page: Page, live_server, shoot
):
    admin = UserFactory(email="admin@example.com", is_staff=True)
    mentor = MentorFactory(
        email="jane@example.com", first_name="Jane", last_name="Smith", time_zone="Europe/Berlin"
    )
    mentee = UserFactory(
        email="john@example.com", first_name="John", last_name="Doe", time_zone="America/New_York"
    )
    session = SessionFactory(
        mentor=mentor, mentee=mentee, start=datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
    )
    services.confirm_session(session, link="https://meet.google.com/abc-defg-hij", by=admin)
    email = OutboundEmail.objects.get(kind=EmailKind.SESSION_CONFIRMED, to_email=mentee.email)
    [link] = re.findall(r"^Cannot attend\? Cancel it here: (\S+)$", email.body_text, re.M)
    assert link == f"{settings.SITE_URL}/sessions/{session.pk}/cancel/"

    page.goto(live_server.url + link.removeprefix(settings.SITE_URL))
    assert_accessible(page)
    page.get_by_label("Email").fill(mentee.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Cancel your session with Jane Smith")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("08:00 (America/New_York)")
    expect(page.locator(".cancel-cutoff")).to_have_text(
        "You can cancel until 2030-01-14 08:00 (America/New_York), 24 hours before the start."
    )
    assert_accessible(page)
    shoot("50-cancel-page-from-the-email")
    session.refresh_from_db()
    assert session.status == Status.CONFIRMED  # opening the page changed nothing

    page.get_by_label("Reason for cancelling (your mentor will see it)").fill("Exam moved.")
    page.get_by_role("button", name="Cancel session").click()

    expect(page.locator(".message.success")).to_have_text(
        "Session cancelled. Your mentor has been notified."
    )
    assert_accessible(page)
    session.refresh_from_db()
    assert (session.status, session.cancellation_reason) == (Status.CANCELLED, "Exam moved.")
