"""Reads for the staff email log and the admin session page, with the joins they need."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from bookings.models import MentoringSession, SessionEvent
from notifications.models import EmailKind, EmailState, OutboundEmail


@dataclass(frozen=True)
class EmailLogFilters:
    state: str = ""
    kind: str = ""
    q: str = ""


@dataclass(frozen=True)
class EmailLine:
    kind: str
    to_email: str
    state: str
    state_label: str
    attempts: int
    last_error: str


def latest_email_lines(session_ids: list[int]) -> dict[int, list[EmailLine]]:
    """For each session, its newest notification's delivery state, one line per recipient
    (two recipients of one notification are shown together). One query, no model objects:
    the sessions dashboard shows this for 25 sessions on every page."""
    rows = (
        OutboundEmail.objects.filter(session_id__in=session_ids)
        .order_by("session_id", "created_at", "id")
        .values_list("session_id", "kind", "to_email", "state", "attempts", "last_error")
    )
    by_session: dict[int, list[tuple]] = {}
    for row in rows:
        by_session.setdefault(row[0], []).append(row)
    return {session_id: _latest(emails) for session_id, emails in by_session.items()}


# Labels by stored value; a value no longer in the choices (older data) shows as it is,
# as get_FOO_display() would.
_KIND_LABELS = dict(EmailKind.choices)
_STATE_LABELS = dict(EmailState.choices)


def _latest(emails: list[tuple]) -> list[EmailLine]:
    kind = emails[-1][1]
    per_recipient = {row[2]: row for row in emails if row[1] == kind}
    return [
        EmailLine(
            kind=_KIND_LABELS.get(kind, kind),
            to_email=to_email,
            state=state,
            state_label=_STATE_LABELS.get(state, state),
            attempts=attempts,
            last_error=last_error,
        )
        for _, kind, to_email, state, attempts, last_error in per_recipient.values()
    ]


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
