"""Reminders before a confirmed session: one email to the mentee and one to the mentor for
each lead time in SESSION_REMINDER_HOURS (default 24 h and 1 h before the start),
with the meeting link and the time in the recipient's zone.

`send_due_reminders` is a scheduled job, run by the worker every minute (run_worker). It
queues the reminders whose moment has come (start - lead <= now < start):

- Only the latest moment counts. A worker that was down past the 24-h moment still sends
  the 24-h reminder if the session has not started — unless the 1-h moment has passed too,
  then only the 1-h one goes out, never a stale 24-h one after it.
- A moment that came before the session was confirmed is not owed: the confirmation email
  said everything a reminder would (a session confirmed 3 h ahead gets only the 1-h one).
- Never twice: a SessionReminder row per (session, recipient, lead, session revision), with
  a unique constraint. The revision is the session's `ics_sequence`, raised by every
  announced change, so a re-linked session is owed a reminder with the new link — unless
  the person already got that lead's reminder for the same start (sent or being sent): the
  link-change email told them the new link, and the next reminder carries it. A session
  moved to another start is owed its reminders again: one delivered for the old start
  told them of a time that is gone (SessionReminder.start).

Reminders follow the session at delivery, too: `bookings.emails.out_of_date_reason` (asked
by notifications.delivery when a reminder's turn comes) has it skipped when the session was
cancelled or completed, has started, or changed revision since it was written.

Safe with several workers, on PostgreSQL and SQLite: each session is handled in its own
transaction with its row locked (FOR NO KEY UPDATE SKIP LOCKED — the same row the booking
services lock, so a cancellation or a new link waits for us or we skip the session until the
next run), everything re-checked under that lock, and the unique constraint is the last word
(an IntegrityError rolls that session's reminders back; the next run sees what the other
worker did). On SQLite, transactions start IMMEDIATE (config/settings.py).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.emails import queue_session_reminder
from bookings.models import MentoringSession, Status
from notifications.models import EmailState, SessionReminder

logger = logging.getLogger(__name__)

# Sessions acted on per run, so one run stays short; the rest are picked up by the next run.
BATCH = 200
# A reminder in one of these states reached the person (or is reaching them right now).
_DELIVERED = {EmailState.SENT, EmailState.SENDING}


def due_lead(session: MentoringSession, now: datetime, leads: list[int]) -> int | None:
    """The lead time (hours) whose reminder is due now, or None: the smallest lead whose
    moment has come, if the session was already confirmed at that moment."""
    if not session.start > now:
        return None
    due = [lead for lead in leads if session.start - timedelta(hours=lead) <= now]
    if not due:
        return None
    lead = min(due)
    moment = session.start - timedelta(hours=lead)
    if session.confirmed_at is not None and session.confirmed_at > moment:
        return None
    return lead


Record = tuple[int, int, datetime, str | None]  # recipient, sequence, start, email state


def _owed(recipient_id: int, session: MentoringSession, records: list[Record]) -> bool:
    """Whether `recipient_id` is owed this lead's reminder for the session's current
    revision, given the (recipient, sequence, start, email state) of that lead's reminders
    already queued: not if one was queued for this revision, nor if one for this same start
    reached them."""
    mine = [(seq, start, state) for rid, seq, start, state in records if rid == recipient_id]
    if any(seq == session.ics_sequence for seq, _, _ in mine):
        return False
    return not any(state in _DELIVERED and start == session.start for _, start, state in mine)


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue every reminder that is due; returns how many emails were queued."""
    now = now or timezone.now()
    leads = sorted(set(settings.SESSION_REMINDER_HOURS))
    if not leads:
        return 0
    horizon = now + timedelta(hours=max(leads))
    window = {"status": Status.CONFIRMED, "start__gt": now, "start__lte": horizon}
    sessions = list(
        MentoringSession.objects.filter(**window)
        .only("pk", "start", "confirmed_at", "ics_sequence", "mentor", "mentee")
        .order_by("start", "id")
    )
    # Every reminder already queued for these sessions, in one query: most runs find
    # nothing to do, and then touch no row at all.
    records: dict[tuple[int, int], list[Record]] = {}
    for session_id, lead, *record in SessionReminder.objects.filter(
        **{f"session__{key}": value for key, value in window.items()}
    ).values_list("session_id", "lead_hours", "recipient_id", "sequence", "start", "email__state"):
        records.setdefault((session_id, lead), []).append(tuple(record))

    todo = []
    for session in sessions:
        lead = due_lead(session, now, leads)
        if lead is None:
            continue
        done = records.get((session.pk, lead), [])
        if any(_owed(person, session, done) for person in (session.mentee_id, session.mentor_id)):
            todo.append(session.pk)

    queued = 0
    for pk in todo[:BATCH]:
        try:
            queued += _remind_one(pk, now, leads)
        except IntegrityError:
            # Another worker recorded one of these reminders first: this transaction rolled
            # back whole (nothing of ours was queued); the next run sees theirs.
            logger.info("reminders for session %s already being queued elsewhere", pk)
        except Exception:  # one bad row must not stop the others
            logger.exception("could not queue reminders for session %s", pk)
    if queued:
        logger.info("queued %s session reminders", queued)
    return queued


def _remind_one(pk: int, now: datetime, leads: list[int]) -> int:
    with transaction.atomic():
        # Re-checked under the lock: since the list above the session may have been
        # cancelled or re-linked, or another worker may have reminded. NO KEY UPDATE: rows
        # that merely reference the session (its emails, audit rows) can still be written.
        session = (
            MentoringSession.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
            .select_related("mentor", "mentee")
            .filter(pk=pk, status=Status.CONFIRMED, start__gt=now)
            .first()
        )
        if session is None:
            return 0
        lead = due_lead(session, now, leads)
        if lead is None:
            return 0
        done = list(
            SessionReminder.objects.filter(session=session, lead_hours=lead).values_list(
                "recipient_id", "sequence", "start", "email__state"
            )
        )
        queued = 0
        for person in (session.mentee, session.mentor):
            if not _owed(person.pk, session, done):
                continue
            email = queue_session_reminder(session, person, lead_hours=lead, now=now)
            SessionReminder.objects.create(
                session=session,
                recipient=person,
                lead_hours=lead,
                sequence=session.ics_sequence,
                start=session.start,
                email=email,
            )
            queued += 1
    return queued
