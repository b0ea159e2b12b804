"""The admin's "Mark paid" / "Mark refunded" actions on /admin/sessions/, and the
"Payment: <status> — <amount>" line people see on their dashboard and session page."""

import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.test import Client

from bookings import services as bookings
from bookings.models import PaymentStatus, Status
from payments import services
from payments.models import Payment
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory
from tests.helpers import messages_of, table_row, visible_text


def _row(html: str, pk: int) -> str:
    return table_row(html, "data-session-id", pk)


def _payment(session) -> dict:
    return Payment.objects.values("status", "paid_at", "paid_by", "reference").get(session=session)


def _statuses(session) -> tuple[str, str]:
    session.refresh_from_db()
    return Payment.objects.get(session=session).status, session.payment_status


@pytest.fixture
def booked(pending_session):
    services.create_for_session(pending_session)
    return pending_session


def mark_paid_url(session) -> str:
    return f"/admin/sessions/{session.pk}/mark-paid/"


# --- POST /admin/sessions/<id>/mark-paid/ ----------------------------------------------


def test_admin_marks_a_session_paid_and_lands_back_on_the_dashboard(
    admin_client, admin_user, booked
):
    response = admin_client.post(mark_paid_url(booked))

    assert response.status_code == 302
    assert response["Location"] == "/admin/sessions/"
    assert _statuses(booked) == (PaymentStatus.PAID, PaymentStatus.PAID)
    assert _payment(booked)["paid_by"] == admin_user.pk
    assert messages_of(response) == [
        ("success", "Session Jane Smith – John Doe: $60.00 marked paid.")
    ]


def test_mark_paid_keeps_the_dashboard_filters(admin_client, booked):
    response = admin_client.post(
        mark_paid_url(booked),
        {"return_query": "status=pending&q=Jane&after=0.1.2&next=https://evil.test"},
    )

    assert response["Location"] == "/admin/sessions/?status=pending&q=Jane&after=0.1.2"


def test_mark_paid_stores_an_optional_reference(admin_client, booked):
    admin_client.post(mark_paid_url(booked), {"reference": "SEPA-42"})

    assert _payment(booked)["reference"] == "SEPA-42"


def test_mark_paid_refuses_an_over_long_reference(admin_client, booked):
    response = admin_client.post(mark_paid_url(booked), {"reference": "x" * 101})

    assert messages_of(response) == [
        ("error", "The payment reference is too long; nothing was changed.")
    ]
    assert _statuses(booked) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


def test_mark_paid_on_a_cancelled_session_is_refused_with_a_message(
    admin_client, admin_user, booked
):
    bookings.cancel_session(booked, by=admin_user, reason="Clash")
    before = _payment(booked)

    response = admin_client.post(mark_paid_url(booked))

    assert response["Location"] == "/admin/sessions/"
    assert messages_of(response) == [
        ("error", "A cancelled session cannot be marked paid; nothing was changed.")
    ]
    assert _payment(booked) == before
    assert _statuses(booked) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


def test_mark_paid_twice_is_refused_with_a_message(admin_client, admin_user, booked):
    bookings.mark_paid(booked, by=admin_user)

    response = admin_client.post(mark_paid_url(booked))

    assert messages_of(response) == [
        ("error", "This session's payment is already paid; nothing was changed.")
    ]


@pytest.mark.parametrize("who", ["mentee", "mentor", "other_mentee"])
def test_mark_paid_is_403_for_non_staff_and_changes_nothing(request, who, booked):
    response = client_for(request.getfixturevalue(who)).post(mark_paid_url(booked))

    assert response.status_code == 403
    assert _statuses(booked) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


def test_mark_paid_sends_anonymous_visitors_to_the_login_page(booked):
    url = mark_paid_url(booked)

    response = Client().post(url)

    assert response["Location"] == f"/accounts/login/?next={quote(url, safe='/')}"


def test_mark_paid_answers_get_with_405(admin_client, booked):
    response = admin_client.get(mark_paid_url(booked))

    assert response.status_code == 405
    assert _statuses(booked) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


def test_mark_paid_without_csrf_token_is_403(admin_user, booked):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(mark_paid_url(booked))

    assert response.status_code == 403
    assert _statuses(booked) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


def test_mark_paid_of_an_unknown_session_is_404(admin_client):
    assert admin_client.post("/admin/sessions/999999/mark-paid/").status_code == 404


def test_admin_marks_a_due_refund_done(admin_client, admin_user, booked):
    bookings.mark_paid(booked, by=admin_user)
    bookings.cancel_session(booked, by=admin_user, reason="Clash")

    response = admin_client.post(f"/admin/sessions/{booked.pk}/mark-refunded/")

    assert _statuses(booked) == (PaymentStatus.REFUNDED, PaymentStatus.REFUNDED)
    assert messages_of(response) == [
        (
            "success",
            "Session Jane Smith – John Doe: $60.00 marked refunded. John Doe is being emailed.",
        )
    ]


# --- the dashboard row actions ---------------------------------------------------------

MARK_PAID = "$ Mark paid</button>"
MARK_REFUNDED = "↩ Mark refunded</button>"


@pytest.mark.parametrize(
    ("status", "payment_status", "offered"),
    [
        (Status.PENDING, PaymentStatus.PENDING, MARK_PAID),
        (Status.CONFIRMED, PaymentStatus.PENDING, MARK_PAID),
        (Status.COMPLETED, PaymentStatus.PENDING, MARK_PAID),
        (Status.CANCELLED, PaymentStatus.PENDING, None),
        (Status.CONFIRMED, PaymentStatus.PAID, None),
        (Status.CANCELLED, PaymentStatus.REFUND_DUE, MARK_REFUNDED),
        (Status.CANCELLED, PaymentStatus.REFUNDED, None),
    ],
)
def test_row_offers_mark_paid_only_while_pending_and_not_cancelled(
    status, payment_status, offered, admin_client, mentor, mentee
):
    session = SessionFactory(
        mentor=mentor, mentee=mentee, status=status, payment_status=payment_status
    )

    row = _row(admin_client.get("/admin/sessions/").content.decode(), session.pk)

    assert (MARK_PAID in row) == (offered == MARK_PAID)
    assert (MARK_REFUNDED in row) == (offered == MARK_REFUNDED)
    if offered == MARK_PAID:
        assert f'form="row-actions" formaction="/admin/sessions/{session.pk}/mark-paid/"' in row


def test_row_actions_carry_the_filters(admin_client, booked):
    """Every row's buttons submit the page's one form: its CSRF token and filters."""
    html = admin_client.get("/admin/sessions/?status=pending&q=Jane").content.decode()

    assert 'form="row-actions" formaction=' in _row(html, booked.pk)
    form = html.split('<form id="row-actions" method="post">', 1)[1].split("</form>", 1)[0]
    assert 'name="csrfmiddlewaretoken"' in form
    assert form.endswith(
        '<input type="hidden" name="return_query" value="status=pending&amp;q=Jane">'
    )


# --- what people see -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment_status", "shown"),
    [
        (PaymentStatus.PENDING, "Payment: pending — $60.00"),
        (PaymentStatus.PAID, "Payment: paid — $60.00"),
        (PaymentStatus.REFUND_DUE, "Payment: refund due — $60.00"),
        (PaymentStatus.REFUNDED, "Payment: refunded — $60.00"),
    ],
)
@pytest.mark.parametrize("who", ["mentee", "mentor"])
def test_dashboard_card_and_detail_page_show_the_payment(
    request, who, payment_status, shown, mentor, mentee
):
    session = SessionFactory(
        mentor=mentor, mentee=mentee, payment_status=payment_status, amount=Decimal("60.00")
    )
    client = client_for(request.getfixturevalue(who))

    dashboard = client.get("/dashboard/").content.decode()
    detail = client.get(f"/sessions/{session.pk}/").content.decode()

    assert f'<p class="payment">{shown}</p>' in dashboard
    assert shown in visible_text(detail)


@pytest.mark.parametrize("who", ["mentee", "mentor"])
def test_a_session_cancelled_before_payment_owes_nothing(request, who, mentor, mentee):
    session = SessionFactory(
        mentor=mentor,
        mentee=mentee,
        status=Status.CANCELLED,
        payment_status=PaymentStatus.PENDING,
        amount=Decimal("60.00"),
    )
    client = client_for(request.getfixturevalue(who))

    dashboard = client.get("/dashboard/").content.decode()
    detail = visible_text(client.get(f"/sessions/{session.pk}/").content.decode())

    shown = "Payment: nothing due (cancelled before payment) — $60.00"
    assert f'<p class="payment">{shown}</p>' in dashboard
    assert shown in detail
    assert "Payment: pending" not in detail


def test_marking_paid_shows_on_the_mentees_dashboard(admin_client, mentee, booked):
    admin_client.post(mark_paid_url(booked))

    html = client_for(mentee).get("/dashboard/").content.decode()

    assert '<p class="payment">Payment: paid — $60.00</p>' in html


def test_confirmed_and_paid_session_keeps_its_join_button(admin_client, admin_user, mentee, booked):
    bookings.confirm_session(booked, link=MEET, by=admin_user)
    admin_client.post(mark_paid_url(booked))

    html = client_for(mentee).get("/dashboard/").content.decode()

    assert "Join Google Meet" in html
    assert "Payment: paid — $60.00" in html


# --- how to pay (PAYMENT_INSTRUCTIONS, while payments are offline) ------------------------

HOW_TO_PAY = "Transfer the amount to IBAN DE00 1234 5678.\nQuote <your> invoice number & name."
HOW_TO_PAY_HTML = (
    "Transfer the amount to IBAN DE00 1234 5678.<br>Quote &lt;your&gt; invoice number &amp; name."
)


@pytest.fixture
def how_to_pay(settings):
    settings.PAYMENT_PROVIDER = "offline"
    settings.PAYMENT_INSTRUCTIONS = HOW_TO_PAY


def _how_to_pay_on_card(html: str, pk: int) -> str:
    card = html.split(f'data-session-id="{pk}">', 1)[1].split("</article>", 1)[0]
    found = re.search(r'<details class="payment-help">(.*?)</details>', card, re.S)
    return found.group(1).strip() if found else ""


@pytest.mark.usefixtures("how_to_pay")
def test_the_mentees_card_says_how_to_pay_while_the_payment_is_pending(mentee, booked):
    html = client_for(mentee).get("/dashboard/").content.decode()

    assert _how_to_pay_on_card(html, booked.pk) == (
        f'<summary>How to pay</summary><p class="muted">{HOW_TO_PAY_HTML}</p>'
    )


@pytest.mark.usefixtures("how_to_pay")
def test_the_mentees_session_page_says_how_to_pay_while_the_payment_is_pending(mentee, booked):
    html = client_for(mentee).get(f"/sessions/{booked.pk}/").content.decode()

    assert f'<p class="payment-help">How to pay: {HOW_TO_PAY_HTML}</p>' in html


def _session_pages(user, session) -> list[str]:
    """The person's dashboard and the session's page, each shown (200) with the session's
    payment line: a page that says nothing of paying still shows the session."""
    pages = []
    for url in ("/dashboard/", f"/sessions/{session.pk}/"):
        response = client_for(user).get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert f"Payment: {session.payment_words} — ${session.amount}" in visible_text(html), url
        pages.append(html)
    return pages


@pytest.mark.usefixtures("how_to_pay")
@pytest.mark.parametrize(
    ("status", "payment_status"),
    [
        (Status.CONFIRMED, PaymentStatus.PAID),
        (Status.CANCELLED, PaymentStatus.PENDING),  # nothing to pay for any more
        (Status.CANCELLED, PaymentStatus.REFUND_DUE),
    ],
)
def test_nobody_is_told_how_to_pay_what_is_paid_or_cancelled(
    status, payment_status, mentor, mentee
):
    session = SessionFactory(
        mentor=mentor, mentee=mentee, status=status, payment_status=payment_status
    )

    for html in _session_pages(mentee, session):
        assert "How to pay" not in html


@pytest.mark.usefixtures("how_to_pay")
def test_the_mentor_is_not_told_how_to_pay(mentor, booked):
    for html in _session_pages(mentor, booked):
        assert "How to pay" not in html


@pytest.mark.parametrize(
    ("provider", "instructions"),
    [("tests.payments.test_services.FakeCardProvider", HOW_TO_PAY), ("offline", "")],
    ids=["a-provider-that-takes-the-money", "no-instructions"],
)
def test_without_offline_payments_and_instructions_nothing_is_said_of_paying(
    settings, provider, instructions, mentee, booked
):
    settings.PAYMENT_PROVIDER = provider
    settings.PAYMENT_INSTRUCTIONS = instructions

    for html in _session_pages(mentee, booked):
        assert "How to pay" not in html
