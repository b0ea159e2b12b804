"""Demo data comes with payment records, in step with each session's payment status."""

from io import StringIO

import pytest
from django.core.management import call_command

from bookings.models import MentoringSession
from payments.models import Payment

pytestmark = pytest.mark.django_db


def seed(*args: str) -> None:
    call_command("seed_demo", "--password", "demo1234", *args, stdout=StringIO())


def test_every_demo_session_has_a_matching_payment_record():
    seed("--sessions", "40")

    sessions = dict(MentoringSession.objects.values_list("pk", "payment_status"))
    payments = dict(Payment.objects.values_list("session_id", "status"))
    assert len(sessions) == 45  # 5 core demo sessions + 40 generated
    assert payments == sessions


def test_seeding_again_adds_no_payment_records():
    seed("--sessions", "40")
    count = Payment.objects.count()

    seed("--sessions", "40")

    assert Payment.objects.count() == count
