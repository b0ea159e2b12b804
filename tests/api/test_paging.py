"""GET /api/v1/sessions/ pages by keyset (docs/PRODUCT.md §11): following `next` from the
first page lists every session one may see exactly once, soonest first by (start, id), and
`next` is null on the last page; a page costs the same queries whatever the data."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import MentoringSession, Status
from tests.api.conftest import ApiClient, problem_of, token_for
from tests.factories import MentorFactory, UserFactory

T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
STATUSES = [Status.PENDING, Status.CONFIRMED, Status.COMPLETED, Status.CANCELLED]


def make_sessions(count: int, mentors, mentees) -> list[MentoringSession]:
    """`count` sessions, several starting at the same instant (with different mentors), so
    that the order's tie-break on id is walked too."""
    rows = [
        MentoringSession(
            mentor=mentors[n % len(mentors)],
            mentee=mentees[n % len(mentees)],
            start=T0 + timedelta(hours=2 * (n // len(mentors))),
            duration_minutes=60,
            status=STATUSES[n % len(STATUSES)],
            amount=Decimal("60.00"),
        )
        for n in range(count)
    ]
    return MentoringSession.objects.bulk_create(rows)


def walk(client: ApiClient, url: str) -> tuple[list[int], int]:
    """Every id listed by following `next` from `url`, and the number of pages."""
    ids, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        ids += [session["id"] for session in body["results"]]
        pages += 1
        url = body["next"]
        assert url is None or url.startswith("http://testserver/api/v1/sessions/?")
    return ids, pages


def in_order(sessions) -> list[int]:
    return [s.pk for s in sorted(sessions, key=lambda s: (s.start, s.pk))]


@pytest.fixture
def people(without_overlap_guards):
    """Mentors and mentees for make_sessions, whose sessions may overlap (sessions at one
    instant walk the order's tie-break; PostgreSQL's no-overlap constraints are off)."""
    return [MentorFactory() for _ in range(3)], [UserFactory() for _ in range(2)]


def test_an_admin_walks_every_session_once_in_order(people):
    sessions = make_sessions(60, *people)
    admin = ApiClient(token_for(UserFactory(is_staff=True)))

    ids, pages = walk(admin, "/api/v1/sessions/")

    assert ids == in_order(sessions)
    assert pages == 3  # 25 + 25 + 10


def test_filters_are_kept_across_pages(people):
    sessions = make_sessions(120, *people)
    admin = ApiClient(token_for(UserFactory(is_staff=True)))
    after, before = T0 + timedelta(hours=4), T0 + timedelta(hours=150)
    query = f"status=confirmed&start_after={after.isoformat()}&start_before={before.isoformat()}"

    ids, _ = walk(admin, "/api/v1/sessions/?" + query.replace("+", "%2B"))

    expected = [s for s in sessions if s.status == "confirmed" and after <= s.start < before]
    assert ids == in_order(expected)
    assert len(ids) > 25


def test_a_person_walks_their_sessions_as_mentor_and_as_mentee_merged(people):
    mentors, mentees = people
    both = mentors[0]  # a mentor who also books sessions with the other mentors
    as_mentor = make_sessions(45, [both], mentees)
    as_mentee = make_sessions(40, mentors[1:], [both])
    make_sessions(30, mentors[1:], mentees)  # not theirs

    ids, _ = walk(ApiClient(token_for(both)), "/api/v1/sessions/")

    assert ids == in_order(as_mentor + as_mentee)


def test_the_last_page_says_next_null(people):
    make_sessions(25, *people)
    admin = ApiClient(token_for(UserFactory(is_staff=True)))

    body = admin.get("/api/v1/sessions/").json()

    assert len(body["results"]) == 25
    assert body["next"] is None


@pytest.mark.parametrize(
    "cursor", ["x", "0.1", "1.0.5", "0.-1.0", "0.99999999999999999999.1", "0." + "9" * 60]
)
def test_a_bad_cursor_is_400(cursor, people):
    admin = ApiClient(token_for(UserFactory(is_staff=True)))

    response = admin.get("/api/v1/sessions/", {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in problem_of(response)["errors"]


def test_an_unknown_cursor_is_400(people):
    admin = ApiClient(token_for(UserFactory(is_staff=True)))

    response = admin.get("/api/v1/sessions/", {"cursor": "zz"})

    assert response.status_code == 400
    assert problem_of(response)["errors"] == {
        "cursor": ["This cursor names no place in the list; start again from the first page."]
    }


def _queries(client: ApiClient, url: str) -> int:
    client.get(url)  # the token's "last used" is written by the first request only
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["admin", "mentor"])
def test_the_list_costs_the_same_queries_for_1_3_and_50_sessions(role, people):
    mentors, mentees = people
    user = UserFactory(is_staff=True) if role == "admin" else mentors[0]
    client = ApiClient(token_for(user))
    counts = []
    for total in (1, 3, 50):
        MentoringSession.objects.all().delete()
        make_sessions(total, [mentors[0]], mentees)
        counts.append(_queries(client, "/api/v1/sessions/"))

    # The token with its owner; the rate limit (its row locked, then saved, inside a
    # savepoint in a test); the page: one query for an admin, one per role for a person.
    assert counts == [6 if role == "admin" else 7] * 3


def test_one_session_costs_the_same_queries_as_a_list_page(people):
    sessions = make_sessions(3, *people)
    client = ApiClient(token_for(UserFactory(is_staff=True)))

    detail = _queries(client, f"/api/v1/sessions/{sessions[0].pk}")

    assert detail == _queries(client, "/api/v1/sessions/")
