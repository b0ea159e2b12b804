"""Writes on the outbox made by people (the worker's writes live in notifications.delivery)."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from notifications import freshness
from notifications.delivery import enqueue_delivery
from notifications.models import EmailState, OutboundEmail

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
        if refusal := resend_refusal(original, now=timezone.now()):
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


def resend_refusal(email: OutboundEmail, *, now: datetime) -> str:
    """Why this email may not be resent now ("" when it may): it is still on its way, it
    was skipped, or what it says went out of date (the rules of the app it is about,
    notifications.freshness). Reads what the row has loaded: a list that loads its rows'
    sessions asks no more queries."""
    if email.state in IN_FLIGHT:
        return f"This email to {email.to_email} is still {email.state}: it will be delivered."
    if email.state == EmailState.SKIPPED:
        return "This email was skipped as out of date when its turn came."
    return freshness.out_of_date_reason(email, now, at_delivery=False)


def with_resend_refusals(emails) -> list[OutboundEmail]:
    """The rows, each with `resend_refusal`: why Resend would be refused ("" if it would
    not), so a page offers the button only where it works (load the rows' sessions)."""
    now = timezone.now()
    rows = list(emails)
    for email in rows:
        email.resend_refusal = resend_refusal(email, now=now)
    return rows
