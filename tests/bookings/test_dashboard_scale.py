"""/dashboard/ at any size (issue "Performance: every page fast at 100,000 sessions").

Each list (Upcoming, Past; as a mentee and as a mentor) shows at most 10 sessions and pages
by keyset tokens in its own query parameter; the same queries run for 1 or 1,000 sessions,
each served by the person's (mentor|mentee, start, id) index; a bad parameter shows the
list's first page and says so.
"""

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import selectors
from bookings.models import MentoringSession, Status
from bookings.views import BAD_PAGE_MESSAGE
from tests.conftest import client_for
from tests.factories import MentorFactory, SessionFactory, UserFactory
from tests.helpers import messages_of

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.clock(NOW)  # where the `clock` fixture (tests/conftest.py) stands


def _bulk(starts, *, mentor, mentee, status=Status.PENDING, minutes=60) -> list[MentoringSession]:
    """Sessions without the services (fast). One mentor's pending, confirmed and completed
    sessions must not overlap (PostgreSQL's exclusion constraint, bookings/0009): an hour
    apart."""
    return MentoringSession.objects.bulk_create(
        MentoringSession(
            mentor=mentor,
            mentee=mentee,
            start=start,
            duration_minutes=minutes,
            status=status,
            amount=Decimal("60.00"),
        )
        for start in starts
    )


def _token(direction: str, session: MentoringSession) -> str:
    micros = (session.start - EPOCH) // timedelta(microseconds=1)
    return f"{direction}.0.{micros}.{session.pk}"


def _section(page: str, title_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', page, re.S)
    assert match, f"no section {title_id}"
    return match.group(1)


def _ids(page: str, title_id: str) -> list[int]:
    section = _section(page, title_id)
    return [int(pk) for pk in re.findall(r'data-session-id="(\d+)"', section)]


def _link(page: str, title_id: str, rel: str) -> str | None:
    """The section's "next" or "prev" link, unescaped; None when there is none."""
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', _section(page, title_id))
    return html.unescape(match.group(1)) if match else None


def _get(client, url: str = "/dashboard/", params=None):
    """GET the dashboard; `url` may be a link found on it ("?…#…", relative to it)."""
    response = client.get(url if url.startswith("/") else "/dashboard/" + url, params)
    assert response.status_code == 200
    return response, response.content.decode()


def _pks(sessions) -> list[int]:
    return [session.pk for session in sessions]


@pytest.fixture
def upcoming(clock, mentor, mentee) -> list[MentoringSession]:
    """25 pending sessions of the mentee, an hour apart from NOW + 1 h (soonest first)."""
    return _bulk([NOW + n * HOUR for n in range(1, 26)], mentor=mentor, mentee=mentee)


@pytest.fixture
def past(clock, mentor, mentee) -> list[MentoringSession]:
    """25 completed sessions of the mentee, an hour apart from NOW − 2 h (latest first)."""
    starts = [NOW - n * HOUR for n in range(2, 27)]
    return _bulk(starts, mentor=mentor, mentee=mentee, status=Status.COMPLETED)


# --- paging ------------------------------------------------------------------------------


def test_each_list_shows_its_first_ten_soonest_and_latest_first(mentee, upcoming, past):
    _, page = _get(client_for(mentee))

    assert _ids(page, "upcoming-title") == _pks(upcoming[:10])
    assert _ids(page, "past-title") == _pks(past[:10])
    assert _link(page, "upcoming-title", "prev") is None
    assert _link(page, "upcoming-title", "next") == (
        f"?upcoming={_token('after', upcoming[9])}#upcoming-title"
    )
    assert _link(page, "past-title", "prev") is None
    assert _link(page, "past-title", "next") == f"?past={_token('after', past[9])}#past-title"


def test_later_pages_forward_to_the_end(mentee, upcoming):
    client = client_for(mentee)
    _, first = _get(client)

    _, second = _get(client, _link(first, "upcoming-title", "next"))
    _, third = _get(client, _link(second, "upcoming-title", "next"))

    assert _ids(second, "upcoming-title") == _pks(upcoming[10:20])
    assert _link(second, "upcoming-title", "prev") == (
        f"?upcoming={_token('before', upcoming[10])}#upcoming-title"
    )
    assert _link(second, "upcoming-title", "next") == (
        f"?upcoming={_token('after', upcoming[19])}#upcoming-title"
    )
    assert _ids(third, "upcoming-title") == _pks(upcoming[20:])
    assert _link(third, "upcoming-title", "next") is None


def test_sooner_pages_back_to_the_first_page_which_has_no_sooner_link(mentee, upcoming):
    client = client_for(mentee)
    third_url = f"?upcoming={_token('after', upcoming[19])}"

    _, third = _get(client, third_url)
    _, second = _get(client, _link(third, "upcoming-title", "prev"))
    _, first = _get(client, _link(second, "upcoming-title", "prev"))

    assert _ids(second, "upcoming-title") == _pks(upcoming[10:20])
    assert _ids(first, "upcoming-title") == _pks(upcoming[:10])
    assert _link(first, "upcoming-title", "prev") is None
    assert _link(first, "upcoming-title", "next") == (
        f"?upcoming={_token('after', upcoming[9])}#upcoming-title"
    )


def test_older_and_newer_page_the_past_latest_first(mentee, past):
    client = client_for(mentee)

    _, second = _get(client, f"/dashboard/?past={_token('after', past[9])}")
    _, third = _get(client, _link(second, "past-title", "next"))
    _, back = _get(client, _link(third, "past-title", "prev"))

    assert _ids(second, "past-title") == _pks(past[10:20])
    assert _ids(third, "past-title") == _pks(past[20:])
    assert _link(third, "past-title", "next") is None
    assert _ids(back, "past-title") == _pks(past[10:20])
    assert ">← Newer</a>" in _section(second, "past-title")
    assert ">Older →</a>" in _section(second, "past-title")


def test_paging_one_list_keeps_the_others_place(mentee, upcoming, past):
    client = client_for(mentee)
    upcoming_place = _token("after", upcoming[9])

    _, page = _get(client, "/dashboard/", {"upcoming": upcoming_place})
    _, after = _get(client, _link(page, "past-title", "next"))

    assert _link(page, "past-title", "next") == (
        f"?upcoming={upcoming_place}&past={_token('after', past[9])}#past-title"
    )
    assert _ids(after, "upcoming-title") == _pks(upcoming[10:20])
    assert _ids(after, "past-title") == _pks(past[10:20])


def test_mentor_lists_page_on_their_own_parameters(clock, mentor, mentee):
    sessions = _bulk([NOW + n * HOUR for n in range(1, 13)], mentor=mentor, mentee=mentee)
    client = client_for(mentor)

    _, first = _get(client)
    _, second = _get(client, _link(first, "mentor-upcoming-title", "next"))

    assert _ids(first, "mentor-upcoming-title") == _pks(sessions[:10])
    assert _link(first, "mentor-upcoming-title", "next") == (
        f"?mentor_upcoming={_token('after', sessions[9])}#mentor-upcoming-title"
    )
    assert _ids(second, "mentor-upcoming-title") == _pks(sessions[10:])
    assert _ids(second, "upcoming-title") == []


def test_sessions_at_the_same_start_page_by_id(clock, mentee):
    """Ties on `start` (several mentors at one time) are broken by id, on every page. One
    mentee's sessions that still hold their time cannot overlap (docs/PRODUCT.md §7.2);
    ended ones can (booked before that rule): the past, latest (highest id) first."""
    start = NOW - 2 * HOUR
    tied = [SessionFactory(mentee=mentee, start=start, status=Status.COMPLETED) for _ in range(13)]
    tied.reverse()
    client = client_for(mentee)

    _, first = _get(client)
    _, second = _get(client, _link(first, "past-title", "next"))
    _, back = _get(client, _link(second, "past-title", "prev"))

    assert _ids(first, "past-title") == _pks(tied[:10])
    assert _ids(second, "past-title") == _pks(tied[10:])
    assert _ids(back, "past-title") == _pks(tied[:10])


# --- places that no longer fit, and parameters that are no place ---------------------------


def test_a_sooner_page_that_has_emptied_shows_the_first_page(mentee, upcoming):
    """E.g. the sessions before it have ended since the link was made."""
    _, page = _get(client_for(mentee), f"/dashboard/?upcoming={_token('before', upcoming[0])}")

    assert _ids(page, "upcoming-title") == _pks(upcoming[:10])
    assert _link(page, "upcoming-title", "prev") is None


def test_a_sooner_page_with_fewer_than_ten_before_it_shows_the_first_page(mentee, upcoming):
    response, page = _get(
        client_for(mentee), f"/dashboard/?upcoming={_token('before', upcoming[4])}"
    )

    assert _ids(page, "upcoming-title") == _pks(upcoming[:10])
    assert _link(page, "upcoming-title", "prev") is None
    assert messages_of(response) == []


def test_a_later_page_past_the_end_shows_the_first_page(mentee, upcoming):
    _, page = _get(client_for(mentee), f"/dashboard/?upcoming={_token('after', upcoming[-1])}")

    assert _ids(page, "upcoming-title") == _pks(upcoming[:10])


BAD_PLACES = [
    "junk",
    "after",
    "after.",
    "after.1",
    "after.x.1",
    "after.1.0",
    "after.1.-5",
    "after.1.1.1",  # a keyset cursor of segment 1: the dashboard lists have one
    "after.1.1",  # no segment
    "sideways.0.1.1",
    "AFTER.0.1.1",
    "after.0.-99999999999999999.1",  # before year 1: no datetime
    "after.0.1234567890123456789.1",  # more digits than any time
    "after.0.1.1234567890123456789",  # more digits than any id
    "after.0.１.1",  # a full-width digit
    " after.0.1.1",
    "after.0.1.1\n",
    "after.0.1.1\x00",
    "after.0.1.1" * 1000,
]


@pytest.mark.parametrize("bad", BAD_PLACES)
def test_a_parameter_that_is_no_place_shows_the_first_page_and_says_so(bad, mentee, upcoming):
    response, page = _get(client_for(mentee), "/dashboard/", {"upcoming": bad})

    assert _ids(page, "upcoming-title") == _pks(upcoming[:10])
    assert messages_of(response) == [("warning", BAD_PAGE_MESSAGE)]
    assert _link(page, "upcoming-title", "next") == (
        f"?upcoming={_token('after', upcoming[9])}#upcoming-title"
    )


@pytest.mark.parametrize(
    ("place", "shown"),
    [
        ("after.0.-62135596800000000.1", slice(0, 10)),  # 0001-01-01: before everything
        ("before.0.99999999999999999.1", slice(15, 25)),  # year 5138: after everything
    ],
)
def test_places_at_the_ends_of_time_are_places(place, shown, mentee, upcoming):
    response, page = _get(client_for(mentee), "/dashboard/", {"upcoming": place})

    assert _ids(page, "upcoming-title") == _pks(upcoming[shown])
    assert messages_of(response) == []


def test_a_bad_parameter_of_one_list_leaves_the_others_place(mentee, upcoming, past):
    place = _token("after", past[9])

    response, page = _get(client_for(mentee), "/dashboard/", {"upcoming": "junk", "past": place})

    assert _ids(page, "upcoming-title") == _pks(upcoming[:10])
    assert _ids(page, "past-title") == _pks(past[10:20])
    assert messages_of(response) == [("warning", BAD_PAGE_MESSAGE)]
    assert _link(page, "upcoming-title", "next") == (
        f"?past={place}&upcoming={_token('after', upcoming[9])}#upcoming-title"
    )


def test_parameters_of_lists_not_shown_are_ignored(mentee, upcoming):
    response, page = _get(
        client_for(mentee), "/dashboard/", {"mentor_upcoming": "junk", "page": "2", "q": "x"}
    )

    assert _ids(page, "upcoming-title") == _pks(upcoming[:10])
    assert messages_of(response) == []


def test_a_place_in_the_mentee_lists_of_a_mentor_who_never_booked_is_refused(clock, mentor):
    response, page = _get(client_for(mentor), "/dashboard/", {"upcoming": "after.0.1.1"})

    assert _ids(page, "upcoming-title") == []
    assert '<p class="empty">No upcoming sessions.</p>' in _section(page, "upcoming-title")
    assert messages_of(response) == [("warning", BAD_PAGE_MESSAGE)]


# --- "not ended yet", exactly ------------------------------------------------------------


def test_upcoming_and_past_split_at_each_sessions_exact_end(clock, mentee, without_overlap_guards):
    def session(start, minutes=60, status=Status.CONFIRMED):
        # Each with its own mentor: they overlap, which neither one mentor's nor (since
        # docs/PRODUCT.md §7.2) one mentee's sessions may, hence without the guards.
        return SessionFactory(mentee=mentee, start=start, duration_minutes=minutes, status=status)

    ended_now = session(NOW - timedelta(minutes=480), minutes=480)
    running_long = session(NOW - timedelta(minutes=479), minutes=480)
    ended_short = session(NOW - timedelta(minutes=30), minutes=15)
    running_short = session(NOW - timedelta(minutes=10), minutes=15)
    ended_long_ago = session(NOW - timedelta(minutes=481), minutes=480)
    pending_ahead = session(NOW + HOUR, status=Status.PENDING)
    cancelled_ahead = session(NOW + 2 * HOUR, status=Status.CANCELLED)
    completed_early = session(NOW - timedelta(minutes=20), status=Status.COMPLETED)

    _, page = _get(client_for(mentee))

    # Past is what has ended, whatever its status (docs/PRODUCT.md §4.5): a session cancelled
    # or completed before its end stays under Upcoming, marked so, until its time is over.
    assert _ids(page, "upcoming-title") == _pks(
        [running_long, completed_early, running_short, pending_ahead, cancelled_ahead]
    )
    assert _ids(page, "past-title") == _pks([ended_short, ended_now, ended_long_ago])


# --- a fixed number of queries, whatever the data ----------------------------------------


def _many(count: int, *, mentor, mentee) -> None:
    """`count` sessions of every status, half of them ahead and half behind, an hour apart."""
    statuses = [Status.PENDING, Status.CONFIRMED, Status.CANCELLED, Status.COMPLETED]
    MentoringSession.objects.bulk_create(
        MentoringSession(
            mentor=mentor,
            mentee=mentee,
            start=NOW + (n - count // 2) * HOUR + timedelta(minutes=30),
            duration_minutes=60,
            status=statuses[n % 4],
            amount=Decimal("60.00"),
        )
        for n in range(count)
    )


# session + user, the person's roles (an approved mentor? ever booked?), upcoming, past
MENTEE_QUERIES = 5
# a mentor who never booked a session: the mentee lists cost nothing
MENTOR_QUERIES = 5
# a mentor who books sessions too: all four lists
MENTOR_AND_MENTEE_QUERIES = 7


def _assert_queries(django_assert_num_queries, client, expected: int, params=None) -> str:
    with django_assert_num_queries(expected):
        _, page = _get(client, "/dashboard/", params)
    return page


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_mentee_dashboard_queries_do_not_grow(count, django_assert_num_queries, clock, mentee):
    _many(count, mentor=MentorFactory(), mentee=mentee)
    expected_cards = min(len(selectors.upcoming_sessions(mentee, as_mentor=False)), 10) + min(
        len(selectors.past_sessions(mentee, as_mentor=False)), 10
    )

    page = _assert_queries(django_assert_num_queries, client_for(mentee), MENTEE_QUERIES)

    assert page.count('class="card session-card"') == expected_cards


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_mentee_dashboard_queries_on_later_pages(count, django_assert_num_queries, clock, mentee):
    _many(count, mentor=MentorFactory(), mentee=mentee)
    other = MentorFactory()
    _bulk([NOW + 900 * HOUR], mentor=other, mentee=mentee)
    _bulk([NOW - 900 * HOUR], mentor=other, mentee=mentee, status=Status.COMPLETED)
    # Places before the first session of each list: the pages after them are never empty.
    places = {"upcoming": _place(NOW - 9 * HOUR), "past": _place(NOW + 9000 * HOUR)}
    upcoming = _pks(selectors.upcoming_sessions(mentee, as_mentor=False)[:10])
    past = _pks(selectors.past_sessions(mentee, as_mentor=False)[:10])

    page = _assert_queries(django_assert_num_queries, client_for(mentee), MENTEE_QUERIES, places)

    assert (_ids(page, "upcoming-title"), _ids(page, "past-title")) == (upcoming, past)


def _place(start: datetime, pk: int = 1) -> str:
    return f"after.0.{(start - EPOCH) // timedelta(microseconds=1)}.{pk}"


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_mentor_dashboard_queries_do_not_grow(count, django_assert_num_queries, clock, mentor):
    _many(count, mentor=mentor, mentee=UserFactory())

    page = _assert_queries(django_assert_num_queries, client_for(mentor), MENTOR_QUERIES)

    assert page.count('class="card session-card"') == min(count, 20)


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_dashboard_queries_of_a_mentor_who_also_books(
    count, django_assert_num_queries, clock, mentor
):
    _many(count, mentor=mentor, mentee=UserFactory())
    _many(count, mentor=MentorFactory(), mentee=mentor)

    page = _assert_queries(django_assert_num_queries, client_for(mentor), MENTOR_AND_MENTEE_QUERIES)

    assert page.count('class="card session-card"') == 2 * min(count, 20)


# --- every list query is read from the person's index, in order --------------------------


def _list_queries(user) -> list[str]:
    """The SQL of every dashboard list query: first pages, later pages, sooner pages."""
    with CaptureQueriesContext(connection) as captured:
        for name in selectors.DASHBOARD_LISTS:
            first = selectors.dashboard_list(user, name)
            later = selectors.dashboard_list(user, name, first.next_token)
            selectors.dashboard_list(user, name, later.previous_token)
    return [query["sql"] for query in captured.captured_queries]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables: make the planner show what it would do with a big one.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_every_list_query_reads_the_persons_index_in_order(clock, mentor):
    _many(60, mentor=mentor, mentee=UserFactory())
    _many(60, mentor=MentorFactory(), mentee=mentor)

    queries = _list_queries(mentor)

    assert len(queries) == 12
    for sql in queries:
        plan = _plan(sql)
        mine = "mentor" if re.search(r'"mentor_id" = \d', sql) else "mentee"
        index = f"session_{mine}_start"
        assert index in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, (sql, plan)


def test_cancel_forms_carry_where_each_list_is(mentor, upcoming):
    """A mentor may cancel until the start: page 2 of their upcoming list has forms, and
    each brings them back to page 2 (views.cancel)."""
    place = _token("after", upcoming[9])

    response, page = _get(client_for(mentor), "/dashboard/", {"mentor_upcoming": place})

    section = _section(page, "mentor-upcoming-title")
    forms = re.findall(r'name="return_query" value="([^"]*)"', section)
    assert len(forms) == 10
    assert set(forms) == {f"mentor_upcoming={place}"}
