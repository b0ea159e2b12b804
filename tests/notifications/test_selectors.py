"""latest_email_lines: the sessions dashboard's delivery-state column, one query for the
page's sessions."""

from datetime import UTC, datetime, timedelta

import pytest

from notifications.models import EmailKind, EmailState, OutboundEmail
from notifications.selectors import EmailLine, latest_email_lines
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)


def _email(session, kind, to_email, state, *, minutes, attempts=0, error=""):
    email = OutboundEmail.objects.create(
        kind=kind,
        session=session,
        to_email=to_email,
        state=state,
        attempts=attempts,
        last_error=error,
        subject="s",
        body_text="t",
        message_id=f"<{kind}-{to_email}-{minutes}@test>",
        next_attempt_at=T0,
    )
    # created_at is auto_now_add: set the order the test needs.
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=T0 + timedelta(minutes=minutes))


def test_shows_the_newest_notification_once_per_recipient(django_assert_num_queries):
    session, other = SessionFactory(), SessionFactory(start=T0 + timedelta(days=3))
    _email(session, EmailKind.SESSION_CONFIRMED, "a@x.test", EmailState.SENT, minutes=1)
    _email(
        session,
        EmailKind.LINK_CHANGED,
        "a@x.test",
        EmailState.FAILED,
        minutes=2,
        attempts=3,
        error="550 no such user",
    )
    _email(session, EmailKind.LINK_CHANGED, "b@x.test", EmailState.QUEUED, minutes=3)
    _email(session, EmailKind.LINK_CHANGED, "a@x.test", EmailState.SENT, minutes=4)
    _email(other, EmailKind.SESSION_CONFIRMED, "c@x.test", EmailState.SENT, minutes=5)
    quiet = SessionFactory(start=T0 + timedelta(days=6))

    with django_assert_num_queries(1):
        lines = latest_email_lines([session.pk, other.pk, quiet.pk])

    changed = EmailKind(EmailKind.LINK_CHANGED).label
    assert lines[session.pk] == [
        EmailLine(changed, "a@x.test", "sent", EmailState(EmailState.SENT).label, 0, ""),
        EmailLine(changed, "b@x.test", "queued", EmailState(EmailState.QUEUED).label, 0, ""),
    ]
    assert [line.to_email for line in lines[other.pk]] == ["c@x.test"]
    assert quiet.pk not in lines


def test_a_kind_no_longer_in_the_choices_shows_as_stored():
    session = SessionFactory()
    _email(session, "retired_kind", "a@x.test", EmailState.SENT, minutes=1)

    (line,) = latest_email_lines([session.pk])[session.pk]

    assert (line.kind, line.state_label) == ("retired_kind", EmailState(EmailState.SENT).label)


def test_any_text_is_shown_as_stored():
    session = SessionFactory()
    error = 'SMTP said "no"\n\tà bientôt <b>\\ 😀'
    _email(
        session,
        EmailKind.SESSION_CONFIRMED,
        "a@x.test",
        EmailState.FAILED,
        minutes=1,
        attempts=7,
        error=error,
    )

    (line,) = latest_email_lines([session.pk])[session.pk]

    assert (line.to_email, line.state, line.attempts, line.last_error) == (
        "a@x.test",
        "failed",
        7,
        error,
    )


def test_emails_written_in_the_same_instant_keep_their_order():
    session = SessionFactory()
    _email(session, EmailKind.SESSION_CONFIRMED, "a@x.test", EmailState.SENT, minutes=1)
    _email(session, EmailKind.LINK_CHANGED, "a@x.test", EmailState.QUEUED, minutes=1)

    (line,) = latest_email_lines([session.pk])[session.pk]

    assert (line.kind, line.state) == (EmailKind(EmailKind.LINK_CHANGED).label, "queued")
