"""The only writers of a session's status (SPEC §2).

Each function: lock the row, check the transition against ALLOWED_TRANSITIONS, set every
related field, write the audit row and queue the emails — all in one transaction, so the
change and its side effects commit together or not at all.
"""

from django.db import transaction
from django.utils import timezone

from bookings.meeting_links import auto_link_provider, canonicalize_meeting_link
from bookings.models import (
    ALLOWED_TRANSITIONS,
    MentoringSession,
    SessionEvent,
    Status,
)
from notifications import emails
from payments import services as payments


class SessionActionError(Exception):
    """A refused action; the message is written for the person who tried it."""


_STATUS_WORDS = {
    Status.PENDING: "pending",
    Status.CONFIRMED: "confirmed",
    Status.COMPLETED: "completed",
    Status.CANCELLED: "cancelled",
}


def _lock(session: MentoringSession) -> MentoringSession:
    # select_for_update serialises concurrent actions on PostgreSQL; on SQLite the
    # IMMEDIATE transaction mode already holds the database write lock. of=("self",): lock
    # only the session row, not the joined mentor/mentee user rows (a plain FOR UPDATE on a
    # join locks those too, serialising unrelated sessions and logins of the same people).
    return (
        MentoringSession.objects.select_for_update(of=("self",))
        .select_related("mentor", "mentee")
        .get(pk=session.pk)
    )


def _check_transition(session: MentoringSession, target: str) -> None:
    if target in ALLOWED_TRANSITIONS[session.status]:
        return
    current = _STATUS_WORDS[session.status]
    if session.status == target:
        raise SessionActionError(f"This session is already {current}; nothing was changed.")
    if target == Status.PENDING:
        raise SessionActionError(
            f"A {current} session cannot be moved back to pending; nothing was changed."
        )
    if not ALLOWED_TRANSITIONS[session.status]:
        raise SessionActionError(
            f"This session is {current}, which is final; it cannot be "
            f"{_STATUS_WORDS[target]}. Nothing was changed."
        )
    raise SessionActionError(
        f"A {current} session cannot be {_STATUS_WORDS[target]}; nothing was changed."
    )


def _audit(session, *, actor, action, from_status, old_link: str, note="") -> None:
    # old_link/new_link are the link before and after the action: equal when it kept the link.
    SessionEvent.objects.create(
        session=session,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=session.status,
        old_link=old_link,
        new_link=session.get_meeting_link,
        note=note,
    )


def _resolve_link(session: MentoringSession, link: str | None) -> tuple[str, str]:
    """(admin_provided_link, meeting_link) for a confirmation."""
    blank = link is None or (isinstance(link, str) and not link.strip())
    if not blank:
        # Anything else, even non-text, goes to the validator: a message, not a crash.
        return canonicalize_meeting_link(link), ""
    provider = auto_link_provider()
    if provider is None:
        # No automatic links: the validator refuses the blank link ("A meeting link is
        # required.") like any other bad link, next to the field.
        return canonicalize_meeting_link(""), ""
    return "", canonicalize_meeting_link(provider.create_link(session))


def confirm_session(session: MentoringSession, *, link: str | None, by) -> MentoringSession:
    """pending → confirmed with a meeting link; emails and invites to mentee and mentor.

    Raises SessionActionError (refused transition, no link) or ValidationError (bad link).
    """
    with transaction.atomic():
        session = _lock(session)
        _check_transition(session, Status.CONFIRMED)
        admin_link, auto_link = _resolve_link(session, link)
        old_link = session.get_meeting_link
        now = timezone.now()
        session.status = Status.CONFIRMED
        session.admin_provided_link = admin_link
        session.meeting_link = auto_link
        session.link_provided_at = now
        session.confirmed_by = by
        session.confirmed_at = now
        session.ics_sequence += 1
        session.save(
            update_fields=[
                "status",
                "admin_provided_link",
                "meeting_link",
                "link_provided_at",
                "confirmed_by",
                "confirmed_at",
                "ics_sequence",
                "updated_at",
            ]
        )
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.CONFIRM,
            from_status=Status.PENDING,
            old_link=old_link,
        )
        emails.queue_session_confirmed(session)
    return session


def change_meeting_link(session: MentoringSession, *, link: str, by) -> MentoringSession:
    """Replace a confirmed session's link; both people get the new link and an updated invite."""
    with transaction.atomic():
        session = _lock(session)
        if session.status != Status.CONFIRMED:
            raise SessionActionError(
                f"Only a confirmed session's link can be changed; this one is "
                f"{_STATUS_WORDS[session.status]}. Nothing was changed."
            )
        new_link = canonicalize_meeting_link(link)
        old_link = session.get_meeting_link
        if new_link == old_link:
            raise SessionActionError("That is already the session's link; nothing was changed.")
        session.admin_provided_link = new_link
        session.link_provided_at = timezone.now()
        session.ics_sequence += 1
        session.save(
            update_fields=["admin_provided_link", "link_provided_at", "ics_sequence", "updated_at"]
        )
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.CHANGE_LINK,
            from_status=Status.CONFIRMED,
            old_link=old_link,
        )
        emails.queue_link_changed(session, old_link=old_link)
    return session


def complete_session(session: MentoringSession, *, by) -> MentoringSession:
    """confirmed → completed; the mentee gets a thank-you."""
    with transaction.atomic():
        session = _lock(session)
        _check_transition(session, Status.COMPLETED)
        if not by.is_staff and session.start > timezone.now():
            raise SessionActionError(
                "A session can be marked completed once it has started; nothing was changed."
            )
        session.status = Status.COMPLETED
        session.completed_at = timezone.now()
        session.save(update_fields=["status", "completed_at", "updated_at"])
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.COMPLETE,
            from_status=Status.CONFIRMED,
            old_link=session.get_meeting_link,
        )
        emails.queue_session_completed(session)
    return session


def cancel_session(session: MentoringSession, *, by, reason: str = "") -> MentoringSession:
    """pending/confirmed → cancelled; both people are told who cancelled and why."""
    reason = " ".join((reason or "").split())[:500]
    with transaction.atomic():
        session = _lock(session)
        _check_transition(session, Status.CANCELLED)
        from_status = session.status
        session.status = Status.CANCELLED
        session.cancelled_by = by
        session.cancelled_at = timezone.now()
        session.cancellation_reason = reason
        fields = ["status", "cancelled_by", "cancelled_at", "cancellation_reason"]
        # Only a confirmed session was ever in anyone's calendar: only it gets a CANCEL invite.
        had_invite = from_status == Status.CONFIRMED
        if had_invite:
            session.ics_sequence += 1
            fields.append("ics_sequence")
        fields += payments.on_session_cancelled(session)
        session.save(update_fields=[*fields, "updated_at"])
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.CANCEL,
            from_status=from_status,
            old_link=session.get_meeting_link,
            note=reason,
        )
        emails.queue_session_cancelled(session, with_invite=had_invite)
    return session


def set_status(
    session: MentoringSession, *, action: str, by, link: str | None = None, reason: str = ""
) -> MentoringSession:
    """Dispatch the set-status endpoint's `action` to the one service for it."""
    if action == Status.CONFIRMED:
        return confirm_session(session, link=link, by=by)
    if action == Status.COMPLETED:
        return complete_session(session, by=by)
    if action == Status.CANCELLED:
        return cancel_session(session, by=by, reason=reason)
    if action == Status.PENDING:
        current = MentoringSession.objects.only("status").get(pk=session.pk)
        _check_transition(current, Status.PENDING)
    raise SessionActionError("Unknown action; nothing was changed.")
