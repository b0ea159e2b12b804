"""`manage.py run_worker` (the production worker) as a separate process, against this
test's database and delivering to an SMTP server on 127.0.0.1 (tests/smtp_sink.py)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.db import connection

from tests.helpers import ROOT
from tests.smtp_sink import HOST


def database_url() -> str:
    """The test database, as a DATABASE_URL the worker's settings understand."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"


def start_worker(
    smtp_port: int,
    *,
    interval: float,
    sweep_every: float,
    relay_every: float,
    stdout,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """The worker, its output (and errors) to `stdout`; `env` adds settings."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(smtp_port),
        "DJANGO_DEBUG": "true",
        # One task per row, sent inline, unless the test asks for batches (tests/conftest.py).
        "DELIVERY_TASK_BATCH": "1",
        "DELIVERY_CONNECTIONS": "1",
        **(env or {}),
    }
    environment.pop("EMAIL_FILE_PATH", None)  # the demo's file mailer would win over SMTP
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_worker",
            "--interval",
            str(interval),
            "--sweep-every",
            str(sweep_every),
            "--relay-every",
            str(relay_every),
        ],
        cwd=ROOT,
        env=environment,
        stdout=stdout,
        stderr=subprocess.STDOUT,
    )


class Workers:
    """Real `manage.py run_worker` processes against the test database, delivering email to
    the SMTP server on `smtp_port`; each one's output goes to a log file in `logs`, and
    `env` adds the settings every one of them gets."""

    def __init__(self, smtp_port: int, logs: Path, env: dict[str, str]) -> None:
        self.smtp_port = smtp_port
        self.logs = logs
        self.env = {"PYTHONUNBUFFERED": "1", **env}
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, **env: str) -> subprocess.Popen:
        """One more worker, named `name`, with these settings added."""
        with open(self.logs / f"worker-{name}.log", "wb") as log:
            process = start_worker(
                self.smtp_port,
                interval=0.1,
                sweep_every=0.5,
                relay_every=0.1,
                stdout=log,
                env={**self.env, **env},
            )
        self.processes[name] = process
        return process

    def kill(self, name: str) -> int:
        """SIGKILL: no handler runs, nothing is cleaned up. Returns the exit status."""
        process = self.processes[name]
        os.kill(process.pid, signal.SIGKILL)
        return process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def output(self) -> str:
        parts = []
        for name, process in self.processes.items():
            text = (self.logs / f"worker-{name}.log").read_text(errors="replace")
            header = f"--- worker {name} (pid {process.pid}, exit {process.poll()}) ---"
            parts.append(f"{header}\n{text}")
        return "\n".join(parts)
