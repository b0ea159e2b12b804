"""The login throttle, shared by every web process through the database (docs/PRODUCT.md
§1.3), and the client address that every throttle counts a request by.

Every check of a person's password goes through `check_password`: the product's login,
Django's admin login, the current password that a password change or the account page asks
for, and any later way in (API tokens). Three limits count failures:

- one account (its email, in any letter case) from one client address:
  LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS within LOGIN_THROTTLE_MINUTES;
- one client address, whatever the accounts: LOGIN_MAX_FAILURES_PER_ADDRESS within
  LOGIN_THROTTLE_MINUTES;
- one account from anywhere: LOGIN_MAX_FAILURES_PER_ACCOUNT within
  LOGIN_ACCOUNT_THROTTLE_HOURS.

The failure that reaches a limit locks for one window from then: every attempt is refused
unchecked, the right password too. Refused attempts are not recorded, so a lockout does not
extend itself; once it is over, the count starts afresh. A passed check clears the failures
of its pair (account, address); a completed password reset clears the account's
(`clear_account`), whoever made them.

An attempt is recorded *before* its password is checked and compared only with the ones
recorded before it, then removed again if it is refused or its password passes: guesses
sent side by side each count the others, so none slips past a limit while another is in
flight. These rules (three limits, a lockout that runs from the failure reaching one,
failures cleared by a success) are the login throttle's own; the other limits (sign-ups,
password reset requests, bookings) count attempts per key with ops/ratelimit.py.
"""

import ipaddress
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from common.email_addresses import typed_email
from ops.models import LoginAttempt

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class LockedOut(Exception):
    """A password check refused without looking at the password; the message says why and
    what to do."""


def check_password[T](request: HttpRequest | None, email: str, check: Callable[[], T]) -> T:
    """Run `check` (a password check: a true result passes) for the account `email`, behind
    the login throttle, and return its result. Raises LockedOut, without running `check`,
    while the account, the pair (account, client address) or the address is locked."""
    email, address = typed_email(email), client_address(request)
    attempt = LoginAttempt.objects.create(email=email, ip=address, created_at=timezone.now())
    refusal = _refusal(email, address, attempt.pk)
    if refusal:
        attempt.delete()
        raise LockedOut(refusal)
    result = check()
    if result:
        LoginAttempt.objects.filter(email=email, ip=address).delete()
    else:
        _forget_old_failures()
    return result


def clear_account(email: str) -> None:
    """Forget every failed login for the account (from any address): after a completed
    password reset, its owner is the one who holds the mailbox."""
    LoginAttempt.objects.filter(email=typed_email(email)).delete()


def _refusal(email: str, address: str, attempt_id: int) -> str:
    """Why the attempt `attempt_id` is refused, or "" if it may be checked. Only attempts
    recorded before it count."""
    minutes = timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)
    hours = timedelta(hours=settings.LOGIN_ACCOUNT_THROTTLE_HOURS)
    failures = LoginAttempt.objects.filter(pk__lt=attempt_id)
    wait, account_wait = _duration(minutes), _duration(hours)
    limits = [
        (
            failures.filter(email=email),
            settings.LOGIN_MAX_FAILURES_PER_ACCOUNT,
            hours,
            "This account is locked after too many failed login attempts. Reset your "
            f"password to unlock it now, or wait {account_wait}.",
        ),
        (
            failures.filter(email=email, ip=address),
            settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
            minutes,
            f"Too many failed login attempts. Wait {wait} and try again, or reset your "
            "password to log in now.",
        ),
    ]
    if address:
        limits.append(
            (
                failures.filter(ip=address),
                settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
                minutes,
                f"Too many failed login attempts from your network. Wait {wait} and try again.",
            )
        )
    for attempts, limit, window, message in limits:
        if _locked(attempts, limit, window):
            return message
    return ""


def _locked(failures: QuerySet, limit: int, window: timedelta) -> bool:
    """The latest failure is within the window and reached the limit: it was the limit-th
    failure within a window of its own (nothing is recorded while locked)."""
    latest = failures.order_by("-created_at").values_list("created_at", flat=True).first()
    if latest is None or latest <= timezone.now() - window:
        return False
    return failures.filter(created_at__gt=latest - window, created_at__lte=latest).count() >= limit


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    count, unit = (minutes // 60, "hour") if minutes % 60 == 0 else (minutes, "minute")
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _forget_old_failures() -> None:
    """Failures older than every window are of no use; drop them now and then so the table
    stays small."""
    longest = max(
        timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES),
        timedelta(hours=settings.LOGIN_ACCOUNT_THROTTLE_HOURS),
    )
    LoginAttempt.objects.filter(
        created_at__lt=timezone.now() - longest - timedelta(days=1)
    ).delete()


# --- the client address ------------------------------------------------------------------


def client_address(request: HttpRequest | None) -> str:
    """The address the throttles count this request's client by: its peer (REMOTE_ADDR);
    but when the peer is a proxy in TRUSTED_PROXIES, the nearest address in X-Forwarded-For
    that is not a trusted proxy. Each proxy appends the address it got the request from, so
    the header is read from the right; whatever stands left of the first untrusted hop was
    written by the client and counts for nothing."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR") or ""
    peer = _address(remote)
    if peer is None:
        return remote[:45]
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",")] if forwarded.strip() else []
    while hops and any(peer in network for network in trusted):
        hop = _address(hops.pop())
        if hop is None:  # not an address: nothing left of it can be believed
            break
        peer = hop
    return str(peer)[:45]


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; they are the IPv4 ones.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


@cache
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry) for entry in entries)
