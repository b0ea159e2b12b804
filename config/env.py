"""Strict helpers that read settings from the environment.

A bad value stops start-up with a message that names the variable, so a typo in a
deployment never turns into a silently wrong setting.
"""

import ipaddress
import os
import re
import unicodedata
import zoneinfo
from email.utils import getaddresses, parseaddr
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError

from common.email_addresses import validate_email_address

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    # An empty variable counts as unset (dj-database-url and shells both produce them).
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (one of: true, false, 1, 0, yes, no, on, off); got {value!r}."
    )


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 2**31) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None
    if not minimum <= number <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}; got {number}.")
    return number


def env_int_item(name: str, item: str, *, minimum: int = 1, maximum: int = 24 * 14) -> int:
    """One whole number of a list variable such as SESSION_REMINDER_HOURS=24,1."""
    try:
        number = int(item)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a comma-separated list of whole numbers; got {item!r}."
        ) from None
    if not minimum <= number <= maximum:
        raise ImproperlyConfigured(
            f"{name} items must be between {minimum} and {maximum}; got {number}."
        )
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} must be a comma-separated list; got {value!r}.")
    return items


def env_networks(name: str) -> list[str]:
    """Comma-separated IP addresses and networks (e.g. TRUSTED_PROXIES=10.0.0.2,fd00::/8),
    written the standard way: `192.168.1.1/32`, `fd00::/8`. Empty when unset. A network
    with host bits set (`10.0.0.1/8`) is refused: it is almost always a typo, and gunicorn
    refuses it too."""
    value = _raw(name)
    if value is None:
        return []
    networks = []
    for item in (part.strip() for part in value.split(",")):
        try:
            networks.append(str(ipaddress.ip_network(item)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be a comma-separated list of IP addresses or networks such as "
                f"10.0.0.2,192.168.0.0/16; {_network_problem(item)}."
            ) from None
    return networks


def _network_problem(item: str) -> str:
    if not item:
        return "an item is empty"
    try:
        network = ipaddress.ip_network(item, strict=False)
    except ValueError:
        return f"{item!r} is not an IP address or network"
    return f"{item!r} has host bits set (did you mean {network}?)"


def env_url(name: str, default: str) -> str:
    value = _raw(name) or default
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name} must be an absolute http(s) URL such as https://example.com; got {value!r}."
        )
    return value.rstrip("/")


def env_time_zone(name: str, default: str) -> str:
    value = _raw(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be an IANA time zone such as Europe/Berlin; got {value!r}."
        ) from None
    return value


# Characters that would change how the rest of a text reads: right-to-left overrides and
# isolates, and Unicode's own line and paragraph separators.
_INVISIBLE = {*"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"}


def env_text(name: str, default: str = "", *, max_length: int = 1000) -> str:
    """Plain text that people read (e.g. PAYMENT_INSTRUCTIONS): trimmed, line breaks kept
    (CRLF becomes LF), at most `max_length` characters, no other control characters."""
    value = _raw(name)
    if value is None:
        return default
    value = value.replace("\r\n", "\n")
    if len(value) > max_length:
        raise ImproperlyConfigured(
            f"{name} must be at most {max_length} characters; got {len(value)}."
        )
    for position, char in enumerate(value):
        if char in _INVISIBLE or (char != "\n" and unicodedata.category(char) == "Cc"):
            raise ImproperlyConfigured(
                f"{name} must be plain text: no control characters but line breaks; got "
                f"{char!r} at position {position}."
            )
    return value


def _is_email_address(address: str) -> bool:
    try:
        validate_email_address(address)
    except ValidationError:
        return False
    return True


def env_email(name: str, default: str) -> str:
    """One address, with or without a display name, e.g. `CodeMentorHub <hello@example.com>`:
    the address under the product's one rule (common/email_addresses.py), and nothing that
    is not printable anywhere, the display name included."""
    value = _raw(name) or default
    _, address = parseaddr(value)
    if not value.isprintable() or not _is_email_address(address):
        raise ImproperlyConfigured(
            f"{name} must be one email address, e.g. 'CodeMentorHub <hello@example.com>'; "
            f"got {value!r}."
        )
    return value


def env_email_address(name: str, default: str) -> str:
    """One email address, bare: `Help <help@example.com>` gives `help@example.com` (for a
    mailto: link or an invite's organiser). Refuses a list, a missing user or domain."""
    value = env_email(name, default)
    addresses = getaddresses([value], strict=True)
    local, _, domain = addresses[0][1].rpartition("@") if len(addresses) == 1 else ("", "", "")
    if not local or not domain:
        raise ImproperlyConfigured(
            f"{name} must be one email address, e.g. 'help@example.com'; got {value!r}."
        )
    return f"{local}@{domain}"


def env_database(name: str, default: str) -> dict:
    import dj_database_url

    value = _raw(name) or default
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except Exception as error:  # dj-database-url raises several unrelated types
        raise ImproperlyConfigured(
            f"{name} must be a database URL such as postgres://user@host:5432/name or "
            f"sqlite:///path.sqlite3; got {value!r} ({error})."
        ) from None
    if not config.get("ENGINE") or not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database; got {value!r}.")
    return config


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """One of a fixed set of names (case-insensitive), e.g. EMAIL_PROVIDER=postmark."""
    value = (_raw(name) or default).lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of: {', '.join(choices)}; got {_raw(name)!r}."
        )
    return value


def env_optional_choice(name: str, choices: list[str], *, blank: str) -> str:
    """Empty (meaning `blank`) or one of a fixed set of names, e.g. a provider's name."""
    value = (_raw(name) or "").lower()
    if value and value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be empty ({blank}) or one of: {', '.join(choices)}; got {_raw(name)!r}."
        )
    return value


_HOST_NAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+"
)


def env_https_host(name: str, default: str) -> str:
    """An https address of a whole host, e.g. https://meet.jit.si: no user, password, port,
    path, query or fragment (links are made by appending "/<name>" to it)."""
    value = _raw(name) or default
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        parts, port = None, None
    host = (parts.hostname or "") if parts else ""
    if (
        parts is None
        or parts.scheme != "https"
        or not _HOST_NAME.fullmatch(host)
        or parts.netloc.lower() != host
        or port is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "?" in value
        or "#" in value
    ):
        raise ImproperlyConfigured(
            f"{name} must be https:// and a host name only (no user, password, port, path, "
            f"query or fragment), such as https://meet.jit.si; got {value!r}."
        )
    return f"https://{host}"


def env_required(name: str, because: str) -> str:
    """A value that must be set because of another setting, e.g. a provider's API key."""
    value = _raw(name)
    if value is None:
        raise ImproperlyConfigured(f"{name} must be set {because}.")
    return value
