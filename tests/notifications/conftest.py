"""Fixtures for the notification tests: no jitter, the worker in this process. (The clock
and the SMTP server, `smtp` and `smtp_down`, are tests/conftest.py's.)
"""

import signal

import pytest
from django.core.management import call_command

from notifications.delivery import relay
from tests.conftest import SITE, SUPPORT  # noqa: F401 (the email tests import them here)

# --- The real worker, in this process -------------------------------------------------------


@pytest.fixture
def worker_signals():
    """db_worker installs its own SIGINT/SIGTERM/SIGQUIT handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_worker_batch() -> None:
    """The production worker (`run_worker`) minus the waiting: its relay gives new outbox
    rows their tasks, then django-tasks-db's db_worker runs every ready task and returns."""
    relay()
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
    )
