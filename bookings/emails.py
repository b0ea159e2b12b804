"""Emails about sessions: rendered and queued through the outbox (notifications.emails).

Every `queue_*` is called by a booking service or job *inside* its transaction, so an email
exists if and only if the change that causes it was committed. Each person gets their own
email, rendered in their own time zone; confirmation, link change and cancellation carry a
calendar invite (bookings.ics).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model

from bookings import ics
from bookings.models import MentoringSession, Status
from common.urls import absolute_url
from notifications.emails import Outgoing, email_to, queue_email, queue_emails, render_email
from notifications.models import EmailKind, OutboundEmail


def session_url(session: MentoringSession) -> str:
    """The session's page: details, the Join button, and (once completed) the feedback form."""
    return absolute_url("session_detail", session.pk)


def change_links(session: MentoringSession) -> dict[str, str]:
    """The pages where a person can move or cancel the session (docs/PRODUCT.md §5.1): links
    to pages that ask first (log-in required), never links that act when opened."""
    return {
        "reschedule_url": absolute_url("session_reschedule", session.pk),
        "cancel_url": absolute_url("session_cancel", session.pk),
    }


def _session_participants(session: MentoringSession):
    """(recipient, the other person) for the mentee, then the mentor."""
    return [(session.mentee, session.mentor), (session.mentor, session.mentee)]


def _queue_to_both(session: MentoringSession, kind: str, template: str, method: str, **extra):
    queue_emails(_to_both(session, kind, template, method, **extra))


def _to_both(
    session: MentoringSession, kind: str, template: str, method: str, *, personal=None, **extra
) -> list[Outgoing]:
    """Each of the two people's email; `personal(recipient)`, if given, adds to the context
    what depends on who reads it."""
    invite = ics.build_invite(session, method=method) if method else ""
    outgoing = []
    for recipient, other in _session_participants(session):
        context = {
            "session": session,
            "other": other,
            "is_mentor": recipient.pk == session.mentor_id,
            "session_url": session_url(session),
            **extra,
            **(personal(recipient) if personal else {}),
        }
        rendered = render_email(template, context, recipient)
        outgoing.append(
            Outgoing(kind, recipient, rendered, session, invite, method if invite else "")
        )
    return outgoing


def queue_session_confirmed(session: MentoringSession) -> None:
    _queue_to_both(
        session,
        EmailKind.SESSION_CONFIRMED,
        "session_confirmed",
        ics.METHOD_REQUEST,
        **change_links(session),
    )


def _moved_by(session: MentoringSession, by, recipient) -> str:
    """Who moved the session, as `recipient` reads it: "you", "your mentor Jane Smith",
    "the mentee John Doe" (to an admin), "the CodeMentorHub team" (an admin, to the two)."""
    if by is not None and by.pk == recipient.pk:
        return "you"
    to_admin = recipient.pk not in (session.mentor_id, session.mentee_id)
    whose = "the" if to_admin else "your"
    if by is not None and by.pk == session.mentor_id:
        return f"{whose} mentor {by.get_full_name()}"
    if by is not None and by.pk == session.mentee_id:
        return f"{whose} mentee {by.get_full_name()}"
    if by is not None and to_admin:
        return f"{by.get_full_name()} (an admin)"
    return "the CodeMentorHub team"


def queue_session_moved(session: MentoringSession, *, old_start: datetime, by, reason: str) -> None:
    """The session moved to another time (bookings.services.reschedule_session): its two
    people each get the old and the new time in their own zone, who moved it and why; a
    confirmed session's emails carry the updated invite (same UID, the raised SEQUENCE, the
    new start). A pending session is in nobody's calendar yet: no invite, and every active
    admin is told that it still needs confirming, at its new time."""
    is_pending = session.status == Status.PENDING
    to_both = _to_both(
        session,
        EmailKind.SESSION_MOVED,
        "session_moved",
        "" if is_pending else ics.METHOD_REQUEST,
        old_start=old_start,
        reason=reason,
        is_pending=is_pending,
        personal=lambda recipient: {"moved_by": _moved_by(session, by, recipient)},
        **change_links(session),
    )
    if not is_pending:
        queue_emails(to_both)
        return
    context = {
        **_booking_context(session),
        "old_start": old_start,
        "reason": reason,
        "confirm_url": confirm_url(session),
    }
    to_admins = [
        email_to(
            admin,
            EmailKind.PENDING_SESSION_MOVED,
            "pending_session_moved",
            {**context, "moved_by": _moved_by(session, by, admin)},
            session=session,
        )
        for admin in _active_admins()
    ]
    queue_emails(to_both + to_admins)  # one insert


def queue_link_changed(session: MentoringSession, *, old_link: str) -> None:
    _queue_to_both(
        session, EmailKind.LINK_CHANGED, "link_changed", ics.METHOD_REQUEST, old_link=old_link
    )


def queue_session_cancelled(session: MentoringSession, *, was_confirmed: bool) -> None:
    """Only a session that had been confirmed was in anyone's calendar: only its emails
    carry a CANCEL invite; the others say that the request had not been confirmed yet."""
    method = ics.METHOD_CANCEL if was_confirmed else ""
    _queue_to_both(
        session,
        EmailKind.SESSION_CANCELLED,
        "session_cancelled",
        method,
        was_confirmed=was_confirmed,
    )


def queue_session_completed(session: MentoringSession) -> None:
    """To the mentee: thanks, and where to leave feedback (the form on the session page,
    mentors.views.leave_feedback posts from there)."""
    context = {
        "session": session,
        "other": session.mentor,
        "session_url": session_url(session),
        "feedback_url": session_url(session),
    }
    queue_email(
        session.mentee, EmailKind.SESSION_COMPLETED, "session_completed", context, session=session
    )


def queue_payment_refunded(session: MentoringSession, payment) -> None:
    """To the mentee: the money of a cancelled session went back (bookings.services)."""
    context = {
        "session": session,
        "other": session.mentor,
        "payment": payment,
        "session_url": session_url(session),
    }
    queue_email(
        session.mentee, EmailKind.PAYMENT_REFUNDED, "payment_refunded", context, session=session
    )


def starts_in(delta: timedelta) -> str:
    """How long until a start, as a reminder says it: "24 hours", "1 hour", "45 minutes"
    (rounded to the minute; from one hour on, to the hour)."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes >= 60:
        hours = round(minutes / 60)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def queue_session_reminder(
    session: MentoringSession, recipient, *, lead_hours: int, now: datetime
) -> OutboundEmail:
    """A reminder before a confirmed session, to one of its two people, with the current
    meeting link. Written for the session's current revision (`session.ics_sequence`): if
    the session changes before it is delivered, delivery skips it (`out_of_date_reason`)."""
    is_mentor = recipient.pk == session.mentor_id
    context = {
        "session": session,
        "other": session.mentee if is_mentor else session.mentor,
        "is_mentor": is_mentor,
        "lead_hours": lead_hours,
        "starts_in": starts_in(session.start - now),
        "session_url": session_url(session),
        **change_links(session),
    }
    return queue_email(
        recipient, EmailKind.SESSION_REMINDER, "session_reminder", context, session=session
    )


def confirm_url(session: MentoringSession) -> str:
    """The sessions dashboard with this session's "Confirm with Link" dialog open."""
    return absolute_url("admin_sessions", query=f"status=pending&dialog=confirm-{session.pk}")


def _booking_context(session: MentoringSession) -> dict:
    return {
        "session": session,
        "session_url": session_url(session),
        "dashboard_url": absolute_url("dashboard"),
        "admin_url": absolute_url("admin_sessions", query="status=pending"),
    }


def _active_admins():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("id")


def queue_booked(session: MentoringSession) -> None:
    """A new request, in one insert: the mentee's receipt (pending, what happens next), the
    mentor's news of it (so a later cancellation is never the first they hear of it), and
    "needs confirmation" to every active staff user; each in their own time zone."""
    context = _booking_context(session)

    def to(recipient, kind: str, **extra) -> Outgoing:
        return email_to(recipient, kind, kind, {**context, **extra}, session=session)

    admins = _active_admins()
    queue_emails(
        [
            to(
                session.mentee,
                EmailKind.BOOKING_RECEIVED,
                other=session.mentor,
                how_to_pay=session.how_to_pay,
            ),
            to(session.mentor, EmailKind.SESSION_REQUESTED, other=session.mentee),
            *(to(admin, EmailKind.NEEDS_CONFIRMATION) for admin in admins),
        ]
    )


def queue_pending_reminder(admin, sessions: list[MentoringSession]) -> OutboundEmail:
    """One email to `admin` listing pending sessions that start soon, soonest first, each
    with a link that opens its "Confirm with Link" dialog on the sessions dashboard."""
    lead = timedelta(hours=settings.PENDING_EXPIRY_LEAD_HOURS)
    context = {
        "sessions": [
            {
                "session": session,
                "expires_at": session.start - lead,
                "confirm_url": confirm_url(session),
            }
            for session in sessions
        ],
        "count": len(sessions),
        "first": sessions[0],
        "window_hours": settings.PENDING_REMINDER_WINDOW_HOURS,
        "lead_hours": settings.PENDING_EXPIRY_LEAD_HOURS,
        "dashboard_url": absolute_url("admin_sessions", query="status=pending"),
    }
    return queue_email(admin, EmailKind.PENDING_REMINDER, "pending_reminder", context)


def out_of_date_reason(email: OutboundEmail, now: datetime, *, at_delivery: bool) -> str:
    """Why an email about a session no longer holds ("" while it does): the one rule for
    delivery and for Resend (registered with notifications.freshness in BookingsConfig).

    A reminder holds while its session is confirmed, has not started and has not changed
    since it was written. At delivery only reminders are judged: the other emails are
    history, and whatever changed since has its own email. For a resend, an email whose
    session has changed since (its invite revision moved on) or was cancelled would mislead."""
    session = email.session
    if session is None:
        return ""
    is_reminder = email.kind == EmailKind.SESSION_REMINDER
    if is_reminder and session.status != Status.CONFIRMED:
        status = session.get_status_display().lower()
        return f"Out of date: the session was {status} after this email was written."
    if is_reminder and session.start <= now:
        return "Out of date: the session had already started."
    if at_delivery and not is_reminder:
        return ""
    about_the_cancelled = (EmailKind.SESSION_CANCELLED, EmailKind.PAYMENT_REFUNDED)
    if session.status == Status.CANCELLED and email.kind not in about_the_cancelled:
        return "Out of date: the session was cancelled after this email was written."
    if email.session_sequence is not None and email.session_sequence != session.ics_sequence:
        return (
            "Out of date: the session changed (its status, time or meeting link) after "
            "this email was written."
        )
    return ""
