"""A payment record for every session that existed before payments, mirroring the
session's payment_status (the offline provider: invoice or bank transfer)."""

from django.db import migrations

BATCH = 2000
PENDING = "pending"
REFUNDED = "refunded"


def create_payments(apps, schema_editor):
    MentoringSession = apps.get_model("bookings", "MentoringSession")
    Payment = apps.get_model("payments", "Payment")
    last_pk = 0
    while True:
        # Keyset pagination: constant memory and a constant cost per batch at any size.
        batch = list(
            MentoringSession.objects.filter(pk__gt=last_pk, payment__isnull=True)
            .order_by("pk")
            .only("pk", "amount", "currency", "payment_status", "updated_at")[:BATCH]
        )
        if not batch:
            return
        Payment.objects.bulk_create(
            [
                Payment(
                    session_id=session.pk,
                    amount=session.amount,
                    currency=session.currency,
                    status=session.payment_status,
                    provider="offline",
                    reference=f"INV-{session.pk:06d}",
                    # The best instant known for money that moved before it was recorded.
                    paid_at=None if session.payment_status == PENDING else session.updated_at,
                    refunded_at=session.updated_at
                    if session.payment_status == REFUNDED
                    else None,
                )
                for session in batch
            ]
        )
        last_pk = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    # Reversing 0001 drops the table, and these rows with it.
    operations = [migrations.RunPython(create_payments, migrations.RunPython.noop)]
