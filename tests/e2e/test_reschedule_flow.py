"""A mentee moves a confirmed session to another of the mentor's free times from "My
Sessions" in a real browser; the mentor then sees the new time on the session page
(docs/PRODUCT.md §2.7)."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from availability.slots import free_slots
from bookings.models import SessionEvent
from bookings.services import book_session, confirm_session
from tests.availability.factories import every_day
from tests.conftest import MEET
from tests.e2e.a11y import assert_accessible
from tests.e2e.test_confirm_flow import log_in
from tests.factories import MentorFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("booking_rules")]

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def confirmed_session():
    """John (New York) has a confirmed session with Jane (Berlin, available all day) about
    three days ahead."""
    mentor = MentorFactory(
        email="jane@example.com", first_name="Jane", last_name="Smith", time_zone="Europe/Berlin"
    )
    every_day(mentor, time(0), time(23, 30))
    mentee = UserFactory(
        email="john@example.com", first_name="John", last_name="Doe", time_zone="America/New_York"
    )
    admin = UserFactory(email="admin@example.com", is_staff=True)
    now = timezone.now()
    start = next(s for s in free_slots(mentor, duration_minutes=60) if s >= now + timedelta(days=3))
    session = book_session(mentor, mentee, start, 60, "Interview practice")
    confirm_session(session, link=MEET, by=admin)
    return mentor, mentee, session


def test_mentee_moves_a_session_from_the_dashboard_and_the_mentor_sees_the_new_time(
    page: Page, live_server, confirmed_session, shoot
):
    mentor, mentee, session = confirmed_session
    old_start = session.start
    new_start = old_start + timedelta(days=1, hours=2)
    log_in(page, live_server.url, mentee.email)

    card = page.locator(f"#upcoming-title ~ article[data-session-id='{session.pk}']")
    card.get_by_role("link", name="Reschedule").click()

    expect(page.get_by_role("heading", name="Move your session with Jane Smith")).to_be_visible()
    old_local = old_start.astimezone(NEW_YORK)
    current = page.locator(f"input[name=start][value='{old_start.isoformat()}']")
    expect(current).to_be_disabled()
    current_label = page.locator("label.slot.current")
    expect(current_label).to_have_text(f"{old_local:%H:%M} America/New_York current time")
    new_local = new_start.astimezone(NEW_YORK)
    day = page.get_by_role("group", name=f"{new_local:%A}, {new_local.day} {new_local:%B %Y}")
    day.get_by_label(f"{new_local:%H:%M} America/New_York", exact=True).check()
    page.get_by_label("Reason for moving (optional)").fill("My interview moved by a day.")
    assert_accessible(page)
    shoot("50-reschedule-page")
    page.get_by_role("button", name="Move session").click()

    expect(page.locator(".message.success")).to_have_text(
        f"Session moved to {new_local:%A}, {new_local.day} {new_local:%B %Y at %H:%M} "
        "(America/New_York)."
    )
    expect(page.get_by_role("heading", name="Session with Jane Smith")).to_be_visible()
    assert_accessible(page)
    shoot("51-session-moved")
    session.refresh_from_db()
    assert session.start == new_start
    assert session.get_meeting_link == MEET  # the same meeting, only later
    event = SessionEvent.objects.get(session=session, action=SessionEvent.Action.RESCHEDULE)
    assert (event.actor, event.note.split(": ", 1)[1]) == (mentee, "My interview moved by a day.")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    assert_accessible(page)
    log_in(page, live_server.url, mentor.email)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    berlin = new_start.astimezone(BERLIN)
    facts = page.locator(".session-detail dl.facts")
    expect(facts).to_contain_text(f"Date{berlin:%Y-%m-%d}")
    expect(facts).to_contain_text(f"Time{berlin:%H:%M} (Europe/Berlin)")
    assert_accessible(page)
