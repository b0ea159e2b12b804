"""Scheduled jobs, run by the worker every minute (notifications/.../run_worker.py).

Both are safe to run at the same moment in several workers, on PostgreSQL and SQLite:
- expiry locks each session row with SELECT … FOR UPDATE SKIP LOCKED and re-checks that it
  is still pending inside that lock, then cancels through the one cancel service; a row
  another worker (or an admin) holds is skipped and looked at again next minute;
- reminders lock the admin's user row (FOR NO KEY UPDATE SKIP LOCKED) while choosing and
  recording what to remind, and a unique (session, admin) constraint makes a second
  reminder impossible even if two transactions ever got past the lock.
On SQLite, transactions start IMMEDIATE (config/settings.py): writers queue up whole, so
the second run sees everything the first one committed.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings import services
from bookings.emails import queue_pending_reminder
from bookings.models import MentoringSession, Status
from notifications.models import PendingReminder

logger = logging.getLogger(__name__)

EXPIRED_REASON = "Not confirmed in time"
# Per run, so one run stays short; what is left is picked up by the next run.
BATCH = 200


def expire_pending_sessions(now: datetime | None = None) -> int:
    """Cancel pending sessions that start within PENDING_EXPIRY_LEAD_HOURS (inclusive) —
    including ones already started while no worker ran. Both people are emailed and a
    paid session gets a refund due (the cancel service). Returns how many were cancelled."""
    now = now or timezone.now()
    limit = now + timedelta(hours=settings.PENDING_EXPIRY_LEAD_HOURS)
    due = list(
        MentoringSession.objects.filter(status=Status.PENDING, start__lte=limit)
        .order_by("start", "id")
        .values_list("pk", flat=True)[:BATCH]
    )
    expired = 0
    for pk in due:
        try:
            expired += _expire_one(pk, limit)
        except Exception:  # one bad row must not stop the others
            logger.exception("could not expire pending session %s", pk)
    if expired:
        logger.info("expired %s pending sessions not confirmed in time", expired)
    return expired


def _expire_one(pk: int, limit: datetime) -> int:
    with transaction.atomic():
        # Re-checked under the lock: between the list above and here an admin may have
        # confirmed it (cancelling a confirmed session would be wrong) or another worker
        # expired it. skip_locked: whoever holds the row decides; we look again next run.
        session = (
            MentoringSession.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=Status.PENDING, start__lte=limit)
            .first()
        )
        if session is None:
            return 0
        services.cancel_session(session, by=None, reason=EXPIRED_REASON)
    return 1


def remind_admins_of_pending(now: datetime | None = None) -> int:
    """Email each active admin one list of the pending sessions starting within
    PENDING_REMINDER_WINDOW_HOURS that they have not been reminded of yet. Returns how
    many emails were queued."""
    now = now or timezone.now()
    window_end = now + timedelta(hours=settings.PENDING_REMINDER_WINDOW_HOURS)
    admin_ids = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    queued = 0
    for admin_id in admin_ids:
        try:
            queued += _remind_one(admin_id, now, window_end)
        except IntegrityError:
            # Another worker recorded one of these reminders first: nothing was sent by us
            # (the whole transaction rolled back); the rest come up on the next run.
            logger.info("pending reminder for admin %s already being sent elsewhere", admin_id)
        except Exception:
            logger.exception("could not remind admin %s of pending sessions", admin_id)
    return queued


def _remind_one(admin_id: int, now: datetime, window_end: datetime) -> int:
    with transaction.atomic():
        # NO KEY UPDATE: does not block rows that merely reference the admin (their emails,
        # audit rows) being written meanwhile, only another reminder run for this admin.
        admin = (
            get_user_model()
            .objects.select_for_update(no_key=True, skip_locked=True)
            .filter(pk=admin_id, is_staff=True, is_active=True)
            .first()
        )
        if admin is None:
            return 0
        sessions = list(
            MentoringSession.objects.filter(
                status=Status.PENDING, start__gt=now, start__lte=window_end
            )
            .exclude(pk__in=PendingReminder.objects.filter(admin=admin).values("session"))
            .select_related("mentor", "mentee")
            .order_by("start", "id")[:BATCH]
        )
        if not sessions:
            return 0
        email = queue_pending_reminder(admin, sessions)
        PendingReminder.objects.bulk_create(
            [PendingReminder(session=s, admin=admin, email=email) for s in sessions]
        )
    return 1
