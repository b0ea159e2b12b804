"""Calendar invitations (RFC 5545 / RFC 5546) for a session.

One event per session: a stable UID, and a SEQUENCE that is the session's `ics_sequence`,
raised by every change that sends an invite (confirmation, new link, cancellation of a
confirmed session; bookings.services), so a calendar always applies the latest one even if
two arrive out of order. The same text goes into the email twice (notifications.delivery):
as a text/calendar part of the multipart/alternative (Outlook shows Accept/Decline only
for that) and as an invite.ics attachment (for clients that only look at attachments).
"""

import unicodedata
from datetime import UTC, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from bookings.models import MentoringSession
from common.urls import absolute_url

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
ALARM_BEFORE = timedelta(minutes=15)


def new_uid(session: MentoringSession) -> str:
    """A UID no other installation gives: the session's id at the site's host (SITE_URL),
    e.g. `session-7@codementorhub.example.com`. Stored on the session with its first invite
    (bookings.services), and read from there ever after: a later change of SITE_URL must
    not turn the session into a second event in people's calendars."""
    return f"session-{session.pk}@{urlsplit(settings.SITE_URL).hostname}"


def _plain(text: str) -> str:
    """`text` without control characters. RFC 5545 allows none in a content line (but a
    tab), and icalendar writes addresses as given: a name or address that came in before
    today's rules, or past every form, must not put one in the invite (docs/PRODUCT.md
    §5.4). Line breaks we write ourselves (the description) are escaped by icalendar."""
    return "".join(char for char in text if unicodedata.category(char) != "Cc")


def _attendee(user, *, method: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{_plain(user.email)}")
    address.params["CN"] = vText(_plain(user.get_full_name() or user.email))
    address.params["CUTYPE"] = vText("INDIVIDUAL")
    address.params["ROLE"] = vText("REQ-PARTICIPANT")
    if method == METHOD_REQUEST:
        # RFC 5546 §3.2.2. Replies would go to the organiser, and the product reads none:
        # changes go through the session page, so no Accept/Decline is asked for.
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("FALSE")
    return address


def _organizer() -> vCalAddress:
    # A reply a calendar sends anyway reaches people who read it, not a no-reply sender.
    organizer = vCalAddress(f"mailto:{_plain(settings.SUPPORT_EMAIL)}")
    organizer.params["CN"] = vText("CodeMentorHub")
    return organizer


def build_invite(session: MentoringSession, *, method: str) -> str:
    """The invite for the session as it is now; `session.ics_sequence` must already be
    raised and `session.ics_uid` set (bookings.services)."""
    calendar = Calendar()
    calendar.add("prodid", "-//CodeMentorHub//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", session.ics_uid)
    event.add("sequence", session.ics_sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", session.start.astimezone(UTC))
    event.add("dtend", session.end.astimezone(UTC))
    event.add(
        "summary",
        _plain(
            f"Mentoring session: {session.mentor.get_full_name()} & "
            f"{session.mentee.get_full_name()}"
        ),
    )
    link = _plain(session.get_meeting_link)
    page = absolute_url("session_detail", session.pk)
    description = f"Join: {link}\nSession page: {page}" if link else f"Session page: {page}"
    event.add("description", description)
    if link:
        event.add("url", link)
        event.add("location", link)
    event.add("organizer", _organizer())
    event.add("attendee", _attendee(session.mentor, method=method), encode=0)
    event.add("attendee", _attendee(session.mentee, method=method), encode=0)
    if method == METHOD_CANCEL:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Mentoring session in 15 minutes")
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical().decode()
