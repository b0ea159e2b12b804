"""The database restarted under a running worker (docs/PRODUCT.md §6.2): every email and
every webhook delivery is still sent exactly once.

Real processes on 127.0.0.1: a PostgreSQL server of the test's own (tests/pg_cluster.py,
so the machine's server and every other test's database are not disturbed), `manage.py
run_worker` against it with the production delivery defaults (a task per batch of rows,
sent over several connections at once), the SMTP sink (tests/smtp_sink.py) and the
webhook receiver (tests/webhook_receiver.py). The test plays the Procfile's process
manager: a worker that exits is started again. One message is held by its receiver (inside
SMTP's DATA, or before the HTTP answer) while the database stops, so its success arrives
with nowhere to record it."""

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from tests.helpers import ROOT
from tests.pg_cluster import PrivatePostgres, private_postgres
from tests.smtp_sink import HOST, SMTPSink
from tests.webhook_receiver import Receiver

QUEUE_EMAILS = """
from accounts.models import User
from notifications.emails import Outgoing, RenderedEmail, queue_emails

people = [User.objects.create_user(email=f"{tag}-{i}@example.test") for i in range(count)]
queue_emails(
    [Outgoing("password_reset", p, RenderedEmail("Hello " + p.email, "Text", "<p>Html</p>"))
     for p in people]
)
"""

# An endpoint for every event, at the receiver (the first time), then `count` events, each
# queued in a transaction of its own as a change to a session queues it.
QUEUE_EVENTS = """
from django.db import transaction
from webhooks.models import WebhookEndpoint, WebhookEvent
from webhooks.services import queue_event

if not WebhookEndpoint.objects.exists():
    WebhookEndpoint.objects.create(url=url, events=WebhookEndpoint.join_events(WebhookEvent.values))
for i in range(count):
    with transaction.atomic():
        queue_event(WebhookEvent.SESSION_CONFIRMED, {"tag": tag, "n": i})
"""

EMAILS = "notifications_outboundemail"
WEBHOOKS = "webhooks_webhookdelivery"


def _environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_DEBUG": "true", "DATABASE_URL": database_url, **extra}
    env.pop("EMAIL_FILE_PATH", None)  # the demo's file mailer would win over SMTP
    # The worker runs with the production defaults: a task per batch of rows, each batch
    # sent over several connections at once.
    env.pop("DELIVERY_TASK_BATCH", None)
    env.pop("DELIVERY_CONNECTIONS", None)
    return env


def _shell(database_url: str, code: str, **names) -> None:
    """Run `code` in `manage.py shell` against the database, with `names` defined."""
    preamble = "".join(f"{name} = {value!r}\n" for name, value in names.items())
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", preamble + code],
        cwd=ROOT,
        env=_environment(database_url),
        check=True,
        timeout=60,
        capture_output=True,
    )


class Supervisor:
    """Keeps one `run_worker` running: started again whenever it exits, after a pause, as
    a process manager (systemd's Restart=always, honcho, Heroku) does."""

    RESTART_PAUSE = 0.5

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.starts = 0
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopping.is_set():
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "manage.py", "run_worker", "--interval", "0.1"]
                    + ["--sweep-every", "0.5", "--relay-every", "0.1"],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self.starts += 1
            self.process.wait()
            self.stopping.wait(self.RESTART_PAUSE)

    def start(self) -> "Supervisor":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
        self.thread.join(timeout=30)


def _rows(database_url: str, query: str) -> list[tuple]:
    with psycopg.connect(database_url, connect_timeout=10) as connection:
        return connection.execute(query).fetchall()


def _states(database_url: str, table: str) -> Counter[str]:
    return Counter(dict(_rows(database_url, f"SELECT state, count(*) FROM {table} GROUP BY state")))


def _wait_all_sent(database_url: str, table: str, count: int, supervisor: Supervisor) -> None:
    pause = threading.Event()
    for _ in range(600):  # 60 s at most; a passing run needs a few
        if _states(database_url, table) == Counter(sent=count):
            return
        pause.wait(0.1)
    rows = _states(database_url, table)
    pytest.fail(f"rows: {rows}\n{supervisor.log.read_text(errors='replace')}")


@pytest.fixture
def database():
    """A PostgreSQL server of the test's own, migrated."""
    with private_postgres() as server:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env=_environment(server.url),
            check=True,
            timeout=120,
        )
        yield server


def test_every_email_is_delivered_exactly_once_across_a_database_restart(
    database: PrivatePostgres, tmp_path
):
    sink = SMTPSink().start()
    env = _environment(
        database.url,
        EMAIL_HOST=HOST,
        EMAIL_PORT=str(sink.port),
        EMAIL_LEASE_SECONDS="5",
        PYTHONUNBUFFERED="1",
    )
    supervisor = Supervisor(env, tmp_path / "worker.log").start()
    try:
        _shell(database.url, QUEUE_EMAILS, tag="before", count=5)
        sink.wait_received(5)

        sink.stall(1)
        _shell(database.url, QUEUE_EMAILS, tag="during", count=5)
        sink.wait_stalled(1)
        database.stop()
        sink.release()  # the held email is accepted while the database is away
        database.start()
        _shell(database.url, QUEUE_EMAILS, tag="after", count=5)

        _wait_all_sent(database.url, EMAILS, 15, supervisor)
    finally:
        supervisor.stop()
        sink.stop()

    arrived = sink.message_ids()
    assert len(arrived) == 15
    assert set(arrived.values()) == {1}, arrived.most_common(3)
    # Sent over several connections at once (the defaults), not one after another.
    assert len({item.peer for item in sink.received}) > 1


def test_every_webhook_is_delivered_exactly_once_with_its_id_across_a_database_restart(
    database: PrivatePostgres, tmp_path
):
    receiver = Receiver().start()
    env = _environment(
        database.url,
        # The receiver is on 127.0.0.1. The lease is the default's: the held delivery's
        # outcome is recorded again and again for as long as its lease holds.
        WEBHOOK_ALLOW_PRIVATE_HOSTS="true",
        PYTHONUNBUFFERED="1",
    )
    supervisor = Supervisor(env, tmp_path / "worker.log").start()
    try:
        _shell(database.url, QUEUE_EVENTS, url=receiver.url, tag="before", count=5)
        receiver.wait_delivered(5)

        receiver.hold(1)
        _shell(database.url, QUEUE_EVENTS, url=receiver.url, tag="during", count=5)
        receiver.wait_held(1)
        database.stop()
        receiver.release()  # the held request is answered 200 while the database is away
        database.start()
        _shell(database.url, QUEUE_EVENTS, url=receiver.url, tag="after", count=5)

        _wait_all_sent(database.url, WEBHOOKS, 15, supervisor)
        receiver.wait_delivered(15)  # (it records an answer just after sending it)
        rows = _rows(database.url, f"SELECT msg_id, state, attempts, response_code FROM {WEBHOOKS}")
    finally:
        supervisor.stop()
        receiver.stop()

    # Every event arrived once, with the webhook-id it was queued with, and was sent once.
    queued = Counter(msg_id for msg_id, *_ in rows)
    assert len(queued) == 15
    assert Counter(request.webhook_id for request in receiver.requests) == queued
    assert receiver.delivered_ids() == queued
    assert {tuple(outcome) for _, *outcome in rows} == {("sent", 1, 200)}
    # Sent over several connections at once (the defaults), not one after another.
    assert len({request.client_port for request in receiver.requests}) > 1
