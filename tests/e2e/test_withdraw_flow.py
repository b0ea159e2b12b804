"""A mentee withdraws a request nobody has confirmed yet, inside the cancel cut-off, from
"My Sessions" in a real browser; the session shows as cancelled under Upcoming and its time
is offered again on the booking page (docs/PRODUCT.md §2.4, §4.5, §7.2)."""

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from availability.slots import free_slots
from bookings.models import MentoringSession, Status
from bookings.services import book_session
from notifications.models import EmailKind, OutboundEmail
from tests.availability.factories import every_day
from tests.e2e.a11y import assert_accessible
from tests.e2e.test_confirm_flow import log_in
from tests.factories import MentorFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("booking_rules")]


@pytest.fixture
def request_inside_the_cutoff():
    """John's pending request with Jane (available all day), about 13 hours ahead: bookable
    (12 hours' notice), but inside the 24-hour cancel cut-off."""
    mentor = MentorFactory(
        email="jane@example.com", first_name="Jane", last_name="Smith", time_zone="UTC"
    )
    every_day(mentor, time(0), time(23, 30))
    mentee = UserFactory(
        email="john@example.com", first_name="John", last_name="Doe", time_zone="America/New_York"
    )
    UserFactory(email="admin@example.com", is_staff=True)
    now = timezone.now()
    start = next(
        slot
        for slot in free_slots(mentor, duration_minutes=60)
        if slot >= now + timedelta(hours=13)
    )
    assert start < now + timedelta(hours=24)
    session = book_session(mentor, mentee, start, 60, "Interview practice")
    assert start not in free_slots(mentor, duration_minutes=60)
    return mentor, mentee, session


def test_mentee_withdraws_a_pending_request_inside_the_cutoff_and_the_time_is_free_again(
    page: Page, live_server, request_inside_the_cutoff, shoot
):
    mentor, mentee, session = request_inside_the_cutoff
    log_in(page, live_server.url, mentee.email)

    card = page.locator(f"#upcoming-title ~ article[data-session-id='{session.pk}']")
    expect(card.locator(".badge")).to_have_text("PENDING")
    expect(card).to_contain_text(
        "You can withdraw this request until it starts. Once it is confirmed, it can no "
        "longer be cancelled here."
    )
    card.get_by_text("Withdraw request", exact=True).first.click()  # the <summary>
    card.get_by_label("Reason for withdrawing (Jane Smith will see it)").fill(
        "My interview moved to next week."
    )
    assert_accessible(page)
    shoot("40-withdraw-pending-request")
    card.get_by_role("button", name="Withdraw request").click()

    expect(page.locator(".message.success")).to_have_text(
        "Request withdrawn. Your mentor has been notified."
    )
    card = page.locator(f"#upcoming-title ~ article[data-session-id='{session.pk}']")
    expect(card.locator(".badge")).to_have_text("CANCELLED")
    expect(card.locator(".cancel-reason")).to_have_text(
        "Cancelled: My interview moved to next week."
    )
    expect(card.get_by_role("button", name="Withdraw request")).to_have_count(0)
    assert_accessible(page)
    shoot("41-withdrawn-request-on-dashboard")
    session.refresh_from_db()
    assert (session.status, session.cancelled_by, session.cancellation_reason) == (
        Status.CANCELLED,
        mentee,
        "My interview moved to next week.",
    )
    assert sorted(
        OutboundEmail.objects.filter(kind=EmailKind.SESSION_CANCELLED).values_list("to_email")
    ) == [("jane@example.com",), ("john@example.com",)]

    # The time is offered again, and choosing it states the cut-off before booking.
    page.goto(f"{live_server.url}/mentors/{mentor.pk}/book/?duration_minutes=60")
    slot = page.locator(f"input[name=start][value='{session.start.isoformat()}']")
    expect(slot).to_have_count(1)
    note = page.locator("[data-cutoff-note]")
    expect(note).to_have_text("")
    slot.check()
    expect(note).to_have_text(
        "This time starts within 24 hours: once confirmed, it can no longer be cancelled "
        "here. Until it is confirmed, you can withdraw the request."
    )
    assert_accessible(page)
    shoot("42-time-offered-again-with-the-cutoff")

    # The freed time can be requested again: the withdrawn request stays, cancelled.
    page.get_by_role("button", name="Request booking").click()
    expect(page.get_by_role("heading", name="My Sessions")).to_be_visible()
    assert_accessible(page)
    assert sorted(
        MentoringSession.objects.filter(mentor=mentor, start=session.start).values_list(
            "mentee", "status"
        )
    ) == sorted([(mentee.pk, Status.CANCELLED), (mentee.pk, Status.PENDING)])
