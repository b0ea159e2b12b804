"""The staff email log (/admin/emails/), Resend, and the admin session page
(/admin/sessions/<id>/): admins see each email's state and can resend it (docs/PRODUCT.md)."""

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from bookings import services
from bookings.models import MentoringSession
from notifications.delivery import send_due_emails
from notifications.emails import Outgoing, RenderedEmail, queue_emails
from notifications.models import EmailKind, EmailState, OutboundEmail
from notifications.services import ResendError, resend_email
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory, UserFactory
from tests.helpers import cells_of, messages_of, table_row, visible_text

OTHER_MEET = "https://meet.google.com/xyz-wxyz-xyz"
# Every column of an outbox row a resend may not change (the original stays as it was).
ROW_FIELDS = (
    "kind",
    "session",
    "recipient",
    "to_email",
    "subject",
    "body_text",
    "body_html",
    "ics",
    "ics_method",
    "message_id",
    "state",
    "attempts",
    "last_error",
    "next_attempt_at",
    "sent_at",
    "resend_of",
    "session_sequence",
    "task_id",
)


# --- helpers ---------------------------------------------------------------------------


def _row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-email-id="(\d+)">', html)]


def _cells(html: str, pk: int) -> list[str]:
    """The row's cells as text, without the actions."""
    return cells_of(table_row(html, "data-email-id", pk))[:-1]


def _email(recipient, *, session=None, kind=EmailKind.SESSION_CONFIRMED, subject="Hello"):
    rendered = RenderedEmail(subject=subject, text=f"{subject} text\n", html=f"<p>{subject}</p>")
    return queue_emails([Outgoing(kind, recipient, rendered, session)])[0]


def _set(email: OutboundEmail, **fields) -> OutboundEmail:
    OutboundEmail.objects.filter(pk=email.pk).update(**fields)
    email.refresh_from_db()
    return email


def _snapshot() -> list[dict]:
    return list(OutboundEmail.objects.order_by("pk").values(*ROW_FIELDS))


def _resend(client, email, **data):
    return client.post(f"/admin/emails/{email.pk}/resend/", data)


@pytest.fixture
def confirmed(pending_session, admin_user):
    """Confirmed: two emails (mentee john@, mentor jane@), both with the invite."""
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


@pytest.fixture
def sent_confirmation(confirmed):
    """The mentee's confirmation email, delivered."""
    email = OutboundEmail.objects.get(session=confirmed, to_email="john@example.com")
    return _set(
        email,
        state=EmailState.SENT,
        attempts=1,
        sent_at=datetime(2029, 12, 1, 12, 0, 5, tzinfo=UTC),
    )


# --- The log -----------------------------------------------------------------------------


def test_email_log_lists_every_row_newest_first(admin_client, mentee, mentor):
    first = _email(mentee, subject="First")
    second = _email(mentor, subject="Second")
    third = _email(mentee, subject="Third")
    _set(first, created_at=datetime(2029, 1, 1, 9, 0, tzinfo=UTC))
    _set(second, created_at=datetime(2029, 1, 3, 9, 0, tzinfo=UTC))
    _set(third, created_at=datetime(2029, 1, 2, 9, 0, tzinfo=UTC))

    response = admin_client.get("/admin/emails/")

    assert response.status_code == 200
    assert _row_ids(response.content.decode()) == [second.pk, third.pk, first.pk]


def test_email_log_row_shows_each_column_in_the_admins_zone(admin_client, admin_user, confirmed):
    admin_user.time_zone = "Asia/Tokyo"
    admin_user.save(update_fields=["time_zone"])
    email = OutboundEmail.objects.get(to_email="jane@example.com")
    _set(
        email,
        state=EmailState.FAILED,
        attempts=6,
        last_error="SMTPRecipientsRefused: 550 5.1.1 No such user",
        created_at=datetime(2029, 12, 1, 12, 0, 0, tzinfo=UTC),
        sent_at=None,
    )
    copy = _set(
        OutboundEmail.objects.get(to_email="john@example.com"),
        state=EmailState.SENT,
        attempts=1,
        created_at=datetime(2029, 12, 1, 11, 0, 0, tzinfo=UTC),
        sent_at=datetime(2029, 12, 1, 23, 30, 15, tzinfo=UTC),
        resend_of=email,
    )

    html = admin_client.get("/admin/emails/").content.decode()

    assert "<th>Created (Asia/Tokyo)</th>" in html
    assert "<th>Sent (Asia/Tokyo)</th>" in html
    session = f"#{confirmed.pk} Jane Smith – John Doe"
    assert _cells(html, email.pk) == [
        "2029-12-01 21:00:00",
        "jane@example.com Jane Smith",
        "Session confirmed",
        "Failed",
        "6",
        "SMTPRecipientsRefused: 550 5.1.1 No such user",
        "—",
        session,
    ]
    assert _cells(html, copy.pk) == [
        "2029-12-01 20:00:00",
        "john@example.com John Doe",
        f"Session confirmed Copy of #{email.pk}",
        "Sent",
        "1",
        "—",
        "2029-12-02 08:30:15",
        session,
    ]
    assert f'<a href="/admin/sessions/{confirmed.pk}/">' in html


def test_email_log_shows_skipped_emails_with_their_reason(admin_client, mentee):
    email = _set(
        _email(mentee, kind=EmailKind.SESSION_REMINDER),
        state=EmailState.SKIPPED,
        last_error="Out of date: the session was cancelled after this reminder was written.",
    )

    html = admin_client.get("/admin/emails/", {"state": "skipped"}).content.decode()

    cells = _cells(html, email.pk)
    assert cells[2:6] == [
        "Session reminder",
        "Skipped (out of date)",
        "0",
        "Out of date: the session was cancelled after this reminder was written.",
    ]


@pytest.mark.parametrize(
    ("state", "expected"),
    [("queued", ["queued"]), ("sent", ["sent"]), ("failed", ["failed"]), ("", ["all"])],
)
def test_email_log_filters_by_state(state, expected, admin_client, mentee):
    rows = {name: _email(mentee, subject=name) for name in ("queued", "sent", "failed")}
    _set(rows["sent"], state=EmailState.SENT)
    _set(rows["failed"], state=EmailState.FAILED)

    html = admin_client.get("/admin/emails/", {"state": state}).content.decode()

    wanted = list(rows) if expected == ["all"] else expected
    assert sorted(_row_ids(html)) == sorted(rows[name].pk for name in wanted)


def test_email_log_filters_by_kind(admin_client, mentee):
    confirmation = _email(mentee, kind=EmailKind.SESSION_CONFIRMED)
    _email(mentee, kind=EmailKind.PASSWORD_RESET)

    html = admin_client.get("/admin/emails/", {"kind": "session_confirmed"}).content.decode()

    assert _row_ids(html) == [confirmation.pk]


@pytest.mark.parametrize("query", ["john@exa", "JOHN", "Doe", "  john   doe "])
def test_email_log_searches_by_recipient_address_or_name(query, admin_client, mentee, mentor):
    to_john = _email(mentee)
    _email(mentor)

    html = admin_client.get("/admin/emails/", {"q": query}).content.decode()

    assert _row_ids(html) == [to_john.pk]


@pytest.mark.parametrize(
    "params",
    [{"state": "delivered"}, {"kind": "spam"}, {"q": "x" * 101}],
    ids=["state", "kind", "q"],
)
def test_email_log_ignores_an_invalid_filter_with_a_warning(params, admin_client, mentee):
    email = _email(mentee)

    response = admin_client.get("/admin/emails/", params)

    assert response.status_code == 200
    assert _row_ids(response.content.decode()) == [email.pk]
    assert messages_of(response) == [
        ("warning", "Some filters were not understood and were ignored.")
    ]


def test_email_log_paginates_by_fifty(admin_client, mentee):
    for n in range(51):
        _email(mentee, subject=f"Email {n}")
    oldest = OutboundEmail.objects.order_by("created_at", "id").first()

    first = admin_client.get("/admin/emails/").content.decode()
    second = admin_client.get("/admin/emails/", {"page": "2"}).content.decode()

    assert len(_row_ids(first)) == 50
    assert _row_ids(second) == [oldest.pk]
    assert "Page 2 of 2 · 51 emails" in second
    assert 'href="?page=2"' in first


def test_email_log_pagination_keeps_the_filters(admin_client, mentee):
    for _ in range(51):
        _email(mentee)

    html = admin_client.get("/admin/emails/", {"state": "queued", "q": "john"}).content.decode()

    assert 'href="?state=queued&amp;q=john&amp;page=2"' in html


def test_email_log_page_that_is_not_a_number_shows_page_one_with_a_warning(admin_client, mentee):
    email = _email(mentee)

    response = admin_client.get("/admin/emails/", {"page": "abc"})

    assert response.status_code == 200
    assert _row_ids(response.content.decode()) == [email.pk]
    assert messages_of(response) == [("warning", "There is no page “abc”; showing page 1.")]


def test_email_log_offers_resend_only_for_sent_and_failed_emails(admin_client, mentee):
    rows = {state: _set(_email(mentee), state=state) for state in EmailState.values}

    html = admin_client.get("/admin/emails/").content.decode()

    offered = {int(pk) for pk in re.findall(r'action="/admin/emails/(\d+)/resend/"', html)}
    assert offered == {rows["sent"].pk, rows["failed"].pk}


def test_email_log_marks_an_out_of_date_email_instead_of_offering_resend(
    admin_client, admin_user, sent_confirmation, confirmed
):
    services.change_meeting_link(confirmed, link=OTHER_MEET, by=admin_user)

    html = admin_client.get("/admin/emails/").content.decode()

    row = table_row(html, "data-email-id", sent_confirmation.pk)
    assert "/resend/" not in row
    assert (
        '<span class="muted out-of-date" title="Out of date: the session changed (its status, '
        'time or meeting link) after this email was written.">Out of date'
        "</span>"
    ) in row


def test_email_log_marks_a_skipped_email_out_of_date(admin_client, mentee):
    email = _set(_email(mentee), state=EmailState.SKIPPED, last_error="Out of date: cancelled.")

    html = admin_client.get("/admin/emails/").content.decode()

    row = table_row(html, "data-email-id", email.pk)
    assert "/resend/" not in row
    assert 'title="This email was skipped as out of date when its turn came.">Out of date' in row


def test_resend_refuses_a_skipped_email_and_changes_nothing(admin_client, mentee):
    email = _set(_email(mentee), state=EmailState.SKIPPED, last_error="Out of date: cancelled.")
    before = _snapshot()

    response = _resend(admin_client, email)

    assert messages_of(response) == [
        (
            "error",
            "This email was skipped as out of date when its turn came. Nothing was resent.",
        )
    ]
    assert _snapshot() == before


# --- Resend ------------------------------------------------------------------------------


def test_resend_queues_a_fresh_copy_with_the_same_content(
    admin_client, sent_confirmation, confirmed
):
    original = OutboundEmail.objects.values(*ROW_FIELDS).get(pk=sent_confirmation.pk)
    tasks_before = DBTaskResult.objects.count()

    _resend(admin_client, sent_confirmation)

    copy = OutboundEmail.objects.get(resend_of=sent_confirmation)
    assert OutboundEmail.objects.values(*ROW_FIELDS).get(pk=sent_confirmation.pk) == original
    assert copy.kind == EmailKind.SESSION_CONFIRMED
    assert copy.session_id == confirmed.pk
    assert copy.recipient_id == confirmed.mentee_id
    assert copy.to_email == "john@example.com"
    assert copy.subject == original["subject"]
    assert copy.body_text == original["body_text"]
    assert copy.body_html == original["body_html"]
    assert copy.ics == original["ics"]
    assert copy.ics_method == "REQUEST"
    assert copy.session_sequence == original["session_sequence"] == 1
    assert copy.message_id != original["message_id"]
    assert re.fullmatch(r"<[0-9a-f]{32}@codementorhub>", copy.message_id)
    assert (copy.state, copy.attempts, copy.last_error, copy.sent_at) == (
        EmailState.QUEUED,
        0,
        "",
        None,
    )
    assert DBTaskResult.objects.count() == tasks_before + 1
    task = DBTaskResult.objects.get(pk=copy.task_id)
    assert (task.task_path, task.args_kwargs["args"]) == (
        "notifications.delivery.deliver_email",
        [copy.pk],
    )


def test_resend_redirects_back_to_the_log_with_its_filters_and_a_message(
    admin_client, sent_confirmation
):
    response = _resend(
        admin_client,
        sent_confirmation,
        return_query="state=sent&q=john&page=2&next=https://evil.test/",
    )

    copy = OutboundEmail.objects.get(resend_of=sent_confirmation)
    assert response.status_code == 302
    assert response["Location"] == "/admin/emails/?state=sent&q=john&page=2"
    assert messages_of(response) == [
        (
            "success",
            f"A fresh copy of “{sent_confirmation.subject}” is queued for john@example.com "
            f"(#{copy.pk}).",
        )
    ]


def test_resend_from_the_session_page_returns_to_it(admin_client, sent_confirmation, confirmed):
    response = _resend(admin_client, sent_confirmation, back="session")

    assert response["Location"] == f"/admin/sessions/{confirmed.pk}/"


def test_resend_of_a_failed_email_is_allowed(admin_client, confirmed):
    failed = _set(
        OutboundEmail.objects.get(to_email="jane@example.com"),
        state=EmailState.FAILED,
        attempts=6,
        last_error="SMTPRecipientsRefused: 550 No such user",
    )

    _resend(admin_client, failed)

    assert OutboundEmail.objects.filter(resend_of=failed, state=EmailState.QUEUED).count() == 1


def test_resend_of_an_email_without_a_session(admin_client, mentee):
    email = _set(_email(mentee, kind=EmailKind.PASSWORD_RESET), state=EmailState.SENT)

    _resend(admin_client, email)

    copy = OutboundEmail.objects.get(resend_of=email)
    assert (copy.session_id, copy.to_email, copy.kind) == (
        None,
        "john@example.com",
        "password_reset",
    )


def test_resend_keeps_the_original_address_when_the_person_changed_theirs(
    admin_client, sent_confirmation, mentee
):
    mentee.email = "john.new@example.com"
    mentee.save(update_fields=["email"])

    _resend(admin_client, sent_confirmation)

    assert OutboundEmail.objects.get(resend_of=sent_confirmation).to_email == "john@example.com"


@pytest.mark.parametrize("state", [EmailState.QUEUED, EmailState.SENDING])
def test_resend_refuses_an_email_still_on_its_way_and_changes_nothing(
    state, admin_client, confirmed
):
    email = _set(OutboundEmail.objects.get(to_email="john@example.com"), state=state)
    before, tasks = _snapshot(), DBTaskResult.objects.count()

    response = _resend(admin_client, email)

    assert response["Location"] == "/admin/emails/"
    assert messages_of(response) == [
        (
            "error",
            f"This email to john@example.com is still {state}: it will be delivered. "
            "Nothing was resent.",
        )
    ]
    assert _snapshot() == before
    assert DBTaskResult.objects.count() == tasks


def test_resend_refuses_while_an_earlier_copy_is_on_its_way(
    admin_client, admin_user, sent_confirmation
):
    copy = resend_email(sent_confirmation, by=admin_user)
    before = _snapshot()

    response = _resend(admin_client, sent_confirmation)

    assert messages_of(response) == [
        (
            "error",
            f"A copy of this email to john@example.com is already on its way (#{copy.pk}, "
            "queued); nothing was resent.",
        )
    ]
    assert _snapshot() == before


def test_resend_again_once_the_copy_was_delivered(admin_client, sent_confirmation):
    _resend(admin_client, sent_confirmation)
    OutboundEmail.objects.filter(resend_of=sent_confirmation).update(state=EmailState.SENT)

    _resend(admin_client, sent_confirmation)

    assert OutboundEmail.objects.filter(resend_of=sent_confirmation).count() == 2


def test_resend_refuses_an_email_the_session_has_outdated_and_changes_nothing(
    admin_client, admin_user, sent_confirmation, confirmed
):
    """The confirmation carries the old link once the link changed: resending it would
    send the person to the wrong meeting."""
    services.change_meeting_link(confirmed, link=OTHER_MEET, by=admin_user)
    before = _snapshot()

    response = _resend(admin_client, sent_confirmation)

    assert messages_of(response) == [
        (
            "error",
            "Out of date: the session changed (its status, time or meeting link) after this "
            "email was written. Nothing was resent.",
        )
    ]
    assert _snapshot() == before


def test_resend_refuses_a_session_email_once_the_session_is_cancelled(
    admin_client, admin_user, mentee, mentor
):
    """A pending session's cancellation raises no invite revision; the status still tells."""
    session = SessionFactory(mentor=mentor, mentee=mentee)
    email = _set(
        _email(mentee, session=session, kind=EmailKind.BOOKING_RECEIVED), state=EmailState.SENT
    )
    services.cancel_session(session, by=admin_user, reason="Clash.")
    before = _snapshot()

    response = _resend(admin_client, email)

    assert messages_of(response) == [
        (
            "error",
            "Out of date: the session was cancelled after this email was written. "
            "Nothing was resent.",
        )
    ]
    assert _snapshot() == before


def test_resend_of_the_cancellation_itself_is_allowed(admin_client, admin_user, confirmed):
    services.cancel_session(confirmed, by=admin_user, reason="Clash.")
    cancellation = _set(
        OutboundEmail.objects.get(kind=EmailKind.SESSION_CANCELLED, to_email="john@example.com"),
        state=EmailState.SENT,
    )

    _resend(admin_client, cancellation)

    copy = OutboundEmail.objects.get(resend_of=cancellation)
    assert (copy.ics_method, copy.state) == ("CANCEL", EmailState.QUEUED)


def test_resend_refuses_a_reminder_for_a_session_that_has_started(admin_client, confirmed, mentee):
    MentoringSession.objects.filter(pk=confirmed.pk).update(
        start=datetime.now(UTC) - timedelta(minutes=5)
    )
    reminder = _set(
        _email(mentee, session=confirmed, kind=EmailKind.SESSION_REMINDER), state=EmailState.SENT
    )
    before = _snapshot()

    response = _resend(admin_client, reminder)

    assert messages_of(response) == [
        (
            "error",
            "Out of date: the session had already started. Nothing was resent.",
        )
    ]
    assert _snapshot() == before


def test_resend_service_raises_for_a_refused_resend(sent_confirmation, admin_user):
    _set(sent_confirmation, state=EmailState.QUEUED)

    with pytest.raises(ResendError):
        resend_email(sent_confirmation, by=admin_user)

    assert OutboundEmail.objects.filter(resend_of=sent_confirmation).count() == 0


def test_resend_logs_who_resent_what(admin_client, admin_user, sent_confirmation, caplog):
    caplog.set_level(logging.INFO, logger="notifications.services")

    _resend(admin_client, sent_confirmation)

    copy = OutboundEmail.objects.get(resend_of=sent_confirmation)
    assert [r.getMessage() for r in caplog.records if r.name == "notifications.services"] == [
        f"email {sent_confirmation.pk} (session_confirmed to john@example.com) resent as "
        f"email {copy.pk} by user {admin_user.pk} <admin@example.com>"
    ]


def test_resend_of_an_unknown_email_is_404(admin_client):
    response = admin_client.post("/admin/emails/999999/resend/")

    assert response.status_code == 404
    assert OutboundEmail.objects.count() == 0


def test_resend_by_get_is_405_and_changes_nothing(admin_client, sent_confirmation):
    before = _snapshot()

    response = admin_client.get(f"/admin/emails/{sent_confirmation.pk}/resend/")

    assert response.status_code == 405
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["mentee", "mentor", "other_mentee"])
def test_resend_by_non_staff_is_403_and_changes_nothing(
    role, request, sent_confirmation, other_mentee
):
    before = _snapshot()

    response = _resend(client_for(request.getfixturevalue(role)), sent_confirmation)

    assert response.status_code == 403
    assert _snapshot() == before


def test_resend_by_anonymous_goes_to_login_and_changes_nothing(sent_confirmation):
    before = _snapshot()

    response = _resend(Client(), sent_confirmation)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert _snapshot() == before


def test_resend_without_csrf_token_is_403_and_changes_nothing(admin_user, sent_confirmation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    before = _snapshot()

    response = _resend(client, sent_confirmation)

    assert response.status_code == 403
    assert _snapshot() == before


def test_resent_copy_is_delivered_over_smtp_with_a_new_message_id(smtp, admin_client, confirmed):
    assert send_due_emails() == {"sent": 2}
    original = OutboundEmail.objects.get(to_email="john@example.com")

    _resend(admin_client, original)
    outcome = send_due_emails()

    assert outcome == {"sent": 1}
    copy = OutboundEmail.objects.get(resend_of=original)
    assert copy.state == EmailState.SENT
    to_john = [item for item in smtp.received if item.rcpt_tos == ("john@example.com",)]
    assert len(to_john) == 2
    first, second = (item.message for item in to_john)
    assert [first["Message-ID"], second["Message-ID"]] == [original.message_id, copy.message_id]
    assert first["Message-ID"] != second["Message-ID"]
    assert second["Subject"] == first["Subject"]
    assert first["Subject"].strip() == original.subject  # unfolded (test_delivery.py)
    assert second.get_body(("plain",)).get_content() == first.get_body(("plain",)).get_content()
    assert MEET in second.get_body(("plain",)).get_content()
    invites = [list(m.iter_attachments())[0].get_content() for m in (first, second)]
    assert invites[0] == invites[1]
    assert len(smtp.received) == 3


# --- The admin session page --------------------------------------------------------------


def test_admin_session_page_shows_the_sessions_fields(admin_client, confirmed):
    html = admin_client.get(f"/admin/sessions/{confirmed.pk}/").content.decode()
    text = visible_text(html)

    assert "<h1>Jane Smith – John Doe</h1>" in html
    assert '<span class="badge badge-confirmed">CONFIRMED</span>' in html
    for fact in (
        "Mentor Jane Smith jane@example.com Europe/Berlin",
        "Mentee John Doe john@example.com America/New_York",
        "Date Tuesday, January 15, 2030",
        "Time (UTC) 13:00–14:00",
        "Duration 60 minutes",
        "Amount 60.00 USD",
        "Payment Pending",
        "Invite revision 1",
        "by Alex Admin",
        "Mentee's notes Help with my Django project.",
    ):
        assert fact in text
    assert f'<a href="{MEET}" target="_blank" rel="noopener noreferrer">{MEET}</a>' in html


def test_admin_session_page_shows_the_audit_trail(admin_client, admin_user, confirmed):
    services.change_meeting_link(confirmed, link=OTHER_MEET, by=admin_user)
    services.cancel_session(confirmed, by=admin_user, reason="Mentor is ill.")

    html = admin_client.get(f"/admin/sessions/{confirmed.pk}/").content.decode()

    rows = re.findall(r'<tr data-event-id="\d+">(.*?)</tr>', html, re.S)
    cells = [cells_of(row) for row in rows]
    assert [row[1:] for row in cells] == [
        ["Alex Admin admin@example.com", "Confirmed", "pending → confirmed", f"none → {MEET}", "—"],
        [
            "Alex Admin admin@example.com",
            "Changed link",
            "confirmed → confirmed",
            f"{MEET} → {OTHER_MEET}",
            "—",
        ],
        [
            "Alex Admin admin@example.com",
            "Cancelled",
            "confirmed → cancelled",
            f"{OTHER_MEET} (unchanged)",
            "Mentor is ill.",
        ],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[0]) for row in cells)


def test_admin_session_page_lists_the_sessions_emails_newest_first(
    admin_client, admin_user, confirmed, mentee
):
    services.change_meeting_link(confirmed, link=OTHER_MEET, by=admin_user)
    _email(mentee)  # another email, not this session's
    ordered = list(OutboundEmail.objects.filter(session=confirmed).order_by("-created_at", "-id"))

    html = admin_client.get(f"/admin/sessions/{confirmed.pk}/").content.decode()

    assert _row_ids(html) == [email.pk for email in ordered]
    assert len(ordered) == 4
    assert html.count('name="back" value="session"') == 0  # all still queued: no Resend yet


def test_admin_session_page_offers_resend_back_to_itself(
    admin_client, sent_confirmation, confirmed
):
    html = admin_client.get(f"/admin/sessions/{confirmed.pk}/").content.decode()

    assert f'action="/admin/emails/{sent_confirmation.pk}/resend/"' in html
    assert html.count('name="back" value="session"') == 1


def test_admin_session_page_of_an_unknown_session_is_404(admin_client):
    assert admin_client.get("/admin/sessions/999999/").status_code == 404


def test_sessions_dashboard_rows_link_to_the_admin_session_page(admin_client, pending_session):
    html = admin_client.get("/admin/sessions/").content.decode()

    assert f'<a href="/admin/sessions/{pending_session.pk}/"' in html


# --- Queries: constant whatever the number of rows ----------------------------------------

# session + user, count, the page of emails (with recipient and session people)
EMAIL_LOG_QUERIES = 4
# session + user, the session (with its people), its audit trail (with actors), its emails
SESSION_PAGE_QUERIES = 5


def _sessions_with_emails(count: int, admin) -> list[MentoringSession]:
    sessions = []
    for n in range(count):
        mentor = UserFactory(first_name=f"Mentor{n}")
        mentee = UserFactory(first_name=f"Mentee{n}")
        session = SessionFactory(mentor=mentor, mentee=mentee)
        sessions.append(services.confirm_session(session, link=MEET, by=admin))
    OutboundEmail.objects.filter(to_email__startswith="person").update(
        state=EmailState.SENT, attempts=1
    )
    return sessions


@pytest.mark.parametrize("count", [1, 3])
def test_email_log_queries(count, django_assert_num_queries, admin_client, admin_user):
    _sessions_with_emails(count, admin_user)

    with django_assert_num_queries(EMAIL_LOG_QUERIES):
        response = admin_client.get("/admin/emails/")

    assert len(_row_ids(response.content.decode())) == 2 * count


@pytest.mark.parametrize("count", [1, 3])
def test_email_log_queries_with_filters(count, django_assert_num_queries, admin_client, admin_user):
    _sessions_with_emails(count, admin_user)

    with django_assert_num_queries(EMAIL_LOG_QUERIES):
        response = admin_client.get(
            "/admin/emails/", {"state": "sent", "kind": "session_confirmed", "q": "person"}
        )

    assert len(_row_ids(response.content.decode())) == 2 * count


@pytest.mark.parametrize("count", [1, 3])
def test_admin_session_page_queries(count, django_assert_num_queries, admin_client, admin_user):
    """1 or 3 changes (each with its audit row and two emails) cost the same queries."""
    session = _sessions_with_emails(1, admin_user)[0]
    links = [OTHER_MEET, "https://meet.google.com/aaa-bbbb-ccc"]
    for link in links[: count - 1]:
        session = services.change_meeting_link(session, link=link, by=admin_user)

    with django_assert_num_queries(SESSION_PAGE_QUERIES):
        response = admin_client.get(f"/admin/sessions/{session.pk}/")

    html = response.content.decode()
    assert len(_row_ids(html)) == 2 * count
    assert html.count("<tr data-event-id=") == count
