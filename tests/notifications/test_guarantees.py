"""Delivery guarantees a, c and d (docs/PRODUCT.md), in this process, each through a
real SMTP server on 127.0.0.1 (tests/smtp_sink.py, by the `smtp_down` fixture). b and e
start real worker processes: test_guarantees_processes.py.

a. SMTP down while sessions are confirmed → every email arrives exactly once when it is back.
c. A double-submitted or concurrent confirmation → one pair of emails.
d. Permanent failures stop after one attempt and show as failed with the error; temporary
   ones retry with exponential backoff and jitter, and fail after EMAIL_MAX_ATTEMPTS.

Time moves with the `clock` fixture (tests/conftest.py); nothing sleeps.
"""

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from bookings import services
from bookings.models import MentoringSession, SessionEvent, Status
from notifications.delivery import deliver, deliver_email, send_due_emails, sweep
from notifications.models import EmailState, OutboundEmail
from tests.concurrency import run_together
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory
from tests.helpers import messages_of
from tests.notifications.conftest import run_worker_batch
from tests.smtp_sink import SilentServer, SMTPSink, smtp_mailers

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"
TIMED_OUT = "SMTPServerDisconnected: Connection unexpectedly closed: timed out"
ALREADY_CONFIRMED = ("error", "This session is already confirmed; nothing was changed.")
DELIVERY_TASK = "notifications.delivery.deliver_email"
BACK = [("/admin/sessions/", 302)]


def delivery_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=DELIVERY_TASK))


def retry_tasks_of(row: OutboundEmail) -> list[DBTaskResult]:
    """Tasks waiting to deliver `row` at a set moment (not the one queued at confirmation,
    which runs as soon as a worker is free)."""
    return [
        task
        for task in delivery_tasks()
        if task.args_kwargs["args"] == [row.pk]
        and task.status == TaskResultStatus.READY
        and task.run_after != get_date_max()
    ]


def confirm_over_http(client, session: MentoringSession):
    """The dialog's form, posted; the redirect followed as a browser would (which shows,
    and so consumes, the messages)."""
    return client.post(
        f"/admin/sessions/{session.pk}/set-status/",
        {"action": "confirmed", "meeting_link": MEET},
        follow=True,
    )


def outcome_of(response) -> tuple:
    """(the redirect, the messages shown on the page it leads to). Not from
    response.context: the test client collects rendered contexts through a global signal,
    so two requests running in threads would see each other's; each request keeps its own
    messages."""
    return (response.redirect_chain, messages_of(response))


def confirmed_message(session: MentoringSession) -> tuple[str, str]:
    mentor, mentee = session.mentor.get_full_name(), session.mentee.get_full_name()
    return (
        "success",
        f"Session {mentor} – {mentee} confirmed. The meeting link is being emailed to "
        f"{mentee} and {mentor}.",
    )


def exactly_once(rows) -> Counter[str]:
    return Counter({row.message_id: 1 for row in rows})


def envelopes(sink: SMTPSink) -> dict[str, tuple[str, ...]]:
    return {item.message_id: item.rcpt_tos for item in sink.snapshot()["received"]}


# --- a. SMTP down while sessions are confirmed ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_smtp_down_during_confirmations_then_every_email_arrives_exactly_once(
    worker_signals, smtp_down, clock, admin_client
):
    sessions = [SessionFactory(start=START + timedelta(days=day)) for day in range(3)]

    # Nothing listens on the SMTP port. The admin's requests succeed all the same.
    for session in sessions:
        response = confirm_over_http(admin_client, session)
        assert outcome_of(response) == (BACK, [confirmed_message(session)])
    assert set(MentoringSession.objects.values_list("status", flat=True)) == {Status.CONFIRMED}
    rows = list(OutboundEmail.objects.order_by("pk"))
    assert len(rows) == 6  # mentee and mentor of each session
    assert {(row.state, row.attempts) for row in rows} == {(EmailState.QUEUED, 0)}
    expected = {row.message_id: (row.to_email,) for row in rows}
    assert len(expected) == 6

    # The worker runs while SMTP is still down: two rounds, both refused, backoff grows.
    for attempt, full in ((1, 30), (2, 60)):
        run_worker_batch()
        for row in OutboundEmail.objects.all():
            assert (row.state, row.attempts, row.last_error) == (
                EmailState.QUEUED,
                attempt,
                REFUSED,
            )
            delay = row.next_attempt_at - clock.now
            assert timedelta(seconds=full / 2) <= delay <= timedelta(seconds=full)
        run_worker_batch()  # the retries are not due yet: nothing happens
        assert {row.attempts for row in OutboundEmail.objects.all()} == {attempt}
        clock.advance(timedelta(seconds=full))
    assert smtp_down.snapshot()["received"] == []

    # SMTP is back and time moves on. Each row also gets a second task (as a sweep or a
    # re-queue may give it): a duplicate task must not mean a duplicate email.
    smtp_down.start()
    clock.advance(timedelta(minutes=3))
    for row in rows:
        deliver_email.enqueue(row.pk)
    run_worker_batch()

    assert smtp_down.message_ids() == exactly_once(rows)
    assert envelopes(smtp_down) == expected
    assert len(smtp_down.snapshot()["received"]) == 6
    for row in OutboundEmail.objects.all():
        assert (row.state, row.attempts, row.last_error) == (EmailState.SENT, 3, "")
        assert row.sent_at == clock.now
    outcomes = Counter(task.return_value for task in delivery_tasks())
    assert outcomes == {"queued": 12, "sent": 6, "skipped": 6}
    assert {task.status for task in delivery_tasks()} == {TaskResultStatus.SUCCESSFUL}

    # Much later: nothing left to do, nothing arrives again.
    clock.advance(timedelta(days=1))
    assert sweep() == 0
    run_worker_batch()
    assert len(smtp_down.snapshot()["received"]) == 6


# --- c. A double-submitted or concurrent confirmation ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_c_a_confirmation_submitted_twice_sends_one_pair(
    worker_signals, smtp_down, admin_client, pending_session
):
    smtp_down.start()

    first = confirm_over_http(admin_client, pending_session)
    second = confirm_over_http(admin_client, pending_session)

    assert outcome_of(first) == (BACK, [confirmed_message(pending_session)])
    assert outcome_of(second) == (BACK, [ALREADY_CONFIRMED])
    rows = list(OutboundEmail.objects.all())
    assert sorted(row.to_email for row in rows) == ["jane@example.com", "john@example.com"]
    assert delivery_tasks() == []  # the worker's relay gives each row its task
    assert SessionEvent.objects.filter(session=pending_session).count() == 1

    run_worker_batch()

    assert len(delivery_tasks()) == 2
    assert smtp_down.message_ids() == exactly_once(rows)
    assert envelopes(smtp_down) == {row.message_id: (row.to_email,) for row in rows}
    assert {(row.state, row.attempts) for row in OutboundEmail.objects.all()} == {
        (EmailState.SENT, 1)
    }


def _confirm_outcome(client, session: MentoringSession) -> tuple:
    return outcome_of(confirm_over_http(client, session))


@pytest.mark.django_db(transaction=True)
def test_c_two_concurrent_confirmations_send_one_pair(worker_signals, smtp_down, admin_user):
    smtp_down.start()
    sessions = [SessionFactory(start=START + timedelta(days=day)) for day in range(3)]
    # Two tabs of the same admin, both clicking "Confirm & Send Link" at the same moment.
    tabs = [client_for(admin_user), client_for(admin_user)]

    for session in sessions:
        outcomes = run_together(*(partial(_confirm_outcome, tab, session) for tab in tabs))

        assert sorted(outcomes, key=repr) == sorted(
            [(BACK, [confirmed_message(session)]), (BACK, [ALREADY_CONFIRMED])], key=repr
        )
        assert OutboundEmail.objects.filter(session=session).count() == 2
        assert SessionEvent.objects.filter(session=session).count() == 1

    run_worker_batch()

    rows = list(OutboundEmail.objects.all())
    assert len(rows) == 6
    assert len(delivery_tasks()) == 6
    assert smtp_down.message_ids() == exactly_once(rows)
    assert len(smtp_down.snapshot()["received"]) == 6
    by_id = {row.message_id: row for row in rows}
    received = smtp_down.snapshot()["received"]
    per_session = Counter(by_id[item.message_id].session_id for item in received)
    assert per_session == {session.pk: 2 for session in sessions}
    for session in sessions:
        assert sorted(
            item.rcpt_tos[0] for item in received if by_id[item.message_id].session_id == session.pk
        ) == sorted([session.mentor.email, session.mentee.email])


# --- d. Permanent and temporary failures ----------------------------------------------------


@pytest.fixture
def confirmed(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


def rows_by_address() -> dict[str, OutboundEmail]:
    return {row.to_email: row for row in OutboundEmail.objects.all()}


@pytest.mark.parametrize(
    ("stage", "reply", "error"),
    [
        (
            "rcpt",
            "550 5.1.1 Mailbox unavailable",
            "SMTPRecipientsRefused: {'%s': (550, b'5.1.1 Mailbox unavailable')}",
        ),
        (
            "data",
            "554 5.6.0 Message rejected",
            "SMTPDataError: (554, b'5.6.0 Message rejected')",
        ),
    ],
    ids=["550-at-rcpt", "554-at-data"],
)
def test_d_permanent_failure_stops_after_one_attempt_and_shows_failed(
    settings, smtp_down, clock, confirmed, stage, reply, error
):
    settings.EMAIL_MAX_ATTEMPTS = 6
    smtp_down.start()
    setattr(smtp_down, f"reply_at_{stage}", reply)

    assert send_due_emails() == {"failed": 2}

    for address, row in rows_by_address().items():
        expected_error = error % address if "%s" in error else error
        assert (row.state, row.attempts, row.last_error) == (
            EmailState.FAILED,
            1,
            expected_error,
        )
        assert (row.lease_expires_at, row.sent_at) == (None, None)
        assert retry_tasks_of(row) == []
    # A day later: no retry, no sweep, not another word to the server.
    clock.advance(timedelta(days=1))
    assert send_due_emails() == {}
    assert sweep() == 0
    snapshot = smtp_down.snapshot()
    assert sorted(snapshot["rcpt_attempts"]) == ["jane@example.com", "john@example.com"]
    assert snapshot["received"] == []


class _Temporary:
    """Sets up one kind of temporary failure; says what the row's error must read and how
    many times the server was tried."""

    def __init__(self, kind: str, settings, sink: SMTPSink) -> None:
        self.kind, self.sink, self.silent = kind, sink, None
        if kind == "451-at-rcpt":
            sink.start()
            sink.reply_at_rcpt = "451 4.3.0 Try again later"
        elif kind == "451-at-data":
            sink.start()
            sink.reply_at_data = "451 4.3.0 Try again later"
        elif kind == "timeout":
            # Accepts the connection, never sends a greeting: the client's timeout fires.
            self.silent = SilentServer()
            settings.MAILERS = smtp_mailers(self.silent.port, timeout=0.25)
        # "refused": the sink is never started; nothing listens on its port.

    def error(self, address: str) -> str:
        return {
            "451-at-rcpt": (
                f"SMTPRecipientsRefused: {{'{address}': (451, b'4.3.0 Try again later')}}"
            ),
            "451-at-data": "SMTPDataError: (451, b'4.3.0 Try again later')",
            "refused": REFUSED,
            "timeout": TIMED_OUT,
        }[self.kind]

    def tries(self, expected: int) -> int:
        if self.silent is not None:
            return self.silent.wait_connections(expected)
        return len(self.sink.snapshot()["rcpt_attempts"])

    def stop(self) -> None:
        if self.silent is not None:
            self.silent.stop()


@pytest.fixture
def seeded_jitter(monkeypatch):
    """Real jitter (random.uniform), but from a seeded generator: the same run every time."""
    monkeypatch.setattr(random, "uniform", random.Random(20300115).uniform)


@pytest.mark.parametrize("kind", ["451-at-rcpt", "451-at-data", "refused", "timeout"])
def test_d_temporary_failure_retries_with_exponential_backoff_and_jitter_then_fails(
    settings, smtp_down, clock, seeded_jitter, confirmed, kind
):
    settings.EMAIL_MAX_ATTEMPTS = 4
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    failure = _Temporary(kind, settings, smtp_down)
    schedule: dict[int, list[datetime]] = {}
    try:
        # Attempts 1, 2, 3 fail and are retried after 30·2^(n-1) s, jittered to 50–100 %.
        for attempt, full in ((1, 30), (2, 60), (3, 120)):
            assert send_due_emails() == {"queued": 2}
            rows = list(OutboundEmail.objects.all())
            for row in rows:
                assert (row.state, row.attempts, row.last_error) == (
                    EmailState.QUEUED,
                    attempt,
                    failure.error(row.to_email),
                )
                delay = row.next_attempt_at - clock.now
                assert timedelta(seconds=full / 2) <= delay <= timedelta(seconds=full)
                # A task waits for exactly that moment (beside those of the earlier retries,
                # which the worker would find done: send_due_emails() runs no tasks).
                schedule.setdefault(row.pk, []).append(row.next_attempt_at)
                assert sorted(t.run_after for t in retry_tasks_of(row)) == schedule[row.pk]
            # Jitter: two emails that failed together do not come back in the same instant.
            assert rows[0].next_attempt_at != rows[1].next_attempt_at
            assert send_due_emails() == {}  # neither is due yet
            clock.now = max(row.next_attempt_at for row in rows)

        # Attempt 4 = EMAIL_MAX_ATTEMPTS: failed for good, with the error.
        assert send_due_emails() == {"failed": 2}
        for row in OutboundEmail.objects.all():
            assert (row.state, row.attempts, row.last_error) == (
                EmailState.FAILED,
                4,
                failure.error(row.to_email),
            )
            assert (row.lease_expires_at, row.sent_at) == (None, None)
        clock.advance(timedelta(days=1))
        assert send_due_emails() == {}
        assert sweep() == 0
        if kind != "refused":  # a port that refuses counts nothing
            assert failure.tries(8) == 8  # 2 emails × 4 attempts
        assert smtp_down.snapshot()["received"] == []
    finally:
        failure.stop()


# --- The boundary of b: a send that outlives its lease ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_send_that_outlives_its_lease_does_not_undo_the_takeover(
    settings, smtp_down, clock, confirmed
):
    settings.EMAIL_LEASE_SECONDS = 5
    settings.MAILERS = smtp_mailers(smtp_down.port, timeout=0.5)
    smtp_down.start()
    smtp_down.stall(1)  # the first send hangs inside DATA, past its lease (a slow server)
    john = OutboundEmail.objects.get(to_email="john@example.com")
    outcome: list[str] = []

    def slow_worker() -> None:
        try:
            outcome.append(deliver(john.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=slow_worker)
    thread.start()
    smtp_down.wait_stalled(1)
    clock.advance(timedelta(seconds=6))  # the lease has expired: another worker takes over
    assert sweep() == 1
    assert deliver(john.pk) == EmailState.SENT
    thread.join(timeout=30)  # the slow send times out: a temporary failure, reported late

    assert outcome == ["lost lease"]  # the late report changes nothing
    john.refresh_from_db()
    assert (john.state, john.attempts) == (EmailState.SENT, 2)
