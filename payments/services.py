"""Payments: the only writers of payment records.

Each function works on one session's payment inside its caller's transaction, with the
session row already locked by the caller (bookings.services): so marking paid and
cancelling a session serialise instead of interleaving, and a payment can never be marked
paid on a session cancelled a moment before. A session is anything with `pk`, `amount`,
`currency` and `payment_status`: this app does not know the booking rules.
`mirror` copies the payment's status onto the session; the caller saves the session.
"""

import logging
from collections.abc import Iterable
from decimal import Decimal
from functools import partial
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from common.bulk import bulk_insert
from payments.models import Payment, PaymentStatus
from payments.providers import ProviderError, get_provider

logger = logging.getLogger(__name__)

_STATUS_WORDS = dict(PaymentStatus.choices)


class Session(Protocol):
    """A session as this app sees it."""

    pk: int
    amount: Decimal
    currency: str
    payment_status: str


class PaymentError(Exception):
    """A refused payment action; the message is written for the admin who tried it."""


def _payment_for(session: Session) -> Payment:
    """The session's payment record, locked. Called with the session row locked, so a
    missing record (a session written without the booking service: demo data from before
    payments, a data repair) is created here, race-free, mirroring the session."""
    payment = Payment.objects.select_for_update().filter(session_id=session.pk).first()
    if payment is None:
        payment = Payment.objects.create(
            session=session,
            amount=session.amount,
            currency=session.currency,
            status=session.payment_status,
            provider=get_provider().name,
        )
    return payment


def mirror(session: Session, payment: Payment) -> list[str]:
    """Copy the payment status onto the session; returns the session fields changed."""
    if session.payment_status == payment.status:
        return []
    session.payment_status = payment.status
    return ["payment_status"]


def create_for_session(session: Session) -> Payment:
    """The payment record of a new session. Called by the booking service inside its
    transaction (with the new session), so a booking never exists without its payment."""
    provider = get_provider()
    payment = Payment(
        session=session,
        amount=session.amount,
        currency=session.currency,
        status=PaymentStatus.PENDING,
        provider=provider.name,
    )
    provider.start(payment)
    payment.save()
    if mirror(session, payment):
        session.save(update_fields=["payment_status", "updated_at"])
    return payment


def bulk_create_for_sessions(sessions: Iterable[Session]) -> None:
    """Payment records for sessions just bulk-created (demo data, benchmarks), mirroring
    each session's payment status, in one bulk insert (common.bulk)."""
    now = timezone.now()
    provider = get_provider()
    rows = []
    for session in sessions:
        paid = session.payment_status != PaymentStatus.PENDING
        payment = Payment(
            session=session,
            amount=session.amount,
            currency=session.currency,
            status=session.payment_status,
            provider=provider.name,
            paid_at=now if paid else None,
            refunded_at=now if session.payment_status == PaymentStatus.REFUNDED else None,
        )
        provider.start(payment)
        rows.append(payment)
    bulk_insert(Payment, rows)


def record_paid(session: Session, *, by, reference: str) -> Payment:
    """pending → paid (offline provider: the transfer arrived). The caller has locked the
    session and checked that it may be paid."""
    payment = _payment_for(session)
    if payment.status != PaymentStatus.PENDING:
        raise PaymentError(
            f"This session's payment is already {_STATUS_WORDS[payment.status].lower()}; "
            "nothing was changed."
        )
    try:
        payment.reference = get_provider(payment.provider).mark_paid(payment, reference=reference)
    except ProviderError as error:
        raise PaymentError(f"{error} Nothing was changed.") from error
    payment.status = PaymentStatus.PAID
    payment.paid_at = timezone.now()
    payment.paid_by = by
    payment.save(update_fields=["status", "reference", "paid_at", "paid_by", "updated_at"])
    return payment


def on_session_cancelled(session: Session) -> list[str]:
    """Called by bookings.services.cancel_session inside its transaction, with the session
    row locked: a paid session gets a refund due. Sets the session's `payment_status` copy
    and returns the session fields it changed (the caller saves the session once)."""
    payment = _payment_for(session)
    if payment.status == PaymentStatus.PAID:
        payment.status = PaymentStatus.REFUND_DUE
        payment.save(update_fields=["status", "updated_at"])
        # After the commit: an online provider may start the refund (a network call must
        # not run inside the transaction, and must not run at all if it rolls back).
        transaction.on_commit(partial(_refund_due, payment.pk))
    return mirror(session, payment)


def _refund_due(payment_id: int) -> None:
    # The cancellation is committed whatever happens here: a provider failure is logged
    # (the payment stays "refund due" on the dashboard), never turned into an error page.
    try:
        payment = Payment.objects.get(pk=payment_id)
        get_provider(payment.provider).refund_due(payment)
    except Exception:
        logger.exception("payment provider could not start the refund of payment %s", payment_id)


def record_refunded(session: Session, *, reference: str) -> Payment:
    """refund due → refunded: the money went back (an admin's transfer, or an online
    provider's report). The caller has locked the session."""
    payment = _payment_for(session)
    if payment.status != PaymentStatus.REFUND_DUE:
        raise PaymentError(
            f"No refund is due for this session (its payment is "
            f"{_STATUS_WORDS[payment.status].lower()}); nothing was changed."
        )
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = timezone.now()
    if reference:
        payment.reference = reference
    payment.save(update_fields=["status", "refunded_at", "reference", "updated_at"])
    return payment
