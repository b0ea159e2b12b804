"""Template helpers for showing sessions safely."""

from dataclasses import dataclass

from django import template
from django.core.exceptions import ValidationError

from bookings.meeting_links import canonicalize_meeting_link

register = template.Library()


@register.filter
def safe_meeting_link(link: str) -> str:
    """The link if it is a valid meeting link, else "" — so a bad value that reached the
    database some other way (a shell, a raw UPDATE) is never rendered as a clickable href."""
    if not link:
        return ""
    try:
        return canonicalize_meeting_link(link)
    except ValidationError:
        return ""


@dataclass(frozen=True)
class EmailLine:
    kind: str
    to_email: str
    state: str
    state_label: str
    attempts: int
    last_error: str


@register.simple_tag
def latest_emails(emails) -> list[EmailLine]:
    """The newest notification's delivery state, one line per recipient.

    `emails` is the session's prefetched outbox rows (oldest first): reading them here costs
    no query, and two recipients of one notification are shown together."""
    rows = list(emails)
    if not rows:
        return []
    kind = rows[-1].kind
    latest_per_recipient = {}
    for email in rows:
        if email.kind == kind:
            latest_per_recipient[email.to_email] = email
    return [
        EmailLine(
            kind=email.get_kind_display(),
            to_email=email.to_email,
            state=email.state,
            state_label=email.get_state_display(),
            attempts=email.attempts,
            last_error=email.last_error,
        )
        for email in latest_per_recipient.values()
    ]
