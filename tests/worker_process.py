"""`manage.py run_worker` (the production worker) as a separate process, against this
test's database and delivering to an SMTP server on 127.0.0.1 (tests/smtp_sink.py)."""

import os
import subprocess
import sys

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
