"""Calendar invitations (SPEC §5): parsed back with icalendar, as a calendar client would."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from bookings import services
from notifications.delivery import build_message
from notifications.models import EmailKind, OutboundEmail
from tests.conftest import MEET

NEW_MEET = "https://meet.google.com/xyz-wxyz-xyz"
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
END = datetime(2030, 1, 15, 14, 0, tzinfo=UTC)


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
    assert str(event["UID"]) == f"session-{confirmed_session.pk}@codementorhub"
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

    assert str(event["ORGANIZER"]) == "mailto:no-reply@codementorhub.test"
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
    assert str(event["UID"]) == f"session-{full_history.pk}@codementorhub"
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
    uid = f"session-{full_history.pk}@codementorhub"
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


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        (EmailKind.SESSION_CONFIRMED, "REQUEST"),
        (EmailKind.LINK_CHANGED, "REQUEST"),
        (EmailKind.SESSION_CANCELLED, "CANCEL"),
    ],
)
def test_built_message_carries_the_invite_as_text_calendar_with_its_method(
    full_history, kind, method
):
    row = invite_to_mentee(kind)

    message = build_message(row).message()

    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == method
    assert parts[0].get_filename() == "invite.ics"
    calendar = Calendar.from_ical(parts[0].get_content())
    assert str(calendar["METHOD"]) == method


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
