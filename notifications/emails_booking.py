"""Booking emails (issue 3, item 4): "booking received" to the mentee, "needs confirmation"
to every active admin. Called by bookings.services.book_session inside its transaction,
so they exist if and only if the booking was committed (the outbox)."""

from django.conf import settings
from django.contrib.auth import get_user_model

from bookings.models import MentoringSession
from notifications.emails import queue_email, render_email
from notifications.models import EmailKind


def _context(session: MentoringSession) -> dict:
    return {
        "session": session,
        "session_url": f"{settings.SITE_URL}/sessions/{session.pk}/",
        "dashboard_url": f"{settings.SITE_URL}/dashboard/",
        "admin_url": f"{settings.SITE_URL}/admin/sessions/?status=pending",
    }


def queue_booking_received(session: MentoringSession) -> None:
    """To the mentee: the request is pending, and what happens next."""
    context = {**_context(session), "other": session.mentor}
    queue_email(
        kind=EmailKind.BOOKING_RECEIVED,
        recipient=session.mentee,
        rendered=render_email("booking_received", context, session.mentee),
        session=session,
    )


def queue_needs_confirmation(session: MentoringSession) -> None:
    """To every active staff user, each in their own time zone: a booking to confirm."""
    admins = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("id")
    context = _context(session)
    for admin in admins:
        queue_email(
            kind=EmailKind.NEEDS_CONFIRMATION,
            recipient=admin,
            rendered=render_email("needs_confirmation", context, admin),
            session=session,
        )
