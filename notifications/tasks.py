"""Background tasks (Django's tasks framework, stored by django-tasks-db)."""

from django.tasks import task

QUEUE = "default"


@task(queue_name=QUEUE)
def deliver_email(email_id: int) -> str:
    from notifications.delivery import deliver

    return deliver(email_id)


def enqueue_delivery(email, *, run_after=None) -> None:
    """Queue delivery of an outbox row. Inside the caller's transaction on purpose: the
    task row commits or rolls back together with the email row (a transactional outbox)."""
    target = deliver_email.using(run_after=run_after) if run_after else deliver_email
    target.enqueue(email.pk)
