"""Whether an email still says something true, asked before it is delivered or resent.

The outbox does not know what an email is about. An app whose emails describe something
that can change (a session's time, link or status) registers a rule from its
`AppConfig.ready()`; a rule returns why the email is out of date, or "" while it holds.

`at_delivery` is True when the email's turn to be sent has come: a rule should then object
only to forward-looking emails (a reminder with an old link would mislead and nothing after
it corrects it), while history stays true (a confirmation followed by a link change is
followed by the link-change email too).
"""

from collections.abc import Callable
from datetime import datetime

from notifications.models import OutboundEmail

Rule = Callable[..., str]
_rules: list[Rule] = []


def register(rule: Rule) -> None:
    """Add `rule(email, now, *, at_delivery) -> str` (idempotent)."""
    if rule not in _rules:
        _rules.append(rule)


def out_of_date_reason(email: OutboundEmail, now: datetime, *, at_delivery: bool) -> str:
    """The first registered rule's objection to `email`, or "" if none objects."""
    for rule in _rules:
        if reason := rule(email, now, at_delivery=at_delivery):
            return reason
    return ""
