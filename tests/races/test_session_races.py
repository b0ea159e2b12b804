"""Many people acting on one session at once (PostgreSQL only).

Each round: a fresh pending session, 8 threads released together by a barrier, each calling
one of the four status services (confirm, change link, complete, cancel; staff actors).
Whatever interleaving the database chose, afterwards:

- the final status is reachable from pending through ALLOWED_TRANSITIONS;
- the audit trail (SessionEvent, by id) is a legal path from pending to that status, each
  event starting where the previous one ended;
- the outbox holds exactly the emails the audit trail says were caused, nothing else.
"""

from collections import Counter
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from bookings import services
from bookings.models import ALLOWED_TRANSITIONS, MentoringSession, SessionEvent, Status
from bookings.services import SessionActionError
from notifications.models import EmailKind, OutboundEmail
from tests.concurrency import run_together
from tests.factories import SessionFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Races need row locks between real concurrent connections: PostgreSQL only "
        "(SQLite serialises every writer; set DATABASE_URL=postgres://…).",
    ),
]

ROUNDS = 10
THREADS = 8
LINKS = [f"https://meet.google.com/abc-defg-h{c}{c}" for c in "abcdefgh"]

# Emails each audited action causes (two: mentee and mentor; completion: the mentee only).
EMAILS_PER_ACTION = {
    SessionEvent.Action.CONFIRM: Counter({EmailKind.SESSION_CONFIRMED: 2}),
    SessionEvent.Action.CHANGE_LINK: Counter({EmailKind.LINK_CHANGED: 2}),
    SessionEvent.Action.COMPLETE: Counter({EmailKind.SESSION_COMPLETED: 1}),
    SessionEvent.Action.CANCEL: Counter({EmailKind.SESSION_CANCELLED: 2}),
}
ACTION_TARGET = {
    SessionEvent.Action.CONFIRM: Status.CONFIRMED,
    SessionEvent.Action.CHANGE_LINK: Status.CONFIRMED,
    SessionEvent.Action.COMPLETE: Status.COMPLETED,
    SessionEvent.Action.CANCEL: Status.CANCELLED,
}


def _reachable_from_pending() -> set[str]:
    seen, todo = {Status.PENDING}, [Status.PENDING]
    while todo:
        for nxt in ALLOWED_TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _actions(session_id: int, admins) -> list:
    """8 mixed actions: 2 confirms, 2 link changes, 2 completions, 2 cancellations."""

    def fresh():
        return MentoringSession.objects.get(pk=session_id)

    def confirm(i):
        return lambda: services.confirm_session(fresh(), link=LINKS[i], by=admins[i % 2])

    def change(i):
        return lambda: services.change_meeting_link(fresh(), link=LINKS[i], by=admins[i % 2])

    def complete(i):
        return lambda: services.complete_session(fresh(), by=admins[i % 2])

    def cancel(i):
        return lambda: services.cancel_session(fresh(), by=admins[i % 2], reason=f"race {i}")

    return [
        confirm(0),
        change(1),
        complete(2),
        cancel(3),
        confirm(4),
        change(5),
        complete(6),
        cancel(7),
    ]


def _race(actions) -> list[str]:
    """Each action's outcome: "done", "refused: <message>" or "crashed: <error>"."""

    def done(action) -> str:
        action()
        return "done"

    return run_together(
        *(partial(done, action) for action in actions),
        refused=(SessionActionError, ValidationError),
    )


def test_concurrent_status_actions_leave_a_legal_state_audit_and_outbox():
    admins = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
    legal_final = _reachable_from_pending()
    finals = Counter()
    paths = Counter()
    for round_no in range(ROUNDS):
        session = SessionFactory()
        # Rotate which action starts first so the interleavings vary between rounds.
        actions = _actions(session.pk, admins)
        actions = actions[round_no % THREADS :] + actions[: round_no % THREADS]

        outcomes = _race(actions)

        context = f"round {round_no}: {outcomes}"
        assert len(outcomes) == THREADS, context
        assert not [o for o in outcomes if o.startswith("crashed")], context
        session.refresh_from_db()
        assert session.status in legal_final, context
        finals[session.status] += 1

        # The audit trail: a legal path pending → … → final, contiguous, by id.
        events = list(SessionEvent.objects.filter(session=session).order_by("id"))
        status = Status.PENDING
        for event in events:
            assert event.from_status == status, context
            assert ACTION_TARGET[event.action] == event.to_status, context
            if event.action == SessionEvent.Action.CHANGE_LINK:
                assert event.from_status == event.to_status == Status.CONFIRMED, context
                assert event.old_link != event.new_link, context
            else:
                assert event.to_status in ALLOWED_TRANSITIONS[event.from_status], context
            status = event.to_status
        assert status == session.status, context
        paths[" → ".join(e.action for e in events)] += 1
        assert outcomes.count("done") == len(events) >= 1, context

        # The outbox: exactly the emails the audit trail caused, to the right people.
        expected = Counter()
        for event in events:
            expected += EMAILS_PER_ACTION[event.action]
        emails = list(OutboundEmail.objects.filter(session=session))
        assert Counter(e.kind for e in emails) == expected, context
        for email in emails:
            if email.kind == EmailKind.SESSION_COMPLETED:
                assert email.recipient_id == session.mentee_id, context
        for kind in (
            EmailKind.SESSION_CONFIRMED,
            EmailKind.LINK_CHANGED,
            EmailKind.SESSION_CANCELLED,
        ):
            per_event = expected[kind] // 2
            recipients = Counter(e.recipient_id for e in emails if e.kind == kind)
            if per_event:
                assert recipients == {session.mentee_id: per_event, session.mentor_id: per_event}, (
                    context
                )
        # At most one confirmation won, and the session keeps the link the audit ends with.
        assert sum(1 for e in events if e.action == SessionEvent.Action.CONFIRM) <= 1, context
        if events:
            assert session.get_meeting_link == events[-1].new_link, context
    # Not a requirement, but shows the rounds were not all the same interleaving.
    print(f"final statuses over {ROUNDS} rounds: {dict(finals)}; audit paths: {dict(paths)}")
