"""Reads for the staff email log and the admin session page, with the joins they need."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from bookings.models import MentoringSession, SessionEvent
from notifications.models import OutboundEmail


@dataclass(frozen=True)
class EmailLogFilters:
    state: str = ""
    kind: str = ""
    q: str = ""


def _log_rows() -> QuerySet[OutboundEmail]:
    # The session's people name the session link; the bodies are not shown in a list.
    return (
        OutboundEmail.objects.select_related("recipient", "session__mentor", "session__mentee")
        .defer("body_text", "body_html", "ics")
        .order_by("-created_at", "-id")
    )


def email_log(filters: EmailLogFilters) -> QuerySet[OutboundEmail]:
    """Every outbox row, newest first."""
    emails = _log_rows()
    if filters.state:
        emails = emails.filter(state=filters.state)
    if filters.kind:
        emails = emails.filter(kind=filters.kind)
    for word in filters.q.split()[:5]:
        emails = emails.filter(
            Q(to_email__icontains=word)
            | Q(recipient__first_name__icontains=word)
            | Q(recipient__last_name__icontains=word)
        )
    return emails


def session_emails(session: MentoringSession) -> QuerySet[OutboundEmail]:
    """The session's emails, newest first (the same rows and columns as the log)."""
    return _log_rows().filter(session=session)


def session_for_admin(pk: int) -> MentoringSession | None:
    return (
        MentoringSession.objects.select_related("mentor", "mentee", "confirmed_by", "cancelled_by")
        .filter(pk=pk)
        .first()
    )


def session_audit_trail(session: MentoringSession) -> QuerySet[SessionEvent]:
    """Who did what to the session, oldest first."""
    return (
        SessionEvent.objects.filter(session=session)
        .select_related("actor")
        .order_by("created_at", "id")
    )
