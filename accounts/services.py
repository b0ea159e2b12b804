"""Changes to a person's own account (docs/PRODUCT.md §1.3)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import ApiToken, User
from common.urls import absolute_url
from notifications.emails import email_to, queue_emails
from notifications.models import EmailKind
from ops import throttle

EMAIL_TAKEN_MESSAGE = "Another account already uses this email address."
# How long the link that confirms a new email address works.
EMAIL_CHANGE_LINK_HOURS = 24
_EMAIL_CHANGE_SALT = "accounts.email-change"


class AccountError(Exception):
    """A change that was refused; the message says why, in the product's words."""


class EmailChangeLinkError(AccountError):
    """A link to confirm a new email address that cannot be used (any more)."""


def update_account(
    user: User, *, first_name: str, last_name: str, email: str, time_zone: str
) -> bool:
    """Save the person's name and time zone; a new email address (already validated,
    lowercased, used by no one) is not saved but confirmed first: a link goes to it, and a
    notice to the current address. Nothing changes until the link is opened; the link
    names the current address, so it stops working once the address changes in any way
    (docs/PRODUCT.md §1.3). Returns whether a link was sent."""
    asks_new_email = email != user.email
    with transaction.atomic():
        user.first_name, user.last_name, user.time_zone = first_name, last_name, time_zone
        user.save(update_fields=["first_name", "last_name", "time_zone"])
        if asks_new_email:
            _queue_email_change(user, email)
    return asks_new_email


def _queue_email_change(user: User, new_email: str) -> None:
    token = email_change_token(user, new_email)
    context = {
        "new_email": new_email,
        "old_email": user.email,
        "confirm_url": absolute_url("account_email_confirm", token),
        "hours": EMAIL_CHANGE_LINK_HOURS,
        "account_url": absolute_url("account"),
        "password_change_url": absolute_url("password_change"),
    }
    queue_emails(
        [
            email_to(
                user,
                EmailKind.EMAIL_CHANGE_CONFIRM,
                "email_change_confirm",
                context,
                to_email=new_email,
            ),
            email_to(user, EmailKind.EMAIL_CHANGE_NOTICE, "email_change_notice", context),
        ]
    )


def email_change_token(user: User, new_email: str) -> str:
    """The signed part of the link that confirms `new_email` for `user`, made now."""
    asked = {"user": user.pk, "from": user.email, "to": new_email, "at": _now_seconds()}
    return signing.dumps(asked, salt=_EMAIL_CHANGE_SALT)


def _now_seconds() -> int:
    # The product's clock (timezone.now), not signing's own max_age, which reads time.time().
    return int(timezone.now().timestamp())


@dataclass(frozen=True)
class EmailChange:
    """What a valid confirmation link asks: this person's address from → to."""

    user_id: int
    old_email: str
    new_email: str


def read_email_change_link(user: User, token: str) -> EmailChange:
    """The change a link asks for `user`, or EmailChangeLinkError: not a link we made, or
    made for another account (LookupError, for a 404), expired, or used already (the
    address is no longer the one it was made for)."""
    try:
        asked = signing.loads(token, salt=_EMAIL_CHANGE_SALT)
    except signing.BadSignature:
        raise LookupError("not a link of ours") from None
    if asked["user"] != user.pk:
        raise LookupError("a link for another account")
    if _now_seconds() - asked["at"] > EMAIL_CHANGE_LINK_HOURS * 3600:
        raise EmailChangeLinkError(
            f"This link has expired: it works for {EMAIL_CHANGE_LINK_HOURS} hours. "
            "Change your email address on your account page again for a new one. "
            "Nothing was changed."
        )
    if asked.get("from") != user.email:
        raise EmailChangeLinkError(
            "This link has been used already, or your email address changed since it was "
            "sent. Nothing was changed."
        )
    return EmailChange(user.pk, asked["from"], asked["to"])


def confirm_email_change(user: User, token: str) -> User:
    """Make the address a valid link names the person's email and login. Raises
    LookupError or EmailChangeLinkError like read_email_change_link, or AccountError if
    another account took the address since the link was sent."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.email = read_email_change_link(user, token).new_email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError:  # addresses are stored lowercased: the constraint decides
            raise AccountError(EMAIL_TAKEN_MESSAGE + " Nothing was changed.") from None
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


# --- Personal API tokens (docs/PRODUCT.md §11) ------------------------------------------

API_TOKEN_PREFIX = "cmh_"
# What the tokens page shows of a token: enough to tell tokens apart, too little to use.
API_TOKEN_VISIBLE = len(API_TOKEN_PREFIX) + 6
# A token's "last used" is written at most this often: a write on every request would
# make each read of the API a write too.
API_TOKEN_LAST_USED_EVERY = timedelta(minutes=1)


def api_token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    raw: str  # shown once, never stored


def create_api_token(owner: User, name: str) -> NewApiToken:
    """A new token named `name` (already validated) for `owner`: 256 random bits behind the
    "cmh_" prefix. Only its SHA-256 and its first characters are stored."""
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        owner=owner, name=name, token_hash=api_token_hash(raw), prefix=raw[:API_TOKEN_VISIBLE]
    )
    return NewApiToken(token=token, raw=raw)


def revoke_api_token(owner: User, token_id: int) -> ApiToken:
    """Revoke one of `owner`'s tokens; from now on it authenticates nothing. Raises
    LookupError for a token that is not theirs (the page answers 404). Revoking a revoked
    token changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(owner=owner, pk=token_id).first()
        if token is None:
            raise LookupError("No such token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def authenticate_api_token(raw: str) -> ApiToken | None:
    """The live token `raw` names, with its owner; None when it names no token, a revoked
    one, or one whose owner's account is inactive. Records when it was last used (at most
    once every API_TOKEN_LAST_USED_EVERY)."""
    if not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("owner")
        .filter(token_hash=api_token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.owner.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= API_TOKEN_LAST_USED_EVERY:
        # A plain UPDATE with its own condition: parallel requests write it once at most.
        stale = now - API_TOKEN_LAST_USED_EVERY
        ApiToken.objects.filter(pk=token.pk).filter(
            models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
