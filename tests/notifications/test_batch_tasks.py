"""DELIVERY_TASK_BATCH > 1 (the default): the relay hands several new rows to one task, which
claims them in one transaction and sends them over one SMTP connection — or, in a worker
that sends on several connections (DELIVERY_CONNECTIONS), deals them out to those
(notifications.delivery). Most other delivery tests pin one task per row (tests/conftest.py);
the worker processes with batches: tests/notifications/test_guarantees_processes.py."""

from collections import Counter

import pytest
from django_tasks_db.models import DBTaskResult

from bookings import services
from notifications import delivery
from notifications.delivery import relay
from notifications.models import EmailState, OutboundEmail
from tests.conftest import MEET
from tests.factories import SessionFactory
from tests.notifications.conftest import run_worker_batch


@pytest.fixture
def five_confirmations(settings, admin_user):
    settings.DELIVERY_TASK_BATCH = 4
    for _ in range(5):
        services.confirm_session(SessionFactory(), link=MEET, by=admin_user)


def test_the_relay_hands_over_rows_in_tasks_of_the_batch_size(five_confirmations):
    assert relay() == 10

    tasks = DBTaskResult.objects.filter(task_path="notifications.delivery.deliver_rows")
    sizes = sorted(len(task.args_kwargs["args"][1]) for task in tasks)
    assert sizes == [2, 4, 4]
    for task in tasks:
        channel, ids = task.args_kwargs["args"]
        assert channel == "email"
        assert set(OutboundEmail.objects.filter(pk__in=ids).values_list("task_id", flat=True)) == {
            task.pk
        }


# transaction=True: the worker closes old connections (see test_delivery.py's db_worker tests).
@pytest.mark.django_db(transaction=True)
def test_a_batch_task_delivers_each_of_its_rows_once(smtp, worker_signals, five_confirmations):
    run_worker_batch()

    assert set(OutboundEmail.objects.values_list("state", "attempts")) == {(EmailState.SENT, 1)}
    assert sorted(smtp.message_ids().values()) == [1] * 10
    results = DBTaskResult.objects.filter(task_path="notifications.delivery.deliver_rows")
    assert sorted(task.return_value["sent"] for task in results) == [2, 4, 4]


@pytest.fixture
def three_connections():
    delivery.send_on_connections(3)
    yield
    delivery.send_on_connections(1)


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_dealt_out_to_the_workers_connections(
    smtp, worker_signals, five_confirmations, settings, three_connections
):
    settings.DELIVERY_TASK_BATCH = 20
    assert relay() == 10

    run_worker_batch()

    assert set(OutboundEmail.objects.values_list("state", "attempts")) == {(EmailState.SENT, 1)}
    assert sorted(smtp.message_ids().values()) == [1] * 10
    # Three connections to the mail server, sending 4, 3 and 3 of the ten.
    per_connection = Counter(item.peer for item in smtp.snapshot()["received"])
    assert sorted(per_connection.values()) == [3, 3, 4]
    [task] = DBTaskResult.objects.filter(task_path="notifications.delivery.deliver_rows")
    assert task.return_value == {"sent": 10}
