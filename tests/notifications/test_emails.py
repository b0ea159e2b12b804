"""What each email says and who gets it (docs/PRODUCT.md). Nothing is sent here: the
emails are outbox rows, delivered later by the worker (see test_delivery.py)."""

import email
import re
from datetime import timedelta
from email.policy import default as default_policy

import pytest

from bookings import services
from notifications.delivery import build_message
from notifications.models import EmailKind, EmailState, OutboundEmail
from tests.conftest import MEET
from tests.helpers import visible_text
from tests.notifications.conftest import SITE, SUPPORT

NEW_MEET = "https://meet.google.com/xyz-wxyz-xyz"


pytestmark = pytest.mark.usefixtures("site")


def emails_of(kind: str) -> dict[str, OutboundEmail]:
    rows = OutboundEmail.objects.filter(kind=kind)
    by_address = {row.to_email: row for row in rows}
    assert len(by_address) == len(rows), "one email per recipient"
    return by_address


@pytest.fixture
def confirmed_session(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


# --- Confirmation -------------------------------------------------------------------------


def test_confirm_queues_one_email_to_the_mentee_and_one_to_the_mentor(
    pending_session, admin_user, mailoutbox
):
    services.confirm_session(pending_session, link=MEET, by=admin_user)

    rows = OutboundEmail.objects.order_by("id")
    assert [(row.kind, row.to_email, row.recipient_id, row.state) for row in rows] == [
        (EmailKind.SESSION_CONFIRMED, "john@example.com", pending_session.mentee_id, "queued"),
        (EmailKind.SESSION_CONFIRMED, "jane@example.com", pending_session.mentor_id, "queued"),
    ]
    assert {row.session_id for row in rows} == {pending_session.pk}
    assert mailoutbox == []  # nothing is sent inside the request or the service


def test_confirmation_text_to_the_mentee_is_the_seed_email_in_her_time_zone(confirmed_session):
    mentee_email = emails_of(EmailKind.SESSION_CONFIRMED)["john@example.com"]

    assert mentee_email.body_text == (
        "Hello John,\n"
        "\n"
        "Your session with Jane Smith has been confirmed!\n"
        "\n"
        "Session Details:\n"
        "---------------------------------------------\n"
        "Date: 2030-01-15\n"
        "Time: 08:00 (America/New_York)\n"
        "Duration: 60 minutes\n"
        "Meeting Link: https://meet.google.com/abc-defg-hij\n"
        "---------------------------------------------\n"
        "\n"
        "Please join the meeting 5 minutes before the scheduled time.\n"
        "\n"
        "A calendar invitation is attached. You can also see the session on your dashboard:\n"
        f"{SITE}/sessions/{confirmed_session.pk}/\n"
        f"Need another time? Choose one here: {SITE}/sessions/{confirmed_session.pk}/reschedule/\n"
        f"Cannot attend? Cancel it here: {SITE}/sessions/{confirmed_session.pk}/cancel/\n"
        "\n"
        f"Questions? Write to us at {SUPPORT}.\n"
        "\n"
        "Best regards,\n"
        "CodeMentorHub Team\n"
    )


# The lines that differ between the mentee's and the mentor's confirmation (text and HTML).
per_recipient = pytest.mark.parametrize(
    ("to_email", "expected"),
    [
        (
            "john@example.com",
            [
                "Hello John,",
                "Your session with Jane Smith has been confirmed!",
                "Time: 08:00 (America/New_York)",
            ],
        ),
        (
            "jane@example.com",
            [
                "Hello Jane,",
                "Your session with John Doe has been confirmed!",
                "Time: 14:00 (Europe/Berlin)",
            ],
        ),
    ],
    ids=["mentee", "mentor"],
)


@per_recipient
def test_confirmation_text_has_the_seed_wording_for_each_recipient(
    confirmed_session, to_email, expected
):
    lines = emails_of(EmailKind.SESSION_CONFIRMED)[to_email].body_text.splitlines()

    for line in [
        *expected,
        "Session Details:",
        "Date: 2030-01-15",
        "Duration: 60 minutes",
        "Meeting Link: https://meet.google.com/abc-defg-hij",
        "Please join the meeting 5 minutes before the scheduled time.",
        "Best regards,",
        "CodeMentorHub Team",
    ]:
        assert line in lines


@per_recipient
def test_confirmation_html_has_the_same_details_and_the_link_as_href(
    confirmed_session, to_email, expected
):
    body_html = emails_of(EmailKind.SESSION_CONFIRMED)[to_email].body_html
    seen = visible_text(body_html)

    for phrase in [
        *expected,
        "Session Details:",
        "Date: 2030-01-15",
        "Duration: 60 minutes",
        f"Meeting Link: {MEET}",
        "Join Google Meet",
        "Please join the meeting 5 minutes before the scheduled time.",
        "Best regards, CodeMentorHub Team",
    ]:
        assert phrase in seen
    assert f'<a href="{MEET}"' in body_html
    assert f'href="{SITE}/sessions/{confirmed_session.pk}/"' in body_html


def test_confirmation_subjects_are_one_line_in_each_recipients_zone(confirmed_session):
    rows = emails_of(EmailKind.SESSION_CONFIRMED)

    assert (
        rows["john@example.com"].subject
        == "Session confirmed: 2030-01-15 08:00 (America/New_York) with Jane Smith"
    )
    assert (
        rows["jane@example.com"].subject
        == "Session confirmed: 2030-01-15 14:00 (Europe/Berlin) with John Doe"
    )


def test_the_mentors_confirmation_carries_the_mentees_notes(pending_session, admin_user):
    pending_session.notes = "Tom & Jerry <script>\nand my ORM queries"
    pending_session.save()

    services.confirm_session(pending_session, link=MEET, by=admin_user)

    rows = emails_of(EmailKind.SESSION_CONFIRMED)
    to_mentor = rows["jane@example.com"]
    assert (
        "---------------------------------------------\n\n"
        "Mentee's notes:\nTom & Jerry <script>\nand my ORM queries\n\n"
        "Please join the meeting 5 minutes before the scheduled time."
    ) in to_mentor.body_text
    assert "Tom &amp; Jerry &lt;script&gt;<br>and my ORM queries" in to_mentor.body_html
    assert "<script>" not in to_mentor.body_html
    # The mentee's own email stays the confirmation's words (docs/PRODUCT.md §5.2).
    assert "notes" not in rows["john@example.com"].body_text


# --- Link changed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to_email", "other_name", "time_line"),
    [
        ("john@example.com", "Jane Smith", "Time: 08:00 (America/New_York)"),
        ("jane@example.com", "John Doe", "Time: 14:00 (Europe/Berlin)"),
    ],
    ids=["mentee", "mentor"],
)
def test_link_change_tells_both_the_new_link_and_that_it_changed(
    confirmed_session, admin_user, to_email, other_name, time_line
):
    services.change_meeting_link(confirmed_session, link=NEW_MEET, by=admin_user)

    row = emails_of(EmailKind.LINK_CHANGED)[to_email]
    lines = row.body_text.splitlines()
    assert (
        f"The meeting link for your session with {other_name} has changed. Please use the new "
        f"link below (the old link {MEET} no longer applies)." in lines
    )
    assert f"Meeting Link: {NEW_MEET}" in lines
    assert time_line in lines
    assert f"Meeting link changed: 2030-01-15 {time_line[6:]} with {other_name}" == row.subject
    seen = visible_text(row.body_html)
    assert f"The meeting link for your session with {other_name} has changed." in seen
    assert f"Meeting Link: {NEW_MEET}" in seen
    assert f'<a href="{NEW_MEET}"' in row.body_html


def test_link_change_queues_exactly_two_more_emails(confirmed_session, admin_user):
    services.change_meeting_link(confirmed_session, link=NEW_MEET, by=admin_user)

    assert sorted(emails_of(EmailKind.LINK_CHANGED)) == ["jane@example.com", "john@example.com"]
    assert OutboundEmail.objects.count() == 4


# --- Cancellation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("canceller", "to_mentee", "to_mentor"),
    [
        ("admin_user", "the CodeMentorHub team", "the CodeMentorHub team"),
        ("mentor", "Jane Smith (the mentor)", "you"),
        ("mentee", "you", "John Doe (the mentee)"),
    ],
)
def test_cancellation_tells_both_who_cancelled_and_why(
    request, confirmed_session, canceller, to_mentee, to_mentor
):
    by = request.getfixturevalue(canceller)

    services.cancel_session(confirmed_session, by=by, reason="Mentor is ill")

    rows = emails_of(EmailKind.SESSION_CANCELLED)
    assert sorted(rows) == ["jane@example.com", "john@example.com"]
    mentee_lines = rows["john@example.com"].body_text.splitlines()
    mentor_lines = rows["jane@example.com"].body_text.splitlines()
    assert (
        "Your session with Jane Smith on 2030-01-15 at 08:00 (America/New_York) has been "
        f"cancelled by {to_mentee}." in mentee_lines
    )
    assert (
        "Your session with John Doe on 2030-01-15 at 14:00 (Europe/Berlin) has been "
        f"cancelled by {to_mentor}." in mentor_lines
    )
    assert "Reason: Mentor is ill" in mentee_lines
    assert "Reason: Mentor is ill" in mentor_lines
    mentee_html = visible_text(rows["john@example.com"].body_html)
    assert f"has been cancelled by {to_mentee}." in mentee_html
    assert "Reason: Mentor is ill" in mentee_html
    assert (
        rows["john@example.com"].subject
        == "Session cancelled: 2030-01-15 08:00 (America/New_York) with Jane Smith"
    )


@pytest.mark.parametrize(
    ("canceller", "to_mentee", "to_mentor"),
    [
        ("admin_user", "the CodeMentorHub team", "the CodeMentorHub team"),
        ("mentee", "you", "John Doe (the mentee)"),
    ],
)
def test_cancelling_a_request_says_it_had_not_been_confirmed(
    request, pending_session, canceller, to_mentee, to_mentor
):
    services.cancel_session(
        pending_session, by=request.getfixturevalue(canceller), reason="Found another time"
    )

    rows = emails_of(EmailKind.SESSION_CANCELLED)
    to_john, to_jane = rows["john@example.com"], rows["jane@example.com"]
    for row, sentence in [
        (
            to_john,
            "Your request for a session with Jane Smith on 2030-01-15 at 08:00 "
            f"(America/New_York) has been cancelled by {to_mentee}. It had not been confirmed "
            "yet.",
        ),
        (
            to_jane,
            "John Doe's request for a session with you on 2030-01-15 at 14:00 (Europe/Berlin) "
            f"has been cancelled by {to_mentor}. It had not been confirmed yet.",
        ),
    ]:
        assert sentence in row.body_text.splitlines()
        assert sentence in visible_text(row.body_html)
        assert "calendar" not in row.body_text  # it never was in anyone's calendar
    assert to_john.subject == (
        "Session request cancelled: 2030-01-15 08:00 (America/New_York) with Jane Smith"
    )
    assert to_jane.subject == (
        "Session request cancelled: 2030-01-15 14:00 (Europe/Berlin) with John Doe"
    )


def test_cancelling_a_confirmed_session_does_not_call_it_a_request(confirmed_session, admin_user):
    services.cancel_session(confirmed_session, by=admin_user, reason="Mentor is ill")

    for row in emails_of(EmailKind.SESSION_CANCELLED).values():
        assert "request" not in row.subject + row.body_text
        assert "had not been confirmed" not in row.body_text


def test_cancelling_a_paid_session_says_a_refund_is_due(confirmed_session, admin_user):
    services.mark_paid(confirmed_session, by=admin_user)

    services.cancel_session(confirmed_session, by=admin_user, reason="Mentor is ill")

    rows = emails_of(EmailKind.SESSION_CANCELLED)
    to_john, to_jane = rows["john@example.com"], rows["jane@example.com"]
    to_mentee = (
        "Refund: you paid $60.00 for this session, and it will be refunded to you. We will "
        "email you once the refund has been made."
    )
    to_mentor = "Refund: John Doe paid $60.00 for this session, and it will be refunded to them."
    assert to_mentee in to_john.body_text.splitlines()
    assert to_mentee in visible_text(to_john.body_html)
    assert to_mentor in to_jane.body_text.splitlines()
    assert to_mentor in visible_text(to_jane.body_html)


def test_cancelling_an_unpaid_session_says_there_is_nothing_to_refund(
    confirmed_session, admin_user
):
    services.cancel_session(confirmed_session, by=admin_user, reason="Mentor is ill")

    rows = emails_of(EmailKind.SESSION_CANCELLED)
    to_john, to_jane = rows["john@example.com"], rows["jane@example.com"]
    nothing = "Refund: no payment was recorded for this session, so there is nothing to refund."
    assert f"{nothing} If you have paid, write to us at {SUPPORT}." in (
        to_john.body_text.splitlines()
    )
    assert f'If you have paid, write to us at <a href="mailto:{SUPPORT}"' in to_john.body_html
    assert nothing in to_jane.body_text.splitlines()
    assert "If you have paid" not in to_jane.body_text


def test_cancellation_without_a_reason_says_so(confirmed_session, admin_user):
    services.cancel_session(confirmed_session, by=admin_user, reason="")

    row = emails_of(EmailKind.SESSION_CANCELLED)["john@example.com"]
    assert "Reason: No reason was given." in row.body_text.splitlines()


def test_cancelled_pending_session_emails_carry_no_invite(pending_session, admin_user):
    services.cancel_session(pending_session, by=admin_user, reason="Double booking")

    rows = emails_of(EmailKind.SESSION_CANCELLED)
    assert sorted(rows) == ["jane@example.com", "john@example.com"]
    for row in rows.values():
        assert (row.ics, row.ics_method) == ("", "")
        assert build_message(row).attachments == []
        assert "calendar" not in row.body_text


def test_cancelled_confirmed_session_emails_carry_a_cancel_invite(confirmed_session, admin_user):
    services.cancel_session(confirmed_session, by=admin_user, reason="Mentor is ill")

    rows = emails_of(EmailKind.SESSION_CANCELLED)
    assert {row.ics_method for row in rows.values()} == {"CANCEL"}
    assert (
        "The session has been removed from your calendar (a cancellation is attached)."
        in rows["john@example.com"].body_text.splitlines()
    )


# --- Completion ---------------------------------------------------------------------------


@pytest.fixture
def completed(clock, confirmed_session, admin_user):
    """The admin completes the session near its end (a session is completed once started)."""
    clock.set(confirmed_session.start + timedelta(minutes=55))
    return services.complete_session(confirmed_session, by=admin_user)


def test_completion_thanks_the_mentee_only(completed, confirmed_session):

    rows = OutboundEmail.objects.filter(kind=EmailKind.SESSION_COMPLETED)
    assert [row.to_email for row in rows] == ["john@example.com"]
    row = rows.get()
    assert row.subject == "Thank you for your session with Jane Smith"
    assert (
        "Thank you for your session with Jane Smith on 2030-01-15. We hope it helped!"
        in row.body_text.splitlines()
    )
    assert f'href="{SITE}/sessions/{confirmed_session.pk}/"' in row.body_html
    assert (row.ics, row.ics_method) == ("", "")


def test_completion_text_thanks_the_mentee_and_links_to_the_feedback_form(
    completed, confirmed_session
):

    row = OutboundEmail.objects.get(kind=EmailKind.SESSION_COMPLETED)
    assert row.body_text == (
        "Hello John,\n"
        "\n"
        "Thank you for your session with Jane Smith on 2030-01-15. We hope it helped!\n"
        "\n"
        "How was it? Your feedback helps Jane and other mentees. Rate the session (1 to 5 "
        "stars) and add a comment if you like:\n"
        f"{SITE}/sessions/{confirmed_session.pk}/\n"
        "\n"
        "Session: 2030-01-15 at 08:00 (America/New_York), 60 minutes, with Jane Smith.\n"
        "\n"
        f"Questions? Write to us at {SUPPORT}.\n"
        "\n"
        "Best regards,\n"
        "CodeMentorHub Team\n"
    )


def test_completion_html_has_a_leave_feedback_button_to_the_session_page(
    completed, confirmed_session
):

    row = OutboundEmail.objects.get(kind=EmailKind.SESSION_COMPLETED)
    seen = visible_text(row.body_html)
    assert "Thank you for your session with Jane Smith on 2030-01-15. We hope it helped!" in seen
    assert "Session: 2030-01-15 at 08:00 (America/New_York), 60 minutes, with Jane Smith." in seen
    feedback_url = f"{SITE}/sessions/{confirmed_session.pk}/"
    assert re.search(rf'<a href="{re.escape(feedback_url)}"[^>]*>Leave feedback</a>', row.body_html)


def test_the_feedback_link_opens_the_feedback_form_for_the_mentee(
    client, completed, confirmed_session, mentee
):
    row = OutboundEmail.objects.get(kind=EmailKind.SESSION_COMPLETED)
    link = re.search(rf"{re.escape(SITE)}(/sessions/\d+/)", row.body_text).group(1)
    client.force_login(mentee)

    page = client.get(link)

    assert page.status_code == 200
    assert f'action="/sessions/{confirmed_session.pk}/feedback/"' in page.content.decode()


# --- Names are data, not markup or headers ------------------------------------------------


def test_names_are_escaped_in_html_and_kept_verbatim_in_text_and_subject(
    pending_session, admin_user, mentor
):
    mentor.first_name = "<b>Jane</b>"
    mentor.last_name = "Smith & Co"
    mentor.save()

    services.confirm_session(pending_session, link=MEET, by=admin_user)

    rows = emails_of(EmailKind.SESSION_CONFIRMED)
    to_mentee, to_mentor = rows["john@example.com"], rows["jane@example.com"]
    assert "Your session with <b>Jane</b> Smith & Co has been confirmed!" in to_mentee.body_text
    assert to_mentee.subject == (
        "Session confirmed: 2030-01-15 08:00 (America/New_York) with <b>Jane</b> Smith & Co"
    )
    assert (
        "Your session with &lt;b&gt;Jane&lt;/b&gt; Smith &amp; Co has been confirmed!"
        in to_mentee.body_html
    )
    assert "<b>Jane" not in to_mentee.body_html
    assert "Hello <b>Jane</b>," in to_mentor.body_text.splitlines()
    assert "Hello &lt;b&gt;Jane&lt;/b&gt;," in to_mentor.body_html
    assert "<b>Jane" not in to_mentor.body_html


def test_a_line_break_in_a_name_cannot_inject_a_header(pending_session, admin_user, mentor):
    mentor.last_name = "Smith\r\nBcc: evil@example.com"
    mentor.save()

    services.confirm_session(pending_session, link=MEET, by=admin_user)

    row = emails_of(EmailKind.SESSION_CONFIRMED)["john@example.com"]
    assert row.subject == (
        "Session confirmed: 2030-01-15 08:00 (America/New_York) with Jane Smith "
        "Bcc: evil@example.com"
    )
    message = build_message(row)
    assert message.recipients() == ["john@example.com"]
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=default_policy)
    # A subject longer than 78 characters is folded onto a continuation line (RFC 5322);
    # unfolding leaves the fold's leading space, which readers strip.
    assert parsed["Subject"].strip() == row.subject
    assert parsed["Bcc"] is None
    assert sorted(parsed.keys()) == [
        "Content-Type",
        "Date",
        "From",
        "MIME-Version",
        "Message-ID",
        "Subject",
        "To",
        "X-CodeMentorHub-Kind",
    ]


# --- Password reset -----------------------------------------------------------------------


def test_password_reset_queues_one_email_with_a_working_reset_link(client, mentee, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": "john@example.com"})

    assert response.status_code == 302
    assert response.url == "/accounts/password_reset/done/"
    row = OutboundEmail.objects.get()
    assert (row.kind, row.to_email, row.state) == (
        EmailKind.PASSWORD_RESET,
        "john@example.com",
        EmailState.QUEUED,
    )
    assert row.subject == "Reset your CodeMentorHub password"
    links = re.findall(rf"{re.escape(SITE)}/accounts/reset/[\w-]+/[\w-]+/", row.body_text)
    assert len(links) == 1
    assert f'href="{links[0]}"' in row.body_html
    assert mailoutbox == []
    # The link opens Django's set-password step for this user.
    opened = client.get(links[0].removeprefix(SITE))
    assert opened.status_code == 302
    assert opened.url.endswith("/set-password/")


def test_password_reset_for_an_unknown_email_queues_nothing_and_looks_the_same(client, mentee):
    known = client.post("/accounts/password_reset/", {"email": "john@example.com"})
    OutboundEmail.objects.all().delete()

    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert OutboundEmail.objects.count() == 0


def test_text_part_is_readable_in_the_raw_message_not_base64(confirmed_session):
    # The demo writes raw messages to files for people to read; ASCII text stays plain.
    raw = build_message(emails_of(EmailKind.SESSION_CONFIRMED)["john@example.com"]).message()
    text_part = next(p for p in raw.walk() if p.get_content_type() == "text/plain")

    assert text_part["Content-Transfer-Encoding"] in {"7bit", "quoted-printable"}
    assert "Hello John," in raw.as_string()
