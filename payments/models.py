from django.conf import settings
from django.db import models


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"
    REFUND_DUE = "refund_due", "Refund due"


class Payment(models.Model):
    """The payment record of one session.

    The session's `payment_status` is a copy of `status`, kept in step in the same
    transaction (payments.services.mirror), so list pages show it without a join.
    """

    session = models.OneToOneField(
        "bookings.MentoringSession", on_delete=models.PROTECT, related_name="payment"
    )
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    # The provider's registry name (payments.providers): later actions on this payment go
    # through the provider that took it, even if the configured default changes.
    provider = models.CharField(max_length=32)
    # Invoice number, bank-transfer reference, or a card provider's charge id.
    reference = models.CharField(max_length=100, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="payment_amount_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for session {self.session_id} ({self.status})"
