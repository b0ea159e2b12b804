"""Payment providers: how money for a session is taken and given back.

The booking code never talks to a provider: it calls payments.services, which asks the
registry here. Adding a card provider means writing one class with the three methods below
and naming it in settings — nothing in bookings/ changes:

    PAYMENT_PROVIDER = "card"                       # a registered name, or
    PAYMENT_PROVIDER = "myapp.payments.StripeCard"  # a dotted path to the class

Rules every provider follows:
- `start()` runs inside the booking transaction: no network calls there (a slow or failing
  API must not hold the row lock or roll back a booking). Schedule such work with
  `transaction.on_commit` or a task; it then reports back through payments.services.
- Status changes are made by payments.services only; a provider says yes or no and
  supplies references.
"""

from typing import TYPE_CHECKING, ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from payments.models import Payment

DEFAULT_PROVIDER = "offline"


class ProviderError(Exception):
    """The provider refused an action; the message is shown to the person who tried it."""


class PaymentProvider(Protocol):
    name: ClassVar[str]
    label: ClassVar[str]

    def start(self, payment: "Payment") -> None:
        """A new payment record exists (inside the booking transaction): set a reference,
        or schedule the provider's own work for after the commit."""

    def mark_paid(self, payment: "Payment", *, reference: str) -> str:
        """An admin says the money arrived: refuse (ProviderError) if this provider
        confirms payments itself, else return the reference to store."""

    def refund_due(self, payment: "Payment") -> None:
        """The session was cancelled after payment (called after the commit): an online
        provider starts the refund here and reports it with services.mark_refunded()."""


class OfflineProvider:
    """Invoice or bank transfer: the mentee pays the invoice, an admin marks it paid on the
    sessions dashboard, and refunds are transferred back by hand."""

    name: ClassVar[str] = "offline"
    label: ClassVar[str] = "Invoice / bank transfer"

    def start(self, payment: "Payment") -> None:
        # The invoice number the mentee quotes on the transfer: stable and unique per session.
        payment.reference = f"INV-{payment.session_id:06d}"

    def mark_paid(self, payment: "Payment", *, reference: str) -> str:
        return reference or payment.reference

    def refund_due(self, payment: "Payment") -> None:
        # Nothing automatic: the admin sees "Refund due" on the dashboard.
        return None


REGISTRY: dict[str, type] = {OfflineProvider.name: OfflineProvider}


def register(cls: type) -> type:
    """Class decorator: make a provider selectable by its short name."""
    REGISTRY[cls.name] = cls
    return cls


def _configured() -> type:
    key = getattr(settings, "PAYMENT_PROVIDER", "") or DEFAULT_PROVIDER
    if key in REGISTRY:
        return REGISTRY[key]
    if "." not in key:
        raise ProviderError(f"Unknown payment provider “{key}”.")
    return import_string(key)


def payment_instructions() -> str:
    """How a mentee pays, told while payments are settled outside the product (the offline
    provider is the configured one): PAYMENT_INSTRUCTIONS, or "" when there are none or a
    provider takes the money itself. A provider that cannot be loaded says nothing here
    (booking reports it)."""
    try:
        provider = _configured()
    except (ProviderError, ImportError):
        return ""
    if provider.name != OfflineProvider.name:
        return ""
    return settings.PAYMENT_INSTRUCTIONS


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called `name` (the one a payment was taken with), else the configured
    default for new payments (settings.PAYMENT_PROVIDER, "offline" when unset)."""
    if name is None:
        return _configured()()
    cls = REGISTRY.get(name)
    if cls is None:
        configured = _configured()
        if configured.name != name:
            raise ProviderError(f"Unknown payment provider “{name}”.")
        cls = configured
    return cls()
