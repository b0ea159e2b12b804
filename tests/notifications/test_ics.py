"""Calendar invitations (docs/PRODUCT.md): parsed back with icalendar, as a calendar app would."""

import email
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy

import pytest
from icalendar import Calendar

from bookings import services
from bookings.models import MentoringSession
from notifications.delivery import build_message
from notifications.models import EmailKind, OutboundEmail
from tests.conftest import MEET
from tests.factories import SessionFactory
from tests.notifications.conftest import SUPPORT

NEW_MEET = "https://meet.google.com/xyz-wxyz-xyz"
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
END = datetime(2030, 1, 15, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("site")


def uid_of(session) -> str:
    """The UID of a session first invited on the tests' site (docs/PRODUCT.md §5.4)."""
    return f"session-{session.pk}@mentors.example.com"


def parse(row: OutboundEmail) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(row.ics)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def invite_to_mentee(kind: str) -> OutboundEmail:
    return OutboundEmail.objects.get(kind=kind, to_email="john@example.com")


@pytest.fixture
def confirmed_session(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


@pytest.fixture
def full_history(confirmed_session, admin_user):
    """Confirmed, link changed, then cancelled: three invites to each person."""
    services.change_meeting_link(confirmed_session, link=NEW_MEET, by=admin_user)
    return services.cancel_session(confirmed_session, by=admin_user, reason="Mentor is ill")


def test_confirmation_invite_is_a_request_for_the_exact_session(confirmed_session):
    calendar, event = parse(invite_to_mentee(EmailKind.SESSION_CONFIRMED))

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == uid_of(confirmed_session)
    assert event.decoded("SEQUENCE") == 1
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == END
    assert str(event["URL"]) == MEET
    assert str(event["LOCATION"]) == MEET
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Mentoring session: Jane Smith & John Doe"


def test_invite_times_are_written_as_utc_instants(confirmed_session):
    lines = invite_to_mentee(EmailKind.SESSION_CONFIRMED).ics.splitlines()

    assert "DTSTART:20300115T130000Z" in lines
    assert "DTEND:20300115T140000Z" in lines


def test_invite_names_the_organizer_and_both_people_as_attendees(confirmed_session):
    _, event = parse(invite_to_mentee(EmailKind.SESSION_CONFIRMED))

    assert str(event["ORGANIZER"]) == f"mailto:{SUPPORT}"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:jane@example.com", "mailto:john@example.com"]
    assert [a.params["CN"] for a in attendees] == ["Jane Smith", "John Doe"]


def test_request_invite_reminds_fifteen_minutes_before(confirmed_session):
    _, event = parse(invite_to_mentee(EmailKind.SESSION_CONFIRMED))

    alarms = event.walk("VALARM")
    assert len(alarms) == 1
    assert alarms[0].decoded("TRIGGER") == timedelta(minutes=-15)
    assert "TRIGGER:-PT15M" in invite_to_mentee(EmailKind.SESSION_CONFIRMED).ics.splitlines()


def test_mentee_and_mentor_get_the_same_invite(confirmed_session):
    rows = OutboundEmail.objects.filter(kind=EmailKind.SESSION_CONFIRMED)

    assert len({row.ics for row in rows}) == 1
    assert [row.ics_method for row in rows] == ["REQUEST", "REQUEST"]


def test_link_change_invite_is_a_request_with_the_new_link(confirmed_session, admin_user):
    services.change_meeting_link(confirmed_session, link=NEW_MEET, by=admin_user)

    calendar, event = parse(invite_to_mentee(EmailKind.LINK_CHANGED))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("SEQUENCE") == 2
    assert str(event["URL"]) == NEW_MEET
    assert str(event["LOCATION"]) == NEW_MEET
    assert event.decoded("DTSTART") == START
    assert len(event.walk("VALARM")) == 1


def test_cancel_invite_cancels_the_same_event(full_history):
    calendar, event = parse(invite_to_mentee(EmailKind.SESSION_CANCELLED))

    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == uid_of(full_history)
    assert event.decoded("SEQUENCE") == 3
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTART") == START
    assert [str(a) for a in event["ATTENDEE"]] == [
        "mailto:jane@example.com",
        "mailto:john@example.com",
    ]
    assert event.walk("VALARM") == []


def test_every_invite_shares_one_uid_and_raises_the_sequence(full_history):
    rows = OutboundEmail.objects.exclude(ics="").order_by("id")

    seen = [(row.kind, row.to_email, *_uid_and_sequence(row)) for row in rows]
    uid = uid_of(full_history)
    assert seen == [
        (EmailKind.SESSION_CONFIRMED, "john@example.com", uid, 1),
        (EmailKind.SESSION_CONFIRMED, "jane@example.com", uid, 1),
        (EmailKind.LINK_CHANGED, "john@example.com", uid, 2),
        (EmailKind.LINK_CHANGED, "jane@example.com", uid, 2),
        (EmailKind.SESSION_CANCELLED, "john@example.com", uid, 3),
        (EmailKind.SESSION_CANCELLED, "jane@example.com", uid, 3),
    ]


def _uid_and_sequence(row: OutboundEmail) -> tuple[str, int]:
    _, event = parse(row)
    return str(event["UID"]), event.decoded("SEQUENCE")


INVITE_KINDS = [
    (EmailKind.SESSION_CONFIRMED, "REQUEST"),
    (EmailKind.LINK_CHANGED, "REQUEST"),
    (EmailKind.SESSION_CANCELLED, "CANCEL"),
]


def calendar_parts(row: OutboundEmail) -> tuple[object, object]:
    """(the text/calendar alternative of the body, the invite.ics attachment)."""
    message = email.message_from_bytes(
        build_message(row).message().as_bytes(), policy=default_policy
    )
    assert message.get_content_type() == "multipart/mixed"
    body, *attachments = message.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in body.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert len(attachments) == 1
    return list(body.iter_parts())[2], attachments[0]


@pytest.mark.parametrize(("kind", "method"), INVITE_KINDS)
def test_built_message_carries_the_invite_as_a_body_alternative_with_its_method(
    full_history, kind, method
):
    row = invite_to_mentee(kind)

    inline, _ = calendar_parts(row)

    assert inline.get_param("method") == method
    assert inline.get_content_charset() == "utf-8"
    assert inline.get_filename() is None
    assert inline.get_content_disposition() is None
    calendar = Calendar.from_ical(inline.get_content())
    assert str(calendar["METHOD"]) == method
    assert calendar.to_ical() == Calendar.from_ical(row.ics).to_ical()


@pytest.mark.parametrize(("kind", "method"), INVITE_KINDS)
def test_built_message_carries_the_invite_as_an_ics_attachment_with_its_method(
    full_history, kind, method
):
    row = invite_to_mentee(kind)

    _, attachment = calendar_parts(row)

    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == method
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    calendar = Calendar.from_ical(attachment.get_content())
    assert str(calendar["METHOD"]) == method
    assert calendar.to_ical() == Calendar.from_ical(row.ics).to_ical()


def test_cancelling_a_pending_session_sends_no_invite_and_keeps_the_sequence(
    pending_session, admin_user
):
    session = services.cancel_session(pending_session, by=admin_user, reason="Double booking")

    assert session.ics_sequence == 0
    for row in OutboundEmail.objects.filter(kind=EmailKind.SESSION_CANCELLED):
        message = build_message(row).message()
        assert [p for p in message.walk() if p.get_content_type() == "text/calendar"] == []


def test_a_line_break_in_a_name_cannot_add_lines_to_the_invite(pending_session, admin_user, mentor):
    mentor.last_name = "Smith\nMETHOD:CANCEL"
    mentor.save()

    services.confirm_session(pending_session, link=MEET, by=admin_user)

    row = invite_to_mentee(EmailKind.SESSION_CONFIRMED)
    calendar, event = parse(row)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert [line for line in row.ics.splitlines() if line.startswith("METHOD")] == [
        "METHOD:REQUEST"
    ]
    assert [str(a) for a in event["ATTENDEE"]] == [
        "mailto:jane@example.com",
        "mailto:john@example.com",
    ]


# --- Every field, for every invite a session's history sends ---------------------------


def _attendee_params(event) -> list[tuple[str, dict[str, str]]]:
    return [
        (str(a), {key: str(value) for key, value in a.params.items()}) for a in event["ATTENDEE"]
    ]


@pytest.mark.parametrize(
    ("kind", "method", "sequence", "link", "status"),
    [
        (EmailKind.SESSION_CONFIRMED, "REQUEST", 1, MEET, "CONFIRMED"),
        (EmailKind.LINK_CHANGED, "REQUEST", 2, NEW_MEET, "CONFIRMED"),
        (EmailKind.SESSION_CANCELLED, "CANCEL", 3, NEW_MEET, "CANCELLED"),
    ],
)
def test_every_field_of_every_invite(
    clock, settings, full_history, kind, method, sequence, link, status
):
    row = invite_to_mentee(kind)

    calendar, event = parse(row)

    assert str(calendar["PRODID"]) == "-//CodeMentorHub//Sessions//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == method
    assert row.ics_method == method
    assert str(event["UID"]) == uid_of(full_history)
    assert event.decoded("SEQUENCE") == sequence
    assert event.decoded("DTSTAMP") == clock.now
    assert f"DTSTAMP:{clock.now:%Y%m%dT%H%M%S}Z" in row.ics.splitlines()
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == END
    assert str(event["STATUS"]) == status
    assert str(event["SUMMARY"]) == "Mentoring session: Jane Smith & John Doe"
    assert str(event["URL"]) == link
    assert str(event["LOCATION"]) == link
    assert str(event["DESCRIPTION"]) == (
        f"Join: {link}\nSession page: {settings.SITE_URL}/sessions/{full_history.pk}/"
    )
    assert str(event["ORGANIZER"]) == f"mailto:{SUPPORT}"
    assert event["ORGANIZER"].params["CN"] == "CodeMentorHub"


@pytest.mark.parametrize("kind", [EmailKind.SESSION_CONFIRMED, EmailKind.LINK_CHANGED])
def test_request_invites_ask_the_attendees_for_no_reply(full_history, kind):
    """Nobody reads replies: Accept/Decline would tell the organiser, not the product."""
    _, event = parse(invite_to_mentee(kind))

    answer = {"PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"}
    assert _attendee_params(event) == [
        (
            "mailto:jane@example.com",
            {"CN": "Jane Smith", "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", **answer},
        ),
        (
            "mailto:john@example.com",
            {"CN": "John Doe", "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", **answer},
        ),
    ]
    assert str(event["TRANSP"]) == "OPAQUE"


def test_cancel_invite_asks_no_answer(full_history):
    _, event = parse(invite_to_mentee(EmailKind.SESSION_CANCELLED))

    assert _attendee_params(event) == [
        (
            "mailto:jane@example.com",
            {"CN": "Jane Smith", "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT"},
        ),
        (
            "mailto:john@example.com",
            {"CN": "John Doe", "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT"},
        ),
    ]


@pytest.mark.parametrize("kind", [EmailKind.SESSION_CONFIRMED, EmailKind.LINK_CHANGED])
def test_request_invite_alarm_is_a_display_alarm_fifteen_minutes_before(full_history, kind):
    _, event = parse(invite_to_mentee(kind))

    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert str(alarm["DESCRIPTION"]) == "Mentoring session in 15 minutes"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)


def test_sequence_rises_with_every_change_that_is_sent_and_matches_the_session(
    confirmed_session, admin_user
):
    services.change_meeting_link(confirmed_session, link=NEW_MEET, by=admin_user)
    services.change_meeting_link(confirmed_session, link=MEET, by=admin_user)
    session = services.cancel_session(confirmed_session, by=admin_user, reason="Mentor is ill")

    rows = OutboundEmail.objects.filter(to_email="jane@example.com").exclude(ics="").order_by("id")
    seen = [(row.kind, _uid_and_sequence(row)[1], row.session_sequence) for row in rows]
    assert seen == [
        (EmailKind.SESSION_CONFIRMED, 1, 1),
        (EmailKind.LINK_CHANGED, 2, 2),
        (EmailKind.LINK_CHANGED, 3, 3),
        (EmailKind.SESSION_CANCELLED, 4, 4),
    ]
    assert session.ics_sequence == 4


def test_completing_a_session_sends_no_invite_and_keeps_the_sequence(
    clock, confirmed_session, admin_user
):
    clock.set(confirmed_session.start)
    session = services.complete_session(confirmed_session, by=admin_user)

    assert session.ics_sequence == 1
    assert OutboundEmail.objects.get(kind=EmailKind.SESSION_COMPLETED).ics == ""


# --- The UID: one per session, kept for good ---------------------------------------------


def test_a_session_first_invited_gets_a_uid_naming_the_sites_host_and_keeps_it(
    settings, pending_session, admin_user
):
    """A pending session has no UID yet (it was never in a calendar); its first invite
    gives it one naming the site's host, and later invites keep it even if the site moves."""
    assert pending_session.ics_uid == ""

    services.confirm_session(pending_session, link=MEET, by=admin_user)
    assert MentoringSession.objects.get(pk=pending_session.pk).ics_uid == uid_of(pending_session)
    settings.SITE_URL = "https://mentoring.example.org"
    services.change_meeting_link(pending_session, link=NEW_MEET, by=admin_user)

    pending_session.refresh_from_db()
    assert pending_session.ics_uid == uid_of(pending_session)
    rows = OutboundEmail.objects.exclude(ics="")
    assert {_uid_and_sequence(row) for row in rows} == {
        (uid_of(pending_session), 1),
        (uid_of(pending_session), 2),
    }


def test_a_session_keeps_its_stored_uid(mentor, mentee, admin_user):
    """A session from before UIDs named the site's host keeps the UID its invites carry."""
    session = SessionFactory(
        mentor=mentor, mentee=mentee, start=START, ics_uid="session-7@codementorhub"
    )

    services.confirm_session(session, link=MEET, by=admin_user)
    services.cancel_session(session, by=admin_user, reason="Mentor is ill")

    session.refresh_from_db()
    assert session.ics_uid == "session-7@codementorhub"
    rows = OutboundEmail.objects.exclude(ics="")
    assert {_uid_and_sequence(row) for row in rows} == {
        ("session-7@codementorhub", 1),
        ("session-7@codementorhub", 2),
    }


# RFC 5545 §3.1: no control character but a tab inside a content line.
CONTROL = {chr(c) for c in (*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F)}


def test_the_invite_carries_no_control_character_whatever_the_people_hold(
    pending_session, admin_user, mentor, mentee
):
    """Addresses and names that came in before today's rules (or past every form) are
    written without their control characters, never raw."""
    mentor.first_name, mentor.email = "Ja\x0bne", '"ja\x0bne"@example.com'
    mentor.save()
    mentee.last_name, mentee.email = "Doe\x1b[31m", '"jo\x7fhn"@example.com'
    mentee.save()

    services.confirm_session(pending_session, link=MEET, by=admin_user)

    for row in OutboundEmail.objects.filter(kind=EmailKind.SESSION_CONFIRMED):
        lines = row.ics.split("\r\n")
        assert [line for line in lines if CONTROL & set(line)] == []
        _, event = parse(row)
        assert [str(a) for a in event["ATTENDEE"]] == [
            'mailto:"jane"@example.com',
            'mailto:"john"@example.com',
        ]
        assert str(event["SUMMARY"]) == "Mentoring session: Jane Smith & John Doe[31m"
