"""The webhook channel of the delivery engine (notifications.delivery): sign each delivery
per Standard Webhooks, POST it with urllib3 to the address checked a moment before (the
IP pinned, TLS still checked against the host name), and say which failures are retried.

Sent by the worker only, never inside a request (docs/PRODUCT.md §12.4)."""

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.tasks import task
from django.utils import timezone
from standardwebhooks import Webhook

from common import netguard
from notifications.delivery import QUEUE, Channel, deliver_row, send_due
from notifications.models import DeliveryRow, DeliveryState
from webhooks.models import WebhookDelivery
from webhooks.services import record_endpoint_health

logger = logging.getLogger(__name__)

USER_AGENT = "CodeMentorHub-Webhooks/1"
# What is read of an answer's body at most (it is not used; reading a little lets the
# connection be reused).
MAX_ANSWER_BYTES = 4 * 1024


# The longest wait an endpoint's Retry-After may ask for (the longest backoff too).
MAX_ASKED_DELAY = timedelta(hours=6)


class EndpointAnswered(Exception):
    """The endpoint answered with a status other than 2xx (and how long it asked us to wait
    before trying again, when it said: Retry-After)."""

    def __init__(self, status: int, asked_delay: timedelta | None = None) -> None:
        super().__init__(f"the endpoint answered HTTP {status}")
        self.status = status
        self.asked_delay = asked_delay


def retry_after(value: str | None) -> timedelta | None:
    """An answer's Retry-After (RFC 9110 §10.2.3: seconds, or an HTTP date) as a wait of at
    most MAX_ASKED_DELAY; None when it is missing, malformed or already past."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        delay = timedelta(seconds=int(value[:6]))
    else:
        try:
            delay = parsedate_to_datetime(value) - timezone.now()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if delay <= timedelta(0):
        return None
    return min(delay, MAX_ASKED_DELAY)


def is_permanent(error: Exception) -> bool:
    """Retried: 5xx, 408, 429, timeouts, refused or dropped connections, a name that does
    not resolve right now. Failed at once: any other answer (4xx — 410 Gone too — and
    redirects, which are not followed), and an address we may not connect to."""
    if isinstance(error, EndpointAnswered):
        return not (error.status >= 500 or error.status in (408, 429))
    if isinstance(error, netguard.RefusedAddress):
        return True
    if isinstance(error, urllib3.exceptions.HTTPError | OSError):
        return False
    return True


def signed_headers(delivery: WebhookDelivery, secret: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery.msg_id, at, delivery.payload),
    }


class Connections:
    """The batch's connection pools, one per (scheme, checked address, port, host name), so
    consecutive deliveries to one endpoint reuse one connection. Every pool connects to the
    address given, never to what the name resolves to later."""

    def __init__(self) -> None:
        self.pools: dict[tuple, urllib3.HTTPConnectionPool] = {}

    def pool(self, scheme: str, address, port: int, host: str) -> urllib3.HTTPConnectionPool:
        key = (scheme, address, port, host)
        if key not in self.pools:
            timeout = urllib3.Timeout(
                connect=settings.WEBHOOK_TIMEOUT_SECONDS, read=settings.WEBHOOK_TIMEOUT_SECONDS
            )
            common = {"port": port, "timeout": timeout, "retries": False, "maxsize": 1}
            if scheme == "https":
                # Connect to the address; SNI and the certificate check use the host name.
                self.pools[key] = urllib3.HTTPSConnectionPool(
                    str(address),
                    server_hostname=host,
                    assert_hostname=host,
                    cert_reqs="CERT_REQUIRED",
                    **common,
                )
            else:
                self.pools[key] = urllib3.HTTPConnectionPool(str(address), **common)
        return self.pools[key]

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()


def post(delivery: WebhookDelivery, connections: Connections) -> int:
    """POST one delivery; returns the answer's status (2xx) or raises."""
    endpoint = delivery.endpoint
    parts = urlsplit(endpoint.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = netguard.check_url(endpoint.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_HOSTS)
    default_port = port == (443 if parts.scheme == "https" else 80)
    headers = signed_headers(delivery, endpoint.secret, timezone.now())
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6
    headers["host"] = host if default_port else f"{host}:{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pool = connections.pool(parts.scheme, address, port, parts.hostname)
    answer = pool.urlopen(
        "POST",
        path,
        body=delivery.payload.encode(),
        headers=headers,
        redirect=False,
        retries=False,
        preload_content=False,
        assert_same_host=False,
    )
    try:
        delivery.response_code = answer.status
        answer.read(MAX_ANSWER_BYTES)
    finally:
        # Back to the pool only when the answer was read to its end; else the connection
        # holds unread bytes and is closed instead.
        if answer.length_remaining == 0:
            answer.release_conn()
        else:
            answer.close()
    if not 200 <= answer.status < 300:
        raise EndpointAnswered(answer.status, retry_after(answer.headers.get("retry-after")))
    return answer.status


class WebhookChannel(Channel):
    name = "webhook"
    model = WebhookDelivery
    noun = "webhook delivery"
    related = ("endpoint",)

    def max_attempts(self) -> int:
        return settings.WEBHOOK_MAX_ATTEMPTS

    def retry_base_seconds(self) -> int:
        return settings.WEBHOOK_RETRY_BASE_SECONDS

    def lease_seconds(self) -> int:
        return settings.WEBHOOK_LEASE_SECONDS

    def out_of_date_reason(self, row: DeliveryRow, now: datetime) -> str:
        if not row.endpoint.enabled:
            return "The endpoint is disabled; not sent."
        return ""

    def send_each(
        self, rows: Sequence[DeliveryRow]
    ) -> Iterator[tuple[DeliveryRow, Exception | None]]:
        connections = Connections()
        try:
            for delivery in rows:
                delivery.response_code = None
                try:
                    post(delivery, connections)
                except Exception as error:
                    yield delivery, error
                else:
                    yield delivery, None
        finally:
            connections.close()

    def is_permanent(self, error: Exception) -> bool:
        return is_permanent(error)

    def asked_delay(self, error: Exception) -> timedelta | None:
        return getattr(error, "asked_delay", None)

    def outcome_fields(self, row: DeliveryRow) -> dict[str, object]:
        return {"response_code": row.response_code}

    def after_outcome(self, rows: Sequence[DeliveryRow], outcomes: Sequence[str]) -> None:
        by_endpoint: dict[int, list[str]] = {}
        for row, outcome in zip(rows, outcomes, strict=True):
            by_endpoint.setdefault(row.endpoint_id, []).append(outcome)
        for endpoint_id, results in by_endpoint.items():
            if DeliveryState.SENT in results:
                record_endpoint_health(endpoint_id, ok=True)
            elif any(r in (DeliveryState.QUEUED, DeliveryState.FAILED) for r in results):
                record_endpoint_health(endpoint_id, ok=False)

    def describe(self, row: DeliveryRow) -> str:
        return f"webhook delivery {row.pk} ({row.event_type}) to endpoint {row.endpoint_id}"


WEBHOOK = WebhookChannel()


@task(queue_name=QUEUE)
def deliver_webhook(delivery_id: int) -> str:
    return deliver_row(WEBHOOK, delivery_id)


WEBHOOK.task = deliver_webhook


def send_due_webhooks() -> dict[str, int]:
    """Deliver every due webhook now, in this process (tests)."""
    return send_due(WEBHOOK)


__all__ = ["WEBHOOK", "deliver_webhook", "send_due_webhooks"]
