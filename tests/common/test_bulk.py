"""Bulk loading (common/bulk.py): bulk_insert stores what bulk_create would, on either
database (PostgreSQL through COPY)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from accounts.models import User
from bookings.models import MentoringSession, PaymentStatus, Status
from common.bulk import bulk_insert
from payments.models import Payment
from tests.factories import MentorFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)


def sessions(mentor, mentee) -> list[MentoringSession]:
    """New sessions with plain values, values a field converts, defaults and NULLs."""
    return [
        MentoringSession(
            mentor=mentor,
            mentee=mentee,
            start=START,
            status=Status.CONFIRMED,
            admin_provided_link="https://meet.google.com/abc-defg-hij",
            link_provided_at=START.replace(day=14),
            amount=Decimal("60.00"),
        ),
        MentoringSession(
            mentor_id=mentor.pk,
            mentee_id=mentee.pk,
            start="2030-01-16T13:00:00+00:00",  # text: through DateTimeField's conversion
            duration_minutes="90",  # text: through IntegerField's conversion
            amount=Decimal(90),
            cancellation_reason="Schedule conflict.",
            status=Status.CANCELLED,
            payment_status=PaymentStatus.PENDING,
        ),
    ]


def stored(sessions: list[MentoringSession]) -> list[tuple]:
    """Every column but the id, the people and the times of writing."""
    skipped = {"id", "mentor_id", "mentee_id", "created_at", "updated_at"}
    columns = [
        f.attname for f in MentoringSession._meta.concrete_fields if f.attname not in skipped
    ]
    rows = MentoringSession.objects.filter(pk__in=[s.pk for s in sessions]).order_by("pk")
    return list(rows.values_list(*columns))


def test_stores_the_same_rows_as_bulk_create(mentor, mentee):
    created = MentoringSession.objects.bulk_create(sessions(mentor, mentee))
    # Other people: the same times are free (for one mentor or one mentee they are not).
    inserted = sessions(MentorFactory(), UserFactory())

    bulk_insert(MentoringSession, inserted)

    assert stored(inserted) == stored(created)


def test_returns_the_objects_each_with_its_new_id_in_order(mentor, mentee):
    inserted = bulk_insert(MentoringSession, sessions(mentor, mentee))

    assert len(inserted) == 2
    assert inserted[0].pk < inserted[1].pk
    assert MentoringSession.objects.get(pk=inserted[1].pk).duration_minutes == 90
    assert not inserted[0]._state.adding


def test_auto_now_times_are_filled_in(mentor, mentee):
    inserted = sessions(mentor, mentee)
    before = datetime.now(UTC)

    bulk_insert(MentoringSession, inserted)

    row = MentoringSession.objects.get(pk=inserted[0].pk)
    assert before <= row.created_at <= datetime.now(UTC)
    assert before <= row.updated_at <= datetime.now(UTC)


def test_fills_in_defaults_and_nulls(mentor, mentee):
    [session] = bulk_insert(MentoringSession, sessions(mentor, mentee)[:1])

    bulk_insert(Payment, [Payment(session=session, amount=session.amount)])

    payment = Payment.objects.get(session=session)
    assert (payment.amount, payment.reference, payment.paid_by_id) == (Decimal("60.00"), "", None)


def test_a_new_user_gets_its_defaults():
    [new] = bulk_insert(User, [User(email="bulk@example.com", first_name="Ada")])

    user = User.objects.get(pk=new.pk)
    assert (user.time_zone, user.is_active, user.is_staff, user.last_login) == (
        "UTC",
        True,
        False,
        None,
    )
