"""Fixtures for the notification tests: a real SMTP server, no jitter, the worker in
this process. (The clock is tests/conftest.py's `clock`.)

Django's test set-up swaps every mailer for the in-memory one; the SMTP fixtures put the
real SMTP backend back, pointed at tests/smtp_sink.py's server on 127.0.0.1.
"""

import random
import signal

import pytest
from django.core.management import call_command

from notifications.delivery import relay
from tests.conftest import SITE, SUPPORT  # noqa: F401 (the email tests import them here)
from tests.smtp_sink import SMTPSink, smtp_mailers


@pytest.fixture
def smtp_down(settings):
    """The SMTP mailer points at a reserved port where nothing listens yet (connection
    refused); call `.start()` to bring the server up on that same port."""
    sink = SMTPSink()
    settings.MAILERS = smtp_mailers(sink.port)
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_down):
    """A running SMTP server that accepts everything (until told otherwise)."""
    return smtp_down.start()


@pytest.fixture
def no_jitter(monkeypatch):
    """Backoff without jitter: `random.uniform(a, b)` returns the upper bound b."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


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
