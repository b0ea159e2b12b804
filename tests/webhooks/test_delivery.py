"""Webhook delivery in this process, to a real HTTP receiver on 127.0.0.1
(tests/webhook_receiver.py): signatures, exactly once across an outage, which answers are
retried and which fail at once, timeouts, the endpoint's health (docs/PRODUCT.md §12)."""

import json
from collections import Counter
from datetime import timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from bookings import services
from bookings.representation import session_data
from notifications.delivery import relay
from notifications.models import DeliveryState, EmailKind, OutboundEmail
from tests.conftest import MEET
from tests.factories import UserFactory
from tests.webhooks.conftest import endpoint_for
from webhooks.delivery import send_due_webhooks
from webhooks.models import WebhookDelivery, WebhookEndpoint, new_secret

pytestmark = pytest.mark.django_db
OTHER_MEET = "https://meet.google.com/xyz-wxyz-xyz"


@pytest.fixture
def confirmed(endpoint, pending_session, admin_user):
    """A confirmed session: one session.confirmed delivery queued for the endpoint."""
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


def only_delivery() -> WebhookDelivery:
    [delivery] = WebhookDelivery.objects.all()
    return delivery


# --- Signed, and delivered -------------------------------------------------------------------


def test_a_delivery_is_signed_per_standard_webhooks_and_verifies(receiver, endpoint, confirmed):
    assert send_due_webhooks() == {"sent": 1}

    [request] = receiver.wait_delivered(1)
    delivery = only_delivery()
    body = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert body == {
        "type": "session.confirmed",
        "timestamp": json.loads(delivery.payload)["timestamp"],
        "data": session_data(confirmed),
    }
    assert request.body == delivery.payload.encode()
    assert request.path == "/hooks"
    assert request.headers["webhook-id"] == delivery.msg_id
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert (delivery.state, delivery.attempts, delivery.response_code, delivery.last_error) == (
        DeliveryState.SENT,
        1,
        200,
        "",
    )


def test_another_secret_does_not_verify(receiver, endpoint, confirmed):
    send_due_webhooks()

    [request] = receiver.wait_delivered(1)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, request.headers)


def test_delivering_again_sends_nothing_more(receiver, endpoint, confirmed):
    send_due_webhooks()

    assert send_due_webhooks() == {}
    assert len(receiver.requests) == 1


def test_deliveries_of_one_batch_share_one_connection(receiver, endpoint, confirmed, admin_user):
    services.change_meeting_link(confirmed, link=OTHER_MEET, by=admin_user)

    assert send_due_webhooks() == {"sent": 2}

    first, second = receiver.wait_delivered(2)
    assert first.client_port == second.client_port


# --- Down, then back: exactly once ---------------------------------------------------------


def test_receiver_down_then_back_each_event_arrives_once_with_its_webhook_id(
    receiver_down, clock, no_jitter, endpoint, confirmed, admin_user
):
    services.change_meeting_link(confirmed, link=OTHER_MEET, by=admin_user)

    assert send_due_webhooks() == {"queued": 2}
    for delivery in WebhookDelivery.objects.all():
        assert (delivery.state, delivery.attempts, delivery.response_code) == ("queued", 1, None)
        assert "Connection refused" in delivery.last_error
        assert delivery.next_attempt_at == clock.now + timedelta(seconds=30)

    receiver_down.start()
    assert send_due_webhooks() == {}  # not due yet
    clock.advance(timedelta(seconds=30))
    assert send_due_webhooks() == {"sent": 2}
    assert send_due_webhooks() == {}

    ids = WebhookDelivery.objects.values_list("msg_id", flat=True)
    receiver_down.wait_delivered(2)  # (it records an answer just after sending it)
    assert receiver_down.delivered_ids() == Counter(dict.fromkeys(ids, 1))
    assert {d.attempts for d in WebhookDelivery.objects.all()} == {2}


# --- Which answers are retried ---------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_a_temporary_answer_is_retried_then_delivered_with_the_same_webhook_id(
    receiver, clock, no_jitter, confirmed, status
):
    receiver.answer(status)

    assert send_due_webhooks() == {"queued": 1}
    delivery = only_delivery()
    assert (delivery.attempts, delivery.response_code) == (1, status)
    assert delivery.last_error == f"EndpointAnswered: the endpoint answered HTTP {status}"

    clock.advance(timedelta(seconds=30))
    assert send_due_webhooks() == {"sent": 1}
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_code) == ("sent", 2, 200)
    first, second = receiver.requests
    assert first.webhook_id == second.webhook_id == delivery.msg_id
    assert first.body == second.body


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        ("600", timedelta(seconds=600)),  # longer than the backoff: honoured
        ("5", timedelta(seconds=30)),  # shorter: the backoff still applies
        ("99999999", timedelta(hours=6)),  # at most 6 hours
        ("soon", timedelta(seconds=30)),  # not a number or a date: the backoff
    ],
)
def test_a_429_waits_at_least_as_long_as_its_retry_after_asks(
    receiver, clock, no_jitter, confirmed, retry_after, wait
):
    receiver.answer(429, headers={"Retry-After": retry_after})

    assert send_due_webhooks() == {"queued": 1}
    delivery = only_delivery()
    assert delivery.next_attempt_at == clock.now + wait

    clock.advance(wait - timedelta(seconds=1))
    assert send_due_webhooks() == {}
    clock.advance(timedelta(seconds=1))
    assert send_due_webhooks() == {"sent": 1}
    assert len(receiver.requests) == 2


def test_a_retry_after_given_as_a_date_is_honoured(receiver, clock, no_jitter, confirmed):
    later = clock.now + timedelta(minutes=15)
    receiver.answer(503, headers={"Retry-After": later.strftime("%a, %d %b %Y %H:%M:%S GMT")})

    assert send_due_webhooks() == {"queued": 1}
    assert only_delivery().next_attempt_at == later


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422, 301, 302])
def test_any_other_answer_fails_at_once(receiver, clock, confirmed, status):
    receiver.answer(status)

    assert send_due_webhooks() == {"failed": 1}

    delivery = only_delivery()
    assert (delivery.state, delivery.attempts, delivery.response_code) == ("failed", 1, status)
    clock.advance(timedelta(days=2))
    assert send_due_webhooks() == {}
    assert len(receiver.requests) == 1


def test_a_slow_receiver_past_the_timeout_is_retried(receiver, clock, no_jitter, confirmed):
    receiver.hold(1)

    assert send_due_webhooks() == {"queued": 1}
    delivery = only_delivery()
    assert "timed out" in delivery.last_error
    assert delivery.response_code is None

    clock.advance(timedelta(seconds=30))
    assert send_due_webhooks() == {"sent": 1}
    assert [r.webhook_id for r in receiver.requests] == [delivery.msg_id] * 2


def test_out_of_attempts_a_delivery_fails(receiver, clock, no_jitter, settings, confirmed):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answer(503, 503)

    assert send_due_webhooks() == {"queued": 1}
    clock.advance(timedelta(seconds=30))
    assert send_due_webhooks() == {"failed": 1}
    assert only_delivery().attempts == 2


# --- The relay and the task --------------------------------------------------------------------


def test_the_relay_gives_each_new_delivery_its_task(endpoint, confirmed):
    delivery = only_delivery()
    assert delivery.task_id is None

    assert relay() == 3  # the two emails and the webhook delivery
    delivery.refresh_from_db()
    assert delivery.task_id is not None
    assert relay() == 0


# --- The endpoint's health -------------------------------------------------------------------


def test_a_disabled_endpoint_gets_no_new_events_and_queued_ones_are_skipped(
    receiver, endpoint, confirmed, admin_user
):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    services.change_meeting_link(confirmed, link=OTHER_MEET, by=admin_user)

    assert send_due_webhooks() == {"skipped": 1}
    delivery = only_delivery()
    assert (delivery.state, delivery.attempts) == ("skipped", 0)
    assert receiver.requests == []


def test_an_endpoint_failing_for_a_day_is_disabled_and_the_admins_get_one_email(
    receiver, clock, no_jitter, endpoint, confirmed, admin_user
):
    other_admin = UserFactory(is_staff=True, email="second-admin@example.com")
    UserFactory(is_staff=True, is_active=False, email="gone-admin@example.com")
    receiver.answer(*[503] * 10)
    started = clock.now

    assert send_due_webhooks() == {"queued": 1}
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.failing_since) == (True, started)

    clock.set(started + timedelta(hours=23, minutes=59))
    assert send_due_webhooks() == {"queued": 1}
    endpoint.refresh_from_db()
    assert endpoint.enabled is True

    clock.set(started + timedelta(hours=24))
    assert send_due_webhooks() == {"queued": 1}
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert endpoint.disabled_reason.startswith("Disabled automatically")
    emails = OutboundEmail.objects.filter(kind=EmailKind.WEBHOOK_DISABLED)
    assert sorted(e.to_email for e in emails) == sorted([admin_user.email, other_admin.email])
    assert all(endpoint.url in e.body_text for e in emails)

    # The delivery still queued is skipped at its turn; no second email.
    clock.advance(timedelta(hours=1))
    assert send_due_webhooks() == {"skipped": 1}
    assert emails.count() == 2
    assert len(receiver.requests) == 3


def test_a_success_ends_the_failing_streak(receiver, clock, no_jitter, endpoint, confirmed):
    receiver.answer(500)
    send_due_webhooks()
    endpoint.refresh_from_db()
    assert endpoint.failing_since == clock.now

    clock.advance(timedelta(seconds=30))
    send_due_webhooks()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_only_endpoints_that_asked_for_the_event_get_it(receiver, confirmed, admin_user):
    wants_links = endpoint_for(receiver, events=",session.link_changed,")
    services.change_meeting_link(confirmed, link=OTHER_MEET, by=admin_user)

    rows = WebhookDelivery.objects.order_by("pk")
    assert [(d.event_type, d.endpoint_id == wants_links.pk) for d in rows] == [
        ("session.confirmed", False),
        ("session.link_changed", False),
        ("session.link_changed", True),
    ]
