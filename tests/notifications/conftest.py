"""Fixtures for the notification tests: a real SMTP server, a controllable clock, no jitter.

Django's test set-up swaps every mailer for the in-memory one (STACK trap 3); the SMTP
fixtures put the real SMTP backend back, pointed at an aiosmtpd server on 127.0.0.1.
"""

import email
import random
import signal
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone

from notifications.delivery import relay

SMTP_HOST = "127.0.0.1"


@dataclass
class ReceivedEmail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Handler:
    """Stores every accepted message; answers with `sink.reply_at_*` when one is set."""

    def __init__(self, sink: "SMTPSink") -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.sink.attempts.append(address)
        if self.sink.reply_at_rcpt:
            return self.sink.reply_at_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.reply_at_data:
            return self.sink.reply_at_data
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.sink.received.append(
            ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), message)
        )
        return "250 Message accepted for delivery"


class _BoundSocketController(Controller):
    """aiosmtpd's Controller serving a socket we bound ourselves: port 0 gives a free port
    with no race, and until `start()` the bound-but-not-listening port refuses connections
    (an SMTP server that is down)."""

    def __init__(self, handler, sock: socket.socket) -> None:
        super().__init__(
            handler,
            hostname=SMTP_HOST,
            port=sock.getsockname()[1],
            server_hostname="smtp.test",  # skips a slow getfqdn() lookup
        )
        self._sock = sock

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


@dataclass
class SMTPSink:
    """A real SMTP server on 127.0.0.1. Set `reply_at_rcpt` / `reply_at_data` to a reply
    such as "451 4.3.0 Try again later" to make it refuse; set them back to "" to accept."""

    sock: socket.socket
    received: list[ReceivedEmail] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)  # every RCPT TO, accepted or not
    reply_at_rcpt: str = ""
    reply_at_data: str = ""
    controller: Controller | None = None

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def start(self) -> None:
        self.controller = _BoundSocketController(_Handler(self), self.sock)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
        self.sock.close()

    def by_recipient(self) -> dict[str, ReceivedEmail]:
        """Received emails keyed by their single envelope recipient."""
        assert all(len(item.rcpt_tos) == 1 for item in self.received)
        return {item.rcpt_tos[0]: item for item in self.received}


def _smtp_settings(settings, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": SMTP_HOST, "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def smtp_down(settings):
    """The SMTP mailer points at a reserved port where nothing listens yet (connection
    refused); call `.start()` to bring the server up on that same port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((SMTP_HOST, 0))
    sink = SMTPSink(sock=sock)
    _smtp_settings(settings, sink.port)
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_down):
    """A running SMTP server that accepts everything (until told otherwise)."""
    smtp_down.start()
    return smtp_down


@dataclass
class Clock:
    """`django.utils.timezone.now()` frozen at `now`; `advance()` moves it forward."""

    now: datetime

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Time travel without sleeping: every `timezone.now()` — ours, Django's auto_now
    fields, django-tasks-db's `run_after` checks — reads this clock."""
    frozen = Clock(now=timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


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
