"""The one rule for an email address the product accepts (docs/PRODUCT.md §1.3), wherever
one comes in: sign-up, the account page, log-in, password reset, Django's admin and the
address settings (config/env.py); and the one form the throttles count an email by, as it
was typed (`typed_email`)."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

EMAIL_ADDRESS_MESSAGE = (
    "Enter a valid email address, without quotation marks or control characters."
)

_djangos_rules = EmailValidator(message=EMAIL_ADDRESS_MESSAGE)


def validate_email_address(value: str) -> None:
    """Django's EmailValidator, and two rules more.

    - No quoted local part (`"john doe"@example.com`). RFC 5321 allows one, and Django
      accepts it, with spaces, `@` and control characters inside; few mail servers, calendar
      apps and people handle it, and nobody signs up with one in earnest.
    - Nothing that is not printable anywhere: control characters (Django lets them through
      in a quoted local part), and in an international domain zero-width and right-to-left
      marks, soft hyphens, no-break spaces, line separators. Every email to such an address
      fails, and the character would reach headers and calendar invites."""
    if '"' in value or not value.isprintable():
        raise ValidationError(EMAIL_ADDRESS_MESSAGE, code="invalid")
    _djangos_rules(value)


class EmailAddressField(forms.EmailField):
    """A form's email field under `validate_email_address`."""

    default_validators = [validate_email_address]


def typed_email(value: str) -> str:
    """An email as it was typed, not yet validated, in the form the throttles count it by
    (the login throttle, ops/throttle.py; the limits of sign-ups and password resets,
    accounts/forms.py): trimmed, lower-cased, at most 254 characters, without the
    characters that are not printable (a NUL among them, which PostgreSQL refuses to
    store). Dropping those cannot merge two addresses the product accepts:
    `validate_email_address` refuses them."""
    return "".join(c for c in value.strip().lower() if c.isprintable())[:254]
