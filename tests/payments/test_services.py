"""Payment records (docs/PRODUCT.md): created with a booking, marked paid by an admin,
refund due when a paid session is cancelled — always in step with the session's
`payment_status` copy. Providers are pluggable by a setting."""

import importlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from bookings import services as bookings
from bookings.models import MentoringSession, PaymentStatus, SessionEvent, Status
from notifications.models import EmailKind, EmailState, OutboundEmail
from notifications.services import resend_refusal
from payments import services
from payments.models import Payment
from payments.providers import REGISTRY, OfflineProvider, ProviderError, get_provider
from payments.services import PaymentError
from tests.concurrency import run_together
from tests.conftest import MEET
from tests.factories import SessionFactory
from tests.helpers import visible_text

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
DAY = timedelta(days=1)  # one mentor's sessions may not overlap (PostgreSQL constraint)
CANCELLED_NOT_PAID = "A cancelled session cannot be marked paid; nothing was changed."


class FakeCardProvider:
    """A card provider as one could be added later: confirms payments itself."""

    name = "fakecard"
    label = "Card (test)"
    refunds: list[int] = []

    def start(self, payment: Payment) -> None:
        payment.reference = f"ch_{payment.session_id}"

    def mark_paid(self, payment: Payment, *, reference: str) -> str:
        raise ProviderError("Card payments are confirmed by the card provider.")

    def refund_due(self, payment: Payment) -> None:
        FakeCardProvider.refunds.append(payment.pk)


CARD = f"{__name__}.FakeCardProvider"


def payment_row(session: MentoringSession) -> dict:
    return Payment.objects.values(
        "status", "amount", "currency", "provider", "reference", "paid_at", "paid_by"
    ).get(session=session)


def statuses(session: MentoringSession) -> tuple[str, str]:
    """(Payment.status, MentoringSession.payment_status), from the database."""
    return (
        Payment.objects.get(session=session).status,
        MentoringSession.objects.get(pk=session.pk).payment_status,
    )


@pytest.fixture
def booked(mentor, mentee):
    """A pending session with its payment record, as the booking service leaves it."""
    session = SessionFactory(mentor=mentor, mentee=mentee, start=START, amount=Decimal("90.00"))
    services.create_for_session(session)
    return session


@pytest.fixture
def paid(booked, admin_user):
    bookings.mark_paid(booked, by=admin_user, reference="")
    return booked


# --- created with the booking ----------------------------------------------------------


def test_create_for_session_records_a_pending_offline_payment(mentor, mentee):
    session = SessionFactory(mentor=mentor, mentee=mentee, amount=Decimal("45.50"))

    payment = services.create_for_session(session)

    assert payment_row(session) == {
        "status": PaymentStatus.PENDING,
        "amount": Decimal("45.50"),
        "currency": "USD",
        "provider": "offline",
        "reference": f"INV-{session.pk:06d}",
        "paid_at": None,
        "paid_by": None,
    }
    assert payment.session == session
    assert statuses(session) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


def test_create_for_session_uses_the_configured_provider(settings, mentor, mentee):
    settings.PAYMENT_PROVIDER = CARD
    session = SessionFactory(mentor=mentor, mentee=mentee)

    services.create_for_session(session)

    row = payment_row(session)
    assert (row["provider"], row["reference"]) == ("fakecard", f"ch_{session.pk}")


def test_create_for_session_rolls_back_with_the_booking(mentor, mentee):
    session = SessionFactory(mentor=mentor, mentee=mentee)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_for_session(session)
        raise RuntimeError("the booking failed after the payment was written")

    assert not Payment.objects.filter(session=session).exists()


def test_an_unknown_provider_setting_is_refused(settings):
    settings.PAYMENT_PROVIDER = "nosuchprovider"

    with pytest.raises(ProviderError, match="Unknown payment provider “nosuchprovider”."):
        get_provider()


def test_a_registered_provider_is_chosen_by_its_short_name(settings, monkeypatch):
    monkeypatch.setitem(REGISTRY, "fakecard", FakeCardProvider)
    settings.PAYMENT_PROVIDER = "fakecard"

    assert isinstance(get_provider(), FakeCardProvider)
    assert isinstance(get_provider("offline"), OfflineProvider)


def test_without_a_setting_new_payments_are_offline(settings):
    del settings.PAYMENT_PROVIDER

    assert isinstance(get_provider(), OfflineProvider)


def test_bulk_create_for_sessions_mirrors_each_sessions_payment_status(mentor, mentee):
    pending = SessionFactory(mentor=mentor, mentee=mentee, start=START)
    done = SessionFactory(
        mentor=mentor, mentee=mentee, start=START + DAY, payment_status=PaymentStatus.PAID
    )

    services.bulk_create_for_sessions([pending, done])

    assert statuses(pending) == (PaymentStatus.PENDING, PaymentStatus.PENDING)
    assert statuses(done) == (PaymentStatus.PAID, PaymentStatus.PAID)
    assert Payment.objects.get(session=done).paid_at is not None


# --- marked paid by an admin -----------------------------------------------------------


def test_mark_paid_sets_payment_and_session_status(booked, admin_user):
    before = timezone.now()

    bookings.mark_paid(booked, by=admin_user, reference="")

    payment = Payment.objects.get(session=booked)
    assert statuses(booked) == (PaymentStatus.PAID, PaymentStatus.PAID)
    assert before <= payment.paid_at <= timezone.now()
    assert payment.paid_by == admin_user
    assert payment.reference == f"INV-{booked.pk:06d}"


def test_mark_paid_writes_an_audit_entry(booked, admin_user):
    bookings.mark_paid(booked, by=admin_user, reference="SEPA 2030-0042")

    event = SessionEvent.objects.filter(session=booked).latest("id")
    assert (event.action, event.actor, event.from_status, event.to_status, event.note) == (
        SessionEvent.Action.PAY,
        admin_user,
        Status.PENDING,
        Status.PENDING,
        "$90.00 paid (reference SEPA 2030-0042)",
    )
    assert event.get_action_display() == "Marked paid"


def test_mark_paid_stores_the_given_reference(booked, admin_user):
    bookings.mark_paid(booked, by=admin_user, reference="  SEPA  2030-0042 ")

    assert Payment.objects.get(session=booked).reference == "SEPA 2030-0042"


def test_mark_paid_twice_is_refused_and_changes_nothing(paid, admin_user):
    before = payment_row(paid)

    events = SessionEvent.objects.filter(session=paid).count()

    with pytest.raises(PaymentError, match="^This session's payment is already paid; nothing"):
        bookings.mark_paid(paid, by=admin_user, reference="again")

    assert payment_row(paid) == before
    assert SessionEvent.objects.filter(session=paid).count() == events


@pytest.mark.parametrize("by_fixture", ["mentee", "mentor"])
def test_mark_paid_by_a_non_admin_is_refused(request, booked, by_fixture):
    with pytest.raises(PaymentError, match="Only an admin can mark a session paid"):
        bookings.mark_paid(booked, by=request.getfixturevalue(by_fixture), reference="")

    assert statuses(booked) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


def test_mark_paid_on_a_cancelled_session_is_refused_and_changes_nothing(booked, admin_user):
    bookings.cancel_session(booked, by=admin_user, reason="Clash")
    before = payment_row(booked)

    with pytest.raises(
        PaymentError, match="^A cancelled session cannot be marked paid; nothing was changed.$"
    ):
        bookings.mark_paid(booked, by=admin_user, reference="")

    assert payment_row(booked) == before
    assert statuses(booked) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


@pytest.mark.parametrize("status", [Status.CONFIRMED, Status.COMPLETED])
def test_mark_paid_is_allowed_for_confirmed_and_completed_sessions(
    status, mentor, mentee, admin_user
):
    session = SessionFactory(mentor=mentor, mentee=mentee, status=status, admin_provided_link=MEET)
    services.create_for_session(session)

    bookings.mark_paid(session, by=admin_user, reference="")

    assert statuses(session) == (PaymentStatus.PAID, PaymentStatus.PAID)


def test_mark_paid_creates_a_missing_record_for_an_older_session(pending_session, admin_user):
    bookings.mark_paid(pending_session, by=admin_user, reference="")

    assert statuses(pending_session) == (PaymentStatus.PAID, PaymentStatus.PAID)


def test_a_provider_that_confirms_payments_itself_refuses_manual_marking(
    settings, booked, admin_user, mentor, mentee
):
    settings.PAYMENT_PROVIDER = CARD
    card_session = SessionFactory(mentor=mentor, mentee=mentee)
    services.create_for_session(card_session)

    with pytest.raises(PaymentError, match="confirmed by the card provider. Nothing was changed."):
        bookings.mark_paid(card_session, by=admin_user, reference="")

    assert statuses(card_session) == (PaymentStatus.PENDING, PaymentStatus.PENDING)
    # A payment keeps the provider it was taken with: the offline one still works.
    bookings.mark_paid(booked, by=admin_user, reference="")
    assert statuses(booked) == (PaymentStatus.PAID, PaymentStatus.PAID)


# --- cancelling a paid session: refund due ---------------------------------------------


def test_cancelling_a_paid_session_marks_a_refund_due_on_both(paid, admin_user):
    bookings.cancel_session(paid, by=admin_user, reason="Mentor is ill")

    assert statuses(paid) == (PaymentStatus.REFUND_DUE, PaymentStatus.REFUND_DUE)
    assert MentoringSession.objects.get(pk=paid.pk).status == Status.CANCELLED


def test_cancelling_an_unpaid_session_leaves_the_payment_pending(booked, admin_user):
    bookings.cancel_session(booked, by=admin_user, reason="Clash")

    assert statuses(booked) == (PaymentStatus.PENDING, PaymentStatus.PENDING)


def test_a_refused_cancel_leaves_the_payment_paid(monkeypatch, paid, admin_user):
    def outbox_down(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("bookings.emails.queue_session_cancelled", outbox_down)

    with pytest.raises(RuntimeError):
        bookings.cancel_session(paid, by=admin_user, reason="Clash")

    assert statuses(paid) == (PaymentStatus.PAID, PaymentStatus.PAID)


def test_the_provider_hears_of_a_due_refund_after_the_commit(
    settings, django_capture_on_commit_callbacks, mentor, mentee, admin_user
):
    settings.PAYMENT_PROVIDER = CARD
    FakeCardProvider.refunds = []
    session = SessionFactory(mentor=mentor, mentee=mentee, payment_status=PaymentStatus.PAID)
    services.bulk_create_for_sessions([session])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bookings.cancel_session(session, by=admin_user, reason="Clash")

    assert len(callbacks) == 1
    assert FakeCardProvider.refunds == [Payment.objects.get(session=session).pk]


def test_mark_refunded_closes_a_due_refund(paid, admin_user):
    bookings.cancel_session(paid, by=admin_user, reason="Clash")

    bookings.mark_refunded(paid, by=admin_user, reference="RF-1")

    payment = Payment.objects.get(session=paid)
    assert statuses(paid) == (PaymentStatus.REFUNDED, PaymentStatus.REFUNDED)
    assert payment.refunded_at is not None
    assert payment.reference == "RF-1"


@pytest.mark.usefixtures("site")
def test_mark_refunded_emails_the_mentee(paid, admin_user):
    bookings.cancel_session(paid, by=admin_user, reason="Clash")

    bookings.mark_refunded(paid, by=admin_user, reference="RF-1")

    (email,) = OutboundEmail.objects.filter(kind=EmailKind.PAYMENT_REFUNDED)
    assert (email.to_email, email.recipient_id, email.session_id) == (
        "john@example.com",
        paid.mentee_id,
        paid.pk,
    )
    assert email.subject == "Refund made: $90.00 for your session with Jane Smith"
    assert email.body_text == (
        "Hello John,\n"
        "\n"
        "We have refunded the $90.00 you paid for your cancelled session with Jane Smith on "
        "2030-01-15 at 08:00 (America/New_York).\n"
        "\n"
        "Refund reference: RF-1\n"
        "\n"
        "Depending on your bank, it can take a few days to show in your account. If it has "
        "not arrived after 10 days, write to us at help@mentors.example.com.\n"
        "\n"
        f"See the session: https://mentors.example.com/sessions/{paid.pk}/\n"
        "\n"
        "Questions? Write to us at help@mentors.example.com.\n"
        "\n"
        "Best regards,\n"
        "CodeMentorHub Team\n"
    )
    seen = visible_text(email.body_html)
    assert "We have refunded the $90.00 you paid for your cancelled session" in seen
    assert "Refund reference: RF-1" in seen
    assert email.ics == ""


def test_mark_refunded_writes_an_audit_entry(paid, admin_user):
    bookings.cancel_session(paid, by=admin_user, reason="Clash")

    bookings.mark_refunded(paid, by=admin_user, reference="RF-1")

    event = SessionEvent.objects.filter(session=paid).latest("id")
    assert (event.action, event.actor, event.from_status, event.to_status, event.note) == (
        SessionEvent.Action.REFUND,
        admin_user,
        Status.CANCELLED,
        Status.CANCELLED,
        "$90.00 refunded (reference RF-1)",
    )
    assert event.get_action_display() == "Marked refunded"


def test_a_refund_a_provider_reports_is_recorded_as_the_systems(paid, admin_user):
    bookings.cancel_session(paid, by=admin_user, reason="Clash")

    bookings.mark_refunded(paid, by=None, reference="")

    event = SessionEvent.objects.filter(session=paid).latest("id")
    assert (event.action, event.actor, event.note) == (
        SessionEvent.Action.REFUND,
        None,
        f"$90.00 refunded (reference INV-{paid.pk:06d})",
    )
    assert OutboundEmail.objects.filter(kind=EmailKind.PAYMENT_REFUNDED).count() == 1


def test_the_refund_email_may_be_resent(paid, admin_user):
    """The session is cancelled, as every refunded session is: that does not make the
    refund's email out of date."""
    bookings.cancel_session(paid, by=admin_user, reason="Clash")
    bookings.mark_refunded(paid, by=admin_user)
    email = OutboundEmail.objects.get(kind=EmailKind.PAYMENT_REFUNDED)
    email.state = EmailState.SENT
    email.save()

    assert resend_refusal(email, now=timezone.now()) == ""


def test_mark_refunded_without_a_due_refund_is_refused(paid, admin_user):
    events, emails = SessionEvent.objects.count(), OutboundEmail.objects.count()

    with pytest.raises(PaymentError, match=r"^No refund is due for this session \(its payment"):
        bookings.mark_refunded(paid, by=admin_user)

    assert statuses(paid) == (PaymentStatus.PAID, PaymentStatus.PAID)
    assert (SessionEvent.objects.count(), OutboundEmail.objects.count()) == (events, emails)


# --- the migration that gives existing sessions a record -------------------------------


def test_migration_creates_a_payment_for_each_existing_session(mentor, mentee):
    pending = SessionFactory(mentor=mentor, mentee=mentee, start=START, amount=Decimal("30.00"))
    refund_due = SessionFactory(
        mentor=mentor,
        mentee=mentee,
        start=START + DAY,
        status=Status.CANCELLED,
        payment_status=PaymentStatus.REFUND_DUE,
    )
    already = SessionFactory(mentor=mentor, mentee=mentee, start=START + 2 * DAY)
    services.create_for_session(already)
    migration = importlib.import_module("payments.migrations.0002_payments_for_existing_sessions")

    migration.create_payments(apps, None)

    assert Payment.objects.count() == 3
    assert payment_row(pending) == {
        "status": PaymentStatus.PENDING,
        "amount": Decimal("30.00"),
        "currency": "USD",
        "provider": "offline",
        "reference": f"INV-{pending.pk:06d}",
        "paid_at": None,
        "paid_by": None,
    }
    assert statuses(refund_due) == (PaymentStatus.REFUND_DUE, PaymentStatus.REFUND_DUE)
    assert Payment.objects.get(session=refund_due).paid_at is not None


def test_a_provider_failing_to_start_a_refund_does_not_undo_the_cancel(
    settings, monkeypatch, django_capture_on_commit_callbacks, caplog, mentor, mentee, admin_user
):
    settings.PAYMENT_PROVIDER = CARD
    session = SessionFactory(mentor=mentor, mentee=mentee, payment_status=PaymentStatus.PAID)
    services.bulk_create_for_sessions([session])

    def api_down(self, payment):
        raise ConnectionError("card API down")

    monkeypatch.setattr(FakeCardProvider, "refund_due", api_down)

    with django_capture_on_commit_callbacks(execute=True):
        bookings.cancel_session(session, by=admin_user, reason="Clash")

    assert statuses(session) == (PaymentStatus.REFUND_DUE, PaymentStatus.REFUND_DUE)
    assert "could not start the refund" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_marking_paid_while_cancelling_never_leaves_a_cancelled_session_paid(
    mentor, mentee, admin_user
):
    """Both take the session row lock first: whichever wins, the other sees its result."""
    sessions = [
        SessionFactory(mentor=mentor, mentee=mentee, start=START + n * DAY) for n in range(5)
    ]
    for session in sessions:
        services.create_for_session(session)

    def mark_paid(session_id: int) -> str:
        bookings.mark_paid(MentoringSession.objects.get(pk=session_id), by=admin_user)
        return "paid"

    def cancel(session_id: int) -> str:
        session = MentoringSession.objects.get(pk=session_id)
        bookings.cancel_session(session, by=admin_user, reason="Clash")
        return "cancelled"

    for session in sessions:
        outcomes = run_together(
            partial(mark_paid, session.pk),
            partial(cancel, session.pk),
            refused=(PaymentError, bookings.SessionActionError),
        )

        assert MentoringSession.objects.get(pk=session.pk).status == Status.CANCELLED
        if "paid" in outcomes:  # paid first: the cancel makes a refund due
            assert sorted(outcomes) == ["cancelled", "paid"]
            assert statuses(session) == (PaymentStatus.REFUND_DUE, PaymentStatus.REFUND_DUE)
        else:  # cancelled first: marking paid is refused
            assert sorted(outcomes) == ["cancelled", f"refused: {CANCELLED_NOT_PAID}"]
            assert statuses(session) == (PaymentStatus.PENDING, PaymentStatus.PENDING)
