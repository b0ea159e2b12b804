"""Reminders before a confirmed session (docs/PRODUCT.md): queued by the scheduled
job at their moment, once, to both people, with the current link — and never delivered
out of date. Times are set explicitly (the job takes `now`; delivery reads the clock)."""

import logging
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction

from bookings import reminders, services
from bookings.reminders import send_due_reminders
from notifications.delivery import deliver, relay, send_due_emails
from notifications.models import EmailKind, EmailState, OutboundEmail, SessionReminder
from tests.concurrency import run_together
from tests.conftest import MEET
from tests.factories import SessionFactory

SITE = "https://mentors.example.com"
NEW_MEET = "https://meet.google.com/xyz-wxyz-xyz"
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)  # 08:00 New York (John), 14:00 Berlin (Jane)
ADDRESSES = ["jane@example.com", "john@example.com"]


@pytest.fixture(autouse=True)
def site_and_leads(settings):
    settings.SITE_URL = SITE
    settings.SESSION_REMINDER_HOURS = [24, 1]


@pytest.fixture
def confirmed(clock, pending_session, admin_user):
    """Confirmed long before any reminder moment (the clock reads today)."""
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


def reminder_rows() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=EmailKind.SESSION_REMINDER).order_by("id"))


def records() -> list[tuple]:
    return list(
        SessionReminder.objects.order_by("id").values_list(
            "recipient__email", "lead_hours", "sequence"
        )
    )


def session_kinds(smtp) -> list[tuple[str, str]]:
    return sorted(
        (item.message["X-CodeMentorHub-Kind"], item.rcpt_tos[0]) for item in smtp.received
    )


# --- Queued at their moment, once ---------------------------------------------------------


def test_nothing_is_queued_before_the_24_hour_moment(confirmed):
    assert send_due_reminders(now=START - timedelta(hours=24, seconds=1)) == 0

    assert reminder_rows() == []
    assert records() == []


def test_at_the_24_hour_moment_mentee_and_mentor_each_get_one_reminder(confirmed):
    queued = send_due_reminders(now=START - timedelta(hours=24))

    assert queued == 2
    rows = reminder_rows()
    assert [(row.to_email, row.recipient_id, row.session_id, row.state) for row in rows] == [
        ("john@example.com", confirmed.mentee_id, confirmed.pk, EmailState.QUEUED),
        ("jane@example.com", confirmed.mentor_id, confirmed.pk, EmailState.QUEUED),
    ]
    assert {(row.session_sequence, row.ics) for row in rows} == {(1, "")}
    assert records() == [("john@example.com", 24, 1), ("jane@example.com", 24, 1)]
    assert [r.email_id for r in SessionReminder.objects.order_by("id")] == [r.pk for r in rows]


def test_reminder_to_the_mentee_is_in_his_zone_with_the_link(confirmed):
    send_due_reminders(now=START - timedelta(hours=24))

    row = OutboundEmail.objects.get(kind=EmailKind.SESSION_REMINDER, to_email="john@example.com")
    assert (
        row.subject
        == "Reminder: session with Jane Smith in 24 hours — 2030-01-15 08:00 (America/New_York)"
    )
    assert row.body_text == (
        "Hello John,\n"
        "\n"
        "This is a reminder: your session with Jane Smith starts in 24 hours.\n"
        "\n"
        "Session Details:\n"
        "---------------------------------------------\n"
        "Date: 2030-01-15\n"
        "Time: 08:00 (America/New_York)\n"
        "Duration: 60 minutes\n"
        f"Meeting Link: {MEET}\n"
        "---------------------------------------------\n"
        "\n"
        "Please join the meeting 5 minutes before the scheduled time.\n"
        "\n"
        f"See the session: {SITE}/sessions/{confirmed.pk}/\n"
        f"Need another time? Choose one here: {SITE}/sessions/{confirmed.pk}/reschedule/\n"
        f"Cannot attend? Cancel it here: {SITE}/sessions/{confirmed.pk}/cancel/\n"
        "\n"
        "Questions? Write to us at no-reply@codementorhub.test.\n"
        "\n"
        "Best regards,\n"
        "CodeMentorHub Team\n"
    )


def test_reminder_to_the_mentor_is_in_her_zone_with_the_link_in_both_parts(confirmed):
    send_due_reminders(now=START - timedelta(hours=1))

    row = OutboundEmail.objects.get(kind=EmailKind.SESSION_REMINDER, to_email="jane@example.com")
    assert (
        row.subject
        == "Reminder: session with John Doe in 1 hour — 2030-01-15 14:00 (Europe/Berlin)"
    )
    lines = row.body_text.splitlines()
    assert "This is a reminder: your session with John Doe starts in 1 hour." in lines
    assert "Time: 14:00 (Europe/Berlin)" in lines
    assert f"Meeting Link: {MEET}" in lines
    assert "This is a reminder: your session with John Doe starts in 1 hour." in row.body_html
    assert "14:00 (Europe/Berlin)" in row.body_html
    assert f'<a href="{MEET}"' in row.body_html
    assert f'href="{SITE}/sessions/{confirmed.pk}/"' in row.body_html


def test_running_again_queues_nothing_more(confirmed):
    send_due_reminders(now=START - timedelta(hours=24))

    again = [
        send_due_reminders(now=START - delta)
        for delta in (timedelta(hours=24), timedelta(hours=12), timedelta(hours=1, seconds=1))
    ]

    assert again == [0, 0, 0]
    assert len(reminder_rows()) == 2


def test_at_the_1_hour_moment_each_gets_the_second_reminder(confirmed):
    send_due_reminders(now=START - timedelta(hours=24))

    assert send_due_reminders(now=START - timedelta(hours=1)) == 2
    assert send_due_reminders(now=START - timedelta(minutes=30)) == 0

    assert records() == [
        ("john@example.com", 24, 1),
        ("jane@example.com", 24, 1),
        ("john@example.com", 1, 1),
        ("jane@example.com", 1, 1),
    ]
    latest = reminder_rows()[-1]
    assert (
        latest.subject
        == "Reminder: session with John Doe in 1 hour — 2030-01-15 14:00 (Europe/Berlin)"
    )


def test_lead_times_come_from_the_settings(settings, confirmed):
    settings.SESSION_REMINDER_HOURS = [48, 2]

    queued = [
        send_due_reminders(now=START - delta)
        for delta in (timedelta(hours=49), timedelta(hours=48), timedelta(hours=2))
    ]

    assert queued == [0, 2, 2]
    assert sorted({lead for _, lead, _ in records()}) == [2, 48]


# --- The worker was down ------------------------------------------------------------------


def test_a_missed_24_hour_moment_is_still_sent_before_the_start(confirmed):
    queued = send_due_reminders(now=START - timedelta(hours=5))

    assert queued == 2
    assert records() == [("john@example.com", 24, 1), ("jane@example.com", 24, 1)]
    row = reminder_rows()[0]
    assert (
        row.subject
        == "Reminder: session with Jane Smith in 5 hours — 2030-01-15 08:00 (America/New_York)"
    )
    assert "This is a reminder: your session with Jane Smith starts in 5 hours." in (
        row.body_text.splitlines()
    )


def test_once_the_1_hour_moment_has_passed_only_the_1_hour_reminder_is_sent(confirmed):
    first = send_due_reminders(now=START - timedelta(minutes=30))
    later = send_due_reminders(now=START - timedelta(minutes=10))

    assert (first, later) == (2, 0)
    assert records() == [("john@example.com", 1, 1), ("jane@example.com", 1, 1)]
    assert reminder_rows()[0].subject == (
        "Reminder: session with Jane Smith in 30 minutes — 2030-01-15 08:00 (America/New_York)"
    )


@pytest.mark.parametrize("after", [timedelta(0), timedelta(minutes=1), timedelta(days=1)])
def test_nothing_is_queued_once_the_session_has_started(confirmed, after):
    assert send_due_reminders(now=START + after) == 0

    assert reminder_rows() == []


# --- Only confirmed sessions, and only moments after the confirmation ----------------------


@pytest.mark.parametrize("action", ["cancel", "complete", "leave pending"])
def test_no_reminder_for_a_session_that_is_not_confirmed(
    clock, pending_session, admin_user, action
):
    if action == "cancel":
        services.confirm_session(pending_session, link=MEET, by=admin_user)
        services.cancel_session(pending_session, by=admin_user, reason="Mentor is ill")
    elif action == "complete":
        services.confirm_session(pending_session, link=MEET, by=admin_user)
        clock.now = START  # completed once it has started
        services.complete_session(pending_session, by=admin_user)

    assert send_due_reminders(now=START - timedelta(hours=1)) == 0
    assert reminder_rows() == []


def test_a_moment_before_the_confirmation_is_not_owed(clock, pending_session, admin_user):
    clock.now = START - timedelta(hours=3)
    services.confirm_session(pending_session, link=MEET, by=admin_user)

    queued = [
        send_due_reminders(now=START - timedelta(hours=3)),
        send_due_reminders(now=START - timedelta(hours=1)),
    ]

    assert queued == [0, 2]
    assert records() == [("john@example.com", 1, 1), ("jane@example.com", 1, 1)]


# --- Delivery: current content only -------------------------------------------------------


def test_a_due_reminder_is_delivered_over_smtp_with_the_link(smtp, clock, confirmed):
    send_due_emails()  # the confirmations
    smtp.received.clear()
    clock.now = START - timedelta(hours=24)
    send_due_reminders()

    assert send_due_emails() == {"sent": 2}

    assert session_kinds(smtp) == [
        ("session_reminder", "jane@example.com"),
        ("session_reminder", "john@example.com"),
    ]
    for item in smtp.received:
        assert f"Meeting Link: {MEET}" in item.message.get_body(("plain",)).get_content()
        assert list(item.message.iter_attachments()) == []


def test_a_reminder_for_a_session_cancelled_before_delivery_is_skipped(
    smtp, clock, confirmed, admin_user
):
    clock.now = START - timedelta(hours=24)
    send_due_reminders()
    services.cancel_session(confirmed, by=admin_user, reason="Mentor is ill")

    outcome = send_due_emails()

    assert outcome == {"sent": 4, "skipped": 2}
    for row in reminder_rows():
        assert (row.state, row.attempts, row.sent_at) == (EmailState.SKIPPED, 0, None)
        assert row.last_error == (
            "Out of date: the session was cancelled after this email was written."
        )
    assert session_kinds(smtp) == [
        ("session_cancelled", "jane@example.com"),
        ("session_cancelled", "john@example.com"),
        ("session_confirmed", "jane@example.com"),
        ("session_confirmed", "john@example.com"),
    ]


def test_a_reminder_for_a_completed_session_is_skipped(clock, confirmed, admin_user):
    clock.now = START - timedelta(minutes=30)
    send_due_reminders()
    clock.now = START + timedelta(minutes=1)  # completed once it has started
    services.complete_session(confirmed, by=admin_user)
    [reminder, _] = reminder_rows()

    assert deliver(reminder.pk) == EmailState.SKIPPED

    reminder.refresh_from_db()
    assert (reminder.state, reminder.last_error) == (
        EmailState.SKIPPED,
        "Out of date: the session was completed after this email was written.",
    )


def test_a_reminder_whose_turn_comes_after_the_start_is_skipped(smtp_down, clock, confirmed):
    clock.now = START - timedelta(minutes=30)
    send_due_reminders()
    assert send_due_emails() == {"queued": 4}  # SMTP is down: retries in 30–60 s
    smtp_down.start()
    clock.now = START

    assert send_due_emails() == {"sent": 2, "skipped": 2}

    for row in reminder_rows():
        assert (row.state, row.attempts) == (EmailState.SKIPPED, 1)
        assert row.last_error == ("Out of date: the session had already started.")
    assert sorted(kind for kind, _ in session_kinds(smtp_down)) == ["session_confirmed"] * 2


def test_a_reminder_with_the_old_link_is_skipped_and_one_with_the_new_link_follows(
    smtp, clock, confirmed, admin_user
):
    send_due_emails()  # the confirmations
    smtp.received.clear()
    clock.now = START - timedelta(hours=24)
    send_due_reminders()
    old = reminder_rows()
    services.change_meeting_link(confirmed, link=NEW_MEET, by=admin_user)

    assert send_due_emails() == {"sent": 2, "skipped": 2}
    assert send_due_reminders() == 2
    assert send_due_emails() == {"sent": 2}

    for row in old:
        row.refresh_from_db()
        assert (row.state, row.last_error) == (
            EmailState.SKIPPED,
            "Out of date: the session changed (its status, time or meeting link) after this "
            "email was written.",
        )
    new = reminder_rows()[2:]
    assert [(row.to_email, row.session_sequence, row.state) for row in new] == [
        ("john@example.com", 2, EmailState.SENT),
        ("jane@example.com", 2, EmailState.SENT),
    ]
    assert records() == [
        ("john@example.com", 24, 1),
        ("jane@example.com", 24, 1),
        ("john@example.com", 24, 2),
        ("jane@example.com", 24, 2),
    ]
    reminders_received = [
        item.message.get_body(("plain",)).get_content()
        for item in smtp.received
        if item.message["X-CodeMentorHub-Kind"] == "session_reminder"
    ]
    assert len(reminders_received) == 2
    for text in reminders_received:
        assert f"Meeting Link: {NEW_MEET}" in text.splitlines()
        assert MEET not in text


def test_a_reminder_already_delivered_is_not_repeated_after_a_link_change(
    smtp, clock, confirmed, admin_user
):
    clock.now = START - timedelta(hours=24)
    send_due_reminders()
    send_due_emails()
    clock.now = START - timedelta(hours=10)
    services.change_meeting_link(confirmed, link=NEW_MEET, by=admin_user)

    assert send_due_reminders() == 0  # the link-change email told them the new link
    assert send_due_reminders(now=START - timedelta(hours=1)) == 2

    latest = reminder_rows()[-2:]
    assert [(row.to_email, row.session_sequence) for row in latest] == [
        ("john@example.com", 2),
        ("jane@example.com", 2),
    ]
    assert all(f"Meeting Link: {NEW_MEET}" in row.body_text for row in latest)


def test_other_session_emails_are_sent_even_if_the_session_changed_since(
    smtp, clock, confirmed, admin_user
):
    # A confirmation followed by a link change is history, not a stale promise: both go out
    # (the link-change email says what changed), only reminders are checked.
    services.change_meeting_link(confirmed, link=NEW_MEET, by=admin_user)

    assert send_due_emails() == {"sent": 4}


# --- Several workers ----------------------------------------------------------------------


def test_a_reminder_recorded_meanwhile_by_another_worker_rolls_back_ours(
    confirmed, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="bookings.reminders")
    # Between our check and our insert another worker records the mentee's reminder: the
    # unique constraint refuses ours, and nothing of this run is kept.
    real_queue = reminders.queue_session_reminder

    def queue_then_collide(session, person, **kwargs):
        email = real_queue(session, person, **kwargs)
        SessionReminder.objects.create(
            session=session,
            recipient=person,
            lead_hours=24,
            sequence=session.ics_sequence,
            start=session.start,
        )
        return email

    monkeypatch.setattr(reminders, "queue_session_reminder", queue_then_collide)

    assert send_due_reminders(now=START - timedelta(hours=24)) == 0

    assert reminder_rows() == []
    assert records() == []
    assert "already being queued elsewhere" in caplog.text


def test_the_record_is_unique_per_session_recipient_lead_and_revision(confirmed):
    send_due_reminders(now=START - timedelta(hours=24))

    with pytest.raises(IntegrityError), transaction.atomic():
        SessionReminder.objects.create(
            session=confirmed,
            recipient=confirmed.mentee,
            lead_hours=24,
            sequence=1,
            start=confirmed.start,
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_remind_each_person_once(mentor, mentee, admin_user):
    sessions = [
        SessionFactory(mentor=mentor, mentee=mentee, start=START + timedelta(hours=2 * n))
        for n in range(4)
    ]
    for session in sessions:
        services.confirm_session(session, link=MEET, by=admin_user)

    results = run_together(*[partial(send_due_reminders, now=START - timedelta(hours=1))] * 3)

    assert sum(results) == 2 * len(sessions), results
    assert SessionReminder.objects.count() == 2 * len(sessions)
    for session in sessions:
        assert (
            sorted(
                OutboundEmail.objects.filter(
                    session=session, kind=EmailKind.SESSION_REMINDER
                ).values_list("to_email", flat=True)
            )
            == ADDRESSES
        )


def test_the_worker_runs_the_reminder_job_every_round(monkeypatch, clock, confirmed):
    from notifications.management.commands import run_worker

    # A round closes stale connections between jobs; in a test that is the test's own.
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    relay()  # as the worker's relay thread does within a second of the confirmation
    clock.now = START - timedelta(hours=24)

    results = run_worker.run_periodic_jobs()

    assert results == {
        "outbox sweep": 0,  # the confirmations are overdue, but their tasks are still ready
        "expire pending sessions": 0,
        "remind admins of pending sessions": 0,
        "session reminders": 2,
        # SQLite's statistics refreshed (ops/jobs.py); PostgreSQL keeps its own
        "planner statistics": 1 if connection.vendor == "sqlite" else 0,
    }
    assert records() == [("john@example.com", 24, 1), ("jane@example.com", 24, 1)]
