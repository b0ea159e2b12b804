"""The whole email catalogue (docs/PRODUCT.md): every kind in EmailKind is rendered
through the code that really queues it, with sample data, and checked for what every email
must be — a subject/text/HTML triplet, times in the recipient's zone with the zone named, a
text part that reads well on its own, and HTML without external assets.

The people live in three different zones (one with a half-hour offset) and have names
with characters HTML would escape, so a time rendered in the wrong zone or an escaped name
in a text part shows up here."""

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from django.template.loader import get_template
from django.test import Client

from accounts.models import ApplicationStatus
from accounts.services import update_account
from bookings import emails as session_emails
from bookings import services
from bookings.reminders import send_due_reminders
from mentors import emails as mentor_emails
from notifications.models import EmailKind, OutboundEmail
from tests.availability.factories import every_day
from tests.factories import MentorFactory, SessionFactory, UserFactory
from tests.helpers import visible_text
from tests.notifications.conftest import SITE, SUPPORT
from webhooks.models import WebhookEndpoint
from webhooks.services import record_endpoint_health

MEET = "https://meet.google.com/abc-defg-hij"
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
# START in each person's zone (January: Adelaide is on daylight time, +10:30).
LOCAL_START = {
    "Asia/Kolkata": "2030-01-15 18:30",
    "America/Los_Angeles": "2030-01-15 05:00",
    "Australia/Adelaide": "2030-01-15 23:30",
}
# Kinds that mention no session time (so there is no zone to name).
TIMELESS = {
    EmailKind.PASSWORD_RESET,
    EmailKind.APPLICATION_APPROVED,
    EmailKind.APPLICATION_REJECTED,
    EmailKind.EMAIL_CHANGE_CONFIRM,
    EmailKind.EMAIL_CHANGE_NOTICE,
}

ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
TAG = re.compile(r"</?(?:a|b|br|div|em|h\d|html|li|ol|p|span|strong|table|td|tr|ul)\b", re.I)


pytestmark = pytest.mark.usefixtures("site")


@pytest.fixture
def people(db):
    mentee = UserFactory(
        first_name="Priya",
        last_name="Shah",
        email="priya@example.com",
        time_zone="Asia/Kolkata",
    )
    mentor = MentorFactory(
        first_name="Seán",
        last_name="O'Neil & Co",
        email="sean@example.com",
        time_zone="America/Los_Angeles",
    )
    admin = UserFactory(
        first_name="Alex",
        last_name="Admin",
        email="admin@example.com",
        time_zone="Australia/Adelaide",
        is_staff=True,
    )
    return mentee, mentor, admin


def _session(people):
    mentee, mentor, _ = people
    return SessionFactory(mentor=mentor, mentee=mentee, start=START, notes="Django <forms> & ORM")


def _confirmed(people, clock):
    session = _session(people)
    return services.confirm_session(session, link=MEET, by=people[2])


def _link_changed(people, clock):
    session = _confirmed(people, clock)
    services.change_meeting_link(session, link="https://meet.google.com/xyz-wxyz-xyz", by=people[2])


def _cancelled(people, clock):
    services.cancel_session(_confirmed(people, clock), by=people[1], reason="Sick & tired <today>")


def _completed(people, clock):
    session = _confirmed(people, clock)
    clock.set(START + timedelta(minutes=55))  # a session is completed once it has started
    services.complete_session(session, by=people[2])


def _refunded(people, clock):
    session = _confirmed(people, clock)
    services.mark_paid(session, by=people[2])
    services.cancel_session(session, by=people[2], reason="Mentor is ill")
    services.mark_refunded(session, by=people[2], reference="RF-1")


def _moved(confirm: bool) -> Callable:
    """Moved onto START from three hours later, so START is the time every email shows."""

    def build(people, clock):
        mentee, mentor, admin = people
        clock.set(START - timedelta(days=2))
        every_day(mentor, time(0), time(23, 30))
        session = SessionFactory(
            mentor=mentor, mentee=mentee, start=START + timedelta(hours=3), notes="Django & ORM"
        )
        if confirm:
            session = services.confirm_session(session, link=MEET, by=admin)
        services.reschedule_session(session, start=START, by=mentee, reason="Exam <Friday> & co")

    return build


def _booked(people, clock):
    session_emails.queue_booked(_session(people))


def _pending_reminder(people, clock):
    session_emails.queue_pending_reminder(people[2], [_session(people)])


def _session_reminder(people, clock):
    _confirmed(people, clock)
    send_due_reminders(now=START - timedelta(hours=24))


def _password_reset(people, clock):
    Client().post("/accounts/password_reset/", {"email": people[0].email})


def _webhook_disabled(people, clock):
    """An endpoint failing since the catalogue's start, failing again a day later."""
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in?a=1&b=2", events=",session.booked,", failing_since=START
    )
    clock.set(START + timedelta(hours=25))
    record_endpoint_health(endpoint.pk, ok=False)


def _email_change(people, clock):
    update_account(
        people[0], first_name="Priya", last_name="Shah", email="priya@new.example", time_zone="UTC"
    )


def _application(status: str, reason: str = "") -> Callable:
    def build(people, clock):
        profile = people[1].mentor_profile
        profile.status = status
        profile.rejection_reason = reason
        profile.save()
        if status == ApplicationStatus.APPROVED:
            mentor_emails.queue_application_approved(profile)
        else:
            mentor_emails.queue_application_rejected(profile)

    return build


BUILDERS: dict[str, Callable] = {
    EmailKind.SESSION_CONFIRMED: _confirmed,
    EmailKind.LINK_CHANGED: _link_changed,
    EmailKind.SESSION_CANCELLED: _cancelled,
    EmailKind.SESSION_COMPLETED: _completed,
    EmailKind.PAYMENT_REFUNDED: _refunded,
    EmailKind.PASSWORD_RESET: _password_reset,
    EmailKind.SESSION_MOVED: _moved(confirm=True),
    EmailKind.PENDING_SESSION_MOVED: _moved(confirm=False),
    EmailKind.BOOKING_RECEIVED: _booked,
    EmailKind.NEEDS_CONFIRMATION: _booked,
    EmailKind.SESSION_REQUESTED: _booked,
    EmailKind.PENDING_REMINDER: _pending_reminder,
    EmailKind.SESSION_REMINDER: _session_reminder,
    EmailKind.EMAIL_CHANGE_CONFIRM: _email_change,
    EmailKind.EMAIL_CHANGE_NOTICE: _email_change,
    EmailKind.WEBHOOK_DISABLED: _webhook_disabled,
    EmailKind.APPLICATION_APPROVED: _application(ApplicationStatus.APPROVED),
    EmailKind.APPLICATION_REJECTED: _application(
        ApplicationStatus.REJECTED, "Please add links to your work & experience."
    ),
}


def test_every_kind_is_in_the_catalogue():
    assert sorted(BUILDERS) == sorted(EmailKind.values)


def build(kind: str, people, clock) -> list[OutboundEmail]:
    BUILDERS[kind](people, clock)
    rows = list(OutboundEmail.objects.filter(kind=kind).select_related("recipient"))
    assert rows, f"building {kind} queued no email of that kind"
    return rows


@pytest.mark.parametrize("kind", EmailKind.values)
def test_every_kind_has_a_subject_text_and_html_template(kind):
    for suffix in ("subject.txt", "txt", "html"):
        get_template(f"emails/{kind}.{suffix}")


@pytest.mark.parametrize("kind", EmailKind.values)
def test_subject_is_one_plain_line(kind, people, clock):
    for row in build(kind, people, clock):
        assert row.subject == " ".join(row.subject.split())
        assert 10 <= len(row.subject) <= 120, row.subject
        assert not ENTITY.search(row.subject), row.subject
        assert "None" not in row.subject


@pytest.mark.parametrize("kind", EmailKind.values)
def test_text_part_reads_well_on_its_own(kind, people, clock):
    for row in build(kind, people, clock):
        text = row.body_text
        assert text.startswith(f"Hello {row.recipient.first_name},\n\n"), text
        assert text.endswith("\n\nBest regards,\nCodeMentorHub Team\n"), text
        assert "\n\n\n" not in text, text
        assert [line for line in text.splitlines() if line != line.rstrip()] == []
        assert not ENTITY.search(text), ENTITY.search(text)
        assert not TAG.search(text), TAG.search(text)
        for leftover in ("{{", "{%", "None", "&amp;", "&#x27;"):
            assert leftover not in text


@pytest.mark.parametrize("kind", EmailKind.values)
def test_text_part_has_every_link_of_the_html_part(kind, people, clock):
    for row in build(kind, people, clock):
        links = set(re.findall(r'href="([^"]+)"', row.body_html))
        assert links, "every email links somewhere"
        for link in links:
            # A plain-text reader sees an address, not its mailto: link.
            assert html.unescape(link).removeprefix("mailto:") in row.body_text, link


@pytest.mark.parametrize("kind", EmailKind.values)
def test_names_are_verbatim_in_text_and_escaped_in_html(kind, people, clock):
    mentor = people[1]
    for row in build(kind, people, clock):
        if "O'Neil" not in row.body_text:
            continue  # this email does not name the mentor
        assert "O'Neil & Co" in row.body_text
        assert "O'Neil & Co" not in row.body_html
        assert "O&#x27;Neil &amp; Co" in row.body_html
        assert mentor.first_name in row.body_text


@pytest.mark.parametrize("kind", sorted(set(EmailKind.values) - TIMELESS))
def test_times_are_in_the_recipients_zone_with_the_zone_named(kind, people, clock):
    for row in build(kind, people, clock):
        zone = row.recipient.time_zone
        date, time = LOCAL_START[zone].split()
        for part in (row.body_text, visible_text(row.body_html)):
            assert zone in part, (zone, part)
            assert date in part
            assert re.search(rf"\b{time}\b.{{0,40}}\({re.escape(zone)}\)", part), part
        # No other zone's rendering of the start leaks in.
        for other_zone, other in LOCAL_START.items():
            if other_zone != zone:
                assert f"{other_zone}" not in row.body_text
                assert other.split()[1] + f" ({other_zone})" not in row.body_text


# Kinds about a session whose subject names no time ("Thank you for your session…").
SUBJECT_WITHOUT_A_TIME = {
    EmailKind.SESSION_COMPLETED,
    EmailKind.PAYMENT_REFUNDED,
    EmailKind.WEBHOOK_DISABLED,
}


@pytest.mark.parametrize("kind", sorted(set(EmailKind.values) - TIMELESS - SUBJECT_WITHOUT_A_TIME))
def test_a_time_in_a_subject_is_the_recipients_with_the_zone_named(kind, people, clock):
    for row in build(kind, people, clock):
        zone = row.recipient.time_zone
        times = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?: \([^)]*\))?", row.subject)
        assert times, row.subject
        for shown in times:
            assert shown == f"{LOCAL_START[zone]} ({zone})", row.subject


@pytest.mark.parametrize("kind", EmailKind.values)
def test_html_has_inline_styles_and_no_external_assets(kind, people, clock):
    for row in build(kind, people, clock):
        markup = row.body_html
        assert markup.startswith("<!doctype html>")
        for forbidden in ("<img", "<link", "<script", "<style", "<iframe", "url(", "@import"):
            assert forbidden not in markup.lower(), forbidden
        assert re.findall(r"\bsrc\s*=", markup) == []
        assert re.findall(r"\bclass\s*=", markup) == []
        for link in re.findall(r'href="([^"]+)"', markup):
            link = html.unescape(link)
            assert link.startswith((f"{SITE}/", "https://meet.google.com/", "mailto:")), link


@pytest.mark.parametrize("kind", EmailKind.values)
def test_html_says_what_the_text_says(kind, people, clock):
    for row in build(kind, people, clock):
        seen = visible_text(row.body_html)
        assert f"Hello {row.recipient.first_name}," in seen
        assert "Best regards, CodeMentorHub Team" in seen
        first_paragraph = row.body_text.split("\n\n")[1].splitlines()[0]
        assert " ".join(first_paragraph.split()[:6]) in seen, first_paragraph


@pytest.mark.parametrize("kind", EmailKind.values)
def test_every_email_ends_by_saying_where_to_write(kind, people, clock):
    for row in build(kind, people, clock):
        assert row.body_text.endswith(
            f"\n\nQuestions? Write to us at {SUPPORT}.\n\nBest regards,\nCodeMentorHub Team\n"
        ), row.body_text
        assert (
            f'Questions? Write to us at <a href="mailto:{SUPPORT}" style="color:#4f46e5;">'
            f"{SUPPORT}</a>."
        ) in row.body_html
