"""The message class the worker sends: Django's, with each header parsed once.

Building an email is most of what the worker spends on it, and most of that is Python's
email package parsing headers: it makes a new class for every header it stores or parses
(`email.headerregistry.HeaderRegistry.__getitem__` calls `type()` each time), then parses
the value — 26 headers per confirmation email, 21 of them the same name and value as in the
email before (`MIME-Version`, each part's `Content-Type` and `Content-Transfer-Encoding`, the
sender). A registry that remembers the classes it made, and the last few hundred headers it
parsed, gives identical headers and bytes for less. Parsed headers are immutable (strings
with their parse tree), so one may sit in several messages. It pays: see
docs/ARCHITECTURE.md ("Speed: what is kept") for the A/B.
"""

import email.policy
import functools
from email.headerregistry import HeaderRegistry

from django.core.mail import EmailMultiAlternatives


class _HeadersParsedOnce(HeaderRegistry):
    # One instance per policy below, alive as long as the module (hence B019 is moot).
    @functools.cache  # noqa: B019
    def __getitem__(self, name: str) -> type:
        return super().__getitem__(name)

    @functools.lru_cache(maxsize=512)  # noqa: B019
    def __call__(self, name: str, value: str):
        return super().__call__(name, value)


# Each policy Django may ask for, the same but with a registry of its own.
_POLICIES = {
    policy: policy.clone(header_factory=_HeadersParsedOnce())
    for policy in (email.policy.default, email.policy.SMTP, email.policy.SMTPUTF8)
}


class OutboxMessage(EmailMultiAlternatives):
    def message(self, *, policy=email.policy.default):
        return super().message(policy=_POLICIES.get(policy, policy))
