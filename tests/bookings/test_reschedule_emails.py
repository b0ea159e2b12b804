"""The emails of a move to another time (docs/PRODUCT.md §2.7, §5.1): each person's own, in
their own zone, with the old and the new time, who moved it and why; the updated invite for
a confirmed session; the admins told of a pending one. Delivered through a real SMTP server
(tests/smtp_sink.py).

John (the mentee) lives in America/New_York, Jane (the mentor) in Europe/Berlin. The session
starts 2030-01-15 13:00 UTC (08:00 for John, 14:00 for Jane); the clock stands two days
before; Jane is available every day 00:00–23:30 her time."""

from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

import pytest
from icalendar import Calendar

from bookings import services
from bookings.reminders import send_due_reminders
from bookings.services import SessionActionError
from notifications.delivery import send_due_emails
from notifications.models import EmailKind, OutboundEmail
from tests.availability.factories import every_day
from tests.conftest import MEET, SITE, SUPPORT
from tests.factories import SessionFactory, UserFactory

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
NOW = START - timedelta(days=2)
LATER = START + timedelta(hours=3)  # 11:00 for John, 17:00 for Jane

pytestmark = [pytest.mark.clock(NOW), pytest.mark.usefixtures("booking_rules", "site")]


@pytest.fixture
def pending(mentor, pending_session):
    every_day(mentor, time(0), time(23, 30))
    return pending_session


@pytest.fixture
def confirmed(pending, admin_user, clock):
    return services.confirm_session(pending, link=MEET, by=admin_user)


def received(sink) -> dict[str, EmailMessage]:
    """The messages the SMTP server took, by their one recipient."""
    by_address = {}
    for item in sink.received:
        [address] = item.rcpt_tos
        assert address not in by_address, f"two messages to {address}"
        by_address[address] = item.message
    return by_address


def text_of(message: EmailMessage) -> str:
    """The text part as written (SMTP carries its lines with CRLF)."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def invite_of(message: EmailMessage):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"][:1]
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return calendar, event


def move(session, by, start=LATER, reason="", now=NOW):
    return services.reschedule_session(session, start=start, by=by, reason=reason, now=now)


def test_a_confirmed_session_moved_by_the_mentor_tells_both_in_their_own_zone(
    smtp, confirmed, mentor
):
    send_due_emails()  # the confirmations
    smtp.received.clear()

    move(confirmed, mentor, reason="I give a   talk that morning")

    assert send_due_emails() == {"sent": 2}
    mail = received(smtp)
    assert sorted(mail) == ["jane@example.com", "john@example.com"]
    john, jane = mail["john@example.com"], mail["jane@example.com"]
    assert john["Subject"] == ("Session moved: 2030-01-15 11:00 (America/New_York) with Jane Smith")
    assert jane["Subject"] == "Session moved: 2030-01-15 17:00 (Europe/Berlin) with John Doe"
    assert john["X-CodeMentorHub-Kind"] == "session_moved"
    page = f"{SITE}/sessions/{confirmed.pk}/"
    assert text_of(john) == (
        "Hello John,\n"
        "\n"
        "Your session with Jane Smith has been moved to another time by your mentor "
        "Jane Smith.\n"
        "\n"
        "Was: 2030-01-15 08:00 (America/New_York)\n"
        "Now: 2030-01-15 11:00 (America/New_York)\n"
        "Reason: I give a talk that morning\n"
        "\n"
        "Session Details:\n"
        "---------------------------------------------\n"
        "Date: 2030-01-15\n"
        "Time: 11:00 (America/New_York)\n"
        "Duration: 60 minutes\n"
        f"Meeting Link: {MEET}\n"
        "---------------------------------------------\n"
        "\n"
        "An updated calendar invitation is attached; the meeting link stays the same.\n"
        "\n"
        f"See the session: {page}\n"
        f"Need another time? Choose one here: {page}reschedule/\n"
        f"Cannot attend? Cancel it here: {page}cancel/\n"
        "\n"
        f"Questions? Write to us at {SUPPORT}.\n"
        "\n"
        "Best regards,\n"
        "CodeMentorHub Team\n"
    )
    jane_text = text_of(jane).splitlines()
    assert "Your session with John Doe has been moved to another time by you." in jane_text
    assert "Was: 2030-01-15 14:00 (Europe/Berlin)" in jane_text
    assert "Now: 2030-01-15 17:00 (Europe/Berlin)" in jane_text
    assert "Reason: I give a talk that morning" in jane_text
    assert "America/New_York" not in text_of(jane)
    jane_html = html_of(jane)
    assert "<s>2030-01-15 14:00 (Europe/Berlin)</s>" in jane_html
    assert "<strong>2030-01-15 17:00 (Europe/Berlin)</strong>" in jane_html
    assert f'href="{page}reschedule/"' in jane_html
    assert f'href="{page}cancel/"' in jane_html
    assert f'href="{MEET}"' in jane_html


def test_the_moved_invite_updates_the_same_event(smtp, confirmed, mentee):
    send_due_emails()
    confirmation = {address: invite_of(m)[1] for address, m in received(smtp).items()}
    smtp.received.clear()

    move(confirmed, mentee)
    send_due_emails()

    for address, message in received(smtp).items():
        calendar, event = invite_of(message)
        before = confirmation[address]
        assert str(calendar["method"]) == "REQUEST"
        assert str(event["uid"]) == str(before["uid"]) == confirmed.ics_uid
        assert event["sequence"] > before["sequence"]
        assert (event["sequence"], before["sequence"]) == (2, 1)
        assert event.decoded("dtstart") == LATER
        assert event.decoded("dtend") == LATER + timedelta(hours=1)
        assert before.decoded("dtstart") == START
        attendees = sorted(str(a) for a in event.get("attendee"))
        assert attendees == ["mailto:jane@example.com", "mailto:john@example.com"]
        assert str(event["status"]) == "CONFIRMED"


def test_moved_by_an_admin_and_by_the_mentee_read_as_such(confirmed, mentee, admin_user):
    moved = move(confirmed, admin_user)
    move(moved, mentee, start=LATER + timedelta(hours=1))

    lines = [
        (row.to_email, row.body_text.split("\n\n")[1])
        for row in OutboundEmail.objects.filter(kind=EmailKind.SESSION_MOVED).order_by("id")
    ]
    assert lines == [
        (
            "john@example.com",
            "Your session with Jane Smith has been moved to another time by the "
            "CodeMentorHub team.",
        ),
        (
            "jane@example.com",
            "Your session with John Doe has been moved to another time by the CodeMentorHub team.",
        ),
        ("john@example.com", "Your session with Jane Smith has been moved to another time by you."),
        (
            "jane@example.com",
            "Your session with John Doe has been moved to another time by your mentee John Doe.",
        ),
    ]


def test_no_reason_no_reason_line(confirmed, mentee):
    move(confirmed, mentee)

    for row in OutboundEmail.objects.filter(kind=EmailKind.SESSION_MOVED):
        assert "Reason:" not in row.body_text
        assert "Reason:" not in row.body_html


def test_a_pending_session_moved_has_no_invite_and_the_admins_are_told(
    smtp, pending, mentee, admin_user
):
    UserFactory(first_name="Bea", email="bea@example.com", is_staff=True, time_zone="Asia/Tokyo")
    UserFactory(first_name="Gone", email="gone@example.com", is_staff=True, is_active=False)
    before = OutboundEmail.objects.count()

    move(pending, mentee, reason="Dentist")

    assert OutboundEmail.objects.count() == before + 4
    assert send_due_emails() == {"sent": 4}
    mail = received(smtp)
    assert sorted(mail) == [
        "admin@example.com",
        "bea@example.com",
        "jane@example.com",
        "john@example.com",
    ]
    for message in mail.values():
        assert [p for p in message.walk() if p.get_content_type() == "text/calendar"] == []
    john = text_of(mail["john@example.com"])
    assert (
        "Your request for a session with Jane Smith has been moved to another time by you."
        in john.splitlines()
    )
    assert "Meeting Link: (none)" in john.splitlines()
    assert (
        "It has not been confirmed yet: an admin confirms it at the new time, and the "
        "meeting link follows then." in john.splitlines()
    )
    bea = mail["bea@example.com"]
    assert bea["X-CodeMentorHub-Kind"] == "pending_session_moved"
    assert bea["Subject"] == (
        "Pending session moved: Jane Smith – John Doe, now 2030-01-16 01:00 (Asia/Tokyo)"
    )
    confirm = f"{SITE}/admin/sessions/?status=pending&dialog=confirm-{pending.pk}"
    bea_lines = text_of(bea).splitlines()
    assert bea_lines[2] == (
        "A session that still needs confirmation has been moved to another time by the "
        "mentee John Doe: John Doe <john@example.com> with Jane Smith <jane@example.com>."
    )
    assert "Was: 2030-01-15 22:00 (Asia/Tokyo)" in bea_lines
    assert "Now: 2030-01-16 01:00 (Asia/Tokyo)" in bea_lines
    assert "Reason: Dentist" in bea_lines
    assert confirm in bea_lines
    assert f'href="{confirm.replace("&", "&amp;")}"' in html_of(bea)


def test_a_confirmed_session_moved_tells_no_admin(confirmed, mentor):
    before = OutboundEmail.objects.count()

    move(confirmed, mentor)

    rows = OutboundEmail.objects.order_by("id")[before:]
    assert [(row.kind, row.to_email, row.ics_method) for row in rows] == [
        (EmailKind.SESSION_MOVED, "john@example.com", "REQUEST"),
        (EmailKind.SESSION_MOVED, "jane@example.com", "REQUEST"),
    ]


def test_a_move_by_an_admin_is_told_to_the_other_admins_by_name(pending, admin_user):
    UserFactory(first_name="Bea", email="bea@example.com", is_staff=True)

    move(pending, admin_user)

    rows = OutboundEmail.objects.filter(kind=EmailKind.PENDING_SESSION_MOVED).order_by("id")
    assert [(row.to_email, row.body_text.split("\n\n")[1].split(":")[0]) for row in rows] == [
        (
            "admin@example.com",
            "A session that still needs confirmation has been moved to another time by you",
        ),
        (
            "bea@example.com",
            "A session that still needs confirmation has been moved to another time by Alex "
            "Admin (an admin)",
        ),
    ]


@pytest.mark.parametrize("status", ["pending", "confirmed"])
def test_a_refused_move_queues_nothing(request, status, other_mentee, mentee):
    session = request.getfixturevalue(status)
    before = OutboundEmail.objects.count()

    refused = [(other_mentee, LATER), (mentee, START), (mentee, START + timedelta(minutes=7))]
    for by, start in refused:
        with pytest.raises(SessionActionError):
            move(session, by, start=start)

    assert OutboundEmail.objects.count() == before


# --- DST: the wall-clock time the person picked -------------------------------------------

# New York springs forward on 2030-03-10: 09:00 on the 9th is 14:00 UTC, 09:00 on the 11th
# is 13:00 UTC. Berlin springs forward on 2030-03-31: 10:00 on the 30th is 09:00 UTC, 10:00
# on April 1st is 08:00 UTC. Each move keeps the picker's wall-clock time; the other person,
# whose zone did not change that week, sees the hour shift.
ACROSS_DST = {
    "new_york": (
        "mentee",
        datetime(2030, 3, 9, 14, 0, tzinfo=UTC),
        datetime(2030, 3, 11, 13, 0, tzinfo=UTC),
        {
            "john@example.com": (
                "2030-03-09 09:00 (America/New_York)",
                "2030-03-11 09:00 (America/New_York)",
            ),
            "jane@example.com": (
                "2030-03-09 15:00 (Europe/Berlin)",
                "2030-03-11 14:00 (Europe/Berlin)",
            ),
        },
    ),
    "berlin": (
        "mentor",
        datetime(2030, 3, 30, 9, 0, tzinfo=UTC),
        datetime(2030, 4, 1, 8, 0, tzinfo=UTC),
        {
            "jane@example.com": (
                "2030-03-30 10:00 (Europe/Berlin)",
                "2030-04-01 10:00 (Europe/Berlin)",
            ),
            "john@example.com": (
                "2030-03-30 05:00 (America/New_York)",
                "2030-04-01 04:00 (America/New_York)",
            ),
        },
    ),
}


@pytest.mark.parametrize("change", sorted(ACROSS_DST))
def test_moved_across_a_dst_change_shows_the_picked_wall_clock_time(
    request, clock, mentor, admin_user, change
):
    who, old, new, expected = ACROSS_DST[change]
    by = request.getfixturevalue(who)
    now = clock.set(old - timedelta(days=2))
    every_day(mentor, time(0), time(23, 30))
    session = SessionFactory(mentor=mentor, mentee=request.getfixturevalue("mentee"), start=old)
    session = services.confirm_session(session, link=MEET, by=admin_user)

    move(session, by, start=new, now=now)

    rows = OutboundEmail.objects.filter(kind=EmailKind.SESSION_MOVED)
    shown = {}
    for row in rows:
        lines = row.body_text.splitlines()
        [was] = [line.removeprefix("Was: ") for line in lines if line.startswith("Was: ")]
        [now_at] = [line.removeprefix("Now: ") for line in lines if line.startswith("Now: ")]
        assert row.subject.startswith(f"Session moved: {now_at} with ")
        shown[row.to_email] = (was, now_at)
    assert shown == expected


def test_confirmation_reminder_and_moved_emails_link_to_the_reschedule_and_cancel_pages(
    confirmed, mentor, settings
):
    settings.SESSION_REMINDER_HOURS = [24]
    send_due_reminders(now=START - timedelta(hours=24))
    move(confirmed, mentor)

    page = f"{SITE}/sessions/{confirmed.pk}/"
    rows = OutboundEmail.objects.order_by("id")
    assert [(row.kind, row.to_email) for row in rows] == [
        (kind, to)
        for kind in (
            EmailKind.SESSION_CONFIRMED,
            EmailKind.SESSION_REMINDER,
            EmailKind.SESSION_MOVED,
        )
        for to in ("john@example.com", "jane@example.com")
    ]
    for row in rows:
        lines = row.body_text.splitlines()
        assert f"Need another time? Choose one here: {page}reschedule/" in lines
        assert f"Cannot attend? Cancel it here: {page}cancel/" in lines
        assert f'<a href="{page}reschedule/" style="color:#4f46e5;">' in row.body_html
        assert f'<a href="{page}cancel/" style="color:#4f46e5;">' in row.body_html
