"""Background tasks (Django's tasks framework, stored by django-tasks-db)."""

import uuid

from django.tasks import task

QUEUE = "default"


@task(queue_name=QUEUE)
def deliver_email(email_id: int) -> str:
    from notifications.delivery import deliver

    return deliver(email_id)


def enqueue_delivery(email, *, run_after=None) -> None:
    """Queue delivery of an outbox row and record the task on the row (the sweep uses it to
    tell a waiting task from a lost one)."""
    enqueue_deliveries([email], run_after=run_after)


def enqueue_deliveries(emails: list, *, run_after=None) -> None:
    """A delivery task for each outbox row, their ids recorded on the rows in one update.
    Inside the caller's transaction on purpose: the task rows commit or roll back together
    with the email rows (a transactional outbox)."""
    from notifications.models import OutboundEmail

    target = deliver_email.using(run_after=run_after) if run_after else deliver_email
    for email in emails:
        email.task_id = _as_uuid(target.enqueue(email.pk).id)
    OutboundEmail.objects.bulk_update(emails, ["task_id"])


def _as_uuid(task_id) -> uuid.UUID:
    # django-tasks-db ids are UUIDs. Another backend's id is recorded as a UUID derived from
    # it: never NULL, which would tell the relay that the row has no task yet
    # (notifications.delivery.relay); the sweep simply finds no such task row.
    try:
        return uuid.UUID(str(task_id))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, str(task_id))
