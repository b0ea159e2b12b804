"""Delivery guarantees b and e (docs/PRODUCT.md) with real worker processes:
`manage.py run_worker` (django-tasks-db's db_worker + the sweep) started against this test's
database, delivering to a real SMTP server on 127.0.0.1 (tests/worker_process.py,
tests/smtp_sink.py).

b. A worker killed (SIGKILL) in the middle of sending → after its lease expires the sweep
   hands the email to another worker: nothing lost, and nothing sent twice except (at most)
   the email that was in flight at the kill.
e. Two workers at once never send the same email twice.

Both also with the defaults (bb, ee): a task per batch of rows, sent over several
connections at once, each row recorded as soon as it is sent.

Select these with `pytest tests/notifications/test_guarantees_processes.py`. Every test
commits for real (transaction=True: the workers must see the rows); the workers are always
stopped, and their output is printed when a test fails. Nothing sleeps: the tests wait on
the SMTP sink's events, or poll the database until a deadline.
"""

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from bookings import services
from bookings.models import MentoringSession
from notifications.delivery import deliver_email, relay
from notifications.models import EmailState, OutboundEmail
from tests.conftest import MEET
from tests.factories import SessionFactory, UserFactory
from tests.smtp_sink import SMTPSink
from tests.worker_process import Workers

pytestmark = [pytest.mark.django_db(transaction=True)]

DEADLINE = 40.0  # seconds; a passing run needs a fraction of it
DELIVERY_TASK = "notifications.delivery.deliver_email"
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)


@pytest.fixture
def sink():
    server = SMTPSink().start()
    yield server
    server.stop()


@pytest.fixture
def workers(sink, transactional_db, tmp_path, request, pytestconfig):
    """Stopped before the database is flushed and before the sink stops (fixture order)."""
    pool = Workers(sink.port, tmp_path, {"EMAIL_TIMEOUT": "10", "EMAIL_LEASE_SECONDS": "5"})
    failures_before = request.session.testsfailed
    try:
        yield pool
    finally:
        sink.release()  # a worker held inside DATA could not stop
        pool.stop_all()
        if request.session.testsfailed > failures_before:
            capture = pytestconfig.pluginmanager.getplugin("capturemanager")
            with capture.global_and_fixture_disabled():
                print(f"\n{request.node.nodeid}: worker output\n{pool.output()}")


def wait_until(check: Callable[[], object], what: str, workers: Workers) -> object:
    """Poll (the database) until `check()` is truthy; fail with the workers' output."""
    deadline = time.monotonic() + DEADLINE
    pause = threading.Event()
    while not (result := check()):
        if time.monotonic() > deadline:
            rows = Counter(OutboundEmail.objects.values_list("state", flat=True))
            pytest.fail(f"waited {DEADLINE} s for {what}; rows: {dict(rows)}\n{workers.output()}")
        pause.wait(0.05)
    return result


def confirm_sessions(count: int) -> list[MentoringSession]:
    """`count` confirmed sessions, each with its own mentor and mentee: 2·count emails."""
    admin = UserFactory(is_staff=True)
    return [
        services.confirm_session(
            SessionFactory(start=START + timedelta(days=day)), link=MEET, by=admin
        )
        for day in range(count)
    ]


def delivery_tasks(status: str | None = None) -> list[DBTaskResult]:
    tasks = DBTaskResult.objects.filter(task_path=DELIVERY_TASK)
    return list(tasks.filter(status=status) if status else tasks)


def all_sent_and_tasks_done(*, dead: int = 0) -> Callable[[], bool]:
    """Every row sent, no task waiting, none running but the `dead` ones (a killed
    worker's task stays RUNNING for ever)."""

    def check() -> bool:
        unfinished = DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).count()
        return unfinished == dead and not (
            OutboundEmail.objects.exclude(state=EmailState.SENT).exists()
        )

    return check


def exactly_once(rows) -> Counter[str]:
    return Counter({row.message_id: 1 for row in rows})


# --- b. A worker killed in the middle of sending ------------------------------------------


@pytest.mark.parametrize(
    "server_kept_it",
    [True, False],
    ids=["server-kept-the-in-flight-message", "server-dropped-the-in-flight-message"],
)
def test_b_a_worker_killed_mid_send_loses_nothing_and_duplicates_only_the_in_flight_email(
    sink, workers, server_kept_it
):
    confirm_sessions(3)
    rows = list(OutboundEmail.objects.all())
    assert len(rows) == 6
    # The first message is held inside DATA: its content has arrived, the "250" has not.
    # Either the server has already committed it (the worst case: the client never learns
    # that it did) or it drops it when the client vanishes.
    sink.stall(1, keep_message=server_kept_it)

    workers.start("first")
    [in_flight] = sink.wait_stalled(1)

    # The moment of the kill: the in-flight email is claimed (sending, attempt 1, a lease of
    # EMAIL_LEASE_SECONDS) and no other email has gone out.
    claimed = OutboundEmail.objects.get(message_id=in_flight)
    assert (claimed.state, claimed.attempts) == (EmailState.SENDING, 1)
    lease = claimed.lease_expires_at
    assert OutboundEmail.objects.filter(state=EmailState.QUEUED).count() == 5
    assert workers.kill("first") == -signal.SIGKILL
    sink.wait_abandoned(1)
    sink.release()
    assert sink.message_ids() == (Counter({in_flight: 1}) if server_kept_it else Counter())
    # django-tasks-db keeps the dead worker's task RUNNING for ever: only the
    # outbox row's lease brings the email back.
    [dead_task] = delivery_tasks(TaskResultStatus.RUNNING)
    assert dead_task.args_kwargs["args"] == [claimed.pk]

    workers.start("second")
    wait_until(all_sent_and_tasks_done(dead=1), "every email sent", workers)

    # Nothing lost; each Message-ID exactly once — but the in-flight one, a second time when
    # the server had kept it.
    extra = Counter({in_flight: 1}) if server_kept_it else Counter()
    assert sink.message_ids() == exactly_once(rows) + extra
    assert len(sink.snapshot()["received"]) == 6 + len(extra)
    for item in sink.snapshot()["received"]:
        assert item.rcpt_tos == (OutboundEmail.objects.get(message_id=item.message_id).to_email,)
    # Taken over only once its lease had expired, then sent by the second worker.
    resent = OutboundEmail.objects.get(pk=claimed.pk)
    assert (resent.state, resent.attempts, resent.last_error) == (EmailState.SENT, 2, "")
    assert resent.sent_at > lease
    others = OutboundEmail.objects.exclude(pk=claimed.pk)
    assert {(row.state, row.attempts) for row in others} == {(EmailState.SENT, 1)}
    assert workers.processes["second"].poll() is None  # still serving
    assert DBTaskResult.objects.get(pk=dead_task.pk).status == TaskResultStatus.RUNNING


# --- e. Two workers at once ------------------------------------------------------------------


def line_up_a_second_task_per_email(rows: list[OutboundEmail]) -> None:
    """Give each email a second delivery task queued right behind its first (the worker
    takes tasks in `enqueued_at` order): then the two workers race for the same email, not
    only for tasks — as they do whenever a row ends up with two tasks (sweep, re-queue)."""
    assert relay() == len(rows)  # each row's first task, as a worker's relay gives it
    first_tasks = {task.args_kwargs["args"][0]: task for task in delivery_tasks()}
    base = min(task.enqueued_at for task in first_tasks.values())
    for index, row in enumerate(rows):
        second = deliver_email.enqueue(row.pk)
        for offset, pk in enumerate((first_tasks[row.pk].pk, second.id)):
            DBTaskResult.objects.filter(pk=pk).update(
                enqueued_at=base + timedelta(microseconds=2 * index + offset)
            )


def test_e_two_workers_at_once_never_send_the_same_email_twice(sink, workers):
    confirm_sessions(20)
    rows = list(OutboundEmail.objects.order_by("pk"))
    assert len(rows) == 40
    line_up_a_second_task_per_email(rows)
    assert len(delivery_tasks(TaskResultStatus.READY)) == 80
    # Hold the first two messages inside DATA: the test goes on only once both workers are
    # in the middle of sending at the same moment.
    sink.stall(2)

    # A lease far longer than any send here, so that only concurrency is on trial (with a
    # lease shorter than a slow SMTP transaction a live send would be taken over: b).
    workers.start("a", EMAIL_LEASE_SECONDS="60")
    workers.start("b", EMAIL_LEASE_SECONDS="60")
    held = sink.wait_stalled(2)

    assert len(set(held)) == 2
    sending = OutboundEmail.objects.filter(state=EmailState.SENDING)
    assert sorted(row.message_id for row in sending) == sorted(held)
    running = delivery_tasks(TaskResultStatus.RUNNING)
    assert len(running) == 2
    assert len({task.worker_ids[0] for task in running}) == 2  # one each
    sink.release()
    wait_until(all_sent_and_tasks_done(), "every email sent", workers)

    assert sink.message_ids() == exactly_once(rows)
    assert len(sink.snapshot()["received"]) == 40
    tasks = delivery_tasks()
    assert len(tasks) == 80
    assert {task.status for task in tasks} == {TaskResultStatus.SUCCESSFUL}
    # Per email: one task sent it, the other found it taken (sending) or done (sent).
    assert Counter(task.return_value for task in tasks) == {"sent": 40, "skipped": 40}
    per_worker = Counter(task.worker_ids[0] for task in tasks)
    assert len(per_worker) == 2  # both workers did their share
    assert {(row.state, row.attempts) for row in OutboundEmail.objects.all()} == {
        (EmailState.SENT, 1)
    }


# --- bb, ee. The same with batches sent over several connections ------------------------------

BATCHES = {"DELIVERY_TASK_BATCH": "20", "DELIVERY_CONNECTIONS": "4"}


def test_bb_a_worker_killed_mid_batch_loses_nothing_and_duplicates_only_the_in_flight_email(
    sink, workers
):
    confirm_sessions(6)
    rows = list(OutboundEmail.objects.all())
    assert len(rows) == 12  # one task: 4 connections, 3 rows each
    sink.stall(1, keep_message=True)

    workers.start("first", **BATCHES)
    [in_flight] = sink.wait_stalled(1)
    # The other three connections send their shares and record each email as it goes; the
    # stalled one holds its in-flight email and the two behind it (claimed, not sent).
    wait_until(
        lambda: OutboundEmail.objects.filter(state=EmailState.SENT).count() == 9,
        "the three other connections' emails sent",
        workers,
    )
    sending = OutboundEmail.objects.filter(state=EmailState.SENDING)
    assert {(row.attempts) for row in sending} == {1}
    assert in_flight in {row.message_id for row in sending}
    assert sending.count() == 3
    assert len({item.peer for item in sink.snapshot()["received"]}) == 4
    assert workers.kill("first") == -signal.SIGKILL
    sink.release()

    workers.start("second", **BATCHES)
    wait_until(all_sent_and_tasks_done(dead=1), "every email sent", workers)

    # Nothing lost; each Message-ID exactly once, but the in-flight one (the server had
    # kept it) a second time. The two behind it were never sent before the kill.
    assert sink.message_ids() == exactly_once(rows) + Counter({in_flight: 1})
    taken_over = {row.pk for row in sending}
    assert {
        (row.pk in taken_over, row.state, row.attempts) for row in OutboundEmail.objects.all()
    } == {(False, EmailState.SENT, 1), (True, EmailState.SENT, 2)}


def test_ee_two_workers_sending_batches_never_send_the_same_email_twice(sink, workers):
    confirm_sessions(30)
    rows = list(OutboundEmail.objects.all())
    assert len(rows) == 60

    # Small batches so that both workers' relays and task loops get some.
    workers.start("a", EMAIL_LEASE_SECONDS="60", DELIVERY_TASK_BATCH="4", DELIVERY_CONNECTIONS="2")
    workers.start("b", EMAIL_LEASE_SECONDS="60", DELIVERY_TASK_BATCH="4", DELIVERY_CONNECTIONS="2")
    wait_until(all_sent_and_tasks_done(), "every email sent", workers)

    assert sink.message_ids() == exactly_once(rows)
    assert len(sink.snapshot()["received"]) == 60
    assert {(row.state, row.attempts) for row in OutboundEmail.objects.all()} == {
        (EmailState.SENT, 1)
    }
    tasks = DBTaskResult.objects.filter(task_path="notifications.delivery.deliver_rows")
    assert sum(task.return_value.get("sent", 0) for task in tasks) == 60
