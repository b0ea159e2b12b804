"""A real HTTP receiver on 127.0.0.1 for the webhook tests (a threading `http.server`).

- reserves its port at once but listens only after `start()`: until then, and after
  `stop()`, connections are refused — a receiver that is down;
- answers 200 unless told otherwise: `answer(500, 500, 410)` queues the statuses of the
  next requests, one each (`headers=` adds headers to those answers: Retry-After);
- holds on demand: `hold(n)` keeps the next n requests waiting after their body has arrived
  and before any answer, until `release()` (a slow receiver: the client's timeout fires;
  a worker killed mid-request: `wait_held()` says when it is inside);
- records every request (`requests`), and which ones it answered 2xx (`delivered`,
  `delivered_ids()` counts them by `webhook-id`). An answer is recorded just after it was
  sent, so the client may have it a moment before: `wait_delivered(n)` first.

Every wait waits on a condition with a timeout; nothing sleeps.
"""

import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"
WAIT = 30.0


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int  # the client's side of the connection: one port, one connection

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self._sock = self._reserve()
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/hooks"
        self.requests: list[Request] = []
        self.delivered: list[Request] = []
        self._answers: list[tuple[int, dict[str, str]]] = []
        self._hold = 0
        self._held = 0
        self._released = threading.Event()
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    @staticmethod
    def _reserve() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        return sock

    # --- up and down ------------------------------------------------------------------------

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = Request(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                    client_port=self.client_address[1],
                )
                status, headers = receiver._arrived(request)
                body = b"ok" if status < 300 else b"no"
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    return  # the client is gone (timed out or killed): not delivered
                if status < 300:
                    with receiver._changed:
                        receiver.delivered.append(request)
                        receiver._changed.notify_all()

        if self._sock.fileno() == -1:  # stopped before: take the same port again
            self._sock = self._reserve_port(self.port)
        server = ThreadingHTTPServer((HOST, self.port), Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = self._sock
        server.daemon_threads = True
        server.server_activate()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server
        return self

    @staticmethod
    def _reserve_port(port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        return sock

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        else:
            self._sock.close()

    # --- behaviour ----------------------------------------------------------------------------

    def answer(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        """The next requests get these statuses, in order (with `headers`, e.g. Retry-After)."""
        with self._changed:
            self._answers.extend((status, headers or {}) for status in statuses)

    def hold(self, count: int = 1) -> None:
        with self._changed:
            self._hold += count
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def _arrived(self, request: Request) -> tuple[int, dict[str, str]]:
        with self._changed:
            self.requests.append(request)
            status = self._answers.pop(0) if self._answers else (200, {})
            held = self._hold > 0
            if held:
                self._hold -= 1
                self._held += 1
            self._changed.notify_all()
        if held:
            self._released.wait(WAIT)
        return status

    # --- waiting and counting -----------------------------------------------------------------

    def _wait(self, check, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(check, timeout=WAIT):
                raise AssertionError(f"waited {WAIT} s for {what}; got {len(self.requests)}")

    def wait_requests(self, count: int) -> list[Request]:
        self._wait(lambda: len(self.requests) >= count, f"{count} requests")
        return list(self.requests)

    def wait_delivered(self, count: int) -> list[Request]:
        self._wait(lambda: len(self.delivered) >= count, f"{count} delivered")
        return list(self.delivered)

    def wait_held(self, count: int = 1) -> None:
        self._wait(lambda: self._held >= count, f"{count} held requests")

    def delivered_ids(self) -> Counter[str]:
        with self._changed:
            return Counter(request.webhook_id for request in self.delivered)
