"""The database restarted under a running worker (docs/PRODUCT.md §6.2): every email is
still delivered exactly once.

Real processes on 127.0.0.1: a PostgreSQL server of the test's own (tests/pg_cluster.py,
so the machine's server and every other test's database are not disturbed), `manage.py
run_worker` against it, and the SMTP sink (tests/smtp_sink.py). The test plays the
Procfile's process manager: a worker that exits is started again. One email is held inside
SMTP's DATA while the database stops, so its "250" arrives with nowhere to record it."""

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from tests.helpers import ROOT
from tests.pg_cluster import private_postgres
from tests.smtp_sink import HOST, SMTPSink

QUEUE = """
from accounts.models import User
from notifications.emails import Outgoing, RenderedEmail, queue_emails

people = [User.objects.create_user(email=f"{tag}-{i}@example.test") for i in range(count)]
queue_emails(
    [Outgoing("password_reset", p, RenderedEmail("Hello " + p.email, "Text", "<p>Html</p>"))
     for p in people]
)
"""


def _environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_DEBUG": "true", "DATABASE_URL": database_url, **extra}
    env.pop("EMAIL_FILE_PATH", None)  # the demo's file mailer would win over SMTP
    return env


def _queue(database_url: str, tag: str, count: int) -> None:
    code = f"tag = {tag!r}\ncount = {count}\n" + QUEUE
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
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


def _states(database_url: str) -> Counter[str]:
    with psycopg.connect(database_url, connect_timeout=10) as connection:
        rows = connection.execute(
            "SELECT state, count(*) FROM notifications_outboundemail GROUP BY state"
        ).fetchall()
    return Counter(dict(rows))


def _wait_all_sent(database_url: str, count: int, supervisor: Supervisor) -> None:
    pause = threading.Event()
    for _ in range(600):  # 60 s at most; a passing run needs a few
        if _states(database_url) == Counter(sent=count):
            return
        pause.wait(0.1)
    pytest.fail(f"rows: {_states(database_url)}\n{supervisor.log.read_text(errors='replace')}")


def test_every_email_is_delivered_exactly_once_across_a_database_restart(tmp_path):
    sink = SMTPSink().start()
    with private_postgres() as database:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env=_environment(database.url),
            check=True,
            timeout=120,
        )
        env = _environment(
            database.url,
            EMAIL_HOST=HOST,
            EMAIL_PORT=str(sink.port),
            EMAIL_LEASE_SECONDS="5",
            PYTHONUNBUFFERED="1",
        )
        supervisor = Supervisor(env, tmp_path / "worker.log").start()
        try:
            _queue(database.url, "before", 5)
            sink.wait_received(5)

            sink.stall(1)
            _queue(database.url, "during", 5)
            sink.wait_stalled(1)
            database.stop()
            sink.release()  # the held email is accepted while the database is away
            database.start()
            _queue(database.url, "after", 5)

            _wait_all_sent(database.url, 15, supervisor)
        finally:
            supervisor.stop()
            sink.stop()

    arrived = sink.message_ids()
    assert len(arrived) == 15
    assert set(arrived.values()) == {1}, arrived.most_common(3)
