"""Real SMTP servers on 127.0.0.1 for every test that delivers email over SMTP.

`SMTPSink` is an aiosmtpd server that
- reserves its port at once (port 0: free, no race) but listens only after `start()`, so
  until then the port refuses connections — an SMTP server that is down;
- refuses on demand: `reply_at_rcpt` / `reply_at_data` (e.g. "451 4.3.0 Try again later");
- stalls inside DATA on demand: `stall(n)` holds the next n messages after their content
  has arrived and before the reply, until `release()`; `wait_stalled()` waits for them,
  `wait_abandoned()` for their clients to vanish (a worker killed mid-send);
- records every accepted message with its Message-ID (`message_ids()` counts them,
  `by_recipient()` keys them by their one envelope recipient).

`smtp_mailers(port)` is Django's MAILERS setting for the real SMTP backend pointed at it
(the test runner swaps every mailer for the in-memory one).

`SilentServer` accepts TCP connections and never says a word: a client waits for the
greeting until its own timeout.

Every wait here waits on a condition with a timeout; nothing sleeps.
"""

import asyncio
import email
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
WAIT = 30.0  # seconds: generous upper bound for any wait; a passing run never reaches it


@dataclass(frozen=True)
class Received:
    message_id: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    peer: tuple = ()  # the client's (address, port): one per connection


def smtp_mailers(port: int, timeout: float = 5) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": HOST, "port": port, "timeout": timeout},
        }
    }


def _reserve_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


class _Controller(Controller):
    """aiosmtpd's Controller serving a socket bound beforehand (see the module docstring)."""

    def __init__(self, handler, sock: socket.socket) -> None:
        super().__init__(
            handler,
            hostname=HOST,
            port=sock.getsockname()[1],
            server_hostname="smtp.test",  # skips a slow getfqdn() lookup
        )
        self._sock = sock

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class _Handler:
    def __init__(self, sink: "SMTPSink") -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        with self.sink.changed:
            self.sink.rcpt_attempts.append(address)
            reply = self.sink.reply_at_rcpt
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        sink = self.sink
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        item = Received(
            message_id=str(message["Message-ID"]),
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=message,
            peer=tuple(session.peer or ()),
        )
        with sink.changed:
            reply = sink.reply_at_data
            gate = None
            keep = sink.keep_stalled
            if not reply and sink._stalls_left > 0:
                sink._stalls_left -= 1
                gate = sink._gate
                sink.stalled.append(item.message_id)
                if keep:
                    # The server has the message already; only its "250" is pending.
                    sink.received.append(item)
            elif not reply:
                sink.received.append(item)
            sink.changed.notify_all()
        if reply:
            return reply
        if gate is None:
            return "250 Message accepted for delivery"
        try:
            await gate.wait()
        except asyncio.CancelledError:
            # The client went away while we held its message (aiosmtpd cancels the handler).
            with sink.changed:
                sink.abandoned.append(item.message_id)
                sink.changed.notify_all()
            raise
        if not keep:
            with sink.changed:
                sink.received.append(item)
                sink.changed.notify_all()
        return "250 Message accepted for delivery"


class SMTPSink:
    """See the module docstring. Thread-safe: the server runs in aiosmtpd's own thread."""

    def __init__(self) -> None:
        self._sock = _reserve_port()
        self._controller: _Controller | None = None
        self.changed = threading.Condition()
        self.received: list[Received] = []
        self.rcpt_attempts: list[str] = []  # every RCPT TO, accepted or not
        self.reply_at_rcpt = ""
        self.reply_at_data = ""
        self.stalled: list[str] = []  # Message-IDs held inside DATA, in order
        self.abandoned: list[str] = []  # held ones whose client vanished
        self.keep_stalled = True
        self._stalls_left = 0
        self._gate = asyncio.Event()

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    # --- up and down ---------------------------------------------------------------------

    def start(self) -> "SMTPSink":
        self._controller = _Controller(_Handler(self), self._sock)
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._sock.close()

    # --- stalling inside DATA ------------------------------------------------------------

    def stall(self, count: int = 1, *, keep_message: bool = True) -> None:
        """Hold the next `count` messages inside DATA until `release()`.

        keep_message=True: a held message counts as received at once (the server committed
        it; its client only waits for the "250") — the worst case for a client that dies
        meanwhile. False: it counts only once the "250" is given, so a message whose
        client vanished is dropped."""
        with self.changed:
            self._stalls_left = count
            self.keep_stalled = keep_message
            self._gate = asyncio.Event()

    def release(self) -> None:
        """Let every held message through (those whose client is still there)."""
        with self.changed:
            self._stalls_left = 0
            gate = self._gate
        if self._controller is not None and self._controller.loop.is_running():
            self._controller.loop.call_soon_threadsafe(gate.set)
        else:
            gate.set()

    def wait_stalled(self, count: int = 1, timeout: float = WAIT) -> list[str]:
        """Wait until `count` messages are held inside DATA; their Message-IDs."""
        return self._wait(lambda: len(self.stalled) >= count, timeout, f"{count} stalled")[
            "stalled"
        ]

    def wait_abandoned(self, count: int = 1, timeout: float = WAIT) -> list[str]:
        """Wait until the clients of `count` held messages have gone away."""
        return self._wait(lambda: len(self.abandoned) >= count, timeout, f"{count} abandoned")[
            "abandoned"
        ]

    # --- what arrived ----------------------------------------------------------------------

    def wait_received(self, count: int, timeout: float = WAIT) -> list[Received]:
        return self._wait(lambda: len(self.received) >= count, timeout, f"{count} received")[
            "received"
        ]

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        with self.changed:
            return Counter(item.message_id for item in self.received)

    def by_recipient(self) -> dict[str, Received]:
        """Received messages keyed by their single envelope recipient."""
        with self.changed:
            assert all(len(item.rcpt_tos) == 1 for item in self.received)
            return {item.rcpt_tos[0]: item for item in self.received}

    def snapshot(self) -> dict[str, list]:
        with self.changed:
            return {
                "received": list(self.received),
                "stalled": list(self.stalled),
                "abandoned": list(self.abandoned),
                "rcpt_attempts": list(self.rcpt_attempts),
            }

    def _wait(self, ready: Callable[[], bool], timeout: float, what: str) -> dict[str, list]:
        with self.changed:
            if not self.changed.wait_for(ready, timeout=timeout):
                raise AssertionError(
                    f"SMTP sink: waited {timeout} s for {what}; have {len(self.received)} "
                    f"received, {len(self.stalled)} stalled, {len(self.abandoned)} abandoned"
                )
        return self.snapshot()


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers (no greeting, ever)."""

    def __init__(self) -> None:
        self._sock = _reserve_port()
        self._sock.listen(16)
        self._held: list[socket.socket] = []
        self._changed = threading.Condition()
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # the listening socket was shut down: stop
                return
            with self._changed:
                self._held.append(conn)
                self.connections += 1
                self._changed.notify_all()

    def wait_connections(self, count: int, timeout: float = WAIT) -> int:
        """Wait until `count` connections were accepted in all; how many there were."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.connections >= count, timeout=timeout):
                raise AssertionError(f"silent server: {self.connections} of {count} connections")
            return self.connections

    def stop(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() above (Linux)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=5)
        with self._changed:
            for conn in self._held:
                conn.close()
