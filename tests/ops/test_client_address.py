"""The client address the throttles count by (ops/throttle.py; docs/PRODUCT.md §6.3):
REMOTE_ADDR, unless the request comes from a proxy in TRUSTED_PROXIES; then the nearest
address in X-Forwarded-For that is not a trusted proxy."""

import pytest
from django.test import RequestFactory

from ops import throttle
from ops.models import LoginAttempt
from tests.factories import PASSWORD, UserFactory
from tests.helpers import is_logged_in, post_from

PROXY = "10.0.0.2"
LOGIN = "/accounts/login/"


@pytest.fixture
def behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2/32"]


def _address(remote_addr: str, forwarded_for: str | None = None) -> str:
    extra = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return throttle.client_address(RequestFactory().get("/", REMOTE_ADDR=remote_addr, **extra))


def _login_through_proxy(client_ip: str, email: str, password: str):
    return post_from(
        PROXY, LOGIN, {"username": email, "password": password}, HTTP_X_FORWARDED_FOR=client_ip
    )


def test_twenty_bad_logins_through_a_trusted_proxy_lock_out_only_their_clients(behind_a_proxy, db):
    kim = UserFactory(email="kim@example.com")
    for n in range(20):
        _login_through_proxy(f"198.51.100.{n}", f"guess{n}@example.com", "wrong-password")

    client, response = _login_through_proxy("203.0.113.5", kim.email, PASSWORD)

    assert response.status_code == 302 and is_logged_in(client)


def test_a_failure_through_a_trusted_proxy_is_recorded_with_the_clients_address(behind_a_proxy, db):
    _login_through_proxy("198.51.100.7", "kim@example.com", "wrong-password")

    assert list(LoginAttempt.objects.values_list("ip", flat=True)) == ["198.51.100.7"]


def test_an_untrusted_peer_cannot_choose_its_address(behind_a_proxy, db):
    for n in range(20):
        post_from(
            "192.0.2.9",
            LOGIN,
            {"username": f"guess{n}@example.com", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"192.0.2.9"}


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "expected"),
    [
        # No proxy is trusted by default: the header is whatever the client wrote.
        (PROXY, "198.51.100.7", PROXY),
        ("127.0.0.1", None, "127.0.0.1"),
    ],
)
def test_by_default_x_forwarded_for_is_ignored(remote_addr, forwarded_for, expected, settings):
    assert settings.TRUSTED_PROXIES == []
    assert _address(remote_addr, forwarded_for) == expected


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "expected"),
    [
        (PROXY, "198.51.100.7", "198.51.100.7"),
        # Only the right-most untrusted hop counts: what the client wrote before it is not.
        (PROXY, "1.1.1.1, 198.51.100.7", "198.51.100.7"),
        (PROXY, "1.1.1.1,198.51.100.7 ", "198.51.100.7"),
        # Proxies in front of proxies: every trusted hop is skipped.
        (PROXY, "198.51.100.7, 10.0.1.5, 10.0.0.3", "198.51.100.7"),
        # A peer that is not trusted: its header is ignored.
        ("192.0.2.9", "198.51.100.7", "192.0.2.9"),
        # A trusted proxy without the header, or with an empty one, is the client.
        (PROXY, None, PROXY),
        (PROXY, "", PROXY),
        # A hop that is not an address ends the walk at the last trusted proxy.
        (PROXY, "198.51.100.7, unknown", PROXY),
        (PROXY, "198.51.100.7:443", PROXY),
        # IPv6, written the short way; an IPv4 address mapped into IPv6 is the IPv4 one.
        (PROXY, "2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:10.0.0.2", "::ffff:198.51.100.7", "198.51.100.7"),
        ("fd00::1", "198.51.100.7", "198.51.100.7"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_nearest_untrusted_hop(
    remote_addr, forwarded_for, expected, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/16", "fd00::/8"]

    assert _address(remote_addr, forwarded_for) == expected


def test_when_every_hop_is_trusted_the_left_most_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert _address(PROXY, "10.9.9.9, 10.0.0.3") == "10.9.9.9"
