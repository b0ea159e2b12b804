"""The message class the worker sends: Django's, with header classes made once.

Python's email package makes a new class for every header it stores or parses
(`email.headerregistry.HeaderRegistry.__getitem__` calls `type()` each time): about fifty
per confirmation email, a third of the time it takes to turn one into bytes. A registry that
remembers the classes it made gives identical headers and bytes for less. It pays: see
docs/ARCHITECTURE.md ("Speed tricks that stayed") for the A/B.
"""

import email.policy
import functools
from email.headerregistry import HeaderRegistry

from django.core.mail import EmailMultiAlternatives


class _HeaderClassesMadeOnce(HeaderRegistry):
    @functools.cache  # noqa: B019 (one instance per policy below, alive as long as the module)
    def __getitem__(self, name: str) -> type:
        return super().__getitem__(name)


# Each policy Django may ask for, the same but with a registry of its own.
_POLICIES = {
    policy: policy.clone(header_factory=_HeaderClassesMadeOnce())
    for policy in (email.policy.default, email.policy.SMTP, email.policy.SMTPUTF8)
}


class OutboxMessage(EmailMultiAlternatives):
    def message(self, *, policy=email.policy.default):
        return super().message(policy=_POLICIES.get(policy, policy))
