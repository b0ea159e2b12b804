"""Providers that create real meeting rooms (docs/PRODUCT.md §3, "Created links").

`MEETING_LINK_AUTO_PROVIDER` names one of `PROVIDERS` (or is empty: admins paste links).
A provider is asked outside any transaction — by the dialog's **Create link** button, the
API's create-link action, or `confirm_session` before it locks the session — and what it
returns goes through the same validator as a pasted link.
"""

import base64
import secrets
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError

from bookings.meeting_links import canonicalize_meeting_link

# "CodeMentorHub-" + 32 base32 characters: 160 random bits, so nobody can guess a room.
JITSI_ROOM_PREFIX = "CodeMentorHub-"
JITSI_RANDOM_BYTES = 20


class LinkProviderError(Exception):
    """The provider could not create a link; the message is written for the admin."""


class NoLinkProvider(LinkProviderError):
    """The site has no provider configured: admins paste links."""


class LinkProvider(Protocol):
    label: str

    def create_link(self, session) -> str: ...


class JitsiProvider:
    """A Jitsi room exists as soon as someone opens it: its link is all there is to make."""

    label = "Jitsi Meet"

    def create_link(self, session=None) -> str:
        token = base64.b32encode(secrets.token_bytes(JITSI_RANDOM_BYTES)).decode("ascii")
        return f"{settings.JITSI_BASE_URL}/{JITSI_ROOM_PREFIX}{token.rstrip('=').lower()}"


# Name (the setting's value) → a factory of the provider.
PROVIDERS: dict[str, Callable[[], LinkProvider]] = {"jitsi": JitsiProvider}


def register_provider(name: str, factory: Callable[[], LinkProvider]) -> None:
    """Make `name` a provider `MEETING_LINK_AUTO_PROVIDER` may name (tests register theirs;
    the setting itself only accepts the names config/settings.py lists)."""
    PROVIDERS[name] = factory


def unregister_provider(name: str) -> None:
    PROVIDERS.pop(name, None)


def configured_provider() -> LinkProvider | None:
    """The provider the site is configured with, or None: admins paste links."""
    name = settings.MEETING_LINK_AUTO_PROVIDER
    return PROVIDERS[name]() if name else None


def create_meeting_link(session) -> str:
    """A new link from the configured provider, canonical and validated; nothing is saved.

    Raises LinkProviderError when no provider is configured, when it fails, or when what it
    made is not a link the validator accepts.
    """
    provider = configured_provider()
    if provider is None:
        raise NoLinkProvider(
            "No meeting-link provider is configured on this site; paste a link instead."
        )
    try:
        raw = provider.create_link(session)
    except LinkProviderError:
        raise
    except Exception as error:  # a provider's own failure is a message, never a 500
        raise LinkProviderError(
            f"{provider.label} could not create a meeting link ({error}); try again or paste "
            "a link instead. Nothing was changed."
        ) from error
    try:
        return canonicalize_meeting_link(raw)
    except ValidationError as error:
        raise LinkProviderError(
            f"{provider.label} returned a link this site does not accept; paste a link "
            "instead. Nothing was changed."
        ) from error
