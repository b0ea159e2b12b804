"""Rate limits per key, shared by every web process through the database.

A `Rate` allows at most `limit` attempts of one key within any `window` (a sliding window:
never `2 × limit` across the turn of a clock interval). The scope names the limit (e.g.
"booking", "signup"), the key the one being limited (an account id, an address, a token).
A caller that limits more than one kind of key under one scope names the kind in the key
("email:…", "address:…"), so that two kinds never share a count. Used by the booking
throttle (docs/PRODUCT.md §7.2) and by the limits of sign-ups and password reset requests
(`accounts.forms.LimitedForm`, §1.3); written for any other throttle as well.

One row per (scope, key) holds the instants of the key's attempts still inside the window.
Checking and recording is one transaction with the keys' rows locked (SELECT … FOR UPDATE;
on SQLite the transaction's write lock), so parallel attempts queue up and never both take
the last place; the unique (scope, key) constraint settles two first attempts at once.
`attempt_all` counts one attempt for several keys at once, all or nothing: it locks their
rows one by one in the order of the keys (the same order in every process, so two attempts
sharing keys never wait for each other in a circle), then either records the attempt for
every key or, when any key has reached the limit, for none. A refused attempt records
nothing: waiting ends a refusal, retrying does not extend it.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ops.models import RateLimitLog


@dataclass(frozen=True)
class Rate:
    scope: str
    limit: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= timedelta(0):
            raise ValueError(
                "A rate must allow at least one attempt in a window of some length; got "
                f"{self.limit} in {self.window}."
            )


class RateLimited(Exception):
    """The attempt was refused; `retry_after` is how long until one more is allowed."""

    def __init__(self, rate: Rate, retry_after: timedelta) -> None:
        super().__init__(f"too many {rate.scope} attempts for one key: wait {retry_after}")
        self.rate = rate
        self.retry_after = retry_after


def retry_after_header(wait: timedelta) -> str:
    """`wait` as the value of an HTTP `Retry-After` header: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait.total_seconds())))


def attempt(rate: Rate, key: str) -> None:
    """Count one attempt of `key` under `rate`, or raise RateLimited (nothing recorded) when
    `rate.limit` attempts are already inside the window. Its own transaction: the attempt
    stays counted whatever the caller does next."""
    attempt_all(rate, [key])


def attempt_all(rate: Rate, keys: Iterable[str]) -> None:
    """Count one attempt for each of `keys` under `rate`, or raise RateLimited and record
    nothing for any of them when one has `rate.limit` attempts inside the window already;
    `retry_after` is then the longest wait among the keys at the limit. Its own
    transaction, as `attempt`."""
    now = timezone.now()
    since = now - rate.window
    with transaction.atomic():
        logs, waits, created = [], [], False
        for key in sorted(set(keys)):
            log, new = RateLimitLog.objects.select_for_update().get_or_create(
                scope=rate.scope, key=key, defaults={"attempts": [now.isoformat()], "last_at": now}
            )
            created |= new
            if new:  # created with this attempt in it
                continue
            recent = sorted(t for t in map(datetime.fromisoformat, log.attempts) if t > since)
            if len(recent) >= rate.limit:
                # Allowed again once all but limit - 1 of them have left the window.
                waits.append(recent[-rate.limit] + rate.window - now)
            logs.append((log, recent))
        if waits:
            # Raised inside the transaction: the rows created above are rolled back too.
            raise RateLimited(rate, max(waits))
        for log, recent in logs:
            log.attempts = [t.isoformat() for t in [*recent, now]]
            log.last_at = now
            log.save(update_fields=["attempts", "last_at"])
        if created:
            # A new key now and then: drop the rows whose attempts have all left the window.
            RateLimitLog.objects.filter(scope=rate.scope, last_at__lte=since).delete()
