"""The worker's message class (notifications/mime.py) parses each header once and reuses it:
the bytes it sends are exactly those of Django's own class, email after email."""

import email.policy
import random
import re

from django.core.mail import EmailMultiAlternatives

from bookings import services
from notifications.delivery import build_message
from notifications.mime import OutboxMessage
from notifications.models import OutboundEmail
from tests.conftest import MEET
from tests.factories import SessionFactory

DATE = re.compile(rb"^Date: .*\r\n", re.M)


def as_bytes(message: EmailMultiAlternatives, cls: type) -> bytes:
    message.__class__ = cls
    random.seed(7)  # the same MIME boundaries for both classes
    return DATE.sub(b"", message.message(policy=email.policy.SMTP).as_bytes())


def test_every_email_is_byte_for_byte_what_djangos_class_makes(admin_user):
    for _ in range(3):
        session = SessionFactory(notes="Ünïcode notes — with a long line " * 4)
        services.confirm_session(session, link=MEET, by=admin_user)
    emails = list(OutboundEmail.objects.order_by("pk"))
    assert len(emails) == 6  # mentee and mentor, three sessions: text, HTML, invite

    ours = [as_bytes(build_message(row), OutboxMessage) for row in emails]
    djangos = [as_bytes(build_message(row), EmailMultiAlternatives) for row in emails]

    assert ours == djangos
    # Each is its own email, though most of their headers were parsed once.
    for row, sent in zip(emails, ours, strict=True):
        assert f"To: {row.to_email}\r\n".encode() in sent
        assert f"Message-ID: {row.message_id}\r\n".encode() in sent
    assert len(set(ours)) == 6
