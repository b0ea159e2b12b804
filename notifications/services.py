"""Writes on the outbox made by people (the worker's writes live in notifications.delivery)."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from bookings.models import MentoringSession, Status
from notifications.models import EmailKind, EmailState, OutboundEmail
from notifications.tasks import enqueue_delivery

logger = logging.getLogger(__name__)

# Still on its way: resending it would only deliver it twice.
IN_FLIGHT = (EmailState.QUEUED, EmailState.SENDING)


class ResendError(Exception):
    """A refused resend; the message is written for the admin who asked."""


def resend_email(email: OutboundEmail, *, by) -> OutboundEmail:
    """Queue a fresh copy of an outbox row: the same recipient address and rendered content
    (subject, text, HTML, invite), a new Message-ID, `resend_of` pointing at the row. The
    copy is delivered like any email. Returns the copy.

    Refused (ResendError, nothing written) while the email or an earlier copy of it is still
    on its way, and when its content went out of date (see `resend_refusal`).

    The copy itself is the record of the resend (`resend_of`, its `created_at`); who asked
    is logged. One transaction with the original row locked: two admins clicking Resend at
    once get one copy, and the second is told it is on its way.
    """
    with transaction.atomic():
        original = OutboundEmail.objects.select_for_update().get(pk=email.pk)
        session = (
            MentoringSession.objects.only("status", "start", "ics_sequence")
            .filter(pk=original.session_id)
            .first()
            if original.session_id
            else None
        )
        if refusal := resend_refusal(original, session=session, now=timezone.now()):
            raise ResendError(f"{refusal} Nothing was resent.")
        pending_copy = (
            OutboundEmail.objects.filter(resend_of=original, state__in=IN_FLIGHT)
            .order_by("-created_at", "-id")
            .first()
        )
        if pending_copy is not None:
            raise ResendError(
                f"A copy of this email to {original.to_email} is already on its way "
                f"(#{pending_copy.pk}, {pending_copy.state}); nothing was resent."
            )
        copy = OutboundEmail.objects.create(
            kind=original.kind,
            session_id=original.session_id,
            recipient_id=original.recipient_id,
            to_email=original.to_email,
            subject=original.subject,
            body_text=original.body_text,
            body_html=original.body_html,
            ics=original.ics,
            ics_method=original.ics_method,
            # The revision the content was written for, so delivery's own out-of-date
            # checks judge the copy exactly as they would the original.
            session_sequence=original.session_sequence,
            message_id=OutboundEmail.new_message_id(),
            next_attempt_at=timezone.now(),
            resend_of=original,
        )
        enqueue_delivery(copy)
    logger.info(
        "email %s (%s to %s) resent as email %s by user %s <%s>",
        original.pk,
        original.kind,
        original.to_email,
        copy.pk,
        getattr(by, "pk", None),
        getattr(by, "email", ""),
    )
    return copy


def resend_refusal(email: OutboundEmail, *, session: MentoringSession | None, now: datetime) -> str:
    """Why this email may not be resent now ("" when it may), from the row and its session
    as loaded — no query, so list pages can tell every row without asking again.

    Out of date means a copy would mislead: the session has a new status or meeting link
    since the email was written (its invite revision moved on), or was cancelled; a
    reminder also once the session is no longer confirmed or has started (the rules
    delivery applies when a reminder's turn comes, notifications.reminders)."""
    if email.state in IN_FLIGHT:
        return f"This email to {email.to_email} is still {email.state}: it will be delivered."
    if email.state == EmailState.SKIPPED:
        return "This email was skipped as out of date when its turn came."
    if session is None:
        return ""
    if email.kind == EmailKind.SESSION_REMINDER:
        if session.status != Status.CONFIRMED:
            return f"This reminder is out of date: the session is {session.status}."
        if session.start <= now:
            return "This reminder is out of date: the session has started."
    if email.session_sequence is not None and email.session_sequence != session.ics_sequence:
        return (
            "This email is out of date: the session has a new status or meeting link "
            f"since it was written (it is now {session.get_status_display().lower()})."
        )
    if session.status == Status.CANCELLED and email.kind != EmailKind.SESSION_CANCELLED:
        return "This email is out of date: the session was cancelled after it was written."
    return ""
