"""The one validator and canonicaliser for meeting links (docs/PRODUCT.md §3).

Every entry point — the admin's confirm form, the change-link form, management commands —
passes links through `canonicalize_meeting_link`, so only canonical, safe https links are
ever stored or rendered.
"""

import re
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_LINK_LENGTH = 500


@dataclass(frozen=True)
class Provider:
    key: str
    label: str  # as in "Join <label>"
    hosts: frozenset[str]
    path: re.Pattern[str]
    example: str
    # Query parameters that are part of the meeting (kept); everything else is dropped.
    keep_query: tuple[str, ...] = ()
    lowercase_path: bool = False

    def build(self, match: re.Match[str], query: dict[str, list[str]]) -> str:
        path = match.group(0).rstrip("/")
        if self.lowercase_path:
            path = path.lower()
        host = sorted(self.hosts)[0] if len(self.hosts) == 1 else None
        url = f"https://{host}{path}" if host else path
        kept = [
            f"{name}={query[name][0]}"
            for name in self.keep_query
            if name in query and re.fullmatch(r"[A-Za-z0-9._-]{1,100}", query[name][0])
        ]
        return url + (f"?{'&'.join(kept)}" if kept else "")


GOOGLE_MEET = Provider(
    key="google_meet",
    label="Google Meet",
    hosts=frozenset({"meet.google.com"}),
    path=re.compile(r"/[a-z]{3}-[a-z]{4}-[a-z]{3}/?", re.IGNORECASE),
    example="https://meet.google.com/abc-defg-hij",
    lowercase_path=True,
)
ZOOM = Provider(
    key="zoom",
    label="Zoom",
    hosts=frozenset({"zoom.us"}),
    path=re.compile(r"/j/[0-9]{9,11}/?"),
    example="https://zoom.us/j/1234567890",
    keep_query=("pwd",),
)
TEAMS = Provider(
    key="teams",
    label="Microsoft Teams",
    hosts=frozenset({"teams.microsoft.com"}),
    path=re.compile(r"/l/meetup-join/[A-Za-z0-9%._-]{10,400}(/[A-Za-z0-9%._-]{1,100}){0,2}/?"),
    example="https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc123def456%40thread.v2/0",
    keep_query=("context",),
)
JITSI = Provider(
    key="jitsi",
    label="Jitsi Meet",
    hosts=frozenset({"meet.jit.si"}),
    path=re.compile(r"/[A-Za-z0-9][A-Za-z0-9-]{2,63}/?"),
    example="https://meet.jit.si/CodeMentorHubSession42",
)
WHEREBY = Provider(
    key="whereby",
    label="Whereby",
    hosts=frozenset({"whereby.com"}),
    path=re.compile(r"/[a-z0-9][a-z0-9-]{2,63}/?", re.IGNORECASE),
    example="https://whereby.com/codementorhub-room",
    lowercase_path=True,
)
ALL_PROVIDERS = {p.key: p for p in (GOOGLE_MEET, ZOOM, TEAMS, JITSI, WHEREBY)}


def _configured_jitsi() -> Provider:
    """Jitsi on the site's own JITSI_BASE_URL host (validated at start-up: https, a host)."""
    host = urlsplit(settings.JITSI_BASE_URL).hostname or ""
    return replace(JITSI, hosts=frozenset({host}), example=f"https://{host}/CodeMentorHub-room")


def enabled_providers() -> list[Provider]:
    extra = [
        ALL_PROVIDERS[key] for key in settings.MEETING_LINK_EXTRA_PROVIDERS if key in ALL_PROVIDERS
    ]
    if settings.MEETING_LINK_AUTO_PROVIDER == JITSI.key:
        # The rooms this site creates must pass the validator like a pasted link: Jitsi is
        # accepted, on exactly the configured host (docs/PRODUCT.md §3).
        extra = [p for p in extra if p.key != JITSI.key] + [_configured_jitsi()]
    return [GOOGLE_MEET, *extra]


def provider_for(url: str) -> Provider:
    """The provider of a stored (already canonical) link; Google Meet when unknown."""
    host = (urlsplit(url).hostname or "").lower()
    for provider in [*enabled_providers(), *ALL_PROVIDERS.values()]:
        if host in provider.hosts:
            return provider
    return GOOGLE_MEET


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_meeting_link")


def canonicalize_meeting_link(raw: object) -> str:
    """Return the canonical form of a meeting link, or raise ValidationError saying why."""
    providers = enabled_providers()
    expected = " or ".join(p.example for p in providers)
    if not isinstance(raw, str):
        raise _refuse("Enter the meeting link as text.")
    value = raw.strip()
    if not value:
        raise _refuse("A meeting link is required.")
    if len(value) > MAX_LINK_LENGTH:
        raise _refuse(f"That link is too long (at most {MAX_LINK_LENGTH} characters).")
    if any(unicodedata.category(ch)[0] in {"C", "Z"} for ch in value):
        raise _refuse("The link must not contain spaces, line breaks or control characters.")
    if not value.isascii():
        raise _refuse(
            "The link contains non-ASCII characters (look-alike letters are not allowed). "
            f"Paste a link like {expected}."
        )
    if any(value.lower().startswith(f"{host}/") for p in providers for host in p.hosts):
        # Pasted as Meet's invitations show it ("meet.google.com/abc-defg-hij"): an enabled
        # provider's exact host, then "/", leaves no room for a scheme, user or port; it is
        # that https link, and every rule below still applies.
        value = f"https://{value}"
    scheme, _, rest = value.partition("://")
    if scheme.lower() != "https" or not rest:
        raise _refuse(f"The link must start with https://, like {expected}.")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced "[" in the host: urlsplit raises, not parses
        raise _refuse(f"That is not a valid link; paste a link like {expected}.") from None
    if "@" in parts.netloc or parts.username or parts.password:
        raise _refuse("The link must not contain a user name or password.")
    try:
        port = parts.port
    except ValueError:
        raise _refuse("The link has an invalid port.") from None
    if port not in (None, 443):
        raise _refuse("The link must not name a port.")
    host = (parts.hostname or "").rstrip(".").lower()
    provider = next((p for p in providers if host in p.hosts), None)
    if provider is None:
        names = ", ".join(p.label for p in providers)
        raise _refuse(f"Only {names} links are accepted, like {expected}.")
    match = provider.path.fullmatch(parts.path)
    if match is None:
        raise _refuse(
            f"That is not a valid {provider.label} meeting link; expected {provider.example}."
        )
    return provider.build(match, parse_qs(parts.query))


def is_valid_meeting_link(raw: object) -> bool:
    try:
        canonicalize_meeting_link(raw)
    except ValidationError:
        return False
    return True
