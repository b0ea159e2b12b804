"""Emails are data: each is rendered from a template triplet into an outbox row.

`queue_*` functions are called by the booking services *inside* their transaction, so an
email exists if and only if the change that causes it was committed.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from notifications.models import OutboundEmail


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template: str, context: dict, recipient) -> RenderedEmail:
    """Render templates/emails/<template>.{subject.txt,txt,html} in the recipient's zone."""
    context = {
        "recipient": recipient,
        "site_url": settings.SITE_URL,
        "support_email": settings.SUPPORT_EMAIL,  # every email's footer
        **context,
    }
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
    session: object | None = None  # the session the email is about, if any
    invite: str = ""
    invite_method: str = ""
    to_email: str = ""  # "" = the recipient's address; else where it goes (an address to verify)


def email_to(
    recipient, kind: str, template: str, context: dict, *, session=None, to_email: str = ""
) -> Outgoing:
    """An email for `recipient`, rendered from templates/emails/<template>.* in their zone;
    sent to their address, or to `to_email` (a new address they must confirm)."""
    rendered = render_email(template, context, recipient)
    return Outgoing(kind, recipient, rendered, session, to_email=to_email)


def queue_email(
    recipient, kind: str, template: str, context: dict, *, session=None, to_email: str = ""
) -> OutboundEmail:
    """Render and queue one email (`email_to`, `queue_emails`)."""
    outgoing = email_to(recipient, kind, template, context, session=session, to_email=to_email)
    return queue_emails([outgoing])[0]


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
            to_email=item.to_email or item.recipient.email,
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
