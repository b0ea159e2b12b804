"""DELIVERY_TASK_BATCH > 1: the relay hands several new rows to one task, which claims them
in one transaction and sends them over one SMTP connection (notifications.delivery).
(The default, 1, is what every other delivery test runs with.)"""

import pytest
from django_tasks_db.models import DBTaskResult

from bookings import services
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
