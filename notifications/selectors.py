"""Reads of the outbox: the staff email log, a session's emails and their delivery states."""

import json
from dataclasses import dataclass

from django.db.models import Func, Q, QuerySet, TextField

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


class SessionEmails(Func):
    """A session's emails, oldest first, as the JSON text of `[[kind, to_email, state,
    attempts, last_error], …]` (`[]` for none): a value of the query that lists the
    sessions, one indexed lookup per row, so the dashboard needs no query of its own for
    the delivery states (one round trip less). Read it with `email_lines`.

    `SessionEmails(F("pk"))`; the SQL differs by database only in its JSON functions."""

    output_field = TextField()
    _COLUMNS = "kind, to_email, state, attempts, last_error"
    _TABLE = OutboundEmail._meta.db_table
    _POSTGRESQL = (
        f"(SELECT COALESCE(json_agg(json_build_array({_COLUMNS}) ORDER BY created_at, id), "
        f"'[]')::text FROM {_TABLE} WHERE session_id = %(expressions)s)"
    )
    # json_group_array keeps the order of the rows it is given.
    _SQLITE = (
        f"(SELECT json_group_array(json_array({_COLUMNS})) FROM (SELECT {_COLUMNS} "
        f"FROM {_TABLE} WHERE session_id = %(expressions)s ORDER BY created_at, id))"
    )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=self._POSTGRESQL, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=self._SQLITE, **extra)


def email_lines(emails_json: str | None) -> list[EmailLine]:
    """The delivery-state lines of a session's newest notification (one per recipient: two
    recipients of one notification are shown together), from `SessionEmails`."""
    emails = json.loads(emails_json) if emails_json else []
    return _latest(emails) if emails else []


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
