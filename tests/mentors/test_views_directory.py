"""/mentors/ (the directory) and /mentors/<id>/ (a mentor's profile), open to everyone."""

import re
from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import ApplicationStatus, MentorProfile
from tests.availability.factories import WeeklyAvailabilityFactory
from tests.conftest import client_for
from tests.factories import SessionFactory, UserFactory
from tests.helpers import visible_text
from tests.mentors.conftest import card, card_ids, mentor_named, rate

# --- the directory -------------------------------------------------------------------------


def test_everyone_may_see_the_directory(db, mentee):
    for client in (Client(), client_for(mentee)):
        assert client.get("/mentors/").status_code == 200


def test_only_approved_active_mentors_are_listed(db):
    listed = mentor_named("Listed")
    mentor_named("Pending", status=ApplicationStatus.PENDING)
    mentor_named("Rejected", status=ApplicationStatus.REJECTED)
    inactive = mentor_named("Inactive")
    inactive.user.is_active = False
    inactive.user.save()

    page = Client().get("/mentors/").content.decode()

    assert card_ids(page) == [listed.user_id]


def test_a_card_shows_name_headline_skills_rate_and_rating(db):
    profile = mentor_named(
        "Grace",
        "Hopper",
        headline="Compiler pioneer",
        skills="COBOL, Compilers",
        hourly_rate=Decimal("95.50"),
    )
    rate(profile, 5, 4, 4)

    page = Client().get("/mentors/").content.decode()

    assert visible_text(card(page, profile.user_id)) == (
        "Grace Hopper Compiler pioneer COBOL Compilers $95.50 / hour ★ 4.3 (3 reviews)"
    )
    assert f'href="/mentors/{profile.user_id}/"' in page


def test_a_mentor_without_ratings_says_so(db):
    profile = mentor_named("New")

    page = Client().get("/mentors/").content.decode()

    assert visible_text(card(page, profile.user_id)).endswith("$60.00 / hour No reviews yet")


def test_order_is_best_rated_then_more_ratings_then_name_then_id(db):
    unrated_b = mentor_named("Bea", "Brown")
    unrated_a = mentor_named("Al", "Adams")
    twin_1 = mentor_named("Al", "Adams")
    five_once = mentor_named("Five", "Once")
    rate(five_once, 5)
    five_twice = mentor_named("Five", "Twice")
    rate(five_twice, 5, 5)
    three = mentor_named("Three", "Stars")
    rate(three, 3)

    page = Client().get("/mentors/").content.decode()

    assert card_ids(page) == [
        five_twice.user_id,
        five_once.user_id,
        three.user_id,
        unrated_a.user_id,
        twin_1.user_id,  # same name: the older profile (lower id) first
        unrated_b.user_id,
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("grace", ["grace"]),
        ("HOPPER", ["grace"]),
        ("Grace Hopper", ["grace"]),
        ("compiler", ["grace"]),  # headline
        ("kubernetes", ["linus"]),  # skill
        ("python", ["grace", "linus"]),  # skill of both
        ("nobody", []),
        ("100%", []),  # LIKE wildcards are literal
    ],
)
def test_search_matches_name_headline_and_skill(db, q, expected):
    people = {
        "grace": mentor_named(
            "Grace", "Hopper", headline="Compiler pioneer", skills="COBOL, Python"
        ),
        "linus": mentor_named(
            "Linus", "Torvalds", headline="Kernel hacker", skills="Kubernetes, Python"
        ),
    }

    page = Client().get("/mentors/", {"q": q}).content.decode()

    assert sorted(card_ids(page)) == sorted(people[name].user_id for name in expected)


def test_a_search_over_100_characters_is_ignored_with_a_message(db):
    profile = mentor_named("Grace")

    response = Client().get("/mentors/", {"q": "x" * 101})

    page = response.content.decode()
    assert card_ids(page) == [profile.user_id]
    assert "Search for at most 100 characters; the search was ignored." in page


def test_the_skill_filter_matches_whole_skills_ignoring_case(db):
    go = mentor_named("Gopher", skills="Go, SQL")
    django = mentor_named("Djangonaut", skills="Django, Python")
    mentor_named("Pending", skills="Go", status=ApplicationStatus.PENDING)

    assert card_ids(Client().get("/mentors/", {"skill": "go"}).content.decode()) == [go.user_id]
    assert card_ids(Client().get("/mentors/", {"skill": "Django"}).content.decode()) == [
        django.user_id
    ]
    assert card_ids(Client().get("/mentors/", {"skill": "Djan"}).content.decode()) == []


def test_the_skill_filter_offers_listed_mentors_skills(db):
    mentor_named("A", skills="Python, Go")
    mentor_named("B", skills="python, Rust")
    mentor_named("Hidden", skills="Secret", status=ApplicationStatus.PENDING)

    page = Client().get("/mentors/", {"skill": "Go"}).content.decode()

    options = re.findall(r'<option value="([^"]*)"( selected)?>', page)
    assert options == [("", ""), ("Go", " selected"), ("Python", ""), ("Rust", "")]


def test_search_and_skill_combine(db):
    both = mentor_named("Ada", skills="Python")
    mentor_named("Ada", skills="Go")
    mentor_named("Bob", skills="Python")

    page = Client().get("/mentors/", {"q": "ada", "skill": "python"}).content.decode()

    assert card_ids(page) == [both.user_id]
    assert "1 mentor matches “ada” and the skill “python”" in page


def test_pagination_shows_12_per_page_and_keeps_the_filters(db):
    profiles = [mentor_named(f"M{n:02d}", "Python", skills="Python") for n in range(13)]
    ids = [p.user_id for p in profiles]  # same ratings (none): by last name, first name

    first = Client().get("/mentors/", {"skill": "Python"}).content.decode()
    second = Client().get("/mentors/", {"skill": "Python", "page": "2"}).content.decode()

    assert card_ids(first) == ids[:12]
    assert card_ids(second) == ids[12:]
    assert 'href="?skill=Python&amp;page=2" rel="next"' in first
    assert "Page 2 of 2" in second


def test_a_bad_page_number_shows_a_valid_page(db):
    profile = mentor_named("Only")

    for page in ("0", "abc", "99", "²"):
        response = Client().get("/mentors/", {"page": page})
        assert response.status_code == 200
        assert card_ids(response.content.decode()) == [profile.user_id]


def test_names_and_headlines_are_escaped(db):
    mentor_named("<script>alert(1)</script>", headline="<img src=x onerror=alert(1)>")

    page = Client().get("/mentors/").content.decode()

    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- a mentor's profile --------------------------------------------------------------------


@pytest.fixture
def grace(db):
    """An approved mentor (in UTC) with two ratings and no weekly hours: no free times."""
    UserFactory()  # so that user ids and profile ids differ
    profile = mentor_named(
        "Grace",
        "Hopper",
        headline="Compiler pioneer",
        skills="COBOL, Compilers",
        hourly_rate=Decimal("95.50"),
        bio="Invented the first compiler.\n\nAsk me anything.",
        linkedin_url="https://www.linkedin.com/in/grace-hopper",
        github_url="https://github.com/grace",
        default_session_minutes=45,
    )
    rate(profile, 5, 4)
    return profile


def test_everyone_may_see_an_approved_mentors_profile(grace, mentee, admin_user):
    for client in (Client(), client_for(mentee), client_for(admin_user), client_for(grace.user)):
        response = client.get(f"/mentors/{grace.user_id}/")

        assert response.status_code == 200
        assert response.context["mentor"] == grace
        assert "<h1>Grace Hopper</h1>" in response.content.decode()


def test_the_profile_is_found_by_the_mentors_user_id(grace):
    assert grace.pk != grace.user_id

    assert Client().get(f"/mentors/{grace.user_id}/").context["mentor"] == grace


def test_the_profile_shows_rate_skills_bio_and_rating(grace):
    page = Client().get(f"/mentors/{grace.user_id}/").content.decode()

    text = visible_text(page)
    assert "<h1>Grace Hopper</h1>" in page
    assert "Compiler pioneer" in text
    assert "Hourly rate $95.50 per hour" in text
    assert "Default session 45 minutes" in text
    assert '<li class="skill">COBOL</li><li class="skill">Compilers</li>' in page
    assert "<p>Invented the first compiler.</p>\n\n<p>Ask me anything.</p>" in page
    assert "★ 4.5 (2 reviews)" in text


def test_profile_links_open_safely(grace):
    page = Client().get(f"/mentors/{grace.user_id}/").content.decode()

    assert (
        '<a href="https://www.linkedin.com/in/grace-hopper" target="_blank" '
        'rel="noopener noreferrer">LinkedIn</a>'
    ) in page
    assert (
        '<a href="https://github.com/grace" target="_blank" rel="noopener noreferrer">GitHub</a>'
    ) in page


@pytest.mark.parametrize(
    "stored",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,x",
        "http://github.com/grace",
        "https://github.com.evil.test/grace",
        "https://github.com@evil.test/grace",
        "https://github.com/grace\n<script>",
    ],
)
def test_a_bad_stored_link_is_never_rendered(grace, stored):
    MentorProfile.objects.filter(pk=grace.pk).update(github_url=stored, linkedin_url=stored)

    page = Client().get(f"/mentors/{grace.user_id}/").content.decode()

    assert "GitHub</a>" not in page
    assert "LinkedIn</a>" not in page
    assert "javascript:" not in page.lower()
    assert "evil.test" not in page


@pytest.mark.parametrize("status", [ApplicationStatus.PENDING, ApplicationStatus.REJECTED])
def test_an_unapproved_mentors_profile_is_404_for_everyone(grace, admin_user, status):
    MentorProfile.objects.filter(pk=grace.pk).update(status=status)

    for client in (Client(), client_for(admin_user), client_for(grace.user)):
        response = client.get(f"/mentors/{grace.user_id}/")

        assert response.status_code == 404
        # Nothing of the profile (Grace's own page names her in its menu).
        assert "Compiler pioneer" not in response.content.decode()


def test_an_unknown_id_or_a_user_without_profile_is_404(grace, mentee):
    assert Client().get("/mentors/999999/").status_code == 404
    assert Client().get(f"/mentors/{mentee.pk}/").status_code == 404
    assert Client().get(f"/mentors/{grace.pk + 1000}/").status_code == 404


def test_the_profile_links_to_booking(grace, mentee):
    page = client_for(mentee).get(f"/mentors/{grace.user_id}/").content.decode()

    assert f'<a class="button book-button" href="/mentors/{grace.user_id}/book/">' in page


def test_a_mentor_sees_an_edit_link_instead_of_booking_themselves(grace):
    page = client_for(grace.user).get(f"/mentors/{grace.user_id}/").content.decode()

    assert "book-button" not in page
    assert 'href="/mentor/profile/"' in page


# --- next free times ---------------------------------------------------------------------


@pytest.fixture
def free_times(grace, clock, booking_rules):
    """Grace is free on Tuesdays 13:00–13:45 and 14:30–15:15 UTC: one start of her
    45-minute default session in each. A pending session holds 2030-01-22 14:30. The clock
    stands at Monday 2030-01-14 12:00 UTC: with 12 hours' notice the first bookable start
    is Tuesday's 13:00."""
    clock.set(datetime(2030, 1, 14, 12, tzinfo=UTC))
    for start, end in ((time(13), time(13, 45)), (time(14, 30), time(15, 15))):
        WeeklyAvailabilityFactory(mentor=grace.user, weekday=1, start_time=start, end_time=end)
    SessionFactory(mentor=grace.user, start=datetime(2030, 1, 22, 14, 30, tzinfo=UTC))


# The first six free starts (the profile's limit): the held 2030-01-22 14:30 is left out,
# 2030-02-05 14:30 is the seventh.
FREE_STARTS = [
    "2030-01-15T13:00:00+00:00",
    "2030-01-15T14:30:00+00:00",
    "2030-01-22T13:00:00+00:00",
    "2030-01-29T13:00:00+00:00",
    "2030-01-29T14:30:00+00:00",
    "2030-02-05T13:00:00+00:00",
]


def _times(page: str) -> list[tuple[str, str]]:
    """Each shown free time: (its UTC instant, its label)."""
    return re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page)


def test_free_times_are_the_first_six_in_the_viewers_time_zone_and_labelled(
    free_times, grace, mentee
):
    page = client_for(mentee).get(f"/mentors/{grace.user_id}/").content.decode()

    assert "Times in your time zone (America/New_York)." in page
    assert _times(page) == list(
        zip(
            FREE_STARTS,
            [
                "Tue, Jan 15 · 08:00",
                "Tue, Jan 15 · 09:30",
                "Tue, Jan 22 · 08:00",
                "Tue, Jan 29 · 08:00",
                "Tue, Jan 29 · 09:30",
                "Tue, Feb 5 · 08:00",
            ],
            strict=True,
        )
    )
    assert (
        f'<a class="slot-link" href="/mentors/{grace.user_id}/book/'
        '?start=2030-01-15T13%3A00%3A00%2B00%3A00">'
    ) in page


def test_anonymous_visitors_see_free_times_in_utc_labelled(free_times, grace):
    page = Client().get(f"/mentors/{grace.user_id}/").content.decode()

    assert "Times in UTC" in page
    assert _times(page)[:2] == [
        ("2030-01-15T13:00:00+00:00", "Tue, Jan 15 · 13:00"),
        ("2030-01-15T14:30:00+00:00", "Tue, Jan 15 · 14:30"),
    ]
    assert [instant for instant, _ in _times(page)] == FREE_STARTS


def test_the_mentor_sees_their_free_times_without_booking_links(free_times, grace):
    page = client_for(grace.user).get(f"/mentors/{grace.user_id}/").content.decode()

    assert [instant for instant, _ in _times(page)] == FREE_STARTS
    assert "slot-link" not in page


def test_no_free_times_says_so(grace):
    page = Client().get(f"/mentors/{grace.user_id}/").content.decode()

    assert _times(page) == []
    assert "No free times in the coming weeks." in page
    assert "book-button" in page
