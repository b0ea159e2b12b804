"""Delivery over real SMTP (an aiosmtpd server on 127.0.0.1): exactly once, retries with
backoff, permanent failures, recovery of stuck work, and the real worker (docs/PRODUCT.md)."""

import random
import threading
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult, get_date_max
from icalendar import Calendar

from bookings import services
from bookings.models import Status
from notifications.delivery import (
    backoff_delay,
    deliver,
    deliver_email,
    relay,
    send_due_emails,
    sweep,
)
from notifications.models import EmailState, OutboundEmail
from ops.jobs import analyze
from tests.conftest import MEET
from tests.factories import SessionFactory
from tests.notifications.conftest import run_worker_batch

ADDRESSES = ["jane@example.com", "john@example.com"]
REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"


def rows_by_address() -> dict[str, OutboundEmail]:
    return {row.to_email: row for row in OutboundEmail.objects.all()}


def delivery_tasks() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path="notifications.delivery.deliver_email").order_by(
            "enqueued_at", "run_after"
        )
    )


@pytest.fixture
def confirmed(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


@pytest.fixture
def relayed(confirmed):
    """Confirmed, and the worker's relay has given each of its two emails a task."""
    assert relay() == 2
    return confirmed


# --- Delivered, exactly once --------------------------------------------------------------


def test_confirmation_emails_arrive_over_smtp_with_their_message_ids(smtp, confirmed):
    outcome = send_due_emails()

    assert outcome == {"sent": 2}
    received = smtp.by_recipient()
    assert sorted(received) == ADDRESSES
    for address, row in rows_by_address().items():
        item = received[address]
        assert item.rcpt_tos == (address,)
        assert item.mail_from == "no-reply@codementorhub.test"
        assert item.message["Message-ID"] == row.message_id
        assert item.message["To"] == address
        # As a mail client shows it: Python may fold a 70-78 character subject onto its
        # own line, and its parser keeps the space that starts that line.
        assert item.message["Subject"].strip() == row.subject
        assert MEET in item.message.get_body(("plain",)).get_content()
        assert f'href="{MEET}"' in item.message.get_body(("html",)).get_content()


def test_delivered_invite_is_a_parseable_text_calendar_attachment(smtp, confirmed):
    send_due_emails()

    for item in smtp.received:
        attachments = list(item.message.iter_attachments())
        assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
            ("invite.ics", "text/calendar")
        ]
        assert attachments[0].get_param("method") == "REQUEST"
        calendar = Calendar.from_ical(attachments[0].get_content())
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(calendar.walk("VEVENT")[0]["URL"]) == MEET


def test_delivered_rows_are_marked_sent_after_one_attempt(smtp, clock, confirmed):
    send_due_emails()

    for row in OutboundEmail.objects.all():
        assert (row.state, row.attempts, row.last_error) == (EmailState.SENT, 1, "")
        assert row.sent_at == clock.now
        assert row.lease_expires_at is None


def test_delivering_again_sends_nothing_more(smtp, confirmed):
    send_due_emails()

    assert send_due_emails() == {}
    # Tasks the relay queued for them may still run later in a worker: they find nothing
    # to do.
    assert [deliver_email.call(row.pk) for row in OutboundEmail.objects.all()] == [
        "skipped",
        "skipped",
    ]
    assert len(smtp.received) == 2
    assert {row.attempts for row in OutboundEmail.objects.all()} == {1}


def test_the_relay_queues_one_delivery_task_per_new_email_once(confirmed):
    # The request wrote the two rows and nothing else.
    assert delivery_tasks() == []
    assert [row.task_id for row in OutboundEmail.objects.all()] == [None, None]

    assert relay() == 2
    assert relay() == 0

    tasks = delivery_tasks()
    assert sorted(task.args_kwargs["args"][0] for task in tasks) == sorted(
        OutboundEmail.objects.values_list("pk", flat=True)
    )
    assert {(task.status, task.run_after) for task in tasks} == {
        (TaskResultStatus.READY, get_date_max())
    }


# --- SMTP down: the request is unaffected, delivery retries with backoff ------------------


def test_smtp_down_does_not_affect_the_admins_request(
    admin_client, smtp_down, clock, no_jitter, pending_session
):
    response = admin_client.post(
        f"/admin/sessions/{pending_session.pk}/set-status/",
        {"action": "confirmed", "meeting_link": MEET},
    )

    assert response.status_code == 302
    assert response.url.startswith("/admin/sessions/")
    pending_session.refresh_from_db()
    assert pending_session.status == Status.CONFIRMED
    assert {row.state for row in OutboundEmail.objects.all()} == {EmailState.QUEUED}


def test_smtp_down_keeps_emails_queued_with_backoff(smtp_down, clock, no_jitter, confirmed):
    outcome = send_due_emails()

    assert outcome == {"queued": 2}
    retry_at = clock.now + timedelta(seconds=30)
    for row in OutboundEmail.objects.all():
        assert (row.state, row.attempts, row.last_error) == (EmailState.QUEUED, 1, REFUSED)
        assert row.next_attempt_at == retry_at
        assert row.sent_at is None
    retries = [task for task in delivery_tasks() if task.run_after != get_date_max()]
    assert sorted(task.args_kwargs["args"][0] for task in retries) == sorted(
        OutboundEmail.objects.values_list("pk", flat=True)
    )
    assert {task.run_after for task in retries} == {retry_at}


def test_once_smtp_is_back_every_email_arrives_exactly_once(smtp_down, clock, no_jitter, confirmed):
    send_due_emails()
    smtp_down.start()

    assert send_due_emails() == {}  # the retry is not due yet
    assert smtp_down.received == []
    clock.advance(timedelta(seconds=30))
    assert send_due_emails() == {"sent": 2}
    assert send_due_emails() == {}

    assert sorted(smtp_down.by_recipient()) == ADDRESSES
    assert len(smtp_down.received) == 2
    for row in OutboundEmail.objects.all():
        assert (row.state, row.attempts, row.last_error) == (EmailState.SENT, 2, "")
        assert smtp_down.by_recipient()[row.to_email].message["Message-ID"] == row.message_id


# --- Refusals: permanent (5xx) and temporary (4xx) ----------------------------------------


@pytest.mark.parametrize(
    ("stage", "reply", "error"),
    [
        (
            "rcpt",
            "550 5.1.1 Mailbox unavailable",
            "SMTPRecipientsRefused: {'john@example.com': (550, b'5.1.1 Mailbox unavailable')}",
        ),
        (
            "data",
            "550 5.7.1 Message rejected",
            "SMTPDataError: (550, b'5.7.1 Message rejected')",
        ),
    ],
)
def test_permanent_refusal_fails_after_one_attempt(smtp, clock, confirmed, stage, reply, error):
    setattr(smtp, f"reply_at_{stage}", reply)

    outcome = send_due_emails()

    assert outcome == {"failed": 2}
    row = rows_by_address()["john@example.com"]
    assert (row.state, row.attempts, row.last_error) == (EmailState.FAILED, 1, error)
    assert row.lease_expires_at is None
    assert [task for task in delivery_tasks() if task.run_after != get_date_max()] == []
    clock.advance(timedelta(days=1))
    assert send_due_emails() == {}
    assert smtp.received == []


@pytest.mark.parametrize(
    ("stage", "reply", "error"),
    [
        (
            "rcpt",
            "451 4.3.0 Try again later",
            "SMTPRecipientsRefused: {'john@example.com': (451, b'4.3.0 Try again later')}",
        ),
        (
            "data",
            "451 4.3.0 Try again later",
            "SMTPDataError: (451, b'4.3.0 Try again later')",
        ),
    ],
)
def test_temporary_refusal_is_queued_for_retry(
    smtp, clock, no_jitter, confirmed, stage, reply, error
):
    setattr(smtp, f"reply_at_{stage}", reply)

    outcome = send_due_emails()

    assert outcome == {"queued": 2}
    row = rows_by_address()["john@example.com"]
    assert (row.state, row.attempts, row.last_error) == (EmailState.QUEUED, 1, error)
    assert row.next_attempt_at == clock.now + timedelta(seconds=30)


def test_temporary_refusals_fail_for_good_after_the_maximum_attempts(
    settings, smtp, clock, no_jitter, confirmed
):
    settings.EMAIL_MAX_ATTEMPTS = 3
    smtp.reply_at_data = "451 4.3.0 Try again later"

    outcomes = [send_due_emails()]
    clock.advance(timedelta(seconds=30))
    outcomes.append(send_due_emails())
    clock.advance(timedelta(seconds=60))
    outcomes.append(send_due_emails())
    clock.advance(timedelta(days=1))
    outcomes.append(send_due_emails())

    assert outcomes == [{"queued": 2}, {"queued": 2}, {"failed": 2}, {}]
    for row in OutboundEmail.objects.all():
        assert (row.state, row.attempts) == (EmailState.FAILED, 3)
        assert row.last_error == "SMTPDataError: (451, b'4.3.0 Try again later')"
    assert sorted(smtp.rcpt_attempts) == sorted(ADDRESSES * 3)
    assert smtp.received == []


def test_a_message_that_cannot_be_built_fails_instead_of_staying_in_sending(smtp, confirmed):
    OutboundEmail.objects.filter(to_email="john@example.com").update(
        to_email="john@example.com, eve@example.com"
    )

    outcome = send_due_emails()

    assert outcome == {"failed": 1, "sent": 1}
    row = OutboundEmail.objects.get(to_email__startswith="john@")
    assert (row.state, row.attempts) == (EmailState.FAILED, 1)
    assert row.last_error.startswith("ValueError: Invalid address")
    assert sorted(smtp.by_recipient()) == ["jane@example.com"]


# --- Backoff ------------------------------------------------------------------------------


def test_backoff_doubles_with_each_attempt(settings, no_jitter):
    settings.EMAIL_RETRY_BASE_SECONDS = 30

    delays = [backoff_delay(attempt) for attempt in range(1, 7)]

    assert delays == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 960)]


def test_backoff_jitter_never_goes_below_half(settings, monkeypatch):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    monkeypatch.setattr(random, "uniform", lambda low, high: low)

    delays = [backoff_delay(attempt) for attempt in range(1, 5)]

    assert delays == [timedelta(seconds=s) for s in (15, 30, 60, 120)]


@pytest.mark.parametrize("attempt", range(1, 9))
def test_backoff_stays_within_half_and_full_of_the_exponential_delay(settings, attempt):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    full = timedelta(seconds=30 * 2 ** (attempt - 1))

    delays = [backoff_delay(attempt) for _ in range(200)]

    assert all(full / 2 <= delay <= full for delay in delays)
    assert len(set(delays)) > 1  # jittered, so failures that happened together spread out


def test_backoff_is_capped_at_six_hours(settings, no_jitter):
    settings.EMAIL_RETRY_BASE_SECONDS = 30

    assert backoff_delay(30) == timedelta(hours=6)


# --- Recovery of stuck work ---------------------------------------------------------------


def test_sweep_requeues_an_email_stuck_in_sending_and_it_is_delivered(smtp, clock, confirmed):
    # A worker claimed John's email and was killed before it could record the result.
    OutboundEmail.objects.filter(to_email="john@example.com").update(
        state=EmailState.SENDING, attempts=1, lease_expires_at=clock.now - timedelta(seconds=1)
    )
    tasks_before = {task.id for task in delivery_tasks()}

    assert sweep() == 1

    stuck = OutboundEmail.objects.get(to_email="john@example.com")
    [task] = [task for task in delivery_tasks() if task.id not in tasks_before]
    assert (task.status, task.args_kwargs) == (
        TaskResultStatus.READY,
        {"args": [stuck.pk], "kwargs": {}},
    )
    assert task.task.call(*task.args_kwargs["args"]) == EmailState.SENT
    stuck.refresh_from_db()
    assert (stuck.state, stuck.attempts, stuck.lease_expires_at) == (EmailState.SENT, 2, None)
    assert [item.rcpt_tos for item in smtp.received] == [("john@example.com",)]
    assert smtp.received[0].message["Message-ID"] == stuck.message_id


def test_an_email_with_a_live_lease_is_left_alone(smtp, clock, confirmed):
    lease = clock.now + timedelta(seconds=300)
    OutboundEmail.objects.filter(to_email="john@example.com").update(
        state=EmailState.SENDING, attempts=1, lease_expires_at=lease
    )

    assert sweep() == 0
    assert send_due_emails() == {"sent": 1}  # Jane's only
    assert deliver(OutboundEmail.objects.get(to_email="john@example.com").pk) == "skipped"

    sending = OutboundEmail.objects.get(to_email="john@example.com")
    assert (sending.state, sending.attempts, sending.lease_expires_at) == (
        EmailState.SENDING,
        1,
        lease,
    )
    assert sorted(smtp.by_recipient()) == ["jane@example.com"]


def test_sweep_requeues_queued_emails_whose_task_was_lost(clock, confirmed):
    DBTaskResult.objects.all().delete()

    clock.advance(timedelta(seconds=60))
    assert sweep() == 0  # due, but not yet overdue: its task may simply be waiting
    clock.advance(timedelta(seconds=1))
    assert sweep() == 2

    assert sorted(task.args_kwargs["args"][0] for task in delivery_tasks()) == sorted(
        OutboundEmail.objects.values_list("pk", flat=True)
    )


# --- The relay: new rows get their task from the worker -----------------------------------


def test_the_relay_hands_over_all_rows_or_none(monkeypatch, confirmed):
    """One transaction: when the task queue fails on the second row, the first row's task
    is rolled back too, and both rows wait for the next round."""
    backend = type(deliver_email.get_backend())
    real_enqueue = backend.enqueue
    calls = []

    def enqueue_once_then_fail(self, task, args, kwargs):
        calls.append(args[0])
        if len(calls) > 1:
            raise RuntimeError("task queue down")
        return real_enqueue(self, task, args, kwargs)

    monkeypatch.setattr(backend, "enqueue", enqueue_once_then_fail)
    with pytest.raises(RuntimeError, match="task queue down"):
        relay()

    rows = list(OutboundEmail.objects.order_by("pk"))
    assert calls == [row.pk for row in rows]
    assert delivery_tasks() == []
    assert [row.task_id for row in rows] == [None, None]
    monkeypatch.setattr(backend, "enqueue", real_enqueue)
    assert relay() == 2


def test_an_idle_relay_round_is_one_read_of_its_own_index(admin_user):
    """Every second, in every worker: one read, no lock, of the `email_unrelayed` partial
    index — not of the queued rows, which an SMTP outage leaves by the thousand, each with
    its retry task. (The same read asks every channel's index: one UNION, which PostgreSQL
    is sent in parentheses.)"""
    for _ in range(30):
        services.confirm_session(SessionFactory(), link=MEET, by=admin_user)
    relay()
    OutboundEmail.objects.filter(pk__in=OutboundEmail.objects.order_by("pk")[:20]).update(
        state=EmailState.SENT
    )
    analyze()  # the statistics the worker keeps fresh (ops.jobs)

    with CaptureQueriesContext(connection) as captured:
        assert relay() == 0

    [query] = [entry["sql"] for entry in captured]
    assert query.lstrip("(").startswith("SELECT") and "FOR UPDATE" not in query
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {query}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {query}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "email_unrelayed" in plan, plan
    assert "webhook_unrelayed" in plan, plan


def test_the_relay_leaves_rows_that_are_not_queued_alone(confirmed):
    jane, john = OutboundEmail.objects.order_by("to_email")
    for state in (EmailState.SENT, EmailState.FAILED, EmailState.SKIPPED, EmailState.SENDING):
        OutboundEmail.objects.filter(pk=jane.pk).update(state=state)
        assert relay() == 1  # john's row, still queued without a task
        OutboundEmail.objects.filter(pk=john.pk).update(task_id=None)

    assert [task.args_kwargs["args"] for task in delivery_tasks()] == [[john.pk]] * 4


def test_the_relay_takes_a_batch_at_a_time(monkeypatch, admin_user):
    monkeypatch.setattr("notifications.delivery.RELAY_BATCH", 4)
    for _ in range(3):
        services.confirm_session(SessionFactory(), link=MEET, by=admin_user)

    assert (relay(), relay(), relay()) == (4, 2, 0)
    assert len(delivery_tasks()) == 6


def test_the_worker_relays_again_at_once_after_a_full_batch(monkeypatch):
    from notifications.management.commands import run_worker

    stop = threading.Event()
    waits = []
    monkeypatch.setattr(stop, "wait", waits.append)
    handed_over = iter([run_worker.RELAY_BATCH, run_worker.RELAY_BATCH, 3, 0])

    def fake_relay():
        count = next(handed_over)
        if count == 0:
            stop.set()
        return count

    monkeypatch.setattr(run_worker, "relay", fake_relay)
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    run_worker.Command._relay_loop(stop, 0.5)

    # Two full batches back to back, then a pause after each partial one.
    assert waits == [0.5, 0.5]


def test_the_worker_relay_backs_off_while_it_fails(monkeypatch):
    from notifications.management.commands import run_worker

    stop = threading.Event()
    waits = []
    monkeypatch.setattr(stop, "wait", waits.append)
    outcomes = iter(["fail"] * 9 + [0, "fail", 0])

    def flaky_relay():
        outcome = next(outcomes)
        if outcome == "fail":
            raise OSError("database is down")
        if not waits or len(waits) == 11:
            stop.set()
        return outcome

    monkeypatch.setattr(run_worker, "relay", flaky_relay)
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    run_worker.Command._relay_loop(stop, 0.5)

    # 1, 2, 4 … s, at most a minute; back to the normal pace once a round succeeds.
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 0.5, 1.0, 0.5]


# --- The sweep re-enqueues only rows whose task was lost -----------------------------------


def task_of(row: OutboundEmail) -> DBTaskResult:
    row.refresh_from_db()
    return DBTaskResult.objects.get(pk=row.task_id)


def test_each_email_records_the_task_that_will_deliver_it(relayed):
    for row in OutboundEmail.objects.all():
        task = task_of(row)
        assert task.args_kwargs == {"args": [row.pk], "kwargs": {}}
        assert task.status == TaskResultStatus.READY


def test_a_retry_records_its_new_task(smtp_down, clock, no_jitter, confirmed):
    send_due_emails()

    for row in OutboundEmail.objects.all():
        task = task_of(row)
        assert (task.status, task.run_after) == (TaskResultStatus.READY, row.next_attempt_at)
        assert task.args_kwargs == {"args": [row.pk], "kwargs": {}}


def test_sweep_leaves_overdue_rows_alone_while_their_task_waits(clock, relayed):
    # No worker runs: the rows stay queued and overdue, their tasks ready.
    for _ in range(5):
        clock.advance(timedelta(minutes=10))
        assert sweep() == 0

    assert len(delivery_tasks()) == 2


def test_sweep_requeues_a_row_whose_task_finished_without_sending_it(clock, relayed):
    row = OutboundEmail.objects.get(to_email="john@example.com")
    old = task_of(row)
    DBTaskResult.objects.filter(pk=old.pk).update(status=TaskResultStatus.SUCCESSFUL)
    clock.advance(timedelta(minutes=2))

    assert sweep() == 1
    assert sweep() == 0

    new = task_of(row)
    assert new.pk != old.pk
    assert (new.status, new.args_kwargs) == (
        TaskResultStatus.READY,
        {"args": [row.pk], "kwargs": {}},
    )


@pytest.mark.parametrize(
    ("started_ago", "requeued"),
    [(timedelta(seconds=300), 0), (timedelta(seconds=301), 1)],
    ids=["running-within-a-lease", "running-longer-than-a-lease"],
)
def test_sweep_treats_a_task_running_longer_than_a_lease_as_lost(
    settings, clock, relayed, started_ago, requeued
):
    settings.EMAIL_LEASE_SECONDS = 300
    row = OutboundEmail.objects.get(to_email="john@example.com")
    clock.advance(timedelta(minutes=10))
    DBTaskResult.objects.filter(pk=task_of(row).pk).update(
        status=TaskResultStatus.RUNNING, started_at=clock.now - started_ago
    )

    assert sweep() == requeued


def test_sweep_puts_an_email_stuck_in_sending_back_in_the_queue_once(clock, relayed):
    row = OutboundEmail.objects.get(to_email="john@example.com")
    # The worker that claimed it was killed: its task stays RUNNING, the lease runs out.
    DBTaskResult.objects.filter(pk=task_of(row).pk).update(
        status=TaskResultStatus.RUNNING, started_at=clock.now
    )
    OutboundEmail.objects.filter(pk=row.pk).update(
        state=EmailState.SENDING, attempts=1, lease_expires_at=clock.now + timedelta(seconds=300)
    )
    clock.advance(timedelta(seconds=301))

    assert sweep() == 1

    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at, row.lease_expires_at) == (
        EmailState.QUEUED,
        1,
        clock.now,
        None,
    )
    assert row.last_error == (
        "The worker sending this email stopped before recording the result (lease expired); "
        "queued again."
    )
    assert task_of(row).status == TaskResultStatus.READY
    clock.advance(timedelta(hours=1))
    assert sweep() == 0
    assert len(delivery_tasks()) == 3


def test_sweep_checks_every_row_in_the_same_number_of_queries(clock, admin_user):
    def queries_for_sweep() -> int:
        clock.advance(timedelta(minutes=2))
        with CaptureQueriesContext(connection) as captured:
            assert sweep() == 0
        return len(captured)

    services.confirm_session(SessionFactory(), link=MEET, by=admin_user)
    relay()
    with_two_rows = queries_for_sweep()
    for _ in range(3):
        services.confirm_session(SessionFactory(), link=MEET, by=admin_user)
    relay()

    assert queries_for_sweep() == with_two_rows


# --- The real worker: django-tasks-db's db_worker, in this process ------------------------


# Why transaction=True: the worker calls close_old_connections() on every loop, and inside
# the usual per-test transaction autocommit is off, so Django closes the connection — the test
# transaction with it ("the connection is closed" on PostgreSQL, "Cannot operate on a closed
# database" on SQLite). With transaction=True the tests commit for real (tables are flushed
# afterwards) and the worker runs exactly as in production.
@pytest.mark.django_db(transaction=True)
def test_db_worker_delivers_the_confirmation_emails(worker_signals, smtp, confirmed):
    run_worker_batch()

    assert sorted(smtp.by_recipient()) == ADDRESSES
    assert [(task.status, task.return_value) for task in delivery_tasks()] == [
        (TaskResultStatus.SUCCESSFUL, "sent"),
        (TaskResultStatus.SUCCESSFUL, "sent"),
    ]
    assert {(row.state, row.attempts) for row in OutboundEmail.objects.all()} == {
        (EmailState.SENT, 1)
    }


@pytest.mark.django_db(transaction=True)
def test_db_worker_retries_after_an_smtp_outage_and_delivers_once(
    worker_signals, smtp_down, clock, no_jitter, confirmed
):
    run_worker_batch()  # SMTP down: both attempts fail, retries are queued for +30 s
    smtp_down.start()
    run_worker_batch()  # nothing is due yet
    assert smtp_down.received == []

    clock.advance(timedelta(seconds=30))
    run_worker_batch()
    run_worker_batch()

    assert sorted(smtp_down.by_recipient()) == ADDRESSES
    assert len(smtp_down.received) == 2
    # The first two tasks found SMTP down and queued a retry each; the retries delivered.
    assert sorted((task.status, task.return_value) for task in delivery_tasks()) == [
        (TaskResultStatus.SUCCESSFUL, "queued"),
        (TaskResultStatus.SUCCESSFUL, "queued"),
        (TaskResultStatus.SUCCESSFUL, "sent"),
        (TaskResultStatus.SUCCESSFUL, "sent"),
    ]
    assert {(row.state, row.attempts) for row in OutboundEmail.objects.all()} == {
        (EmailState.SENT, 2)
    }


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (400, True),
        (401, True),
        (422, True),
        (408, False),
        (429, False),
        (500, False),
        (503, False),
        (None, False),
    ],
)
def test_provider_api_errors_are_permanent_only_for_client_refusals(status, permanent):
    from anymail.exceptions import AnymailAPIError

    from notifications.delivery import _classify

    error = AnymailAPIError("provider said no")
    error.status_code = status

    assert _classify(error) is permanent


def test_provider_recipient_refusal_is_permanent():
    from anymail.exceptions import AnymailRecipientsRefused

    from notifications.delivery import _classify

    assert _classify(AnymailRecipientsRefused("inactive recipient")) is True


@pytest.mark.django_db
@pytest.mark.parametrize("option", ["--sweep-every", "--interval", "--relay-every"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_the_worker_refuses_a_period_that_is_not_positive(option, value, capsys):
    with pytest.raises(SystemExit) as stopped:
        call_command("run_worker", option, value)

    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "--sweep-every, --interval and --relay-every must be positive.\n"
    )
    assert delivery_tasks() == []


def test_a_task_id_is_always_recorded_as_a_uuid():
    """A backend whose ids are not UUIDs still leaves a recorded task on the row: NULL
    would tell the relay that the row has none yet, and it would queue it again forever."""
    from notifications.delivery import _as_uuid

    real = uuid.uuid4()
    assert _as_uuid(real) == real
    assert _as_uuid(str(real)) == real
    assert _as_uuid("task-42") == _as_uuid("task-42") != _as_uuid("task-43")
    assert isinstance(_as_uuid("task-42"), uuid.UUID)
