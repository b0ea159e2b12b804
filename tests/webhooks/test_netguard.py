"""Private addresses (docs/PRODUCT.md §12): common/netguard.py, the endpoint form at save,
and the delivery at connect — including a name whose answer changes between the two."""

import socket

import pytest

from bookings import services
from common import netguard
from tests.conftest import MEET
from webhooks.delivery import send_due_webhooks
from webhooks.forms import EndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import create_endpoint

PRIVATE = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1"]
MORE_PRIVATE = ["0.0.0.0", "100.64.0.1", "224.0.0.1", "240.0.0.1", "fe80::1", "fc00::1"]
MAPPED = ["::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::"]  # IPv4 inside IPv6
PUBLIC = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]


def _url(host: str, scheme: str = "https", port: int | None = None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}{f':{port}' if port else ''}/hooks"


@pytest.mark.parametrize("host", PRIVATE + MORE_PRIVATE + MAPPED)
def test_private_addresses_are_refused(host):
    with pytest.raises(netguard.RefusedAddress, match="private"):
        netguard.check_url(_url(host), allow_private=False)


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_pass_and_are_returned(host):
    assert str(netguard.check_url(_url(host), allow_private=False)) == host


@pytest.mark.parametrize("host", PRIVATE)
def test_private_addresses_pass_when_allowed(host):
    assert str(netguard.check_url(_url(host, "http"), allow_private=True)) == host


def test_plain_http_only_while_private_hosts_are_allowed():
    with pytest.raises(netguard.RefusedAddress, match="https://"):
        netguard.check_url(_url(PUBLIC[0], "http"), allow_private=False)
    assert str(netguard.check_url(_url(PUBLIC[0], "http"), allow_private=True)) == PUBLIC[0]


@pytest.mark.parametrize(
    "url",
    ["ftp://93.184.216.34/", "https://user:pw@93.184.216.34/", "https:///nohost"],
)
def test_other_urls_are_refused(url):
    with pytest.raises(netguard.RefusedAddress):
        netguard.check_url(url, allow_private=True)


class SwitchingResolver:
    """A resolver that answers `answers[0]` for `name` the first time, `answers[1]` after
    (and the real one for everything else, such as the address literals urllib3 connects
    to). Patching socket.getaddrinfo is the one way to have a name change its address
    between two lookups inside a test: no real resolver here can be told to do that."""

    def __init__(self, name: str, answers: list[str]) -> None:
        self.name, self.answers, self.lookups = name, answers, 0
        self.real = socket.getaddrinfo

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port or 0))]


# --- At save ----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", PRIVATE)
def test_the_form_refuses_a_private_address(settings, host):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    form = EndpointForm({"url": _url(host), "events": ["session.booked"]})

    assert not form.is_valid()
    assert "private" in form.errors["url"][0]


def test_the_form_refuses_a_name_that_resolves_to_a_private_address(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    monkeypatch.setattr(socket, "getaddrinfo", SwitchingResolver("hooks.example", ["10.0.0.7"]))
    form = EndpointForm({"url": "https://hooks.example/in", "events": ["session.booked"]})

    assert not form.is_valid()
    assert form.errors["url"] == [
        "hooks.example resolves to 10.0.0.7, a private, loopback, link-local or reserved "
        "address; only public addresses may be used."
    ]


def test_the_form_refuses_plain_http_while_private_hosts_are_not_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    form = EndpointForm({"url": _url(PUBLIC[0], "http"), "events": ["session.booked"]})

    assert not form.is_valid()
    assert form.errors["url"] == ["The URL must start with https://."]


# --- At connect -------------------------------------------------------------------------------


@pytest.fixture
def confirmed_for(pending_session, admin_user):
    def confirm(url: str) -> WebhookDelivery:
        WebhookEndpoint.objects.create(url=url, events=",session.confirmed,")
        services.confirm_session(pending_session, link=MEET, by=admin_user)
        return WebhookDelivery.objects.get()

    return confirm


@pytest.mark.django_db
def test_an_endpoint_moved_to_a_private_address_is_refused_at_connect(
    settings, receiver, confirmed_for
):
    """Saved while private hosts were allowed; refused once they are not: the check runs
    at every delivery, and nothing reaches the receiver."""
    delivery = confirmed_for(_url("127.0.0.1", port=receiver.port))
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False

    assert send_due_webhooks() == {"failed": 1}

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_code) == ("failed", 1, None)
    assert delivery.last_error.startswith("RefusedAddress: 127.0.0.1 resolves to 127.0.0.1")
    assert receiver.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["10.0.0.1", "169.254.169.254", "::1"])
def test_private_literal_addresses_are_refused_at_connect(settings, confirmed_for, host):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    delivery = confirmed_for(_url(host))

    assert send_due_webhooks() == {"failed": 1}
    delivery.refresh_from_db()
    assert "private" in delivery.last_error


@pytest.mark.django_db
def test_a_name_public_at_save_and_private_at_delivery_is_refused(
    settings, monkeypatch, receiver, pending_session, admin_user
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    resolver = SwitchingResolver("hooks.example", ["93.184.216.34", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    url = f"https://hooks.example:{receiver.port}/hooks"
    form = EndpointForm({"url": url, "events": ["session.confirmed"]})
    assert form.is_valid(), form.errors
    create_endpoint(by=admin_user, **form.cleaned_data)
    services.confirm_session(pending_session, link=MEET, by=admin_user)

    assert send_due_webhooks() == {"failed": 1}

    delivery = WebhookDelivery.objects.get()
    assert "hooks.example resolves to 127.0.0.1" in delivery.last_error
    assert resolver.lookups == 2  # once at save, once at the delivery
    assert receiver.requests == []


@pytest.mark.django_db
def test_the_delivery_connects_to_the_address_it_checked(monkeypatch, receiver, confirmed_for):
    """The name resolves to the receiver (127.0.0.1) once, then to 127.0.0.2, where nothing
    listens: the request still arrives, because the connection goes to the address the check
    returned — the name is looked up once per delivery, and the Host header keeps it."""
    resolver = SwitchingResolver("hooks.test", ["127.0.0.1", "127.0.0.2"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    confirmed_for(f"http://hooks.test:{receiver.port}/hooks")

    assert send_due_webhooks() == {"sent": 1}

    assert resolver.lookups == 1
    [request] = receiver.wait_delivered(1)
    assert request.headers["host"] == f"hooks.test:{receiver.port}"
