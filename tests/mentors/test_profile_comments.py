"""Mentees' written feedback on a mentor's profile (docs/PRODUCT.md §8.3): escaped, newest
first, ten to a page, only feedback with a comment."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from bookings.models import Status
from mentors.models import Feedback
from tests.factories import MentorProfileFactory, SessionFactory, review
from tests.helpers import visible_text
from tests.mentors.conftest import mentor_named

FIRST = datetime(2029, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def profile(db):
    return mentor_named("Grace", "Hopper")


def leave(profile, clock, *comments: str, rating: int = 5) -> list[Feedback]:
    """One completed session per comment, each rated a day after the one before."""
    given = []
    for comment in comments:
        clock.advance(timedelta(days=1))
        session = SessionFactory(
            mentor=profile.user,
            start=clock.now - timedelta(hours=3),
            status=Status.COMPLETED,
        )
        given.append(review(session, rating, comment))
    return given


def shown(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-feedback-id="(\d+)"', page)]


def review_markup(page: str, feedback: Feedback) -> str:
    match = re.search(rf'data-feedback-id="{feedback.pk}">(.*?)</li>', page, re.S)
    assert match, f"no review {feedback.pk}"
    return match.group(1)


def get(profile, **params) -> str:
    response = Client().get(f"/mentors/{profile.user_id}/", params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.clock(FIRST)
def test_comments_are_shown_newest_first_with_their_rating_and_date(profile, clock):
    older, newer = leave(profile, clock, "Clear and patient.", "Great code review!")
    Feedback.objects.filter(pk=older.pk).update(rating=3)

    page = get(profile)

    assert shown(page) == [newer.pk, older.pk]
    assert visible_text(review_markup(page, newer)) == "★★★★★ 5/5 Great code review! Mar 3, 2029"
    assert visible_text(review_markup(page, older)) == "★★★☆☆ 3/5 Clear and patient. Mar 2, 2029"
    assert "2 written reviews" in visible_text(page)


@pytest.mark.clock(FIRST)
def test_ratings_without_a_comment_and_other_mentors_comments_are_left_out(profile, clock):
    leave(profile, clock, "")
    [with_words] = leave(profile, clock, "Worth every minute.")
    leave(MentorProfileFactory(), clock, "About someone else.")

    page = get(profile)

    assert shown(page) == [with_words.pk]
    assert "About someone else." not in page


@pytest.mark.clock(FIRST)
def test_no_comments_says_so(profile, clock):
    leave(profile, clock, "", "")

    page = get(profile)

    assert shown(page) == []
    assert "No written reviews yet." in visible_text(page)


@pytest.mark.clock(FIRST)
def test_comments_are_escaped_and_keep_their_line_breaks(profile, clock):
    [feedback] = leave(profile, clock, '<script>alert("x")</script>\nThanks & <b>bye</b>')

    page = get(profile)

    assert "<script>alert" not in page and "<b>bye</b>" not in page
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>Thanks &amp; &lt;b&gt;bye&lt;/b&gt;"
        in review_markup(page, feedback)
    )


@pytest.mark.clock(FIRST)
def test_comments_come_ten_to_a_page(profile, clock):
    given = leave(profile, clock, *[f"Comment {n}" for n in range(12)])
    newest_first = [f.pk for f in reversed(given)]

    first, second = get(profile), get(profile, page="2")

    assert shown(first) == newest_first[:10]
    assert shown(second) == newest_first[10:]
    assert "Page 1 of 2 · 12 comments" in visible_text(first)
    assert 'href="?page=2" rel="next"' in first
    assert 'href="?page=1" rel="prev"' in second


@pytest.mark.clock(FIRST)
@pytest.mark.parametrize(("raw", "expected"), [("abc", 1), ("0", 2), ("99", 2), ("-1", 2)])
def test_a_bad_page_number_shows_a_valid_page(profile, clock, raw, expected):
    given = leave(profile, clock, *[f"Comment {n}" for n in range(12)])
    pages = {1: [f.pk for f in reversed(given)][:10], 2: [f.pk for f in reversed(given)][10:]}

    assert shown(get(profile, page=raw)) == pages[expected]
