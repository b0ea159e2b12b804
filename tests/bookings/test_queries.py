"""List pages run a fixed number of queries, however many sessions (and emails) they show.

Counts per request: the Django session and the user (2), then the page's own reads.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import MentoringSession, Status
from common.keyset import Cursor
from tests.conftest import MEET, client_for
from tests.factories import MentorFactory, SessionFactory

# One session of each kind a list shows; `count` of them are created, cycling through.
KINDS = ("confirmed", "pending", "cancelled", "completed")


def _make_sessions(count: int, *, mentor, mentee, admin) -> None:
    """Sessions in every state, with their queued emails (confirm/cancel/complete queue some)."""
    now = timezone.now()
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        start = now + timedelta(days=n + 1)
        if kind == "completed":
            start = now - timedelta(days=n + 1)
        session = SessionFactory(mentor=mentor, mentee=mentee, start=start)
        if kind in ("confirmed", "completed"):
            session = services.confirm_session(session, link=MEET, by=admin)
        if kind == "completed":
            services.complete_session(session, by=admin)
        if kind == "cancelled":
            services.cancel_session(session, by=admin, reason="Clash.")


# session + user; a page of sessions, pending first (with mentor and mentee, keyset paged);
# the page's emails (their delivery states); the count of matches up to 1,001
ADMIN_LIST_QUERIES = 5
# session + user, the person's roles (approved mentor? ever booked?), upcoming, past
MENTEE_DASHBOARD_QUERIES = 5
# session + user, the roles (never booked: the mentee lists cost nothing), upcoming and
# past as a mentor
MENTOR_DASHBOARD_QUERIES = 5
# session + user, BEGIN (a savepoint in tests); the session locked with its people and its
# clash check, its update, the audit row, both emails in one insert, the webhook deliveries
# in one insert (however many endpoints); COMMIT. No task: the worker's relay queues those.
CONFIRM_QUERIES = 9
# at most 10 upcoming and 10 past cards (paging: tests/bookings/test_dashboard_scale.py)
DASHBOARD_CARDS = 20


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_admin_session_list_queries(
    count, django_assert_num_queries, admin_client, admin_user, mentor, mentee
):
    _make(count, mentor=mentor, mentee=mentee, admin=admin_user)

    with django_assert_num_queries(ADMIN_LIST_QUERIES):
        response = admin_client.get("/admin/sessions/")

    assert response.content.decode().count("<tr data-session-id=") == min(count, 25)


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_admin_session_list_queries_with_filters(
    count, django_assert_num_queries, admin_client, admin_user, mentor, mentee
):
    _make(count, mentor=mentor, mentee=mentee, admin=admin_user)

    # ... and first the ids of the people the search names; the page's ids, then its rows;
    # the count in two (their sessions as mentor, then as mentee only)
    with django_assert_num_queries(ADMIN_LIST_QUERIES + 3):
        response = admin_client.get(
            "/admin/sessions/", {"q": "Jane Smith", "date_from": "2000-01-01", "after": "0.1.1"}
        )

    assert response.content.decode().count("<tr data-session-id=") == min(count, 25)


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_admin_session_list_queries_one_status_deep_page(
    count, django_assert_num_queries, admin_client, admin_user, mentor, mentee
):
    """A status filter reads another index (status, start, id), with the same queries."""
    _make(count, mentor=mentor, mentee=mentee, admin=admin_user)
    last_start = MentoringSession.objects.order_by("start").first().start - timedelta(days=1)
    after = Cursor(0, last_start, 1).token

    with django_assert_num_queries(ADMIN_LIST_QUERIES):
        response = admin_client.get("/admin/sessions/", {"status": "confirmed", "after": after})

    confirmed = MentoringSession.objects.filter(status=Status.CONFIRMED).count()
    assert response.content.decode().count("<tr data-session-id=") == min(confirmed, 25)


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_admin_session_list_queries_by_payment(
    count, django_assert_num_queries, admin_client, admin_user, mentor, mentee
):
    """A payment filter is one more condition on the same reads."""
    _make(count, mentor=mentor, mentee=mentee, admin=admin_user)

    with django_assert_num_queries(ADMIN_LIST_QUERIES):
        response = admin_client.get("/admin/sessions/", {"payment": "pending"})

    assert response.content.decode().count("<tr data-session-id=") == min(count, 25)


def _make(count: int, *, mentor, mentee, admin) -> None:
    """Up to 3 sessions through the services (with their emails); more in bulk: every
    status, one hour apart, so one mentor's sessions never overlap (bookings/0010), about
    half of them ended (Past) and half ahead (Upcoming)."""
    if count <= 3:
        _make_sessions(count, mentor=mentor, mentee=mentee, admin=admin)
        return
    start = timezone.now() + timedelta(days=1) - timedelta(hours=count // 2)
    statuses = [Status.PENDING, Status.CONFIRMED, Status.CANCELLED, Status.COMPLETED]
    MentoringSession.objects.bulk_create(
        MentoringSession(
            mentor=mentor,
            mentee=mentee,
            start=start + timedelta(hours=n),
            duration_minutes=60,
            status=statuses[n % 4],
        )
        for n in range(count)
    )


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_mentee_dashboard_queries(count, django_assert_num_queries, admin_user, mentor, mentee):
    _make(count, mentor=mentor, mentee=mentee, admin=admin_user)
    client = client_for(mentee)

    with django_assert_num_queries(MENTEE_DASHBOARD_QUERIES):
        response = client.get("/dashboard/")

    cards = response.content.decode().count('class="card session-card"')
    assert cards == min(count, DASHBOARD_CARDS)


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_mentor_dashboard_queries(count, django_assert_num_queries, admin_user, mentor, mentee):
    _make(count, mentor=mentor, mentee=mentee, admin=admin_user)
    client = client_for(mentor)

    with django_assert_num_queries(MENTOR_DASHBOARD_QUERIES):
        response = client.get("/dashboard/")

    cards = response.content.decode().count('class="card session-card"')
    assert cards == min(count, DASHBOARD_CARDS)


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_session_detail_queries(count, django_assert_num_queries, admin_user, mentor, mentee):
    """The detail page reads one session; other sessions and emails do not add queries."""
    _make(count, mentor=mentor, mentee=mentee, admin=admin_user)
    # After the others: pending sessions of one mentor may not overlap (bookings/0002).
    session = SessionFactory(
        mentor=mentor,
        mentee=mentee,
        status=Status.PENDING,
        start=timezone.now() + timedelta(days=count + 10),
    )
    client = client_for(mentor)

    # session + user, the session with mentor and mentee
    with django_assert_num_queries(3):
        response = client.get(f"/sessions/{session.pk}/")

    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 3, 1000])
def test_confirm_post_queries(count, django_assert_num_queries, admin_client, admin_user, mentee):
    """However many sessions (and emails) there are, a confirmation costs the same queries.
    The session confirmed here is far from the others, of a mentor with none: the clash
    check runs and finds nothing."""
    _make(count, mentor=MentorFactory(), mentee=mentee, admin=admin_user)
    session = SessionFactory(mentee=mentee, start=timezone.now() + timedelta(days=400))
    admin_client.get("/admin/sessions/")  # the Django session exists, as in real use

    with django_assert_num_queries(CONFIRM_QUERIES):
        response = admin_client.post(
            f"/admin/sessions/{session.pk}/set-status/",
            {"action": "confirmed", "meeting_link": MEET},
        )

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.admin_provided_link) == (Status.CONFIRMED, MEET)
    assert session.emails.count() == 2
