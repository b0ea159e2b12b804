"""Delivery of outbox rows: claim with a lease, send, record; retry with backoff.

Exactly-once in practice: a row is claimed in a short transaction (state → sending, with a
lease), sent outside any transaction, then marked sent. A worker killed between sending and
marking leaves the row `sending` until its lease expires; the sweep then queues it again, so
that one email may arrive twice — the only duplicate the design allows (docs/ARCHITECTURE.md).
"""

import logging
import random
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

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
        # Calendar clients read the method from the MIME type (RFC 6047).
        message.attach(
            "invite.ics", email.ics, f"text/calendar; method={email.ics_method}; charset=utf-8"
        )
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
    try:
        mailers.default.send_messages([build_message(email)])
    except Exception as error:
        # Anything, not only SMTP errors: a row left in `sending` would be claimed again at
        # every lease expiry, forever, never reaching `failed`.
        return _record_failure(email, error)
    OutboundEmail.objects.filter(pk=email.pk).update(
        state=EmailState.SENT, sent_at=timezone.now(), last_error="", lease_expires_at=None
    )
    logger.info("sent email %s (%s) to %s", email.pk, email.kind, email.to_email)
    return EmailState.SENT


def _record_failure(email: OutboundEmail, error: Exception) -> str:
    from notifications.tasks import enqueue_delivery

    message = f"{type(error).__name__}: {error}"[:2000]
    permanent = _classify(error)
    if permanent or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        OutboundEmail.objects.filter(pk=email.pk).update(
            state=EmailState.FAILED, last_error=message, lease_expires_at=None
        )
        logger.error(
            "email %s failed for good after %s attempts: %s", email.pk, email.attempts, message
        )
        return EmailState.FAILED
    retry_at = timezone.now() + backoff_delay(email.attempts)
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=email.pk).update(
            state=EmailState.QUEUED,
            last_error=message,
            next_attempt_at=retry_at,
            lease_expires_at=None,
        )
        enqueue_delivery(email, run_after=retry_at)
    logger.warning(
        "email %s attempt %s failed, retry at %s: %s", email.pk, email.attempts, retry_at, message
    )
    return EmailState.QUEUED


def sweep() -> int:
    """Queue delivery again for rows whose task was lost: queued and overdue by a minute,
    or stuck in `sending` past their lease (a killed worker). Returns how many."""
    from notifications.tasks import enqueue_delivery

    now = timezone.now()
    stale = OutboundEmail.objects.filter(
        Q(state=EmailState.QUEUED, next_attempt_at__lt=now - timedelta(minutes=1))
        | Q(state=EmailState.SENDING, lease_expires_at__lt=now)
    ).values_list("pk", flat=True)[:500]
    count = 0
    for pk in stale:
        enqueue_delivery(OutboundEmail(pk=pk))
        count += 1
    return count


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
