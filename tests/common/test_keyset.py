"""Keyset page cursors (common/keyset.py): what a "Next"/"Previous" link carries."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.keyset import Cursor


def test_token_names_rank_instant_and_id():
    cursor = Cursor(1, datetime(2030, 1, 15, 13, 0, 0, 250, tzinfo=UTC), 42)

    assert cursor.token == "1.1894712400000250.42"  # 1,894,712,400 s after 1970
    assert Cursor.parse(cursor.token) == cursor


def test_instants_before_1970_round_trip():
    cursor = Cursor(0, datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), 7)

    assert cursor.token == "0.-1000000.7"
    assert Cursor.parse("0.-1000000.7") == cursor


@given(
    rank=st.integers(0, 9),
    start=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    pk=st.integers(1, 10**18 - 1),
)
def test_every_cursor_survives_its_token(rank, start, pk):
    cursor = Cursor(rank, start, pk)

    assert Cursor.parse(cursor.token) == cursor


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "0.1",
        "0.1.0",  # no id 0
        "0.1.-5",
        "10.1.1",  # one digit of rank
        "0.1.1.1",
        "0. 1.1",
        "0.1.1\n",
        "0.²3.1",
        "0.١٢.1",
        "0.-99999999999999999.1",  # before year 1
        "0.999999999999999999.1",  # after year 9999
        "0.1234567890123456789.1",  # 19 digits
        "0.1." + "9" * 19,
    ],
)
def test_anything_else_is_no_cursor(raw):
    assert Cursor.parse(raw) is None


def test_a_far_future_instant_is_a_cursor():
    cursor = Cursor.parse("0.99999999999999999.1")

    assert cursor.start == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=99999999999999999
    )


# --- keyset_page: the rows of a page, both ways along both orders -------------------------


@pytest.fixture
def five(db):
    """Five sessions an hour apart (the two last at the same instant, of two mentors and two
    mentees: id breaks the tie)."""
    from tests.factories import MentorFactory, SessionFactory, UserFactory

    base = datetime(2030, 1, 1, 9, tzinfo=UTC)
    starts = [base, base + timedelta(hours=1), base + timedelta(hours=2)] + [
        base + timedelta(hours=3)
    ] * 2
    return [
        SessionFactory(mentor=MentorFactory(), mentee=UserFactory(), start=start)
        for start in starts
    ]


def _page(**kwargs):
    from bookings.models import MentoringSession
    from common.keyset import keyset_page

    page = keyset_page(MentoringSession.objects.all(), size=2, **kwargs)
    return [row.pk for row in page.rows], page.has_previous, page.has_next


@pytest.mark.parametrize("descending", [False, True], ids=["oldest-first", "newest-first"])
def test_pages_walk_the_list_and_back(five, descending):
    order = [s.pk for s in (five[::-1] if descending else five)]
    at = {s.pk: Cursor(0, s.start, s.pk) for s in five}

    assert _page(descending=descending) == (order[:2], False, True)
    assert _page(descending=descending, after=at[order[1]]) == (order[2:4], True, True)
    assert _page(descending=descending, after=at[order[3]]) == (order[4:], True, False)
    assert _page(descending=descending, before=at[order[4]]) == (order[2:4], True, True)
    assert _page(descending=descending, before=at[order[2]]) == (order[:2], False, True)


@pytest.mark.parametrize("descending", [False, True], ids=["oldest-first", "newest-first"])
def test_a_filtered_list_pages_forward_and_back_even_from_a_row_it_no_longer_holds(
    five, descending
):
    """The list is a filtered queryset (every session but the second) carrying a value; a
    cursor may name a row the list does not hold (it left the list meanwhile)."""
    from django.db.models import Value

    from bookings.models import MentoringSession
    from common.keyset import keyset_page

    kept = [s for s in five if s.pk != five[1].pk]
    order = [s.pk for s in (kept[::-1] if descending else kept)]
    at = {s.pk: Cursor(0, s.start, s.pk) for s in five}
    listed = MentoringSession.objects.exclude(pk=five[1].pk).annotate(marked=Value(7))

    def page(**kwargs):
        page = keyset_page(listed, size=2, descending=descending, **kwargs)
        assert {row.marked for row in page.rows} <= {7}
        return [row.pk for row in page.rows], page.has_previous, page.has_next

    assert page() == (order[:2], False, True)
    assert page(after=at[order[1]]) == (order[2:], True, False)
    assert page(before=at[order[2]]) == (order[:2], False, True)
    older, newer = [five[0].pk], [s.pk for s in kept[1:]]
    expected = (older, True, False) if descending else (newer[:2], True, True)
    assert page(after=at[five[1].pk]) == expected
