"""The rules for a mentor's profile details, shared by the forms and the services.

Each function returns the normalised value or raises ValidationError with a message written
for the applicant, so the same rule holds whether a value comes through a page or a shell.
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from accounts.models import BOOKABLE_MINUTES, CHOOSE_A_SESSION_LENGTH

MAX_SKILLS = 20
MAX_SKILL_LENGTH = 40
MAX_SKILLS_TOTAL = 500  # MentorProfile.skills.max_length
MIN_RATE = Decimal("0.01")
MAX_RATE = Decimal("1000.00")
MAX_PROFILE_URL_LENGTH = 300  # MentorProfile.linkedin_url/github_url max_length
SKILL_SEPARATOR = ", "


def normalise_skills(raw: str) -> str:
    """Skills as typed ("python ,  Django,,python") → "python, Django": trimmed, inner
    spaces collapsed, duplicates (ignoring case) dropped, the first spelling kept."""
    if not isinstance(raw, str):
        raise ValidationError("Enter your skills as text, separated by commas.")
    skills: list[str] = []
    seen: set[str] = set()
    for part in raw.split(","):
        skill = " ".join(part.split())
        if not skill:
            continue
        if any(unicodedata.category(ch)[0] == "C" for ch in skill):
            raise ValidationError("Skills must not contain control characters.")
        if len(skill) > MAX_SKILL_LENGTH:
            raise ValidationError(
                f"“{skill[:MAX_SKILL_LENGTH]}…” is too long: each skill has at most "
                f"{MAX_SKILL_LENGTH} characters."
            )
        if skill.casefold() in seen:
            continue
        seen.add(skill.casefold())
        skills.append(skill)
    if not skills:
        raise ValidationError("List at least one skill, separated by commas.")
    if len(skills) > MAX_SKILLS:
        raise ValidationError(f"List at most {MAX_SKILLS} skills (you listed {len(skills)}).")
    joined = SKILL_SEPARATOR.join(skills)
    if len(joined) > MAX_SKILLS_TOTAL:
        raise ValidationError(
            f"Your skills are too long altogether (at most {MAX_SKILLS_TOTAL} characters)."
        )
    return joined


def validate_hourly_rate(value: object) -> Decimal:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError("Enter the hourly rate as a number, such as 60.00.") from None
    if not rate.is_finite() or rate < MIN_RATE or rate > MAX_RATE:
        raise ValidationError("The hourly rate must be more than 0 and at most 1000.")
    if rate != rate.quantize(Decimal("0.01")):
        raise ValidationError("The hourly rate has at most 2 decimal places.")
    return rate.quantize(Decimal("0.01"))


def validate_session_minutes(value: object) -> int:
    if value not in BOOKABLE_MINUTES:
        raise ValidationError(CHOOSE_A_SESSION_LENGTH)
    return int(value)  # type: ignore[call-overload]


# Profile links: https only, on exactly these hosts, with a profile path; the stored form is
# canonical (no query, fragment, port or trailing slash).
_PROFILE_SITES = {
    "linkedin": (
        "LinkedIn",
        frozenset({"linkedin.com", "www.linkedin.com"}),
        re.compile(r"/in/([A-Za-z0-9%][A-Za-z0-9%_.-]{1,99})/?"),
        "https://www.linkedin.com/in/{}",
        "https://www.linkedin.com/in/your-name",
    ),
    "github": (
        "GitHub",
        frozenset({"github.com"}),
        re.compile(r"/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/?"),
        "https://github.com/{}",
        "https://github.com/your-name",
    ),
}


def canonical_profile_url(raw: object, site: str) -> str:
    """The canonical https profile link on `site` ("linkedin" or "github"), "" for blank,
    or ValidationError. Anything that is not plainly such a link is refused: other schemes
    (javascript:, data:, http:), other or look-alike hosts, credentials, ports, control
    characters, non-ASCII look-alikes, over-long input."""
    label, hosts, path_pattern, canonical, example = _PROFILE_SITES[site]
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationError(f"Enter your {label} link as text.")
    value = raw.strip()
    if not value:
        return ""
    if len(value) > MAX_PROFILE_URL_LENGTH:
        raise ValidationError(
            f"That link is too long (at most {MAX_PROFILE_URL_LENGTH} characters)."
        )
    if any(unicodedata.category(ch)[0] in {"C", "Z"} for ch in value):
        raise ValidationError(
            "The link must not contain spaces, line breaks or control characters."
        )
    if not value.isascii():
        raise ValidationError(f"The link must be a plain {label} link, like {example}.")
    scheme, _sep, rest = value.partition("://")
    if scheme.lower() != "https" or not rest:
        raise ValidationError(f"The link must start with https://, like {example}.")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValidationError(f"That is not a valid link; use one like {example}.") from None
    if "@" in parts.netloc or parts.username or parts.password:
        raise ValidationError("The link must not contain a user name or password.")
    if port is not None:
        raise ValidationError("The link must not name a port.")
    host = (parts.hostname or "").rstrip(".").lower()
    if host not in hosts:
        raise ValidationError(f"Only {label} links are accepted here, like {example}.")
    match = path_pattern.fullmatch(parts.path)
    if match is None:
        raise ValidationError(f"Link to your {label} profile, like {example}.")
    return canonical.format(match.group(1))


def safe_profile_url(raw: object, site: str) -> str:
    """The canonical link if `raw` is valid, else "" (for rendering stored values)."""
    try:
        return canonical_profile_url(raw, site)
    except (ValidationError, KeyError):
        return ""
