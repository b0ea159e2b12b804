"""Webhook delivery with real `manage.py run_worker` processes (tests/worker_process.py)
against this test's database, to a real HTTP receiver on 127.0.0.1
(tests/webhook_receiver.py): a worker killed mid-request loses nothing, and two workers never
deliver one event twice. Emails go to a real SMTP sink meanwhile (tests/smtp_sink.py).

Every test commits for real (transaction=True: the workers must see the rows); the workers
are always stopped, and their output is printed when a test fails. Nothing sleeps: the
tests wait on the receiver's events, or poll the database until a deadline."""

import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count

from bookings import services
from notifications.models import DeliveryState
from tests.conftest import MEET
from tests.factories import SessionFactory, UserFactory
from tests.smtp_sink import SMTPSink
from tests.webhook_receiver import Receiver
from tests.webhooks.conftest import ALL_EVENTS
from tests.worker_process import Workers
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db(transaction=True)]

DEADLINE = 40.0
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def workers(receiver, transactional_db, tmp_path, request, pytestconfig):
    sink = SMTPSink().start()
    pool = Workers(
        sink.port,
        tmp_path,
        {"WEBHOOK_ALLOW_PRIVATE_HOSTS": "true", "WEBHOOK_TIMEOUT_SECONDS": "20"},
    )
    failures_before = request.session.testsfailed
    try:
        yield pool
    finally:
        receiver.release()
        pool.stop_all()
        sink.stop()
        if request.session.testsfailed > failures_before:
            capture = pytestconfig.pluginmanager.getplugin("capturemanager")
            with capture.global_and_fixture_disabled():
                print(f"\n{request.node.nodeid}: worker output\n{pool.output()}")


def wait_until(check, what: str, workers: Workers) -> None:
    deadline = time.monotonic() + DEADLINE
    pause = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            states = dict(Counter(WebhookDelivery.objects.values_list("state", flat=True)))
            pytest.fail(f"waited {DEADLINE} s for {what}; rows: {states}\n{workers.output()}")
        pause.wait(0.05)


def all_delivered() -> bool:
    return not WebhookDelivery.objects.exclude(state=DeliveryState.SENT).exists()


def confirm_sessions(count: int, receiver: Receiver) -> list[WebhookDelivery]:
    """One endpoint at the receiver, `count` sessions confirmed: `count` deliveries."""
    WebhookEndpoint.objects.create(url=receiver.url, events=ALL_EVENTS)
    admin = UserFactory(is_staff=True)
    for day in range(count):
        session = SessionFactory(start=START + timedelta(days=day))
        services.confirm_session(session, link=MEET, by=admin)
    return list(WebhookDelivery.objects.order_by("pk"))


def test_a_worker_killed_mid_request_loses_nothing(receiver, workers):
    rows = confirm_sessions(3, receiver)
    receiver.hold(1)

    workers.start("first", WEBHOOK_LEASE_SECONDS="5")
    receiver.wait_held(1)
    in_flight = receiver.requests[0].webhook_id
    claimed = WebhookDelivery.objects.get(msg_id=in_flight)
    assert (claimed.state, claimed.attempts) == (DeliveryState.SENDING, 1)
    assert workers.kill("first") == -signal.SIGKILL
    receiver.release()

    workers.start("second", WEBHOOK_LEASE_SECONDS="5")
    wait_until(all_delivered, "every delivery sent", workers)

    # Nothing lost. The one in flight at the kill went again (same webhook-id: a receiver
    # that kept the first copy can tell); every other exactly once.
    seen = Counter(request.webhook_id for request in receiver.requests)
    assert seen == Counter({row.msg_id: 1 for row in rows}) + Counter({in_flight: 1})
    resent = WebhookDelivery.objects.get(pk=claimed.pk)
    assert (resent.state, resent.attempts, resent.response_code) == ("sent", 2, 200)
    assert resent.sent_at > claimed.lease_expires_at
    others = WebhookDelivery.objects.exclude(pk=claimed.pk)
    assert {(row.state, row.attempts) for row in others} == {("sent", 1)}


def test_two_workers_never_deliver_one_event_twice(receiver, workers):
    rows = confirm_sessions(20, receiver)
    receiver.hold(2)

    workers.start("a", WEBHOOK_LEASE_SECONDS="60")
    workers.start("b", WEBHOOK_LEASE_SECONDS="60")
    receiver.wait_held(2)  # both in the middle of a request at the same moment
    assert WebhookDelivery.objects.filter(state=DeliveryState.SENDING).count() == 2
    receiver.release()
    wait_until(all_delivered, "every delivery sent", workers)

    receiver.wait_delivered(20)  # (it records an answer just after sending it)
    assert receiver.delivered_ids() == Counter({row.msg_id: 1 for row in rows})
    assert len(receiver.requests) == 20
    assert set(
        WebhookDelivery.objects.values("attempts")
        .annotate(n=Count("id"))
        .values_list("attempts", "n")
    ) == {(1, 20)}
