"""Calendar invitations (RFC 5545 / RFC 5546) for a session."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from bookings.models import MentoringSession

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"


def _address(user, role: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.get_full_name() or user.email)
    address.params["ROLE"] = vText(role)
    return address


def build_invite(session: MentoringSession, *, method: str) -> str:
    """The invite for the session as it is now; `session.ics_sequence` must already be raised."""
    calendar = Calendar()
    calendar.add("prodid", "-//CodeMentorHub//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = Event()
    event.add("uid", session.ics_uid)
    event.add("sequence", session.ics_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.start)
    event.add("dtend", session.end)
    event.add(
        "summary",
        f"Mentoring session: {session.mentor.get_full_name()} & {session.mentee.get_full_name()}",
    )
    link = session.get_meeting_link
    description = f"Join: {link}" if link else "Mentoring session on CodeMentorHub"
    event.add("description", description)
    if link:
        event.add("url", link)
        event.add("location", link)
    organizer = vCalAddress(f"mailto:{_from_address()}")
    organizer.params["CN"] = vText("CodeMentorHub")
    event.add("organizer", organizer)
    event.add("attendee", _address(session.mentor, "REQ-PARTICIPANT"), encode=0)
    event.add("attendee", _address(session.mentee, "REQ-PARTICIPANT"), encode=0)
    if method == METHOD_CANCEL:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Mentoring session in 15 minutes")
        alarm.add("trigger", timedelta(minutes=-15))
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _from_address() -> str:
    from email.utils import parseaddr

    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
