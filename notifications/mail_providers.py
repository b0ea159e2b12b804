"""Production email through a provider's HTTP API (django-anymail), chosen by EMAIL_PROVIDER.

config/settings.py points `MAILERS["default"]` at one of the backends below; the worker
sends through it like through SMTP (notifications.delivery).

Each backend is anymail's own, constructed by Django 6.1 exactly as anymail expects:
`backend_class(alias="default", **OPTIONS)` — anymail 15 takes `alias` and reads its keys
(`api_key`, `server_token`, …) from OPTIONS. The one thing added here is for the calendar
invite: delivery.build_message puts it in twice, as a `text/calendar; method=…` alternative
of the body and as an `invite.ics` attachment. A provider's HTTP API takes a text body, an
HTML body and attachments, nothing else, so anymail refuses the extra alternative
(AnymailUnsupportedFeature) — every confirmation, link-change and cancellation email would
fail for good. These backends drop that alternative and send the rest; the attachment still
carries the invite with its method. (Anymail's `IGNORE_UNSUPPORTED_FEATURES` would also get
the message through, but it silently drops anything else a provider cannot take.)
"""

from anymail.backends import brevo, mailgun, postmark
from django.core.mail import EmailMessage


def _is_calendar(mimetype: str | None) -> bool:
    return (mimetype or "").lower().startswith("text/calendar")


class _InviteAsAttachmentOnly:
    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        for message in email_messages:
            alternatives = getattr(message, "alternatives", None) or []
            # Only when the invite is attached as well: never lose the invite itself.
            if any(_is_calendar(getattr(item, "mimetype", None)) for item in message.attachments):
                message.alternatives = [a for a in alternatives if not _is_calendar(a.mimetype)]
        return super().send_messages(email_messages)  # type: ignore[misc]


class PostmarkBackend(_InviteAsAttachmentOnly, postmark.EmailBackend):
    pass


class MailgunBackend(_InviteAsAttachmentOnly, mailgun.EmailBackend):
    pass


class BrevoBackend(_InviteAsAttachmentOnly, brevo.EmailBackend):
    pass
