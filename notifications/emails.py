"""Emails are data: each is rendered from a template triplet into an outbox row.

`queue_*` functions are called by the booking services *inside* their transaction, so an
email exists if and only if the change that causes it was committed.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from bookings.models import MentoringSession
from notifications import ics
from notifications.models import EmailKind, OutboundEmail


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template: str, context: dict, recipient) -> RenderedEmail:
    """Render templates/emails/<template>.{subject.txt,txt,html} in the recipient's zone."""
    context = {"recipient": recipient, "site_url": settings.SITE_URL, **context}
    with timezone.override(recipient.zone):
        subject = _render_plain(f"emails/{template}.subject.txt", context)
        text = _render_plain(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    # A subject is one line: collapse anything a template or a name may have put in it
    # (a line break in a header would be refused, or worse, start a new header).
    subject = " ".join(subject.split())
    # Included blocks and {% if %}s leave trailing spaces and runs of blank lines behind; a
    # plain-text email reads better with at most one blank line between paragraphs.
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html)


def _render_plain(template_name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping: "Tom & Jerry" must not reach a
    subject line or a text part as "Tom &amp; Jerry", whether or not the template itself
    remembered `{% autoescape off %}`."""
    template = get_template(template_name)
    # The Django backend's Template.render() takes a dict; to switch escaping off for the
    # whole render we render the engine-level template with our own Context.
    return template.template.render(Context(context, autoescape=False))


@dataclass(frozen=True)
class Outgoing:
    """One email to queue: who gets what."""

    kind: str
    recipient: object
    rendered: RenderedEmail
    session: MentoringSession | None = None
    invite: str = ""
    invite_method: str = ""


def queue_email(
    *,
    kind: str,
    recipient,
    rendered: RenderedEmail,
    session: MentoringSession | None = None,
    invite: str = "",
    invite_method: str = "",
) -> OutboundEmail:
    return queue_emails([Outgoing(kind, recipient, rendered, session, invite, invite_method)])[0]


def queue_emails(outgoing: list[Outgoing]) -> list[OutboundEmail]:
    """Outbox rows, in the caller's transaction (a transactional outbox): one insert for all
    of them, and nothing else in the request. The worker's relay gives each row its
    delivery task within a second (notifications.delivery.relay)."""
    now = timezone.now()
    return OutboundEmail.objects.bulk_create(
        OutboundEmail(
            kind=item.kind,
            session=item.session,
            recipient=item.recipient,
            to_email=item.recipient.email,
            subject=item.rendered.subject,
            body_text=item.rendered.text,
            body_html=item.rendered.html,
            ics=item.invite,
            ics_method=item.invite_method,
            session_sequence=item.session.ics_sequence if item.session is not None else None,
            message_id=OutboundEmail.new_message_id(),
            next_attempt_at=now,
        )
        for item in outgoing
    )


def session_url(session: MentoringSession) -> str:
    """The session's page: details, the Join button, and (once completed) the feedback form."""
    return f"{settings.SITE_URL}/sessions/{session.pk}/"


def _session_participants(session: MentoringSession):
    """(recipient, the other person) for the mentee, then the mentor."""
    return [(session.mentee, session.mentor), (session.mentor, session.mentee)]


def _queue_to_both(session: MentoringSession, kind: str, template: str, method: str, **extra):
    invite = ics.build_invite(session, method=method) if method else ""
    outgoing = []
    for recipient, other in _session_participants(session):
        context = {
            "session": session,
            "other": other,
            "is_mentor": recipient.pk == session.mentor_id,
            "session_url": session_url(session),
            **extra,
        }
        rendered = render_email(template, context, recipient)
        outgoing.append(
            Outgoing(kind, recipient, rendered, session, invite, method if invite else "")
        )
    queue_emails(outgoing)


def queue_session_confirmed(session: MentoringSession) -> None:
    _queue_to_both(session, EmailKind.SESSION_CONFIRMED, "session_confirmed", ics.METHOD_REQUEST)


def queue_link_changed(session: MentoringSession, *, old_link: str) -> None:
    _queue_to_both(
        session, EmailKind.LINK_CHANGED, "link_changed", ics.METHOD_REQUEST, old_link=old_link
    )


def queue_session_cancelled(session: MentoringSession, *, with_invite: bool) -> None:
    method = ics.METHOD_CANCEL if with_invite else ""
    _queue_to_both(session, EmailKind.SESSION_CANCELLED, "session_cancelled", method)


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
        kind=EmailKind.SESSION_COMPLETED,
        recipient=session.mentee,
        rendered=render_email("session_completed", context, session.mentee),
        session=session,
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
    the session changes before it is delivered, delivery skips it (notifications.reminders)."""
    is_mentor = recipient.pk == session.mentor_id
    context = {
        "session": session,
        "other": session.mentee if is_mentor else session.mentor,
        "is_mentor": is_mentor,
        "lead_hours": lead_hours,
        "starts_in": starts_in(session.start - now),
        "session_url": session_url(session),
    }
    return queue_email(
        kind=EmailKind.SESSION_REMINDER,
        recipient=recipient,
        rendered=render_email("session_reminder", context, recipient),
        session=session,
    )
