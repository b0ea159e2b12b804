"""Reads of the outbox: the staff email log, a session's emails and their delivery states."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

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
    """For each session, the delivery-state lines of its newest notification (one per
    recipient: two recipients of one notification are shown together). One query for all
    the sessions of a page; a session without emails has no entry."""
    emails: dict[int, list[list]] = {}
    rows = (
        OutboundEmail.objects.filter(session_id__in=session_ids)
        .order_by("session_id", "created_at", "id")
        .values_list("session_id", "kind", "to_email", "state", "attempts", "last_error")
    )
    for session_id, *email in rows:
        emails.setdefault(session_id, []).append(email)
    return {session_id: _latest(found) for session_id, found in emails.items()}


# Labels by stored value; a value no longer in the choices (older data) shows as it is,
# as get_FOO_display() would.
_KIND_LABELS = dict(EmailKind.choices)
_STATE_LABELS = dict(EmailState.choices)


def _latest(emails: list[list]) -> list[EmailLine]:
    kind = emails[-1][0]
    per_recipient = {row[1]: row for row in emails if row[0] == kind}
    return [
        EmailLine(
            kind=_KIND_LABELS.get(kind, kind),
            to_email=to_email,
            state=state,
            state_label=_STATE_LABELS.get(state, state),
            attempts=attempts,
            last_error=last_error,
        )
        for kind, to_email, state, attempts, last_error in per_recipient.values()
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


def session_emails(session) -> QuerySet[OutboundEmail]:
    """The session's emails, newest first (the same rows and columns as the log)."""
    return _log_rows().filter(session=session)
