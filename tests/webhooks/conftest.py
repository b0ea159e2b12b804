"""Fixtures for the webhook tests: a real HTTP receiver on 127.0.0.1
(tests/webhook_receiver.py), allowed as an endpoint (WEBHOOK_ALLOW_PRIVATE_HOSTS), and
endpoints pointing at it."""

import pytest

from tests.webhook_receiver import Receiver
from webhooks.models import WebhookEndpoint, WebhookEvent

ALL_EVENTS = WebhookEndpoint.join_events(WebhookEvent.values)


@pytest.fixture
def local_hooks(settings):
    """The receiver is on this machine: private hosts (and plain http) allowed, and a short
    timeout so a held request times out quickly."""
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30


@pytest.fixture
def receiver_down(local_hooks):
    """A receiver whose port refuses connections until `.start()`."""
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def receiver(receiver_down):
    return receiver_down.start()


def endpoint_for(receiver: Receiver, events: str = ALL_EVENTS, **fields) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=receiver.url, events=events, **fields)


@pytest.fixture
def endpoint(db, receiver_down):
    return endpoint_for(receiver_down)
