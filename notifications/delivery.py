"""The one delivery engine: claim rows with a lease, send them, record the outcome; retry
with backoff; relay new rows to the task queue; sweep up rows whose task was lost.

Every kind of outgoing message is a table of `DeliveryRow`s and a `Channel` that knows how to
send a batch of them and which failures are worth retrying. This module's own channel is
email (`EMAIL`); a higher app registers its channel from its `AppConfig.ready()` (webhooks),
so the engine never imports it.

Exactly-once in practice: rows are claimed in a short transaction (state → sending, with a
lease), sent outside any transaction, then marked sent. A worker killed between sending and
marking leaves a row `sending` until its lease expires; the sweep then queues it again, so
that one message may arrive twice — the only duplicate the design allows
(docs/ARCHITECTURE.md).

A row whose content went out of date while it waited (a reminder for a session cancelled or
re-linked since it was written) is marked skipped at its turn instead of being sent.
"""

import logging
import random
import smtplib
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    models,
    transaction,
)
from django.db.models import Exists, F, OuterRef, Q, Value
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications import freshness
from notifications.mime import OutboxMessage
from notifications.models import DeliveryRow, DeliveryState, EmailState, OutboundEmail

logger = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The receiver refused the message for good (a 5xx SMTP reply, a refused recipient)."""


class Channel:
    """One kind of delivery row and how to send it. Subclasses set `name`, `model` and `task`
    (a django task taking one row id) and implement `send_each` and `is_permanent`."""

    name: str
    model: type[DeliveryRow]
    task = None
    noun = "row"  # in log lines: "email 12", "webhook delivery 7"
    related: tuple[str, ...] = ()  # read with the claimed rows (select_related)

    def max_attempts(self) -> int:
        raise NotImplementedError

    def retry_base_seconds(self) -> int:
        raise NotImplementedError

    def lease_seconds(self) -> int:
        raise NotImplementedError

    def out_of_date_reason(self, row: DeliveryRow, now: datetime) -> str:
        """Why the row must not be sent now (it is then marked skipped), or ""."""
        return ""

    def send_each(
        self, rows: Sequence[DeliveryRow]
    ) -> Iterator[tuple[DeliveryRow, Exception | None]]:
        """Send the rows (claimed, outside any transaction) one after another over one
        connection where the transport has one, yielding each row with its result as soon
        as it is known — None when it was delivered, else the error — so that the engine
        records it before the next row goes out. A row's failure is its own: raise nothing."""
        raise NotImplementedError

    def is_permanent(self, error: Exception) -> bool:
        """True when retrying cannot help."""
        raise NotImplementedError

    def asked_delay(self, error: Exception) -> timedelta | None:
        """How long the receiver asked us to wait before trying again (an HTTP answer's
        Retry-After), if it did: the retry then waits at least that long."""
        return None

    def outcome_fields(self, row: DeliveryRow) -> dict[str, object]:
        """Extra columns recorded with the outcome (what `send_each` learnt on the row)."""
        return {}

    def after_outcome(self, rows: Sequence[DeliveryRow], outcomes: Sequence[str]) -> None:
        """Called once per batch after every outcome is recorded (webhooks: endpoint health)."""

    def describe(self, row: DeliveryRow) -> str:
        return f"{self.noun} {row.pk}"


_channels: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    """Deliver `channel`'s rows with this engine (relay, sweep, claims); idempotent by name."""
    _channels[channel.name] = channel


def channels() -> list[Channel]:
    return list(_channels.values())


def channel_of(row_or_model) -> Channel:
    model = row_or_model if isinstance(row_or_model, type) else type(row_or_model)
    for channel in _channels.values():
        if channel.model is model:
            return channel
    raise LookupError(f"no delivery channel for {model.__name__}")


# --- Retry timing ---------------------------------------------------------------------------


def backoff_delay(attempts: int, base_seconds: int | None = None) -> timedelta:
    """Delay before retry n: base·2^(n-1) (capped at 6 h), jittered to 50–100 % of it so
    rows that failed together (a receiver down) do not all come back in the same second.
    The base is the email channel's unless given."""
    if base_seconds is None:
        base_seconds = settings.EMAIL_RETRY_BASE_SECONDS
    delay = base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(delay, 6 * 3600) * random.uniform(0.5, 1.0))


# --- Claim, send, record --------------------------------------------------------------------


def _due(now: datetime) -> Q:
    return Q(state=DeliveryState.QUEUED, next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, lease_expires_at__lt=now
    )


def claim(channel: Channel, ids: Sequence[int]) -> tuple[list[DeliveryRow], list[DeliveryRow]]:
    """Take the due rows among `ids` for sending (state → sending, attempts + 1, a lease of
    their own each), in one short transaction; rows whose content went out of date are
    marked skipped without an attempt. Returns (to send, skipped); rows that are not due,
    or that another worker holds right now, are in neither."""
    now = timezone.now()
    claimable = channel.model.objects.select_for_update(skip_locked=True, of=("self",))
    if channel.related:  # (select_related() without names would follow every key)
        claimable = claimable.select_related(*channel.related)
    with transaction.atomic():
        rows = list(claimable.filter(pk__in=list(ids)).filter(_due(now)).order_by("pk"))
        to_send, skipped = [], []
        for row in rows:
            if reason := channel.out_of_date_reason(row, now):
                row.state = DeliveryState.SKIPPED
                row.last_error = reason
                row.lease_expires_at = None
                row.save(update_fields=["state", "last_error", "lease_expires_at"])
                skipped.append(row)
            else:
                to_send.append(row)
        if to_send:
            lease = now + timedelta(seconds=channel.lease_seconds())
            channel.model.objects.filter(pk__in=[row.pk for row in to_send]).update(
                state=DeliveryState.SENDING, attempts=F("attempts") + 1, lease_expires_at=lease
            )
            for row in to_send:
                row.state = DeliveryState.SENDING
                row.attempts += 1
                row.lease_expires_at = lease
    return to_send, skipped


# Rows claimed and sent together at most by `send_due`.
DELIVERY_BATCH = 20


def deliver_batch(channel: Channel, ids: Sequence[int]) -> dict[int, str]:
    """Send the due rows among `ids`, recording each one's outcome as soon as it is known;
    returns each claimed row's resulting state by id (for logs and tests). Rows not due
    are left out. In a worker that sends on several connections (`send_on_connections`)
    the rows are dealt out to them; each connection sends its share one after another."""
    to_send, skipped = claim(channel, ids)
    outcomes: dict[int, str] = {}
    for row in skipped:
        logger.info("skipped %s: %s", channel.describe(row), row.last_error)
        outcomes[row.pk] = DeliveryState.SKIPPED
    if not to_send:
        return outcomes
    shares = [to_send[n::_connections] for n in range(min(_connections, len(to_send)))]
    if len(shares) == 1:
        _send_share(channel, to_send, outcomes)
    else:
        # Each share on a thread of the worker's pool, each with its own connection to the
        # receiver and to the database (dict writes from threads are atomic).
        list(_pool.map(lambda share: _send_in_pool(channel, share, outcomes), shares))
    channel.after_outcome(to_send, [outcomes[row.pk] for row in to_send])
    return outcomes


def _send_share(channel: Channel, rows: Sequence[DeliveryRow], outcomes: dict[int, str]) -> None:
    """Send `rows` over one connection, recording each outcome before the next row goes
    out: a worker killed mid-batch has at most one row per connection sent but not
    recorded (the duplicate the design allows)."""
    try:
        for row, error in channel.send_each(rows):
            outcomes[row.pk] = _record(channel, row, error)
    except Exception as error:
        # A channel should report per row; if it raised anyway, no row may stay `sending`
        # (it would be claimed again at every lease expiry, for ever, never reaching failed).
        for row in rows:
            if row.pk not in outcomes:
                outcomes[row.pk] = _record(channel, row, error)


def _send_in_pool(channel: Channel, rows: Sequence[DeliveryRow], outcomes: dict[int, str]):
    close_old_connections()  # this thread's database connection, as a task would
    _send_share(channel, rows, outcomes)


def _record(channel: Channel, row: DeliveryRow, error: Exception | None) -> str:
    if error is None:
        return _until_recorded(channel, lambda: _record_sent(channel, row))
    return _until_recorded(channel, lambda: _record_failure(channel, row, error))


# Connections a worker sends on at once, and the threads that hold them: 1 (no threads)
# unless the worker asked for more (run_worker, DELIVERY_CONNECTIONS).
_connections = 1
_pool: ThreadPoolExecutor | None = None


def send_on_connections(count: int) -> None:
    """Send each batch over `count` connections at once in this process (the worker calls
    this at start). One connection's waits — the mail server's replies, the database's
    commits — are then another's turn to build and send."""
    global _connections, _pool
    if _pool is not None:
        _pool.shutdown()
    _connections = max(1, count)
    _pool = ThreadPoolExecutor(_connections, "delivery") if _connections > 1 else None


def _until_recorded(channel: Channel, record: Callable[[], str]) -> str:
    """Record a sent (or failed) row, trying again while the database is away.

    The message has gone out: forgetting that would send it again once the lease expires.
    So a write refused because the database cannot be reached (restarting, network down) is
    tried again, on a new connection, for as long as the row's lease holds; after that
    another worker may have taken the row, and the error is raised (docs/PRODUCT.md §6.2)."""
    deadline = time.monotonic() + channel.lease_seconds()
    pause = 0.2
    while True:
        try:
            return record()
        except (OperationalError, InterfaceError):
            if time.monotonic() + pause > deadline:
                raise
            logger.warning("the database is away; recording a delivery again in %.1f s", pause)
            connection.close()
            threading.Event().wait(pause)
            pause = min(pause * 2, 5.0)


def _still_held(channel: Channel, row: DeliveryRow) -> models.QuerySet:
    """The row, only while this claim still holds it: a send that outlived its lease must not
    overwrite what the worker that took over has recorded (sent, or a newer attempt)."""
    return channel.model.objects.filter(
        pk=row.pk, state=DeliveryState.SENDING, attempts=row.attempts
    )


def _record_sent(channel: Channel, row: DeliveryRow) -> str:
    sent_at = timezone.now()
    if not _still_held(channel, row).update(
        state=DeliveryState.SENT,
        sent_at=sent_at,
        last_error="",
        lease_expires_at=None,
        **channel.outcome_fields(row),
    ):
        logger.warning(
            "%s was sent after its lease passed to another worker", channel.describe(row)
        )
        return "lost lease"
    row.state, row.sent_at, row.last_error, row.lease_expires_at = (
        DeliveryState.SENT,
        sent_at,
        "",
        None,
    )
    logger.info("sent %s", channel.describe(row))
    return DeliveryState.SENT


def _record_failure(channel: Channel, row: DeliveryRow, error: Exception) -> str:
    message = f"{type(error).__name__}: {error}"[:2000]
    permanent = channel.is_permanent(error)
    extra = channel.outcome_fields(row)
    row.last_error = message
    if permanent or row.attempts >= channel.max_attempts():
        if not _still_held(channel, row).update(
            state=DeliveryState.FAILED, last_error=message, lease_expires_at=None, **extra
        ):
            return "lost lease"
        row.state = DeliveryState.FAILED
        logger.error(
            "%s failed for good after %s attempts: %s",
            channel.describe(row),
            row.attempts,
            message,
        )
        return DeliveryState.FAILED
    delay = backoff_delay(row.attempts, channel.retry_base_seconds())
    retry_at = timezone.now() + max(delay, channel.asked_delay(error) or delay)
    with transaction.atomic():
        if not _still_held(channel, row).update(
            state=DeliveryState.QUEUED,
            last_error=message,
            next_attempt_at=retry_at,
            lease_expires_at=None,
            **extra,
        ):
            return "lost lease"
        enqueue_delivery(row, run_after=retry_at)
    row.state = DeliveryState.QUEUED
    logger.warning(
        "%s attempt %s failed, retry at %s: %s",
        channel.describe(row),
        row.attempts,
        retry_at,
        message,
    )
    return DeliveryState.QUEUED


def deliver_row(channel: Channel, row_id: int) -> str:
    """Send one row if it is due; its resulting state, or "skipped" when it was not ours."""
    return deliver_batch(channel, [row_id]).get(row_id, "skipped")


# --- Relay: new rows to the task queue ------------------------------------------------------

# Rows the relay hands over per round and channel; more wait for the next round (a second
# later, or at once when a round was full: run_worker).
RELAY_BATCH = 500


def _unrelayed(channel: Channel) -> models.QuerySet:
    return channel.model.objects.filter(state=DeliveryState.QUEUED, task_id__isnull=True)


def relay() -> int:
    """Give each row written without a delivery task its task; returns how many.

    The web request only writes rows (an email, a webhook call); this runs in the worker
    (run_worker, every --relay-every seconds) and hands them to the task queue. A round with
    nothing to do is one read of the channels' partial indexes (`email_unrelayed`, …) in one
    query, taking no write lock. Several workers relay side by side: SKIP LOCKED gives each
    row to one of them, and a row that got two tasks anyway is still sent once (`claim`)."""
    waiting = [
        _unrelayed(channel)
        .order_by()
        .values_list(Value(channel.name, output_field=models.CharField()), flat=True)
        for channel in channels()
    ]
    if not waiting:
        return 0
    names = set(waiting[0].union(*waiting[1:]).order_by() if len(waiting) > 1 else waiting[0][:1])
    handed_over = 0
    for channel in channels():
        if channel.name not in names:
            continue
        with transaction.atomic():
            ids = list(
                _unrelayed(channel)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:RELAY_BATCH]
            )
            rows = [channel.model(pk=pk) for pk in ids]
            size = settings.DELIVERY_TASK_BATCH
            if size > 1:
                for start in range(0, len(rows), size):
                    enqueue_batch(channel, rows[start : start + size])
            else:
                enqueue_deliveries(rows)
        handed_over += len(ids)
    return handed_over


# --- Sweep: rows whose task was lost --------------------------------------------------------

LEASE_EXPIRED = (
    "The worker sending this email stopped before recording the result (lease expired); "
    "queued again."
)


def sweep() -> int:
    """Queue delivery again for rows whose task was lost, in every channel. Returns how many.

    - `sending` past its lease: the worker that claimed it was killed (django-tasks-db
      leaves its task RUNNING for ever and never retries it). The row goes back to `queued`,
      due now, with a new task — from then on it is an ordinary queued row.
    - `queued` and overdue by a minute, unless the row's last task (`task_id`) will still
      run: it is ready, or running since less than a lease (a task running for longer
      belongs to a killed worker). So a worker that is down for hours does not collect one
      more task per row per sweep; rows without a recorded task, or whose task is gone or
      finished, get a new one.
    """
    return sum(_sweep(channel) for channel in channels())


def _sweep(channel: Channel) -> int:
    now = timezone.now()
    live_task = DBTaskResult.objects.filter(pk=OuterRef("task_id")).filter(
        Q(status=TaskResultStatus.READY)
        | Q(
            status=TaskResultStatus.RUNNING,
            started_at__gte=now - timedelta(seconds=channel.lease_seconds()),
        )
    )
    with transaction.atomic():
        # One query picks the rows and checks their tasks. SKIP LOCKED: a row being claimed
        # or swept by another worker right now is that worker's; we look again next round.
        stale = list(
            channel.model.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state=DeliveryState.SENDING, lease_expires_at__lt=now)
                | Q(state=DeliveryState.QUEUED, next_attempt_at__lt=now - timedelta(minutes=1))
                & ~Exists(live_task)
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "state")[:500]
        )
        expired = [pk for pk, state in stale if state == DeliveryState.SENDING]
        if expired:
            channel.model.objects.filter(pk__in=expired).update(
                state=DeliveryState.QUEUED,
                next_attempt_at=now,
                lease_expires_at=None,
                last_error=LEASE_EXPIRED.replace("email", channel.noun),
            )
        if stale:
            enqueue_deliveries([channel.model(pk=pk) for pk, _ in stale])
    return len(stale)


def send_due(channel: Channel) -> dict[str, int]:
    """Deliver every due row of `channel` now, in this process, one batch (tests, and
    `manage.py send_queued_emails`)."""
    due = list(channel.model.objects.filter(_due(timezone.now())).values_list("pk", flat=True))
    results: dict[str, int] = {}
    for start in range(0, len(due), DELIVERY_BATCH):
        for outcome in deliver_batch(channel, due[start : start + DELIVERY_BATCH]).values():
            results[outcome] = results.get(outcome, 0) + 1
    return results


# --- Tasks ------------------------------------------------------------------------------------

QUEUE = "default"


def enqueue_delivery(row: DeliveryRow, *, run_after=None) -> None:
    """Queue delivery of a row and record the task on the row (the sweep uses it to tell a
    waiting task from a lost one)."""
    enqueue_deliveries([row], run_after=run_after)


def enqueue_deliveries(rows: Sequence[DeliveryRow], *, run_after=None) -> None:
    """A delivery task for each row (all of one channel), their ids recorded on the rows in
    one update. Inside the caller's transaction on purpose: the task rows commit or roll
    back together with the rows they deliver (a transactional outbox)."""
    if not rows:
        return
    channel = channel_of(rows[0])
    target = channel.task.using(run_after=run_after) if run_after else channel.task
    for row in rows:
        row.task_id = _as_uuid(target.enqueue(row.pk).id)
    channel.model.objects.bulk_update(rows, ["task_id"])


@task(queue_name=QUEUE)
def deliver_rows(channel_name: str, row_ids: list[int]) -> dict[str, int]:
    """Deliver several rows of one channel in one claim and over one connection (the relay
    queues these when DELIVERY_TASK_BATCH > 1); the count of each outcome."""
    outcomes: dict[str, int] = {}
    for outcome in deliver_batch(_channels[channel_name], row_ids).values():
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def enqueue_batch(channel: Channel, rows: Sequence[DeliveryRow]) -> None:
    """One task for several new rows of `channel`, its id recorded on each of them (the
    sweep reads it as it reads a row's own task). Inside the caller's transaction."""
    task_id = _as_uuid(deliver_rows.enqueue(channel.name, [row.pk for row in rows]).id)
    for row in rows:
        row.task_id = task_id
    channel.model.objects.bulk_update(rows, ["task_id"])


def _as_uuid(task_id) -> uuid.UUID:
    # django-tasks-db ids are UUIDs. Another backend's id is recorded as a UUID derived from
    # it: never NULL, which would tell the relay that the row has no task yet (`relay`);
    # the sweep simply finds no such task row.
    try:
        return uuid.UUID(str(task_id))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, str(task_id))


# --- The email channel ----------------------------------------------------------------------


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = OutboxMessage(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        headers={"Message-ID": email.message_id, "X-CodeMentorHub-Kind": email.kind},
    )
    message.attach_alternative(email.body_html, "text/html")
    if email.ics:
        # Calendar clients read the method from the MIME type (RFC 6047 §2.4). The invite
        # goes in twice: as the last alternative of the body (what Outlook and Gmail turn
        # into Accept/Decline buttons) and as an attachment (for clients that only offer
        # to import attachments).
        content_type = f"text/calendar; method={email.ics_method}; charset=utf-8"
        message.attach_alternative(email.ics, content_type)
        message.attach("invite.ics", email.ics, content_type)
    return message


def _classify(error: Exception) -> bool:
    """True when the failure is permanent (no point retrying)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # Our credentials, not this email: once they are fixed the retry goes through.
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    if isinstance(error, AnymailRecipientsRefused):
        return True
    if isinstance(error, AnymailAPIError):
        # A provider's HTTP API (these errors are also OSErrors, so check them first): a 4xx
        # other than 408/429 means it refused this message; 5xx, 408, 429, network: retry.
        status = getattr(error, "status_code", None)
        return status is not None and 400 <= status < 500 and status not in (408, 429)
    if isinstance(error, smtplib.SMTPException | OSError):
        # Connection refused or dropped, timeouts (TimeoutError is an OSError): transient.
        return False
    # PermanentFailure, or a message that cannot be built (a malformed address): retrying
    # the same row can only fail the same way.
    return True


class EmailChannel(Channel):
    name = "email"
    model = OutboundEmail
    noun = "email"
    # The freshness rules read the email's session: read with the claim, not once per row.
    related = ("session",)

    def max_attempts(self) -> int:
        return settings.EMAIL_MAX_ATTEMPTS

    def retry_base_seconds(self) -> int:
        return settings.EMAIL_RETRY_BASE_SECONDS

    def lease_seconds(self) -> int:
        return settings.EMAIL_LEASE_SECONDS

    def out_of_date_reason(self, row: DeliveryRow, now: datetime) -> str:
        return freshness.out_of_date_reason(row, now, at_delivery=True)

    def send_each(
        self, rows: Sequence[DeliveryRow]
    ) -> Iterator[tuple[DeliveryRow, Exception | None]]:
        """One connection to the mail server for the rows. After a failure the connection
        is closed and the next email opens a fresh one: a refusal may have left the
        conversation in a state nobody should send into."""
        mailer = mailers.default  # a new backend instance: this connection is ours alone
        try:
            for email in rows:
                try:
                    mailer.open()  # a no-op while it is open
                    mailer.send_messages([build_message(email)])
                except Exception as error:
                    # Anything, not only SMTP errors: a row left in `sending` would be
                    # claimed again at every lease expiry, for ever, never reaching `failed`.
                    _close_quietly(mailer)
                    yield email, error
                else:
                    yield email, None
        finally:
            _close_quietly(mailer)

    def is_permanent(self, error: Exception) -> bool:
        return _classify(error)

    def describe(self, row: DeliveryRow) -> str:
        return f"email {row.pk} ({row.kind}) to {row.to_email}"


def _close_quietly(mailer) -> None:
    try:
        mailer.close()
    except Exception:  # the connection is already gone; nothing more to tell
        logger.debug("closing the mail connection failed", exc_info=True)


EMAIL = EmailChannel()


@task(queue_name=QUEUE)
def deliver_email(email_id: int) -> str:
    return deliver(email_id)


EMAIL.task = deliver_email
register(EMAIL)


def deliver(email_id: int) -> str:
    """Send one outbox email if it is due; returns the resulting state (for logs and tests)."""
    return deliver_row(EMAIL, email_id)


def send_due_emails() -> dict[str, int]:
    """Deliver every due email now, in this process (tests, and `manage.py
    send_queued_emails`)."""
    return send_due(EMAIL)


__all__ = [
    "EMAIL",
    "Channel",
    "EmailState",
    "backoff_delay",
    "deliver",
    "deliver_email",
    "register",
    "relay",
    "send_due_emails",
    "sweep",
]
