"""Payments: the only writers of payment records (filled in by the payments work)."""

from bookings.models import MentoringSession


def on_session_cancelled(session: MentoringSession) -> list[str]:
    """Called by bookings.services.cancel_session inside its transaction, with the row
    locked: a paid session gets a refund due. Returns the session fields it changed."""
    from bookings.models import PaymentStatus

    if session.payment_status == PaymentStatus.PAID:
        session.payment_status = PaymentStatus.REFUND_DUE
        return ["payment_status"]
    return []


def create_for_session(session: MentoringSession) -> None:
    """Called by the booking service inside its transaction: the session's payment record."""
