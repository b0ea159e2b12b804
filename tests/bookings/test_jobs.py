"""The worker's scheduled jobs (docs/PRODUCT.md): pending sessions expire at the lead
time before their start, and admins are reminded — once per session — of pending
sessions starting soon. Both are safe when several workers run them at the same moment."""

import logging
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from bookings import jobs, services
from bookings.models import MentoringSession, PaymentStatus, SessionEvent, Status
from notifications.management.commands import run_worker
from notifications.models import EmailKind, OutboundEmail, PendingReminder
from payments import services as payments
from payments.models import Payment
from tests.concurrency import run_together
from tests.conftest import MEET
from tests.factories import SessionFactory, UserFactory

NOW = datetime(2030, 1, 15, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
LEAD = timedelta(hours=2)  # PENDING_EXPIRY_LEAD_HOURS
WINDOW = timedelta(hours=24)  # PENDING_REMINDER_WINDOW_HOURS


def pending_at(start: datetime, mentor, mentee, **fields) -> MentoringSession:
    """mentor=None: a mentor of its own (one mentor's sessions may not overlap)."""
    if mentor is None:
        return SessionFactory(mentee=mentee, start=start, **fields)
    return SessionFactory(mentor=mentor, mentee=mentee, start=start, **fields)


def status_of(session: MentoringSession) -> str:
    return MentoringSession.objects.get(pk=session.pk).status


def reminders() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=EmailKind.PENDING_REMINDER).order_by("id"))


@pytest.fixture
def second_admin(db):
    return UserFactory(
        first_name="Bea",
        last_name="Boss",
        email="bea@example.com",
        is_staff=True,
        time_zone="Asia/Kolkata",
    )


# --- expiry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expired"),
    [
        (NOW + LEAD - SECOND, True),
        (NOW + LEAD, True),  # exactly at the lead time: not confirmed in time
        (NOW + LEAD + SECOND, False),
        (NOW - timedelta(hours=3), True),  # already started while no worker ran
    ],
)
def test_pending_session_expires_at_the_lead_time(start, expired, mentor, mentee):
    session = pending_at(start, mentor, mentee)

    count = jobs.expire_pending_sessions(now=NOW)

    assert count == int(expired)
    assert status_of(session) == (Status.CANCELLED if expired else Status.PENDING)


def test_expiry_follows_the_setting(settings, mentor, mentee):
    settings.PENDING_EXPIRY_LEAD_HOURS = 6
    inside = pending_at(NOW + timedelta(hours=6), mentor, mentee)
    outside = pending_at(NOW + timedelta(hours=6) + SECOND, None, UserFactory())

    jobs.expire_pending_sessions(now=NOW)

    assert (status_of(inside), status_of(outside)) == (Status.CANCELLED, Status.PENDING)


@pytest.mark.parametrize("status", [Status.CONFIRMED, Status.COMPLETED, Status.CANCELLED])
def test_only_pending_sessions_expire(status, mentor, mentee):
    session = pending_at(NOW + timedelta(hours=1), mentor, mentee, status=status)
    before = MentoringSession.objects.values().get(pk=session.pk)

    assert jobs.expire_pending_sessions(now=NOW) == 0

    assert MentoringSession.objects.values().get(pk=session.pk) == before


def test_expiry_cancels_as_the_system_with_the_reason_and_an_audit_row(mentor, mentee):
    session = pending_at(NOW + timedelta(hours=1), mentor, mentee)

    jobs.expire_pending_sessions(now=NOW)

    session.refresh_from_db()
    assert (session.cancelled_by, session.cancellation_reason) == (None, "Not confirmed in time")
    event = SessionEvent.objects.get(session=session)
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        None,
        Status.PENDING,
        Status.CANCELLED,
        "Not confirmed in time",
    )


def test_expiry_tells_both_people_why(mentor, mentee):
    session = pending_at(NOW + timedelta(hours=1), mentor, mentee)

    jobs.expire_pending_sessions(now=NOW)

    rows = {row.to_email: row for row in OutboundEmail.objects.filter(session=session)}
    assert sorted(rows) == ["jane@example.com", "john@example.com"]
    for row in rows.values():
        assert row.kind == EmailKind.SESSION_CANCELLED
        assert "cancelled by the CodeMentorHub team." in row.body_text
        assert "Reason: Not confirmed in time" in row.body_text.splitlines()


def test_expiry_marks_a_refund_due_when_paid(mentor, mentee, admin_user):
    session = pending_at(NOW + timedelta(hours=1), mentor, mentee, amount=Decimal("60.00"))
    payments.create_for_session(session)
    services.mark_paid(session, by=admin_user)

    jobs.expire_pending_sessions(now=NOW)

    session.refresh_from_db()
    assert session.payment_status == PaymentStatus.REFUND_DUE
    assert Payment.objects.get(session=session).status == PaymentStatus.REFUND_DUE


def test_a_second_expiry_run_changes_nothing(mentor, mentee):
    session = pending_at(NOW + timedelta(hours=1), mentor, mentee)
    jobs.expire_pending_sessions(now=NOW)
    before = MentoringSession.objects.values().get(pk=session.pk)

    assert jobs.expire_pending_sessions(now=NOW) == 0

    assert MentoringSession.objects.values().get(pk=session.pk) == before
    assert SessionEvent.objects.count() == 1
    assert OutboundEmail.objects.count() == 2


def test_a_session_confirmed_after_it_was_listed_is_not_expired(mentor, mentee, admin_user):
    """The status is re-checked under the row lock: confirmed meanwhile means keep it."""
    session = pending_at(NOW + timedelta(hours=1), mentor, mentee)
    services.confirm_session(session, link=MEET, by=admin_user)

    assert jobs._expire_one(session.pk, NOW + LEAD) == 0

    assert status_of(session) == Status.CONFIRMED


def test_one_failing_session_does_not_stop_the_others(monkeypatch, mentor, mentee, caplog):
    first = pending_at(NOW + timedelta(hours=1), mentor, mentee)
    second = pending_at(NOW + timedelta(hours=1, minutes=30), None, UserFactory())
    real_cancel = services.cancel_session

    def flaky_cancel(session, **kwargs):
        if session.pk == first.pk:
            raise RuntimeError("boom")
        return real_cancel(session, **kwargs)

    monkeypatch.setattr(services, "cancel_session", flaky_cancel)

    assert jobs.expire_pending_sessions(now=NOW) == 1

    assert (status_of(first), status_of(second)) == (Status.PENDING, Status.CANCELLED)
    assert f"could not expire pending session {first.pk}" in caplog.text


# --- reminders to admins ---------------------------------------------------------------


def test_each_admin_gets_one_email_listing_the_pending_sessions_starting_soon(
    admin_user, second_admin, mentor, mentee
):
    soon = pending_at(NOW + timedelta(hours=3), mentor, mentee)
    later = pending_at(NOW + timedelta(hours=20), mentor, mentee)

    assert jobs.remind_admins_of_pending(now=NOW) == 2

    assert [(row.to_email, row.session_id) for row in reminders()] == [
        ("admin@example.com", None),
        ("bea@example.com", None),
    ]
    assert set(PendingReminder.objects.values_list("admin__email", "session_id")) == {
        ("admin@example.com", soon.pk),
        ("admin@example.com", later.pk),
        ("bea@example.com", soon.pk),
        ("bea@example.com", later.pk),
    }


@pytest.mark.parametrize(
    ("start", "listed"),
    [
        (NOW, False),  # starting now: too late to remind (expiry handles it)
        (NOW + SECOND, True),
        (NOW + WINDOW, True),
        (NOW + WINDOW + SECOND, False),
    ],
)
def test_reminder_window_boundaries(start, listed, admin_user, mentor, mentee):
    pending_at(start, mentor, mentee)

    assert jobs.remind_admins_of_pending(now=NOW) == int(listed)


def test_reminder_lists_only_pending_sessions(admin_user, mentor, mentee):
    for hour, status in enumerate((Status.CONFIRMED, Status.CANCELLED, Status.COMPLETED)):
        pending_at(NOW + timedelta(hours=3 + hour), mentor, mentee, status=status)

    assert jobs.remind_admins_of_pending(now=NOW) == 0


def test_non_staff_and_inactive_admins_get_no_reminder(mentor, mentee, other_mentee):
    UserFactory(is_staff=True, is_active=False)
    pending_at(NOW + timedelta(hours=3), mentor, mentee)

    assert jobs.remind_admins_of_pending(now=NOW) == 0
    assert reminders() == []


def test_a_session_is_never_reminded_twice_to_the_same_admin(admin_user, mentor, mentee):
    first = pending_at(NOW + timedelta(hours=3), mentor, mentee)
    jobs.remind_admins_of_pending(now=NOW)

    assert jobs.remind_admins_of_pending(now=NOW + timedelta(minutes=1)) == 0

    newcomer = pending_at(NOW + timedelta(hours=4), mentor, mentee)
    assert jobs.remind_admins_of_pending(now=NOW + timedelta(minutes=2)) == 1
    latest = reminders()[-1]
    assert f"dialog=confirm-{newcomer.pk}" in latest.body_text
    assert f"dialog=confirm-{first.pk}" not in latest.body_text


def test_a_new_admin_is_reminded_of_sessions_others_already_were(admin_user, mentor, mentee):
    pending_at(NOW + timedelta(hours=3), mentor, mentee)
    jobs.remind_admins_of_pending(now=NOW)
    UserFactory(email="new-admin@example.com", is_staff=True)

    assert jobs.remind_admins_of_pending(now=NOW) == 1

    assert reminders()[-1].to_email == "new-admin@example.com"


def test_reminder_email_lists_sessions_in_the_admins_zone(settings, second_admin, mentor, mentee):
    settings.SITE_URL = "https://mentors.example.com"
    session = pending_at(NOW + timedelta(hours=3), mentor, mentee)  # 13:00 UTC

    jobs.remind_admins_of_pending(now=NOW)

    (email,) = reminders()
    assert email.subject == (
        "1 pending session to confirm — the first starts 2030-01-15 18:30 (Asia/Kolkata)"
    )
    lines = email.body_text.splitlines()
    assert lines[0] == "Hello Bea,"
    assert (
        "1 session is still pending and starts within the next 24 hours. "
        "Please confirm it with a meeting link, or cancel."
    ) in lines
    assert "- Jane Smith – John Doe: 2030-01-15 18:30 (Asia/Kolkata), 60 minutes" in lines
    assert "  Cancelled automatically at 2030-01-15 16:30 if not confirmed." in lines
    confirm = (
        f"https://mentors.example.com/admin/sessions/?status=pending&dialog=confirm-{session.pk}"
    )
    assert f"  Confirm: {confirm}" in lines
    assert confirm.replace("&", "&amp;") in email.body_html
    assert "Jane Smith – John Doe" in email.body_html


def test_reminder_lists_several_sessions_soonest_first(admin_user, mentor, mentee):
    later = pending_at(NOW + timedelta(hours=9), mentor, mentee)
    sooner = pending_at(NOW + timedelta(hours=5), mentor, mentee)

    jobs.remind_admins_of_pending(now=NOW)

    (email,) = reminders()
    text = email.body_text
    assert email.subject.startswith("2 pending sessions to confirm")
    assert "2 sessions are still pending and start within the next 24 hours." in text
    assert text.index(f"confirm-{sooner.pk}") < text.index(f"confirm-{later.pk}")


# --- several workers at once -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_expiry_runs_cancel_each_session_once(mentor, mentee):
    sessions = [pending_at(NOW + timedelta(minutes=10 * n), None, UserFactory()) for n in range(6)]

    results = run_together(*[partial(jobs.expire_pending_sessions, now=NOW)] * 3)

    assert sum(results) == len(sessions), results
    for session in sessions:
        assert status_of(session) == Status.CANCELLED
        assert SessionEvent.objects.filter(session=session).count() == 1
        assert OutboundEmail.objects.filter(session=session).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_reminder_runs_remind_each_admin_once(admin_user, second_admin, mentor, mentee):
    sessions = [pending_at(NOW + timedelta(hours=3 + n), mentor, mentee) for n in range(4)]

    results = run_together(*[partial(jobs.remind_admins_of_pending, now=NOW)] * 3)

    assert sum(results) == 2, results
    assert sorted(row.to_email for row in reminders()) == ["admin@example.com", "bea@example.com"]
    assert PendingReminder.objects.count() == 2 * len(sessions)


# --- the worker runs them on a schedule ------------------------------------------------


@pytest.fixture
def keep_connection(monkeypatch):
    """A round closes stale connections between jobs (right in a long-lived worker); inside
    a test's transaction that would close the test's own connection."""
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)


def test_one_round_runs_the_sweep_expiry_and_reminders(keep_connection, admin_user, mentor, mentee):
    now = timezone.now()
    expiring = pending_at(now + timedelta(hours=1), mentor, mentee)
    pending_at(now + timedelta(hours=5), mentor, mentee)

    results = run_worker.run_periodic_jobs()

    assert results == {
        "outbox sweep": 0,
        "expire pending sessions": 1,
        "remind admins of pending sessions": 1,
        "session reminders": 0,
        # SQLite's statistics refreshed (ops/jobs.py); PostgreSQL keeps its own
        "planner statistics": 1 if connection.vendor == "sqlite" else 0,
    }
    assert status_of(expiring) == Status.CANCELLED


def test_a_failing_job_is_logged_and_the_others_still_run(keep_connection, caplog):
    def broken() -> int:
        raise RuntimeError("database gone")

    with caplog.at_level(logging.ERROR, logger="notifications"):
        results = run_worker.run_periodic_jobs([("broken", broken), ("fine", lambda: 3)])

    assert results == {"broken": -1, "fine": 3}
    assert "broken failed" in caplog.text


def test_the_worker_loop_runs_rounds_until_stopped(keep_connection, monkeypatch):
    stop = threading.Event()
    rounds: list[int] = []

    def last_round() -> int:
        rounds.append(1)
        stop.set()
        return 0

    monkeypatch.setattr(run_worker, "periodic_jobs", lambda: [("last", last_round)])

    run_worker.Command._jobs_loop(stop, 0.01)

    assert rounds == [1]
