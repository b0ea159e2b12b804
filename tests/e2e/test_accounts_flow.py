"""A visitor picks a time on a mentor's profile, signs up with the browser's time zone
preselected and lands back on that time; the main pages on a 390 px wide phone, with the
header's compact menu."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from bookings.models import MentoringSession, Status
from tests.availability.factories import every_day
from tests.e2e.a11y import assert_accessible, watch
from tests.e2e.test_confirm_flow import log_in
from tests.factories import MentorFactory, SessionFactory, UserFactory, review

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def mentor():
    jane = MentorFactory(
        email="jane@example.com", first_name="Jane", last_name="Smith", time_zone="Europe/Berlin"
    )
    jane.mentor_profile.headline = "Senior Django engineer"
    jane.mentor_profile.save()
    every_day(jane, time(9, 0), time(17, 0))
    UserFactory(email="admin@example.com", is_staff=True)
    return jane


def _sign_up(page: Page, email: str) -> None:
    page.get_by_label("First name").fill("Kenji")
    page.get_by_label("Last name").fill("Sato")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign up").click()


@pytest.mark.browser_context_args(timezone_id="Asia/Tokyo")
def test_a_visitor_signs_up_in_their_browsers_zone_and_keeps_the_time_they_picked(
    page: Page, live_server, mentor, shoot
):
    page.goto(f"{live_server.url}/mentors/{mentor.pk}/")
    assert_accessible(page)
    first_time = page.locator("a.slot-link").first
    chosen = first_time.locator("time").get_attribute("datetime")
    first_time.click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="Sign up").click()

    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    assert_accessible(page)
    _sign_up(page, "Kenji@Example.com")

    expect(page).to_have_url(re.compile(rf"/mentors/{mentor.pk}/book/\?start="))
    expect(page.get_by_text("shown in your time zone: Asia/Tokyo")).to_be_visible()
    expect(page.locator(f"input[name=start][value='{chosen}']")).to_be_checked()
    assert_accessible(page)
    shoot("29-back-on-the-chosen-time")
    page.get_by_role("button", name="Request booking").click()

    expect(page.get_by_role("heading", name="My Sessions")).to_be_visible()
    assert_accessible(page)
    kenji = User.objects.get(email="kenji@example.com")
    assert kenji.time_zone == "Asia/Tokyo"
    session = MentoringSession.objects.get(mentee=kenji)
    assert (session.mentor, session.status, session.start) == (
        mentor,
        Status.PENDING,
        datetime.fromisoformat(chosen),
    )


def test_a_zone_the_list_lacks_leaves_utc_selected(page: Page, live_server, db):
    # What a browser with a zone name the server does not know would report.
    page.add_init_script(
        "Intl.DateTimeFormat.prototype.resolvedOptions = function () {"
        " return {timeZone: 'Mars/Olympus_Mons'}; };"
    )
    page.goto(f"{live_server.url}/accounts/signup/")

    expect(page.get_by_label("Time zone")).to_have_value("UTC")
    assert_accessible(page)
    _sign_up(page, "kenji@example.com")
    expect(page.get_by_role("heading", name="My Sessions")).to_be_visible()
    assert_accessible(page)
    assert User.objects.get(email="kenji@example.com").time_zone == "UTC"


# --- a 390 px wide phone ----------------------------------------------------------------


@pytest.fixture
def phone_world(mentor):
    """Jane is rated and has a mentee, John, with a pending and a confirmed session."""
    john = UserFactory(
        email="john@example.com", first_name="John", last_name="Doe", time_zone="America/New_York"
    )
    soon = (timezone.now() + timedelta(days=3)).replace(hour=13, minute=0, second=0, microsecond=0)
    SessionFactory(mentor=mentor, mentee=john, start=soon)
    SessionFactory(
        mentor=mentor,
        mentee=john,
        start=soon + timedelta(days=1),
        status=Status.CONFIRMED,
        admin_provided_link="https://meet.google.com/abc-defg-hij",
    )
    done = SessionFactory(
        mentor=mentor,
        mentee=john,
        start=datetime(2025, 1, 6, 13, tzinfo=UTC),
        status=Status.COMPLETED,
    )
    review(done, 5, "Great")
    MentorFactory(first_name="Rob", last_name="Rust", profile__headline="Rust for web services")
    return john


def _open_menu_and_follow(page: Page, link: str, while_open=None) -> None:
    """At phone width the link row is hidden: open "Menu" (then `while_open()`, e.g. a
    screenshot) and follow one of its links."""
    expect(page.locator("nav.nav-row")).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_be_visible()
    if while_open:
        assert_accessible(page)
        while_open()
    menu.get_by_role("link", name=link).click()


@pytest.mark.browser_context_args(viewport=PHONE)
def test_the_main_pages_at_phone_width(page: Page, live_server, phone_world, mentor, shoot):
    base = live_server.url
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Top-rated mentors")).to_be_visible()
    assert_accessible(page)
    shoot("30-phone-home")
    _open_menu_and_follow(page, "Log in", while_open=lambda: shoot("31-phone-menu-open"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert_accessible(page)
    shoot("32-phone-login")
    page.get_by_role("main").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    assert_accessible(page)
    shoot("33-phone-signup")

    log_in(page, base, phone_world.email)
    expect(page.get_by_role("link", name="Join Google Meet")).to_be_visible()
    shoot("34-phone-dashboard")

    _open_menu_and_follow(
        page, "Find a mentor", while_open=lambda: shoot("35-phone-menu-logged-in")
    )
    expect(page.locator(".mentor-name")).to_have_count(2)
    assert_accessible(page)
    shoot("36-phone-directory")
    page.get_by_role("link", name="Jane Smith").click()
    expect(page.get_by_role("heading", name="Jane Smith")).to_be_visible()
    assert_accessible(page)
    shoot("37-phone-mentor-profile")
    page.get_by_role("link", name="Book a session").click()
    expect(page.get_by_role("button", name="Request booking")).to_be_visible()
    assert_accessible(page)
    shoot("38-phone-booking")

    _open_menu_and_follow(page, "Account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert_accessible(page)
    shoot("39-phone-account")
    page.get_by_label("Time zone").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_have_text("Your account has been saved.")
    assert_accessible(page)
    assert User.objects.get(email="john@example.com").time_zone == "Asia/Kolkata"


@pytest.mark.browser_context_args(viewport=PHONE, java_script_enabled=False)
def test_the_compact_menu_works_without_javascript(page: Page, live_server, mentor):
    watch(page, javascript=False)
    page.goto(f"{live_server.url}/")
    assert_accessible(page)

    _open_menu_and_follow(page, "Find a mentor")

    expect(page.get_by_role("heading", name="Find a mentor")).to_be_visible()
    assert_accessible(page)
