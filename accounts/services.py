"""Changes to a person's own account (docs/PRODUCT.md §1.3)."""

from django.db import IntegrityError, transaction

from accounts.models import User

EMAIL_TAKEN_MESSAGE = "Another account already uses this email address."


class AccountError(Exception):
    """A change that was refused; the message says why, in the product's words."""


def update_account(
    user: User, *, first_name: str, last_name: str, email: str, time_zone: str
) -> User:
    """Save the person's name, email (already validated and lowercased) and time zone.

    The form checks that no one else uses the email; two people changing to one address at
    the same moment both pass that check, and the unique constraint decides."""
    user.first_name, user.last_name = first_name, last_name
    user.email, user.time_zone = email, time_zone
    try:
        with transaction.atomic():
            user.save(update_fields=["first_name", "last_name", "email", "time_zone"])
    except IntegrityError:
        raise AccountError(EMAIL_TAKEN_MESSAGE) from None
    return user
