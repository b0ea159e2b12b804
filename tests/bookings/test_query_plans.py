"""Every query the sessions dashboard runs is served by an index: the database never reads
the whole sessions table, and pages come out of an index in order (no sort), whatever
filter is chosen. Checked on the plans of the queries the page really runs, on SQLite and
on PostgreSQL (where sequential scans and sorts are priced out first, so a plan that still
has one has no index to use instead)."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import SessionFactory

TABLE = "bookings_mentoringsession"


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


def _full_scans(plan: str) -> list[str]:
    if connection.vendor == "postgresql":
        return re.findall(rf"Seq Scan on {TABLE}\b.*", plan)
    return [
        line
        for line in plan.splitlines()
        if line.startswith(f"SCAN {TABLE}") and "INDEX" not in line
    ]


def _sorts(plan: str) -> list[str]:
    if connection.vendor == "postgresql":
        return re.findall(r"(?:Incremental )?Sort .*", plan)
    return [line for line in plan.splitlines() if "TEMP B-TREE FOR ORDER BY" in line]


def _session_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured if TABLE in q["sql"] and q["sql"].startswith("SELECT")]


@pytest.fixture
def some_sessions(mentor, mentee, other_mentee):
    for day in range(1, 6):
        SessionFactory(
            mentor=mentor,
            mentee=mentee if day % 2 else other_mentee,
            start=datetime(2030, 1, day, 13, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    "url",
    [
        "/admin/sessions/",
        "/admin/sessions/?status=confirmed",
        "/admin/sessions/?status=pending&date_from=2030-01-01&date_to=2030-02-01",
        "/admin/sessions/?after=1.1894712400000000.5",
        "/admin/sessions/?before=0.1894712400000000.5",
        "/admin/sessions/?status=cancelled&after=0.1894712400000000.5",
        "/admin/sessions/?payment=refund_due",
        "/admin/sessions/?payment=paid&after=1.1894712400000000.5",
    ],
)
def test_dashboard_reads_sessions_from_indexes_in_order(url, admin_client, some_sessions):
    queries = _session_queries(admin_client, url)

    assert len(queries) == 2  # the page's rows; the count of matches, capped
    for sql in queries:
        plan = _plan(sql)
        assert _full_scans(plan) == [], plan
        assert _sorts(plan) == [], plan


@pytest.mark.parametrize(
    "url",
    [
        "/admin/sessions/?payment=refund_due",
        "/admin/sessions/?payment=paid&after=1.1894712400000000.5",
    ],
)
def test_a_payment_filter_reads_only_that_payment_status(url, admin_client, some_sessions):
    """A rare payment status (a refund due) is one range of its own index, not a walk
    through every session in the dashboard's order (docs/benchmarks.md §4)."""
    queries = _session_queries(admin_client, url)
    assert queries
    for sql in queries:
        assert "session_payment_rank_start" in _plan(sql)


@pytest.mark.parametrize("q", ["Jane", "john@example.com", "Olga Other", "ja sm ex"])
def test_search_reads_people_and_their_sessions_from_indexes(q, admin_client, some_sessions):
    """A search sorts only the matched people's sessions (found through the mentor/mentee
    indexes); it never reads all sessions or all people."""
    with CaptureQueriesContext(connection) as captured:
        admin_client.get("/admin/sessions/", {"q": q})
    [people] = [
        entry["sql"]
        for entry in captured
        if 'AS "people"' in entry["sql"]  # accounts/search.py
    ]
    if connection.vendor == "postgresql":
        # Tiny test tables: PostgreSQL would walk the primary key (ORDER BY id LIMIT);
        # without that or a sequential scan, the name and email indexes must serve it.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
        plan = _plan(people)
        assert not re.findall(r"Seq Scan on accounts_user\b.*", plan), plan
        assert plan.count("user_lower_first_name") == plan.count("user_lower_last_name") >= 1
    else:
        # The FTS5 index (accounts/migrations/0004), asked with MATCH ("M" in its plan).
        plan = _plan(people)
        assert re.fullmatch(r"SCAN accounts_user_names VIRTUAL TABLE INDEX \d+:M\d*", plan), plan
    queries = _session_queries(admin_client, f"/admin/sessions/?q={q}")

    for sql in queries:
        plan = _plan(sql)
        assert _full_scans(plan) == [], plan
        people_scans = (
            re.findall(r"Seq Scan on accounts_user\b.*", plan)
            if connection.vendor == "postgresql"
            else [x for x in plan.splitlines() if x.startswith("SCAN U0") and "INDEX" not in x]
        )
        assert people_scans == [], plan


def test_confirm_locks_the_session_and_checks_for_a_clash_in_one_indexed_read(
    admin_client, mentor, some_sessions
):
    """The clash check rides in the locking read (bookings.services._lock): it reads the
    mentor's (mentor, start) index over one longest-session span, never the table."""
    session = SessionFactory(mentor=mentor, start=datetime(2030, 1, 3, 15, tzinfo=UTC))
    with CaptureQueriesContext(connection) as captured:
        admin_client.post(
            f"/admin/sessions/{session.pk}/set-status/",
            {"action": "confirmed", "meeting_link": "https://meet.google.com/abc-defg-hij"},
        )
    [sql] = [q["sql"] for q in captured if q["sql"].startswith("SELECT") and TABLE in q["sql"]]

    assert "EXISTS" in sql
    plan = _plan(sql)
    assert _full_scans(plan) == [], plan
    if connection.vendor == "sqlite":
        assert "USING INDEX session_mentor_start (mentor_id=? AND start>? AND start<?)" in plan


def test_each_person_has_two_indexes_of_sessions_that_begin_with_them(db):
    """The mentor and mentee keys have no index of their own (bookings/migrations/0008):
    the (person, start, id) indexes serve every lookup by person ("My Sessions", clashes),
    and one index less is written on each change of a session. The (person, rank, start,
    id) indexes (0015) serve a search: its people's sessions in the dashboard's order."""
    constraints = connection.introspection.get_constraints(connection.cursor(), TABLE)
    leading = sorted(
        (name, info["columns"])
        for name, info in constraints.items()
        if info["index"]
        and not info["primary_key"]
        and info["columns"][0] in {"mentor_id", "mentee_id"}
    )

    assert leading == [
        ("session_mentee_rank_start", ["mentee_id", "dashboard_rank", "start", "id"]),
        ("session_mentee_start", ["mentee_id", "start", "id"]),
        ("session_mentor_rank_start", ["mentor_id", "dashboard_rank", "start", "id"]),
        ("session_mentor_start", ["mentor_id", "start", "id"]),
    ]


@pytest.mark.django_db
def test_the_admins_every_booking_is_emailed_to_are_read_from_their_own_index(admin_user):
    """Each booking and move is emailed to the active admins: a few people among everyone who
    ever signed up, found through the partial index `user_active_staff`, not a scan of all."""
    from bookings.emails import _active_admins

    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads a table this small in id order without the index")
    plan = _plan(str(_active_admins().query))

    assert "user_active_staff" in plan
    assert list(_active_admins()) == [admin_user]
