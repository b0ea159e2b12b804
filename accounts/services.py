"""Changes to a person's own account (docs/PRODUCT.md §1.3)."""

from django.db import IntegrityError, transaction

from accounts.models import User
from ops import throttle

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


def reset_password(user: User, password: str) -> User:
    """The last step of a password reset: the new password, and the account's failed logins
    forgotten (docs/PRODUCT.md §1.3). Whoever could open the emailed link holds the mailbox,
    so a lockout that others caused by typing the email ends here."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        throttle.clear_account(user.email)
    return user
