"""Delivery of outbox rows: claim with a lease, send, record; retry with backoff.

Exactly-once in practice: a row is claimed in a short transaction (state → sending, with a
lease), sent outside any transaction, then marked sent. A worker killed between sending and
marking leaves the row `sending` until its lease expires; the sweep then queues it again, so
that one email may arrive twice — the only duplicate the design allows (docs/ARCHITECTURE.md).

An email whose content went out of date while it waited (a reminder for a session cancelled
or re-linked since it was written) is marked skipped at its turn instead of being sent.
"""

import logging
import random
import smtplib
import uuid
from datetime import timedelta

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications import freshness
from notifications.models import EmailState, OutboundEmail

logger = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The server refused the message for good (5xx, refused recipient)."""


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
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


def backoff_delay(attempts: int) -> timedelta:
    """Delay before retry n: base·2^(n-1) (capped at 6 h), jittered to 50–100 % of it so
    emails that failed together (SMTP down) do not all come back in the same second."""
    base = settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(base, 6 * 3600) * random.uniform(0.5, 1.0))


def _claim(email_id: int) -> OutboundEmail | None:
    """Take the row for sending (state → sending, attempts + 1, a lease), or, when its
    content is out of date, mark it skipped without an attempt; None when it is not ours."""
    now = timezone.now()
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id)
            .filter(
                Q(state=EmailState.QUEUED, next_attempt_at__lte=now)
                | Q(state=EmailState.SENDING, lease_expires_at__lt=now)
            )
            .first()
        )
        if email is None:
            return None
        if reason := freshness.out_of_date_reason(email, now, at_delivery=True):
            email.state = EmailState.SKIPPED
            email.last_error = reason
            email.lease_expires_at = None
            email.save(update_fields=["state", "last_error", "lease_expires_at"])
            return email
        email.state = EmailState.SENDING
        email.attempts += 1
        email.lease_expires_at = now + timedelta(seconds=settings.EMAIL_LEASE_SECONDS)
        email.save(update_fields=["state", "attempts", "lease_expires_at"])
        return email


def deliver(email_id: int) -> str:
    """Send one outbox row if it is due; returns the resulting state (for logs and tests)."""
    email = _claim(email_id)
    if email is None:
        return "skipped"
    if email.state == EmailState.SKIPPED:
        logger.info("skipped email %s (%s): %s", email.pk, email.kind, email.last_error)
        return EmailState.SKIPPED
    try:
        mailers.default.send_messages([build_message(email)])
    except Exception as error:
        # Anything, not only SMTP errors: a row left in `sending` would be claimed again at
        # every lease expiry, forever, never reaching `failed`.
        return _record_failure(email, error)
    if not _still_held(email).update(
        state=EmailState.SENT, sent_at=timezone.now(), last_error="", lease_expires_at=None
    ):
        logger.warning("email %s was sent after its lease passed to another worker", email.pk)
        return "lost lease"
    logger.info("sent email %s (%s) to %s", email.pk, email.kind, email.to_email)
    return EmailState.SENT


def _still_held(email: OutboundEmail):
    """The row, only while this claim still holds it: a send that outlived its lease must not
    overwrite what the worker that took over has recorded (sent, or a newer attempt)."""
    return OutboundEmail.objects.filter(
        pk=email.pk, state=EmailState.SENDING, attempts=email.attempts
    )


def _record_failure(email: OutboundEmail, error: Exception) -> str:
    message = f"{type(error).__name__}: {error}"[:2000]
    permanent = _classify(error)
    if permanent or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        if not _still_held(email).update(
            state=EmailState.FAILED, last_error=message, lease_expires_at=None
        ):
            return "lost lease"
        logger.error(
            "email %s failed for good after %s attempts: %s", email.pk, email.attempts, message
        )
        return EmailState.FAILED
    retry_at = timezone.now() + backoff_delay(email.attempts)
    with transaction.atomic():
        if not _still_held(email).update(
            state=EmailState.QUEUED,
            last_error=message,
            next_attempt_at=retry_at,
            lease_expires_at=None,
        ):
            return "lost lease"
        enqueue_delivery(email, run_after=retry_at)
    logger.warning(
        "email %s attempt %s failed, retry at %s: %s", email.pk, email.attempts, retry_at, message
    )
    return EmailState.QUEUED


# Rows the relay hands over per round; more wait for the next round (a second later).
RELAY_BATCH = 500


def relay() -> int:
    """Give each outbox row written without a delivery task its task; returns how many.

    The web request only writes outbox rows (notifications.emails.queue_emails); this runs
    in the worker (run_worker, every --relay-every seconds) and hands them to the task
    queue. A round with nothing to do is one read of the `email_unrelayed` partial index,
    taking no write lock. Several workers relay side by side: SKIP LOCKED gives each row to
    one of them, and a row that got two tasks anyway is still sent once (`_claim`)."""
    waiting = OutboundEmail.objects.filter(state=EmailState.QUEUED, task_id__isnull=True)
    if not waiting.exists():
        return 0
    with transaction.atomic():
        ids = list(
            waiting.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:RELAY_BATCH]
        )
        enqueue_deliveries([OutboundEmail(pk=pk) for pk in ids])
    return len(ids)


LEASE_EXPIRED = (
    "The worker sending this email stopped before recording the result (lease expired); "
    "queued again."
)


def sweep() -> int:
    """Queue delivery again for rows whose task was lost. Returns how many.

    - `sending` past its lease: the worker that claimed it was killed (django-tasks-db
      leaves its task RUNNING for ever and never retries it). The row goes back to `queued`, due
      now, with a new task — from then on it is an ordinary queued row.
    - `queued` and overdue by a minute, unless the row's last task (`task_id`) will still
      run: it is ready, or running since less than a lease (a task running for longer
      belongs to a killed worker). So a worker that is down for hours does not collect one
      more task per row per sweep; rows without a recorded task, or whose task is gone or
      finished, get a new one.
    """
    now = timezone.now()
    live_task = DBTaskResult.objects.filter(pk=OuterRef("task_id")).filter(
        Q(status=TaskResultStatus.READY)
        | Q(
            status=TaskResultStatus.RUNNING,
            started_at__gte=now - timedelta(seconds=settings.EMAIL_LEASE_SECONDS),
        )
    )
    with transaction.atomic():
        # One query picks the rows and checks their tasks. SKIP LOCKED: a row being claimed
        # or swept by another worker right now is that worker's; we look again next round.
        stale = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state=EmailState.SENDING, lease_expires_at__lt=now)
                | Q(state=EmailState.QUEUED, next_attempt_at__lt=now - timedelta(minutes=1))
                & ~Exists(live_task)
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "state")[:500]
        )
        expired = [pk for pk, state in stale if state == EmailState.SENDING]
        if expired:
            OutboundEmail.objects.filter(pk__in=expired).update(
                state=EmailState.QUEUED,
                next_attempt_at=now,
                lease_expires_at=None,
                last_error=LEASE_EXPIRED,
            )
        for pk, _ in stale:
            enqueue_delivery(OutboundEmail(pk=pk))
    return len(stale)


def send_due_emails() -> dict[str, int]:
    """Deliver every due row now, in this process (tests, and `manage.py send_queued_emails`)."""
    now = timezone.now()
    results: dict[str, int] = {}
    due = OutboundEmail.objects.filter(
        Q(state=EmailState.QUEUED, next_attempt_at__lte=now)
        | Q(state=EmailState.SENDING, lease_expires_at__lt=now)
    ).values_list("pk", flat=True)
    for pk in list(due):
        outcome = deliver(pk)
        results[outcome] = results.get(outcome, 0) + 1
    return results


# --- the delivery task ---------------------------------------------------------------------

QUEUE = "default"


@task(queue_name=QUEUE)
def deliver_email(email_id: int) -> str:
    return deliver(email_id)


def enqueue_delivery(email, *, run_after=None) -> None:
    """Queue delivery of an outbox row and record the task on the row (the sweep uses it to
    tell a waiting task from a lost one)."""
    enqueue_deliveries([email], run_after=run_after)


def enqueue_deliveries(emails: list, *, run_after=None) -> None:
    """A delivery task for each outbox row, their ids recorded on the rows in one update.
    Inside the caller's transaction on purpose: the task rows commit or roll back together
    with the email rows (a transactional outbox)."""
    target = deliver_email.using(run_after=run_after) if run_after else deliver_email
    for email in emails:
        email.task_id = _as_uuid(target.enqueue(email.pk).id)
    OutboundEmail.objects.bulk_update(emails, ["task_id"])


def _as_uuid(task_id) -> uuid.UUID:
    # django-tasks-db ids are UUIDs. Another backend's id is recorded as a UUID derived from
    # it: never NULL, which would tell the relay that the row has no task yet (`relay`);
    # the sweep simply finds no such task row.
    try:
        return uuid.UUID(str(task_id))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, str(task_id))
