"""Planner statistics (ops/jobs.py): SQLite reads one person's sessions through their
indexes only once it has statistics; the worker keeps them fresh."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from bookings.models import MentoringSession, Status
from bookings.selectors import AdminSessionFilters, admin_sessions_matching
from ops.jobs import analyze, refresh_planner_statistics
from tests.factories import MentorFactory, UserFactory

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL's autovacuum keeps its statistics"
)


def _pending_plan(person_id: int) -> str:
    sessions = admin_sessions_matching(AdminSessionFilters(q="x"), [person_id])
    return sessions.filter(status=Status.PENDING).order_by("start", "id")[:26].explain()


@pytest.fixture
def many_pending(db):
    """2,000 pending sessions between 20 mentors and 50 mentees, and 3 of one more mentee."""
    mentors, crowd = MentorFactory.create_batch(20), UserFactory.create_batch(50)
    mentee = UserFactory()
    start = datetime(2030, 1, 1, tzinfo=UTC)
    MentoringSession.objects.bulk_create(
        MentoringSession(
            mentor=mentors[n % 20], mentee=crowd[n % 50], start=start + timedelta(hours=n)
        )
        for n in range(2000)
    )
    other = MentorFactory()
    MentoringSession.objects.bulk_create(
        MentoringSession(mentor=other, mentee=mentee, start=start + timedelta(days=n))
        for n in range(3)
    )
    return mentee


@sqlite_only
def test_without_statistics_sqlite_walks_every_pending_session(many_pending):
    assert "USING INDEX session_status_start" in _pending_plan(many_pending.pk)


@sqlite_only
def test_with_statistics_sqlite_reads_the_persons_sessions_only(many_pending):
    assert refresh_planner_statistics() == 1

    plan = _pending_plan(many_pending.pk)
    assert "session_status_start" not in plan
    assert "MULTI-INDEX OR" in plan


@sqlite_only
def test_statistics_are_sampled_for_every_index_of_the_sessions(many_pending):
    analyze()

    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'bookings_mentoringsession'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"session_status_start", "session_mentor_start", "session_mentee_start"} <= indexes


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the PostgreSQL case")
def test_postgresql_is_left_to_autovacuum(db):
    assert refresh_planner_statistics() == 0
