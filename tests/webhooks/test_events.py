"""Which changes queue which events, with what body, in which transaction
(docs/PRODUCT.md §12). The session starts 2030-01-15 13:00 UTC; the mentor is available
every day 00:00–23:30 in their zone; the clock stands two days before the start."""

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bookings import services
from bookings.models import MentoringSession
from bookings.representation import session_data
from tests.availability.factories import every_day
from tests.conftest import MEET
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import queue_event

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
NOW = START - timedelta(days=2)
pytestmark = [pytest.mark.clock(NOW), pytest.mark.usefixtures("booking_rules")]
ALL = WebhookEndpoint.join_events(WebhookEvent.values)


@pytest.fixture
def hooks(db):
    """Two endpoints that want everything and one disabled one."""
    return [
        WebhookEndpoint.objects.create(url="https://a.example.com/in", events=ALL),
        WebhookEndpoint.objects.create(url="https://b.example.com/in", events=ALL),
        WebhookEndpoint.objects.create(url="https://c.example.com/in", events=ALL, enabled=False),
    ]


def events_of(endpoint) -> list[dict]:
    return [
        json.loads(d.payload)
        for d in WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk")
    ]


def fresh(session) -> MentoringSession:
    return MentoringSession.objects.select_related("mentor", "mentee").get(pk=session.pk)


def test_each_change_queues_its_event_with_the_session_as_the_api_shows_it(
    hooks, clock, mentor, mentee, pending_session, admin_user
):
    every_day(mentor, time(0), time(23, 30))
    booked = services.book_session(mentor, mentee, START + timedelta(days=1), 60, now=NOW)
    after_booking = session_data(fresh(booked))
    services.confirm_session(pending_session, link=MEET, by=admin_user)
    after_confirming = session_data(fresh(pending_session))
    services.change_meeting_link(
        pending_session, link="https://meet.google.com/xyz-wxyz-xyz", by=admin_user
    )
    after_link = session_data(fresh(pending_session))
    services.reschedule_session(
        pending_session, start=START + timedelta(hours=3), by=admin_user, now=NOW
    )
    after_move = session_data(fresh(pending_session))
    services.cancel_session(booked, by=admin_user, reason="Clash")
    after_cancel = session_data(fresh(booked))
    clock.set(START + timedelta(hours=4))
    services.complete_session(pending_session, by=admin_user)
    after_complete = session_data(fresh(pending_session))

    stamp = NOW.isoformat().replace("+00:00", "Z")
    expected = [
        {"type": "session.booked", "timestamp": stamp, "data": after_booking},
        {"type": "session.confirmed", "timestamp": stamp, "data": after_confirming},
        {"type": "session.link_changed", "timestamp": stamp, "data": after_link},
        {"type": "session.rescheduled", "timestamp": stamp, "data": after_move},
        {"type": "session.cancelled", "timestamp": stamp, "data": after_cancel},
        {
            "type": "session.completed",
            "timestamp": (START + timedelta(hours=4)).isoformat().replace("+00:00", "Z"),
            "data": after_complete,
        },
    ]
    first, second, disabled = hooks
    assert events_of(first) == expected
    assert events_of(second) == expected
    assert events_of(disabled) == []
    assert after_complete["status"] == "completed"
    assert after_cancel["cancellation_reason"] == "Clash"


def test_each_endpoint_gets_its_own_webhook_id(hooks, pending_session, admin_user):
    services.confirm_session(pending_session, link=MEET, by=admin_user)

    first, second = WebhookDelivery.objects.order_by("endpoint_id")
    assert first.msg_id != second.msg_id
    assert first.msg_id.startswith("msg_") and first.msg_id.endswith(f"_{first.endpoint_id}")
    assert first.payload == second.payload
    assert (first.state, first.attempts, first.task_id) == ("queued", 0, None)


def test_an_event_nobody_asked_for_queues_nothing(db, pending_session, admin_user):
    WebhookEndpoint.objects.create(url="https://a.example.com/in", events=",session.booked,")

    services.confirm_session(pending_session, link=MEET, by=admin_user)

    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("endpoints", [0, 1, 5])
def test_queuing_an_event_is_one_insert_however_many_endpoints(db, endpoints):
    for number in range(endpoints):
        WebhookEndpoint.objects.create(url=f"https://{number}.example.com/", events=ALL)

    with CaptureQueriesContext(connection) as captured:
        assert queue_event("session.booked", {"id": 1}) == endpoints

    [query] = [entry["sql"] for entry in captured]
    assert query.startswith("INSERT INTO")
    assert WebhookDelivery.objects.count() == endpoints


def test_a_change_rolled_back_leaves_no_delivery(hooks, pending_session, admin_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.confirm_session(pending_session, link=MEET, by=admin_user)
        assert WebhookDelivery.objects.count() == 2
        raise RuntimeError("the change fails after the event was queued")

    assert not WebhookDelivery.objects.exists()


def test_a_refused_change_queues_nothing(hooks, pending_session, admin_user):
    with pytest.raises(services.SessionActionError):
        services.change_meeting_link(pending_session, link=MEET, by=admin_user)

    assert not WebhookDelivery.objects.exists()
