"""MEETING_LINK_AUTO_PROVIDER and JITSI_BASE_URL are read strictly at start-up
(docs/PRODUCT.md §3 and the settings table): a bad value stops `manage.py check`."""

import os

import pytest

from tests.helpers import run_python

PROVIDER_MESSAGE = (
    "MEETING_LINK_AUTO_PROVIDER must be empty (admins paste every meeting link) or one of: "
    "jitsi; got {!r}."
)
JITSI_MESSAGE = (
    "JITSI_BASE_URL must be https:// and a host name only (no user, password, port, path, "
    "query or fragment), such as https://meet.jit.si; got {!r}."
)


def _check(**variables: str):
    return run_python("manage.py", "check", env={**os.environ, "DJANGO_DEBUG": "true", **variables})


def _settings(**variables: str) -> str:
    script = (
        "import config.settings as s; print(repr(s.MEETING_LINK_AUTO_PROVIDER), s.JITSI_BASE_URL)"
    )
    result = run_python("-c", script, env={**os.environ, "DJANGO_DEBUG": "true", **variables})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    "value", ["google", "bookings.link_providers.JitsiProvider", "jitsi,zoom", "meet.jit.si"]
)
def test_unknown_provider_stops_start_up(value):
    result = _check(MEETING_LINK_AUTO_PROVIDER=value)

    assert result.returncode != 0
    assert PROVIDER_MESSAGE.format(value) in result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "http://meet.jit.si",
        "https://user:secret@meet.jit.si",
        "https://meet.jit.si:8443",
        "https://meet.jit.si/rooms",
        "https://meet.jit.si?x=1",
        "https://meet.jit.si#top",
        "meet.jit.si",
        "https://localhost",
        "https://mëet.jit.si",
    ],
)
def test_bad_jitsi_base_url_stops_start_up(value):
    result = _check(MEETING_LINK_AUTO_PROVIDER="jitsi", JITSI_BASE_URL=value)

    assert result.returncode != 0
    assert JITSI_MESSAGE.format(value) in result.stderr


def test_defaults_are_no_provider_and_the_public_jitsi():
    assert _settings(MEETING_LINK_AUTO_PROVIDER="", JITSI_BASE_URL="") == "'' https://meet.jit.si"


def test_jitsi_on_its_own_host_is_read_in_canonical_form():
    assert (
        _settings(MEETING_LINK_AUTO_PROVIDER=" Jitsi ", JITSI_BASE_URL="https://Video.Example.org/")
        == "'jitsi' https://video.example.org"
    )
