"""A new user signs up, finds a mentor, books a free slot, and sees it pending."""

from datetime import UTC, datetime, time

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from bookings.models import MentoringSession, Status
from notifications.models import EmailKind, OutboundEmail
from tests.availability.factories import every_day
from tests.e2e.a11y import assert_accessible
from tests.factories import MentorFactory, SessionFactory, UserFactory, review

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def mentor():
    jane = MentorFactory(
        email="jane@example.com", first_name="Jane", last_name="Smith", time_zone="Europe/Berlin"
    )
    jane.mentor_profile.headline = "Senior Django engineer"
    jane.mentor_profile.skills = "Python, Django"
    jane.mentor_profile.save()
    every_day(jane, time(9, 0), time(17, 0))
    for day in range(1, 12):  # eleven written reviews: two pages of them on her profile
        session = SessionFactory(
            mentor=jane, start=datetime(2025, 1, day, 10, tzinfo=UTC), status=Status.COMPLETED
        )
        review(session, 5, f"Helpful session {day}.")
    MentorFactory(first_name="Rob", last_name="Rust", profile__skills="Rust")
    UserFactory(email="admin@example.com", is_staff=True)
    return jane


def test_new_user_signs_up_finds_a_mentor_and_books_a_free_slot(
    page: Page, live_server, mentor, shoot, settings
):
    settings.PAYMENT_PROVIDER = "offline"
    settings.PAYMENT_INSTRUCTIONS = "Transfer the amount to IBAN DE00 1234.\nQuote your name."
    page.goto(f"{live_server.url}/accounts/signup/")
    assert_accessible(page)
    page.get_by_label("First name").fill("Priya")
    page.get_by_label("Last name").fill("Patel")
    page.get_by_label("Email address").fill("Priya@Example.com")
    page.get_by_label("Time zone").select_option("Asia/Kolkata")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="My Sessions")).to_be_visible()
    assert_accessible(page)
    priya = User.objects.get(email="priya@example.com")
    assert priya.time_zone == "Asia/Kolkata"

    page.get_by_role("link", name="Find a mentor").first.click()
    expect(page.locator(".mentor-name")).to_have_count(2)
    assert_accessible(page)
    page.get_by_label("Search").fill("Django")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".mentor-name")).to_have_count(1)
    assert_accessible(page)
    shoot("10-directory-search")
    page.get_by_role("link", name="Jane Smith").click()
    expect(page.get_by_role("heading", name="Jane Smith")).to_be_visible()
    expect(page.locator(".review")).to_have_count(10)
    expect(page.locator(".review").first).to_contain_text("Helpful session 11.")
    assert_accessible(page)
    shoot("11-mentor-profile")

    page.get_by_role("link", name="Book a session").click()
    expect(page.get_by_text("shown in your time zone: Asia/Kolkata")).to_be_visible()
    assert_accessible(page)
    first_slot = page.locator("input[name=start]").first
    chosen = first_slot.get_attribute("value")
    first_slot.check()
    page.get_by_role("textbox", name="Notes for your mentor").fill(
        "Help me structure a Django project."
    )
    assert_accessible(page)
    shoot("12-booking-form")
    page.get_by_role("button", name="Request booking").click()

    expect(page.get_by_role("heading", name="My Sessions")).to_be_visible()
    card = page.locator("article.session-card").first
    expect(card).to_contain_text("Jane Smith")
    expect(card.locator(".badge")).to_have_text("PENDING")
    expect(card).to_contain_text("Awaiting confirmation")
    expect(card).to_contain_text("Asia/Kolkata")
    assert_accessible(page)
    shoot("13-pending-on-dashboard")
    card.get_by_text("How to pay").click()
    expect(card.get_by_text("Transfer the amount to IBAN DE00 1234.")).to_be_visible()
    assert_accessible(page)

    session = MentoringSession.objects.get(mentee=priya)
    assert (session.mentor, session.status, session.notes) == (
        mentor,
        Status.PENDING,
        "Help me structure a Django project.",
    )
    assert session.start == datetime.fromisoformat(chosen)
    assert sorted(OutboundEmail.objects.values_list("kind", "to_email")) == [
        (EmailKind.BOOKING_RECEIVED, "priya@example.com"),
        (EmailKind.NEEDS_CONFIRMATION, "admin@example.com"),
        (EmailKind.SESSION_REQUESTED, mentor.email),
    ]
