"""The meeting-link validator and canonicaliser (docs/PRODUCT.md).

Example tests pin the exact message for every refused class; property tests (hypothesis,
no database) check that whatever is accepted is canonical, stable, and really a Meet link.
"""

import re
import string
import unicodedata
from urllib.parse import urlsplit

import hypothesis
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from bookings.meeting_links import canonicalize_meeting_link
from tests.conftest import MEET

CANONICAL_MEET = re.compile(r"^https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}$")

HTTPS_REQUIRED = "The link must start with https://, like https://meet.google.com/abc-defg-hij."
ONLY_MEET = "Only Google Meet links are accepted, like https://meet.google.com/abc-defg-hij."
NO_CREDENTIALS = "The link must not contain a user name or password."
NON_ASCII = (
    "The link contains non-ASCII characters (look-alike letters are not allowed). "
    "Paste a link like https://meet.google.com/abc-defg-hij."
)
NO_CONTROL = "The link must not contain spaces, line breaks or control characters."
TOO_LONG = "That link is too long (at most 500 characters)."
BAD_MEET_CODE = (
    "That is not a valid Google Meet meeting link; expected https://meet.google.com/abc-defg-hij."
)
REQUIRED = "A meeting link is required."
NOT_TEXT = "Enter the meeting link as text."
NO_PORT = "The link must not name a port."
INVALID_PORT = "The link has an invalid port."
UNPARSEABLE = "That is not a valid link; paste a link like https://meet.google.com/abc-defg-hij."

ZOOM = "https://zoom.us/j/1234567890"

# Modest, deterministic property runs: the whole file stays within a few seconds.
PROPERTY = hypothesis.settings(max_examples=200, deadline=None, database=None, derandomize=True)


def refusal(raw: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        canonicalize_meeting_link(raw)
    return info.value


# --- accepted forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        MEET,
        f"  {MEET}  ",
        f"\t{MEET}\r\n",
        "https://MEET.GOOGLE.COM/abc-defg-hij",
        "https://Meet.Google.Com/abc-defg-hij",
        "HTTPS://meet.google.com/abc-defg-hij",
        f"{MEET}/",
        f"{MEET}?authuser=0",
        f"{MEET}?hs=122&authuser=1",
        f"{MEET}#details",
        " https://MEET.google.com/abc-defg-hij/?authuser=2#top \n",
        "https://meet.google.com/ABC-DEFG-HIJ",
    ],
)
def test_meet_link_is_stored_in_canonical_form(raw):
    assert canonicalize_meeting_link(raw) == MEET


@pytest.mark.parametrize(
    "raw",
    [
        "meet.google.com/abc-defg-hij",
        "  MEET.Google.com/ABC-defg-hij/?authuser=0#top \n",
    ],
)
def test_meet_link_pasted_without_https_is_stored_as_the_https_link(raw):
    """As a Meet invitation shows it ("meet.google.com/abc-defg-hij"), docs/PRODUCT.md §3.1."""
    assert canonicalize_meeting_link(raw) == MEET


def test_a_pasted_link_without_a_scheme_still_meets_every_other_rule():
    assert refusal("meet.google.com/abc-defg").messages == [BAD_MEET_CODE]
    assert refusal("meet.google.com/abc-defg-hij\u200b").messages == [NO_CONTROL]


def test_default_https_port_is_normalised_away():
    assert canonicalize_meeting_link("https://meet.google.com:443/abc-defg-hij") == MEET


def test_link_of_exactly_500_characters_is_accepted():
    raw = f"{MEET}?{'a' * (500 - len(MEET) - 1)}"
    assert len(raw) == 500

    assert canonicalize_meeting_link(raw) == MEET


# --- refused classes (docs/PRODUCT.md), each with its exact message -------------------------------


def test_refusal_carries_the_invalid_meeting_link_code():
    assert refusal("http://meet.google.com/abc-defg-hij").code == "invalid_meeting_link"


@pytest.mark.parametrize(
    "raw",
    [
        "http://meet.google.com/abc-defg-hij",
        "HTTP://meet.google.com/abc-defg-hij",
        "http:/meet.google.com/abc-defg-hij",
    ],
)
def test_plain_http_is_refused(raw):
    assert refusal(raw).messages == [HTTPS_REQUIRED]


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)//https://meet.google.com/abc-defg-hij",
        "javascript://meet.google.com/%0aalert(1)",
    ],
)
def test_javascript_scheme_is_refused(raw):
    assert refusal(raw).messages == [HTTPS_REQUIRED]


@pytest.mark.parametrize(
    "raw",
    [
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_data_scheme_is_refused(raw):
    assert refusal(raw).messages == [HTTPS_REQUIRED]


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://meet.google.com/abc-defg-hij",
        "file:///etc/passwd",
        "https:meet.google.com/abc-defg-hij",
        "//meet.google.com/abc-defg-hij",
        "abc-defg-hij",
        # Without a scheme, only an enabled provider's exact host and a "/" are taken as https.
        "meet.google.com.evil.test/abc-defg-hij",
        "meet.google.com@evil.test/abc-defg-hij",
        "meet.google.com:443/abc-defg-hij",
        "evilmeet.google.com/abc-defg-hij",
        "zoom.us/j/1234567890",
    ],
)
def test_other_schemes_and_missing_scheme_are_refused(raw):
    assert refusal(raw).messages == [HTTPS_REQUIRED]


@pytest.mark.parametrize(
    "raw",
    [
        "https://meet.google.com.evil.test/abc-defg-hij",
        "https://meet.google.co/abc-defg-hij",
        "https://evilmeet.google.com/abc-defg-hij",
        "https://evil.meet.google.com/abc-defg-hij",
        "https://google.com/abc-defg-hij",
        "https://meet-google.com/abc-defg-hij",
        "https://meet.google.com\\evil.test/abc-defg-hij",
        "https:///abc-defg-hij",
    ],
)
def test_look_alike_host_is_refused(raw):
    assert refusal(raw).messages == [ONLY_MEET]


@pytest.mark.parametrize(
    "raw",
    [
        "https://meet.google.com@evil.test/abc-defg-hij",
        "https://user:pass@meet.google.com/abc-defg-hij",
        "https://user@meet.google.com/abc-defg-hij",
        "https://:@meet.google.com/abc-defg-hij",
        "https://evil.test\\@meet.google.com/abc-defg-hij",
    ],
)
def test_credentials_in_the_link_are_refused(raw):
    assert refusal(raw).messages == [NO_CREDENTIALS]


@pytest.mark.parametrize(
    "raw",
    [
        "https://m\u0435et.google.com/abc-defg-hij",  # Cyrillic 'е'
        "https://meet.g\u043e\u043egle.com/abc-defg-hij",  # Cyrillic 'о'
        "https://\uff4deet.google.com/abc-defg-hij",  # fullwidth 'ｍ'
        "https://meet.google.com/abc-defg-hi\u0237",  # dotless 'ȷ' in the code
    ],
)
def test_non_ascii_look_alike_letters_are_refused(raw):
    assert refusal(raw).messages == [NON_ASCII]


@pytest.mark.parametrize(
    "raw",
    [
        "https://xn--mt-zmc.google.com/abc-defg-hij",
        "https://meet.xn--ggle-55da.com/abc-defg-hij",
    ],
)
def test_punycode_host_is_refused(raw):
    assert refusal(raw).messages == [ONLY_MEET]


@pytest.mark.parametrize(
    "raw",
    [
        "https://meet.google.com/abc-\ndefg-hij",
        "https://meet.google.com/abc-defg-hij\r\nX-Injected: 1",
        "https://meet.google.com/abc\t-defg-hij",
        "https://meet.google.com/abc-defg-hij\x00",
        "https://meet.google.com/abc-defg-hij\x7f",
        "https://meet.google.com/abc-defg-hij\u2028x",
        "https://meet.\u200bgoogle.com/abc-defg-hij",
        "https://meet.google.com/abc-defg-hij\u202e",
        "https://meet.google.com/abc defg hij",
    ],
)
def test_control_characters_line_breaks_and_inner_spaces_are_refused(raw):
    assert refusal(raw).messages == [NO_CONTROL]


@pytest.mark.parametrize(
    "raw",
    [
        f"{MEET}?{'a' * (501 - len(MEET) - 1)}",
        "https://meet.google.com/" + "a" * 10_000,
    ],
)
def test_over_long_link_is_refused(raw):
    assert refusal(raw).messages == [TOO_LONG]


@pytest.mark.parametrize(
    "raw",
    [
        "https://meet.google.com/abc-defg-hi",
        "https://meet.google.com/abcd-efg-hij",
        "https://meet.google.com/123-4567-890",
        "https://meet.google.com/abc-defg-hij-klm",
        "https://meet.google.com/abcdefghij",
        "https://meet.google.com/abc_defg_hij",
        "https://meet.google.com/abc-defg-hij/extra",
        "https://meet.google.com//abc-defg-hij",
        "https://meet.google.com/lookup/abc-defg-hij",
        "https://meet.google.com/%61bc-defg-hij",
        "https://meet.google.com/",
        "https://meet.google.com",
    ],
)
def test_wrong_meeting_code_shape_is_refused(raw):
    assert refusal(raw).messages == [BAD_MEET_CODE]


@pytest.mark.parametrize("raw", ["", " ", "\t\r\n", "\u00a0 \u3000"])
def test_empty_or_whitespace_only_link_is_refused_as_required(raw):
    assert refusal(raw).messages == [REQUIRED]


@pytest.mark.parametrize("raw", [None, 42, b"https://meet.google.com/abc-defg-hij", [MEET]])
def test_non_text_input_is_refused(raw):
    assert refusal(raw).messages == [NOT_TEXT]


@pytest.mark.parametrize(
    "raw",
    [
        "https://meet.google.com:8443/abc-defg-hij",
        "https://meet.google.com:80/abc-defg-hij",
        "https://meet.google.com:0/abc-defg-hij",
    ],
)
def test_non_default_port_is_refused(raw):
    assert refusal(raw).messages == [NO_PORT]


@pytest.mark.parametrize(
    "raw",
    [
        "https://meet.google.com:99999/abc-defg-hij",
        "https://meet.google.com:https/abc-defg-hij",
    ],
)
def test_malformed_port_is_refused(raw):
    assert refusal(raw).messages == [INVALID_PORT]


@pytest.mark.parametrize(
    "raw",
    [
        "https://[",
        "https://[meet.google.com/abc-defg-hij",
        "https://meet.google.com]/abc-defg-hij",
    ],
)
def test_unparseable_host_is_refused_not_crashing(raw):
    assert refusal(raw).messages == [UNPARSEABLE]


# --- opt-in providers --------------------------------------------------------------------


def test_zoom_link_is_refused_by_default():
    assert refusal(ZOOM).messages == [ONLY_MEET]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (ZOOM, ZOOM),
        (" https://ZOOM.us/j/1234567890/ ", ZOOM),
        (f"{ZOOM}?pwd=abc123&uname=Jane#success", f"{ZOOM}?pwd=abc123"),
        ("zoom.us/j/1234567890", ZOOM),
    ],
)
def test_zoom_link_is_accepted_and_canonical_when_enabled(settings, raw, canonical):
    settings.MEETING_LINK_EXTRA_PROVIDERS = ["zoom"]

    assert canonicalize_meeting_link(raw) == canonical


def test_meet_link_is_still_accepted_when_zoom_is_enabled(settings):
    settings.MEETING_LINK_EXTRA_PROVIDERS = ["zoom"]

    assert canonicalize_meeting_link(f"{MEET}/") == MEET


def test_enabled_zoom_keeps_its_strict_pattern(settings):
    settings.MEETING_LINK_EXTRA_PROVIDERS = ["zoom"]

    assert refusal("https://zoom.us/j/12345").messages == [
        "That is not a valid Zoom meeting link; expected https://zoom.us/j/1234567890."
    ]


def test_look_alike_host_message_lists_enabled_providers(settings):
    settings.MEETING_LINK_EXTRA_PROVIDERS = ["zoom"]

    assert refusal("https://zoom.us.evil.test/j/1234567890").messages == [
        "Only Google Meet, Zoom links are accepted, like "
        "https://meet.google.com/abc-defg-hij or https://zoom.us/j/1234567890."
    ]


# --- properties (no database) ------------------------------------------------------------


def _letters(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=string.ascii_letters, min_size=size, max_size=size)


_URL_SAFE = string.ascii_letters + string.digits + "-._~=&%+/:@!$'()*,;"
_HOST = "meet.google.com"


@st.composite
def meet_links(draw) -> tuple[str, str]:
    """(a valid-ish Meet link as a person might paste it, its expected canonical form)."""
    code = "-".join((draw(_letters(3)), draw(_letters(4)), draw(_letters(3))))
    flags = draw(st.lists(st.booleans(), min_size=len(_HOST), max_size=len(_HOST)))
    host = "".join(c.upper() if up else c for c, up in zip(_HOST, flags, strict=True))
    scheme = draw(st.sampled_from(["https://", "HTTPS://", "Https://", ""]))
    slash = draw(st.sampled_from(["", "/"]))
    query = draw(
        st.one_of(st.just(""), st.text(alphabet=_URL_SAFE + "?", max_size=30).map("?{}".format))
    )
    fragment = draw(
        st.one_of(st.just(""), st.text(alphabet=_URL_SAFE + "?#", max_size=30).map("#{}".format))
    )
    before, after = draw(
        st.lists(st.sampled_from(["", " ", "\t", "\n", "\r\n", "\u00a0"]), min_size=2, max_size=2)
    )
    raw = f"{before}{scheme}{host}/{code}{slash}{query}{fragment}{after}"
    return raw, f"https://meet.google.com/{code.lower()}"


_LINK_PIECES = [
    "https://",
    "HTTPS://",
    "http://",
    "javascript:",
    "data:",
    "//",
    "meet.google.com",
    "MEET.Google.com",
    "meet.google.co",
    ".evil.test",
    "xn--mt-zmc",
    "m\u0435et",
    "@",
    ":",
    ":443",
    ":8080",
    "/",
    "\\",
    "abc",
    "defg",
    "hij",
    "ABC",
    "-",
    "?",
    "#",
    "=",
    "&",
    "%2F",
    ".",
    " ",
    "\n",
    "\t",
    "\x00",
    "\u200b",
]


def _insert(link: str, at: int, extra: str) -> str:
    at %= len(link) + 1
    return link[:at] + extra + link[at:]


_pasted_links = meet_links().map(lambda pair: pair[0])
# Arbitrary unicode, sequences of link-like pieces, and valid links as pasted or with junk
# (any character, or printable ASCII) spliced in: enough of it is accepted to test both ways.
arbitrary_text = st.one_of(
    st.text(),
    st.lists(st.sampled_from(_LINK_PIECES), max_size=14).map("".join),
    _pasted_links,
    st.builds(_insert, _pasted_links, st.integers(0, 80), st.text(min_size=1, max_size=3)),
    st.builds(
        _insert,
        _pasted_links,
        st.integers(0, 80),
        st.text(alphabet=string.printable, min_size=1, max_size=3),
    ),
)


def _accepted(raw: str) -> str | None:
    try:
        return canonicalize_meeting_link(raw)
    except ValidationError:
        return None


@PROPERTY
@given(meet_links())
def test_generated_meet_link_canonicalises_to_exact_form(pair):
    raw, expected = pair

    assert canonicalize_meeting_link(raw) == expected


@PROPERTY
@given(meet_links())
def test_canonicalising_is_idempotent(pair):
    once = canonicalize_meeting_link(pair[0])

    assert canonicalize_meeting_link(once) == once


@PROPERTY
@given(arbitrary_text)
def test_every_accepted_value_matches_the_canonical_pattern(raw):
    canonical = _accepted(raw)

    assert canonical is None or CANONICAL_MEET.fullmatch(canonical)


@PROPERTY
@given(arbitrary_text)
def test_random_text_is_accepted_only_when_it_is_a_meet_link(raw):
    canonical = _accepted(raw)

    if canonical is not None:
        value = raw.strip()
        if not value.lower().startswith("https://"):  # pasted without it: Meet's host first
            assert value.lower().startswith("meet.google.com/")
            value = f"https://{value}"
        parts = urlsplit(value)
        assert value.isascii()
        assert not any(unicodedata.category(ch)[0] in "CZ" for ch in value)
        assert "@" not in parts.netloc
        assert parts.hostname.rstrip(".") == "meet.google.com"
        assert canonical == f"https://meet.google.com{parts.path.rstrip('/').lower()}"
