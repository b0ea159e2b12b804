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
    tell a waiting task from a lost one). Inside the caller's transaction on purpose: the
    task row commits or rolls back together with the email row (a transactional outbox)."""
    from notifications.models import OutboundEmail

    target = deliver_email.using(run_after=run_after) if run_after else deliver_email
    result = target.enqueue(email.pk)
    email.task_id = _as_uuid(result.id)
    OutboundEmail.objects.filter(pk=email.pk).update(task_id=email.task_id)


def enqueue_deliveries(emails: list) -> None:
    """enqueue_delivery for several new rows: their task ids recorded in one update."""
    from notifications.models import OutboundEmail

    for email in emails:
        email.task_id = _as_uuid(deliver_email.enqueue(email.pk).id)
    OutboundEmail.objects.bulk_update(emails, ["task_id"])


def _as_uuid(task_id) -> uuid.UUID | None:
    # django-tasks-db ids are UUIDs; another backend's may not be (then the sweep simply
    # treats the row as having no known task, as before task ids were recorded).
    try:
        return uuid.UUID(str(task_id))
    except ValueError:
        return None
