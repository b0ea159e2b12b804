"""The home page `/`: what the product does, the top-rated mentors with their next free time,
the way in for mentors (docs/PRODUCT.md §8.4), and the header's compact menu."""

import re
from datetime import UTC, date, datetime, time

import pytest
from django.test import Client

from accounts.models import ApplicationStatus
from tests.availability.factories import AvailabilityExceptionFactory, every_day
from tests.conftest import client_for
from tests.factories import SessionFactory
from tests.helpers import visible_text
from tests.mentors.conftest import card, card_ids, mentor_named, rate

# With 12 hours' notice the first bookable start is 2030-01-01 12:00 UTC.
NOW = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
# selector (mentors with ratings); free times: weekly windows, exceptions, held sessions
HOME_QUERIES = 4
# ... plus the Django session and the user
HOME_QUERIES_LOGGED_IN = HOME_QUERIES + 2


@pytest.fixture
def top(db, clock, booking_rules):
    """Four rated mentors (and two that are never shown): Ada 5.0, Bea 4.5, Cy 4.0, Dee 3.0.
    Ada is free every day 09:00–17:00 UTC but busy on 2030-01-01 12:00–13:00; Bea every day
    10:00–11:00 in Tokyo (01:00 UTC), with 2030-01-02 off; Cy has no hours."""
    clock.set(NOW)
    ada = mentor_named("Ada", "Lovelace", headline="Compiler whisperer", hourly_rate="80.00")
    rate(ada, 5, 5)
    every_day(ada.user, time(9), time(17))
    SessionFactory(mentor=ada.user, start=datetime(2030, 1, 1, 12, tzinfo=UTC))
    bea = mentor_named("Bea", "Tokyo", headline="Rust and Go")
    bea.user.time_zone = "Asia/Tokyo"
    bea.user.save(update_fields=["time_zone"])
    rate(bea, 4, 5)
    every_day(bea.user, time(10), time(11))
    AvailabilityExceptionFactory(mentor=bea.user, date=date(2030, 1, 2))
    cy = mentor_named("Cy", "Idle", headline="Databases")
    rate(cy, 4)
    dee = mentor_named("Dee", "Fourth")
    rate(dee, 3)
    pending = mentor_named("Pat", "Pending", status=ApplicationStatus.PENDING)
    rate(pending, 5, 5, 5)
    gone = mentor_named("Gus", "Gone")
    rate(gone, 5, 5, 5)
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    return ada, bea, cy, dee


def test_home_says_how_booking_confirmation_and_join_work_in_three_steps(db):
    page = Client().get("/").content.decode()

    steps = re.search(r'<ol class="steps">(.*?)</ol>', page, re.S)
    assert steps
    assert [visible_text(step) for step in re.findall(r"<li>(.*?)</li>", steps.group(1), re.S)] == [
        "Pick a mentor and a time Browse mentors by skill and rating, pick one of their free "
        "times (shown in your time zone) and request the session.",
        "We confirm with a meeting link An admin confirms your session and adds a Google Meet "
        "link. You and your mentor get an email with a calendar invitation.",
        "Join from My Sessions At the time of your session, press Join on your My Sessions "
        "page, or use the link in your email or calendar.",
    ]


def test_home_shows_the_three_best_rated_listed_mentors_best_first(top):
    ada, bea, cy, _dee = top

    page = Client().get("/").content.decode()

    assert '<h2 id="top-mentors-title">Top-rated mentors</h2>' in page
    assert card_ids(page) == [ada.user_id, bea.user_id, cy.user_id]
    assert visible_text(card(page, ada.user_id)).startswith(
        "Ada Lovelace Compiler whisperer Python Django $80.00 / hour ★ 5.0 (2 reviews)"
    )


def test_each_mentor_shows_their_next_free_time_in_the_viewers_zone_with_a_booking_link(
    top, mentee
):
    ada, bea, cy, _dee = top

    page = client_for(mentee).get("/").content.decode()

    # Ada's 12:00 UTC is taken: 13:00 UTC is 08:00 in New York. Bea's 2 January is off.
    assert visible_text(card(page, ada.user_id)).endswith(
        "Next free time Tue, Jan 1 · 08:00 (America/New_York)"
    )
    assert (
        f'<a class="slot-link" href="/mentors/{ada.user_id}/book/'
        '?start=2030-01-01T13%3A00%3A00%2B00%3A00">'
        '<time datetime="2030-01-01T13:00:00+00:00">Tue, Jan 1 · 08:00</time></a>'
    ) in page
    assert visible_text(card(page, bea.user_id)).endswith(
        "Next free time Wed, Jan 2 · 20:00 (America/New_York)"
    )
    assert visible_text(card(page, cy.user_id)).endswith("No free times in the coming weeks.")


def test_visitors_see_the_next_free_time_in_the_server_zone_labelled(top):
    ada, *_ = top

    page = Client().get("/").content.decode()

    assert visible_text(card(page, ada.user_id)).endswith("Next free time Tue, Jan 1 · 13:00 (UTC)")


def test_a_mentor_sees_their_own_next_free_time_without_a_booking_link(top):
    ada, *_ = top

    page = client_for(ada.user).get("/").content.decode()

    own = card(page, ada.user_id)
    assert "slot-link" not in own
    assert '<time datetime="2030-01-01T13:00:00+00:00">Tue, Jan 1 · 13:00</time>' in own


def test_with_no_listed_mentors_the_section_is_left_out(db):
    """Rated mentors who are not listed (an application still pending, a deactivated
    account) do not fill the section."""
    pending = mentor_named("Pat", "Pending", status=ApplicationStatus.PENDING)
    rate(pending, 5, 5)
    gone = mentor_named("Gus", "Gone")
    rate(gone, 5, 5)
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])

    page = Client().get("/").content.decode()

    assert "Top-rated mentors" not in page
    assert card_ids(page) == []


@pytest.mark.parametrize("who", ["visitor", "mentee"])
def test_home_invites_people_to_become_a_mentor(who, mentee):
    client = Client() if who == "visitor" else client_for(mentee)

    page = client.get("/").content.decode()

    assert '<a class="button secondary" href="/mentor/apply/">Become a mentor</a>' in page


def test_visitors_are_offered_the_directory_and_sign_up(db):
    page = Client().get("/").content.decode()

    assert '<a class="button" href="/mentors/">Find a mentor</a>' in page
    assert '<a class="button secondary" href="/accounts/signup/">Create a free account</a>' in page


@pytest.mark.parametrize("count", [1, 3, 6])
def test_home_runs_the_same_queries_however_many_mentors(
    count, db, clock, booking_rules, mentee, django_assert_num_queries
):
    clock.set(NOW)
    for n in range(count):
        profile = mentor_named(f"Mentor{n}")
        rate(profile, 1 + n % 5)
        every_day(profile.user, time(9), time(17))
        AvailabilityExceptionFactory(mentor=profile.user, date=date(2030, 1, 3))
        SessionFactory(mentor=profile.user, start=datetime(2030, 1, 1, 12, tzinfo=UTC))
    visitor, member = Client(), client_for(mentee)

    with django_assert_num_queries(HOME_QUERIES):
        page = visitor.get("/").content.decode()
    with django_assert_num_queries(HOME_QUERIES_LOGGED_IN):
        member.get("/")

    assert len(card_ids(page)) == min(count, 3)
    assert page.count('class="slot-link"') == min(count, 3)


# --- the header's compact menu -------------------------------------------------------------


def _menu(page: str) -> str:
    match = re.search(
        r'<details class="nav-menu">\s*<summary>Menu</summary>(.*?)</details>', page, re.S
    )
    assert match, "no compact menu"
    return match.group(1)


def _row(page: str) -> str:
    match = re.search(r'<nav class="nav-row" aria-label="Main">(.*?)</nav>', page, re.S)
    assert match, "no link row"
    return match.group(1)


@pytest.mark.parametrize("who", ["visitor", "mentee", "admin"])
def test_the_compact_menu_holds_the_same_links_as_the_link_row(who, mentee, admin_user):
    client = {"visitor": Client(), "mentee": client_for(mentee), "admin": client_for(admin_user)}
    page = client[who].get("/mentors/").content.decode()

    links = re.findall(r'<a [^>]*href="([^"]+)"', _row(page))
    assert re.findall(r'<a [^>]*href="([^"]+)"', _menu(page)) == links
    expected = {
        "visitor": ["/mentors/", "/accounts/login/", "/accounts/signup/"],
        "mentee": ["/mentors/", "/dashboard/", "/account/"],
        "admin": [
            "/mentors/",
            "/dashboard/",
            "/account/",
            "/admin/sessions/",
            "/admin/mentors/",
            "/admin/emails/",
            "/admin/webhooks/",
        ],
    }
    assert links == expected[who]
