"""TRUSTED_PROXIES (docs/PRODUCT.md §6.3): IP addresses and networks, parsed strictly, empty
by default; the settings and gunicorn's `forwarded_allow_ips` read the same list."""

import http.client
import os
import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env
from tests.helpers import ROOT, run_python


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.0.0.0/8", ["10.0.0.0/8"]),
        (" 10.0.0.0/8 , 192.168.1.1,::1 ", ["10.0.0.0/8", "192.168.1.1/32", "::1/128"]),
        ("2001:DB8::/32", ["2001:db8::/32"]),
        ("", []),
        ("  ", []),
    ],
)
def test_trusted_proxies_are_addresses_and_networks(monkeypatch, raw, expected):
    monkeypatch.setenv("TRUSTED_PROXIES", raw)

    assert env.env_networks("TRUSTED_PROXIES") == expected


def test_trusted_proxies_are_empty_when_unset(monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)

    assert env.env_networks("TRUSTED_PROXIES") == []


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("proxy.internal", "'proxy.internal' is not an IP address or network"),
        ("10.0.0.1/8", "'10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)"),
        ("10.0.0.0/33", "'10.0.0.0/33' is not an IP address or network"),
        ("10.0.0.0/8,,10.1.0.0/16", "an item is empty"),
        ("*", "'*' is not an IP address or network"),
    ],
)
def test_a_bad_trusted_proxy_is_refused_naming_the_variable(monkeypatch, raw, says):
    monkeypatch.setenv("TRUSTED_PROXIES", raw)

    with pytest.raises(ImproperlyConfigured) as refused:
        env.env_networks("TRUSTED_PROXIES")

    assert str(refused.value) == (
        f"TRUSTED_PROXIES must be a comma-separated list of IP addresses or networks such "
        f"as 10.0.0.2,192.168.0.0/16; {says}."
    )


def test_a_bad_trusted_proxy_stops_start_up():
    environment = {**os.environ, "DJANGO_DEBUG": "true", "TRUSTED_PROXIES": "10.0.0.1/8"}

    result = run_python("manage.py", "check", env=environment)

    assert result.returncode != 0
    assert "TRUSTED_PROXIES must be a comma-separated list" in result.stderr


# --- gunicorn ---------------------------------------------------------------------------


def _gunicorn_conf(monkeypatch, **variables: str) -> dict:
    for name in ("TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


@pytest.mark.parametrize(
    ("trusted", "allowed"),
    [("", ""), ("10.0.0.0/8, 127.0.0.1,::1", "10.0.0.0/8,127.0.0.1/32,::1/128")],
)
def test_gunicorn_trusts_the_same_proxies(monkeypatch, trusted, allowed):
    assert _gunicorn_conf(monkeypatch, TRUSTED_PROXIES=trusted)["forwarded_allow_ips"] == allowed


def test_gunicorn_refuses_a_bad_trusted_proxy(monkeypatch):
    with pytest.raises(SystemExit) as stopped:
        _gunicorn_conf(monkeypatch, TRUSTED_PROXIES="10.0.0.1/8")

    assert str(stopped.value).startswith("gunicorn.conf.py: TRUSTED_PROXIES must be")


def test_gunicorn_refuses_forwarded_allow_ips_which_could_disagree(monkeypatch):
    with pytest.raises(SystemExit) as stopped:
        _gunicorn_conf(monkeypatch, FORWARDED_ALLOW_IPS="127.0.0.1")

    assert str(stopped.value) == (
        "gunicorn.conf.py: FORWARDED_ALLOW_IPS is not read: set TRUSTED_PROXIES instead, "
        "which the login throttle and gunicorn both read."
    )


# --- the scheme: believed from trusted proxies only, by a real gunicorn --------------------


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        # Nobody trusted: a client that writes the header itself is still on plain HTTP.
        ("", (301, "https://codementorhub.example.com/accounts/login/")),
        # The proxy on this host is trusted: its word that the client used HTTPS holds.
        ("127.0.0.1", (200, None)),
    ],
)
def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(tmp_path, trusted, expected):
    from tests.ops.test_slow_clients import HOST, gunicorn

    with gunicorn(tmp_path, TRUSTED_PROXIES=trusted, DJANGO_SECURE_SSL_REDIRECT="true") as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "GET", "/accounts/login/", headers={"Host": HOST, "X-Forwarded-Proto": "https"}
        )
        response = connection.getresponse()
        response.read()
        connection.close()

    assert (response.status, response.getheader("Location")) == expected
