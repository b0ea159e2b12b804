"""Reminders follow a moved session (docs/PRODUCT.md §5.1): those written for the old time
are skipped at delivery, and the new time gets its own, even when the person already had
that lead's reminder for the old time. Delivered through the worker's delivery path to a
real SMTP server.

The session starts 2030-01-15 13:00 UTC (08:00 for John in New York, 14:00 for Jane in
Berlin), confirmed days before; Jane is available every day 00:00–23:30 her time."""

from datetime import UTC, datetime, time, timedelta

import pytest

from bookings import services
from bookings.reminders import send_due_reminders
from notifications.delivery import send_due_emails
from notifications.models import EmailKind, EmailState, OutboundEmail, SessionReminder
from tests.availability.factories import every_day
from tests.conftest import MEET
from tests.notifications.conftest import run_worker_batch

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)

pytestmark = [
    pytest.mark.clock(START - timedelta(days=5)),
    pytest.mark.usefixtures("booking_rules", "site"),
]


@pytest.fixture(autouse=True)
def leads(settings):
    settings.SESSION_REMINDER_HOURS = [24, 1]


@pytest.fixture
def confirmed(mentor, pending_session, admin_user, clock):
    every_day(mentor, time(0), time(23, 30))
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


def reminders() -> list[tuple[str, str, str]]:
    """(to, state, the Time line) of every reminder email, in order."""
    rows = OutboundEmail.objects.filter(kind=EmailKind.SESSION_REMINDER).order_by("id")
    return [
        (
            row.to_email,
            row.state,
            next(line for line in row.body_text.splitlines() if line.startswith("Time: ")),
        )
        for row in rows
    ]


def delivered_reminders(smtp) -> list[tuple[str, str]]:
    return sorted(
        (item.rcpt_tos[0], item.message["Subject"])
        for item in smtp.received
        if item.message["X-CodeMentorHub-Kind"] == "session_reminder"
    )


def kinds_received(smtp) -> list[tuple[str, str]]:
    return sorted(
        (item.message["X-CodeMentorHub-Kind"], item.rcpt_tos[0]) for item in smtp.received
    )


MOVED_THEN_REMINDED = [
    ("session_moved", "jane@example.com"),
    ("session_moved", "john@example.com"),
    ("session_reminder", "jane@example.com"),
    ("session_reminder", "john@example.com"),
]


def test_a_person_reminded_for_the_old_time_is_reminded_again_before_the_new_one(
    smtp, clock, confirmed, mentor
):
    clock.set(START - timedelta(hours=24))
    assert send_due_reminders() == 2
    send_due_emails()
    assert delivered_reminders(smtp) == [
        (
            "jane@example.com",
            "Reminder: session with John Doe in 24 hours — 2030-01-15 14:00 (Europe/Berlin)",
        ),
        (
            "john@example.com",
            "Reminder: session with Jane Smith in 24 hours — 2030-01-15 08:00 (America/New_York)",
        ),
    ]
    smtp.received.clear()
    new_start = START + timedelta(days=3)

    clock.set(START - timedelta(hours=20))
    services.reschedule_session(confirmed, start=new_start, by=mentor, now=clock.now)
    assert send_due_emails() == {"sent": 2}  # the "moved" emails
    for moment in (START - timedelta(hours=20), START - timedelta(hours=1), START):
        assert send_due_reminders(now=moment) == 0  # nothing is owed for the old time

    clock.set(new_start - timedelta(hours=24))
    assert send_due_reminders() == 2
    assert send_due_emails() == {"sent": 2}

    assert delivered_reminders(smtp) == [
        (
            "jane@example.com",
            "Reminder: session with John Doe in 24 hours — 2030-01-18 14:00 (Europe/Berlin)",
        ),
        (
            "john@example.com",
            "Reminder: session with Jane Smith in 24 hours — 2030-01-18 08:00 (America/New_York)",
        ),
    ]
    assert list(
        SessionReminder.objects.order_by("id").values_list(
            "recipient__email", "lead_hours", "sequence", "start"
        )
    ) == [
        ("john@example.com", 24, 1, START),
        ("jane@example.com", 24, 1, START),
        ("john@example.com", 24, 2, new_start),
        ("jane@example.com", 24, 2, new_start),
    ]
    assert send_due_reminders(now=new_start - timedelta(hours=23)) == 0  # and once only


def test_a_reminder_for_the_old_time_not_yet_delivered_is_skipped_and_the_new_one_comes(
    smtp, clock, confirmed, mentor
):
    send_due_emails()  # the confirmations
    smtp.received.clear()
    clock.set(START - timedelta(hours=24))
    assert send_due_reminders() == 2  # queued for 08:00 / 14:00, not delivered yet
    new_start = START - timedelta(hours=6)  # its own 24-h moment has passed: due at once

    services.reschedule_session(confirmed, start=new_start, by=mentor, now=clock.now)
    assert send_due_emails() == {"sent": 2, "skipped": 2}
    assert send_due_reminders() == 2
    assert send_due_emails() == {"sent": 2}

    assert reminders() == [
        ("john@example.com", EmailState.SKIPPED, "Time: 08:00 (America/New_York)"),
        ("jane@example.com", EmailState.SKIPPED, "Time: 14:00 (Europe/Berlin)"),
        ("john@example.com", EmailState.SENT, "Time: 02:00 (America/New_York)"),
        ("jane@example.com", EmailState.SENT, "Time: 08:00 (Europe/Berlin)"),
    ]
    skipped = OutboundEmail.objects.filter(state=EmailState.SKIPPED)
    assert {(row.attempts, row.sent_at, row.last_error) for row in skipped} == {
        (
            0,
            None,
            "Out of date: the session changed (its status, time or meeting link) after this "
            "email was written.",
        )
    }
    assert kinds_received(smtp) == MOVED_THEN_REMINDED
    assert delivered_reminders(smtp) == [
        (
            "jane@example.com",
            "Reminder: session with John Doe in 18 hours — 2030-01-15 08:00 (Europe/Berlin)",
        ),
        (
            "john@example.com",
            "Reminder: session with Jane Smith in 18 hours — 2030-01-15 02:00 (America/New_York)",
        ),
    ]


# The real worker (django-tasks-db's db_worker, as run_worker runs it) commits as it goes:
# see tests/notifications/test_delivery.py for why transaction=True.
@pytest.mark.django_db(transaction=True)
def test_the_worker_skips_the_old_times_reminder_and_delivers_the_new_ones(
    worker_signals, smtp, clock, confirmed, mentor
):
    run_worker_batch()  # the confirmations
    smtp.received.clear()
    clock.set(START - timedelta(hours=24))
    assert send_due_reminders() == 2
    new_start = START - timedelta(hours=6)

    services.reschedule_session(confirmed, start=new_start, by=mentor, now=clock.now)
    run_worker_batch()
    assert send_due_reminders() == 2
    run_worker_batch()

    assert [(to, state) for to, state, _ in reminders()] == [
        ("john@example.com", EmailState.SKIPPED),
        ("jane@example.com", EmailState.SKIPPED),
        ("john@example.com", EmailState.SENT),
        ("jane@example.com", EmailState.SENT),
    ]
    assert kinds_received(smtp) == MOVED_THEN_REMINDED
    sent = OutboundEmail.objects.filter(
        kind__in=[EmailKind.SESSION_MOVED, EmailKind.SESSION_REMINDER], state=EmailState.SENT
    )
    assert smtp.message_ids() == {row.message_id: 1 for row in sent}  # each once
