"""Emails to the admins (staff), rendered and queued like every email (notifications.emails)."""

from datetime import timedelta

from django.conf import settings

from bookings.models import MentoringSession
from notifications.emails import queue_email, render_email
from notifications.models import EmailKind, OutboundEmail


def queue_pending_reminder(admin, sessions: list[MentoringSession]) -> OutboundEmail:
    """One email to `admin` listing pending sessions that start soon, soonest first, each
    with a link that opens its "Confirm with Link" dialog on the sessions dashboard."""
    lead = timedelta(hours=settings.PENDING_EXPIRY_LEAD_HOURS)
    dashboard = f"{settings.SITE_URL}/admin/sessions/"
    context = {
        "sessions": [
            {
                "session": session,
                "expires_at": session.start - lead,
                "confirm_url": f"{dashboard}?status=pending&dialog=confirm-{session.pk}",
            }
            for session in sessions
        ],
        "count": len(sessions),
        "first": sessions[0],
        "window_hours": settings.PENDING_REMINDER_WINDOW_HOURS,
        "lead_hours": settings.PENDING_EXPIRY_LEAD_HOURS,
        "dashboard_url": f"{dashboard}?status=pending",
    }
    return queue_email(
        kind=EmailKind.PENDING_REMINDER,
        recipient=admin,
        rendered=render_email("pending_reminder", context, admin),
    )
