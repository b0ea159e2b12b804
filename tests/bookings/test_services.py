"""The session services: the lifecycle (docs/PRODUCT.md), its audit trail and its queued emails.

Sessions are arranged with factories (not through the services), so the only audit rows,
outbox rows and delivery tasks in the database are the ones the action under test wrote.
"""

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings import services
from bookings.link_providers import LinkProviderError
from bookings.models import MentoringSession, PaymentStatus, SessionEvent, Status
from bookings.services import SessionActionError
from notifications.models import EmailKind, OutboundEmail
from tests.concurrency import run_together
from tests.conftest import MEET
from tests.factories import SessionFactory, UserFactory

NEW_MEET = "https://meet.google.com/xyz-wxyz-xyz"
AUTO_MEET = "https://meet.google.com/aut-omat-ick"
CONFIRMED_AT = datetime(2029, 12, 1, 9, 30, tzinfo=UTC)
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
NO_SIDE_EFFECTS = {"events": 0, "emails": 0, "tasks": 0}

LINK_REQUIRED = "A meeting link is required."
HTTPS_REQUIRED = "The link must start with https://, like https://meet.google.com/abc-defg-hij."
ALREADY_CONFIRMED = "This session is already confirmed; nothing was changed."


class FakeMeetProvider:
    """An automatic link provider for tests: always creates the same real-looking meeting."""

    label = "Fake Meet"

    def create_link(self, session: MentoringSession) -> str:
        return AUTO_MEET


class UnsafeLinkProvider:
    """A misbehaving provider: its link must be refused like any pasted one."""

    label = "Unsafe Meet"

    def create_link(self, session: MentoringSession) -> str:
        return "http://meet.google.com/aut-omat-ick"


# --- arrange helpers ---------------------------------------------------------------------


@pytest.fixture
def second_admin(db):
    return UserFactory(first_name="Bea", last_name="Boss", email="bea@example.com", is_staff=True)


def session_in(status: str, *, mentor, mentee, confirmed_by, **fields) -> MentoringSession:
    """A session as the lifecycle leaves it in `status` (pending has no link, etc.)."""
    values: dict = {"mentor": mentor, "mentee": mentee, "start": START, "status": status}
    if status != Status.PENDING:
        values.update(
            admin_provided_link=MEET,
            link_provided_at=CONFIRMED_AT,
            confirmed_by=confirmed_by,
            confirmed_at=CONFIRMED_AT,
            ics_sequence=1,
        )
    if status == Status.COMPLETED:
        values["completed_at"] = START + timedelta(hours=1)
    if status == Status.CANCELLED:
        values.update(
            cancelled_by=confirmed_by,
            cancelled_at=CONFIRMED_AT + timedelta(days=1),
            cancellation_reason="Mentor is ill",
            ics_sequence=2,
        )
    return SessionFactory(**{**values, **fields})


@pytest.fixture
def confirmed_session(mentor, mentee, admin_user):
    return session_in(Status.CONFIRMED, mentor=mentor, mentee=mentee, confirmed_by=admin_user)


def row(session: MentoringSession) -> dict:
    return MentoringSession.objects.values().get(pk=session.pk)


def side_effects() -> dict[str, int]:
    return {
        "events": SessionEvent.objects.count(),
        "emails": OutboundEmail.objects.count(),
        "tasks": DBTaskResult.objects.count(),
    }


def only_event() -> dict:
    (event,) = SessionEvent.objects.values(
        "session_id",
        "actor_id",
        "action",
        "from_status",
        "to_status",
        "old_link",
        "new_link",
        "note",
    )
    return event


def queued_emails() -> list[tuple[str, str, str]]:
    return list(OutboundEmail.objects.order_by("id").values_list("kind", "to_email", "ics_method"))


# --- confirm: pending → confirmed ----------------------------------------------------------


def test_confirm_sets_status_link_and_confirmer(pending_session, admin_user):
    before = timezone.now()

    services.confirm_session(pending_session, link=f"  {MEET}/?authuser=0 ", by=admin_user)

    after = timezone.now()
    session = MentoringSession.objects.get(pk=pending_session.pk)
    assert session.status == Status.CONFIRMED
    assert session.admin_provided_link == MEET
    assert session.meeting_link == ""
    assert session.get_meeting_link == MEET
    assert session.confirmed_by == admin_user
    assert before <= session.confirmed_at <= after
    assert session.link_provided_at == session.confirmed_at
    assert session.ics_sequence == 1


def test_confirm_returns_the_updated_session(pending_session, admin_user):
    session = services.confirm_session(pending_session, link=MEET, by=admin_user)

    assert (session.pk, session.status, session.get_meeting_link) == (
        pending_session.pk,
        Status.CONFIRMED,
        MEET,
    )


def test_confirm_records_audit_event(pending_session, admin_user):
    services.confirm_session(pending_session, link=MEET, by=admin_user)

    assert only_event() == {
        "session_id": pending_session.pk,
        "actor_id": admin_user.pk,
        "action": SessionEvent.Action.CONFIRM,
        "from_status": Status.PENDING,
        "to_status": Status.CONFIRMED,
        "old_link": "",
        "new_link": MEET,
        "note": "",
    }


def test_confirm_queues_confirmation_with_invite_to_mentee_and_mentor(pending_session, admin_user):
    services.confirm_session(pending_session, link=MEET, by=admin_user)

    assert queued_emails() == [
        (EmailKind.SESSION_CONFIRMED, "john@example.com", "REQUEST"),
        (EmailKind.SESSION_CONFIRMED, "jane@example.com", "REQUEST"),
    ]


def test_confirm_puts_the_link_in_both_parts_of_each_email(pending_session, admin_user):
    services.confirm_session(pending_session, link=MEET, by=admin_user)

    for email in OutboundEmail.objects.all():
        assert MEET in email.body_text
        assert MEET in email.body_html
        assert f"URL:{MEET}" in email.ics.replace("\r\n ", "")


def test_confirm_writes_the_emails_and_queues_no_task(pending_session, admin_user):
    """The request writes outbox rows only; the worker's relay gives each its delivery task
    (tests/notifications/test_delivery.py)."""
    services.confirm_session(pending_session, link=MEET, by=admin_user)

    emails = OutboundEmail.objects.order_by("to_email").values_list("to_email", "task_id")
    assert list(emails) == [("jane@example.com", None), ("john@example.com", None)]
    assert DBTaskResult.objects.count() == 0


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("http://meet.google.com/abc-defg-hij", HTTPS_REQUIRED),
        (
            "https://meet.google.com.evil.test/abc-defg-hij",
            "Only Google Meet links are accepted, like https://meet.google.com/abc-defg-hij.",
        ),
        ("javascript:alert(1)", HTTPS_REQUIRED),
        (42, "Enter the meeting link as text."),
    ],
)
def test_confirm_with_invalid_link_changes_nothing(pending_session, admin_user, link, message):
    before = row(pending_session)

    with pytest.raises(ValidationError) as info:
        services.confirm_session(pending_session, link=link, by=admin_user)

    assert info.value.messages == [message]
    assert row(pending_session) == before
    assert side_effects() == NO_SIDE_EFFECTS


@pytest.mark.parametrize("link", [None, "", "   \n"])
def test_confirm_without_link_requires_one_when_no_auto_provider(
    settings, pending_session, admin_user, link
):
    settings.MEETING_LINK_AUTO_PROVIDER = ""
    before = row(pending_session)

    with pytest.raises(ValidationError, match=LINK_REQUIRED):
        services.confirm_session(pending_session, link=link, by=admin_user)

    assert row(pending_session) == before
    assert side_effects() == NO_SIDE_EFFECTS


def test_confirm_without_link_stores_auto_provider_link(
    use_link_provider, pending_session, admin_user
):
    use_link_provider(FakeMeetProvider())

    services.confirm_session(pending_session, link=None, by=admin_user)

    session = MentoringSession.objects.get(pk=pending_session.pk)
    assert session.status == Status.CONFIRMED
    assert session.meeting_link == AUTO_MEET
    assert session.admin_provided_link == ""
    assert session.get_meeting_link == AUTO_MEET
    assert only_event()["new_link"] == AUTO_MEET


def test_confirm_prefers_admin_link_over_auto_provider(
    use_link_provider, pending_session, admin_user
):
    use_link_provider(FakeMeetProvider())

    services.confirm_session(pending_session, link=MEET, by=admin_user)

    session = MentoringSession.objects.get(pk=pending_session.pk)
    assert (session.admin_provided_link, session.meeting_link) == (MEET, "")


def test_confirm_refuses_unsafe_auto_provider_link(use_link_provider, pending_session, admin_user):
    use_link_provider(UnsafeLinkProvider())
    before = row(pending_session)

    with pytest.raises(LinkProviderError) as info:
        services.confirm_session(pending_session, link=None, by=admin_user)

    assert str(info.value) == (
        "Unsafe Meet returned a link this site does not accept; paste a link instead. "
        "Nothing was changed."
    )
    assert row(pending_session) == before
    assert side_effects() == NO_SIDE_EFFECTS


# --- change link (confirmed only) -------------------------------------------------------------


def test_change_link_stores_new_canonical_link(confirmed_session, admin_user):
    before = timezone.now()

    services.change_meeting_link(confirmed_session, link=f" {NEW_MEET}/#x ", by=admin_user)

    after = timezone.now()
    session = MentoringSession.objects.get(pk=confirmed_session.pk)
    assert session.status == Status.CONFIRMED
    assert session.admin_provided_link == NEW_MEET
    assert session.get_meeting_link == NEW_MEET
    assert before <= session.link_provided_at <= after
    assert session.ics_sequence == 2
    assert (session.confirmed_by, session.confirmed_at) == (admin_user, CONFIRMED_AT)


def test_change_link_records_old_and_new_link_in_audit(confirmed_session, second_admin):
    services.change_meeting_link(confirmed_session, link=NEW_MEET, by=second_admin)

    assert only_event() == {
        "session_id": confirmed_session.pk,
        "actor_id": second_admin.pk,
        "action": SessionEvent.Action.CHANGE_LINK,
        "from_status": Status.CONFIRMED,
        "to_status": Status.CONFIRMED,
        "old_link": MEET,
        "new_link": NEW_MEET,
        "note": "",
    }


def test_change_link_queues_link_changed_email_to_both(confirmed_session, admin_user):
    services.change_meeting_link(confirmed_session, link=NEW_MEET, by=admin_user)

    assert queued_emails() == [
        (EmailKind.LINK_CHANGED, "john@example.com", "REQUEST"),
        (EmailKind.LINK_CHANGED, "jane@example.com", "REQUEST"),
    ]
    for email in OutboundEmail.objects.all():
        assert NEW_MEET in email.body_text
        assert NEW_MEET in email.body_html


def test_change_link_replaces_auto_generated_link(mentor, mentee, admin_user):
    session = session_in(
        Status.CONFIRMED,
        mentor=mentor,
        mentee=mentee,
        confirmed_by=admin_user,
        admin_provided_link="",
        meeting_link=AUTO_MEET,
    )

    services.change_meeting_link(session, link=NEW_MEET, by=admin_user)

    session.refresh_from_db()
    assert (session.admin_provided_link, session.get_meeting_link) == (NEW_MEET, NEW_MEET)
    assert (only_event()["old_link"], only_event()["new_link"]) == (AUTO_MEET, NEW_MEET)


@pytest.mark.parametrize("same_link", [MEET, f"{MEET}/", " https://MEET.google.com/abc-defg-hij "])
def test_change_link_refuses_the_current_link(confirmed_session, admin_user, same_link):
    before = row(confirmed_session)

    with pytest.raises(
        SessionActionError, match="^That is already the session's link; nothing was changed.$"
    ):
        services.change_meeting_link(confirmed_session, link=same_link, by=admin_user)

    assert row(confirmed_session) == before
    assert side_effects() == NO_SIDE_EFFECTS


@pytest.mark.parametrize("status", [Status.PENDING, Status.COMPLETED, Status.CANCELLED])
def test_change_link_refused_unless_confirmed(mentor, mentee, admin_user, status):
    session = session_in(status, mentor=mentor, mentee=mentee, confirmed_by=admin_user)
    before = row(session)

    with pytest.raises(SessionActionError) as info:
        services.change_meeting_link(session, link=NEW_MEET, by=admin_user)

    assert str(info.value) == (
        f"Only a confirmed session's link can be changed; this one is {status}. "
        "Nothing was changed."
    )
    assert row(session) == before
    assert side_effects() == NO_SIDE_EFFECTS


def test_change_link_refuses_invalid_link(confirmed_session, admin_user):
    before = row(confirmed_session)

    with pytest.raises(ValidationError) as info:
        services.change_meeting_link(
            confirmed_session, link="https://meet.google.com@evil.test/xyz-wxyz-xyz", by=admin_user
        )

    assert info.value.messages == ["The link must not contain a user name or password."]
    assert row(confirmed_session) == before
    assert side_effects() == NO_SIDE_EFFECTS


# --- complete: confirmed → completed --------------------------------------------------------


@pytest.fixture
def started(clock):
    """The clock ten minutes into the sessions of START: a session may be completed now."""
    return clock.set(START + timedelta(minutes=10))


def test_complete_sets_status_and_completed_at(started, confirmed_session, admin_user):
    services.complete_session(confirmed_session, by=admin_user)

    session = MentoringSession.objects.get(pk=confirmed_session.pk)
    assert session.status == Status.COMPLETED
    assert session.completed_at == started
    assert session.get_meeting_link == MEET
    assert session.ics_sequence == 1


def test_complete_records_audit_event(started, confirmed_session, admin_user):
    services.complete_session(confirmed_session, by=admin_user)

    assert only_event() == {
        "session_id": confirmed_session.pk,
        "actor_id": admin_user.pk,
        "action": SessionEvent.Action.COMPLETE,
        "from_status": Status.CONFIRMED,
        "to_status": Status.COMPLETED,
        "old_link": MEET,
        "new_link": MEET,
        "note": "",
    }


def test_complete_queues_thank_you_to_mentee_only(started, confirmed_session, admin_user):
    services.complete_session(confirmed_session, by=admin_user)

    assert queued_emails() == [(EmailKind.SESSION_COMPLETED, "john@example.com", "")]


@pytest.mark.parametrize("who", ["mentor", "admin_user"])
def test_nobody_completes_before_the_start(request, clock, who, confirmed_session):
    clock.now = START - timedelta(seconds=1)
    before = row(confirmed_session)

    with pytest.raises(SessionActionError) as info:
        services.complete_session(confirmed_session, by=request.getfixturevalue(who))

    assert str(info.value) == (
        "A session can be marked completed once it has started; nothing was changed."
    )
    assert row(confirmed_session) == before
    assert side_effects() == NO_SIDE_EFFECTS


def test_mentor_may_complete_after_the_start(mentor, mentee, admin_user):
    session = session_in(
        Status.CONFIRMED,
        mentor=mentor,
        mentee=mentee,
        confirmed_by=admin_user,
        start=timezone.now() - timedelta(minutes=30),
    )

    services.complete_session(session, by=mentor)

    session.refresh_from_db()
    assert session.status == Status.COMPLETED
    assert only_event()["actor_id"] == mentor.pk


def test_admin_may_complete_from_the_start(clock, confirmed_session, admin_user):
    clock.now = START

    services.complete_session(confirmed_session, by=admin_user)

    confirmed_session.refresh_from_db()
    assert (confirmed_session.status, confirmed_session.completed_at) == (Status.COMPLETED, START)


# --- cancel: pending/confirmed → cancelled ---------------------------------------------------


def test_cancel_pending_sets_canceller_and_reason(pending_session, mentee):
    before = timezone.now()

    services.cancel_session(pending_session, by=mentee, reason="Found the bug myself")

    after = timezone.now()
    session = MentoringSession.objects.get(pk=pending_session.pk)
    assert session.status == Status.CANCELLED
    assert session.cancelled_by == mentee
    assert before <= session.cancelled_at <= after
    assert session.cancellation_reason == "Found the bug myself"
    assert session.ics_sequence == 0


def test_cancel_pending_records_audit_event(pending_session, mentee):
    services.cancel_session(pending_session, by=mentee, reason="Found the bug myself")

    assert only_event() == {
        "session_id": pending_session.pk,
        "actor_id": mentee.pk,
        "action": SessionEvent.Action.CANCEL,
        "from_status": Status.PENDING,
        "to_status": Status.CANCELLED,
        "old_link": "",
        "new_link": "",
        "note": "Found the bug myself",
    }


def test_cancel_pending_queues_cancellation_without_invite(pending_session, mentee):
    services.cancel_session(pending_session, by=mentee, reason="")

    assert queued_emails() == [
        (EmailKind.SESSION_CANCELLED, "john@example.com", ""),
        (EmailKind.SESSION_CANCELLED, "jane@example.com", ""),
    ]
    assert list(OutboundEmail.objects.values_list("ics", flat=True)) == ["", ""]


def test_cancel_confirmed_raises_ics_sequence(confirmed_session, mentor):
    services.cancel_session(confirmed_session, by=mentor, reason="Mentor is ill")

    session = MentoringSession.objects.get(pk=confirmed_session.pk)
    assert session.status == Status.CANCELLED
    assert session.cancelled_by == mentor
    assert session.cancellation_reason == "Mentor is ill"
    assert session.ics_sequence == 2


def test_cancel_confirmed_records_audit_event(confirmed_session, mentor):
    services.cancel_session(confirmed_session, by=mentor, reason="Mentor is ill")

    assert only_event() == {
        "session_id": confirmed_session.pk,
        "actor_id": mentor.pk,
        "action": SessionEvent.Action.CANCEL,
        "from_status": Status.CONFIRMED,
        "to_status": Status.CANCELLED,
        "old_link": MEET,
        "new_link": MEET,
        "note": "Mentor is ill",
    }


def test_cancel_confirmed_queues_cancel_invite_to_both(confirmed_session, mentor):
    services.cancel_session(confirmed_session, by=mentor, reason="Mentor is ill")

    assert queued_emails() == [
        (EmailKind.SESSION_CANCELLED, "john@example.com", "CANCEL"),
        (EmailKind.SESSION_CANCELLED, "jane@example.com", "CANCEL"),
    ]


def test_cancel_collapses_whitespace_in_reason(pending_session, mentee):
    services.cancel_session(pending_session, by=mentee, reason="  Mentor\n\tis   ill  ")

    pending_session.refresh_from_db()
    assert pending_session.cancellation_reason == "Mentor is ill"


def test_cancel_paid_session_marks_refund_due(mentor, mentee, admin_user):
    session = session_in(
        Status.CONFIRMED,
        mentor=mentor,
        mentee=mentee,
        confirmed_by=admin_user,
        payment_status=PaymentStatus.PAID,
    )

    services.cancel_session(session, by=admin_user, reason="")

    session.refresh_from_db()
    assert session.payment_status == PaymentStatus.REFUND_DUE


def test_cancel_unpaid_session_keeps_payment_status(pending_session, admin_user):
    services.cancel_session(pending_session, by=admin_user, reason="")

    pending_session.refresh_from_db()
    assert pending_session.payment_status == PaymentStatus.PENDING


# --- illegal transitions change nothing ------------------------------------------------------


def _confirm(session, by):
    return services.confirm_session(session, link=NEW_MEET, by=by)


def _complete(session, by):
    return services.complete_session(session, by=by)


def _cancel(session, by):
    return services.cancel_session(session, by=by, reason="Changed my mind")


def _set_status(action: str):
    def act(session, by):
        return services.set_status(session, action=action, by=by, link=NEW_MEET, reason="x")

    return act


@pytest.mark.parametrize(
    ("status", "act", "message"),
    [
        (Status.PENDING, _complete, "A pending session cannot be completed; nothing was changed."),
        (
            Status.CANCELLED,
            _complete,
            "This session is cancelled, which is final; it cannot be completed. "
            "Nothing was changed.",
        ),
        (Status.COMPLETED, _complete, "This session is already completed; nothing was changed."),
        (Status.CONFIRMED, _confirm, ALREADY_CONFIRMED),
        (
            Status.CANCELLED,
            _confirm,
            "This session is cancelled, which is final; it cannot be confirmed. "
            "Nothing was changed.",
        ),
        (
            Status.COMPLETED,
            _confirm,
            "This session is completed, which is final; it cannot be confirmed. "
            "Nothing was changed.",
        ),
        (Status.CANCELLED, _cancel, "This session is already cancelled; nothing was changed."),
        (
            Status.COMPLETED,
            _cancel,
            "This session is completed, which is final; it cannot be cancelled. "
            "Nothing was changed.",
        ),
        (
            Status.PENDING,
            _set_status("pending"),
            "This session is already pending; nothing was changed.",
        ),
        (
            Status.CONFIRMED,
            _set_status("pending"),
            "A confirmed session cannot be moved back to pending; nothing was changed.",
        ),
        (
            Status.COMPLETED,
            _set_status("pending"),
            "A completed session cannot be moved back to pending; nothing was changed.",
        ),
        (
            Status.CANCELLED,
            _set_status("pending"),
            "A cancelled session cannot be moved back to pending; nothing was changed.",
        ),
        (Status.PENDING, _set_status("archive"), "Unknown action; nothing was changed."),
        (Status.CONFIRMED, _set_status(""), "Unknown action; nothing was changed."),
        (Status.CONFIRMED, _set_status("completed "), "Unknown action; nothing was changed."),
        (
            Status.COMPLETED,
            _set_status("cancelled"),
            "This session is completed, which is final; it cannot be cancelled. "
            "Nothing was changed.",
        ),
        (
            Status.CANCELLED,
            _set_status("completed"),
            "This session is cancelled, which is final; it cannot be completed. "
            "Nothing was changed.",
        ),
    ],
    ids=[
        "complete-pending",
        "complete-cancelled",
        "complete-completed",
        "confirm-confirmed",
        "confirm-cancelled",
        "confirm-completed",
        "cancel-cancelled",
        "cancel-completed",
        "pending-pending",
        "pending-confirmed",
        "pending-completed",
        "pending-cancelled",
        "unknown-action",
        "empty-action",
        "action-with-space",
        "set-status-cancel-completed",
        "set-status-complete-cancelled",
    ],
)
def test_illegal_action_is_refused_and_changes_nothing(
    mentor, mentee, admin_user, status, act, message
):
    session = session_in(status, mentor=mentor, mentee=mentee, confirmed_by=admin_user)
    before = row(session)

    with pytest.raises(SessionActionError) as info:
        act(session, admin_user)

    assert str(info.value) == message
    assert row(session) == before
    assert side_effects() == NO_SIDE_EFFECTS


# --- set_status dispatches to the one service per action --------------------------------------


def test_set_status_confirmed_confirms_with_link(pending_session, admin_user):
    services.set_status(pending_session, action="confirmed", by=admin_user, link=MEET)

    pending_session.refresh_from_db()
    assert (pending_session.status, pending_session.admin_provided_link) == (
        Status.CONFIRMED,
        MEET,
    )


def test_set_status_cancelled_passes_the_reason(pending_session, admin_user):
    services.set_status(pending_session, action="cancelled", by=admin_user, reason="Double booked")

    pending_session.refresh_from_db()
    assert (pending_session.status, pending_session.cancellation_reason) == (
        Status.CANCELLED,
        "Double booked",
    )


def test_set_status_completed_completes(started, confirmed_session, admin_user):
    services.set_status(confirmed_session, action="completed", by=admin_user)

    confirmed_session.refresh_from_db()
    assert confirmed_session.status == Status.COMPLETED


# --- one transaction: all or nothing ---------------------------------------------------------


def test_confirm_rolls_back_when_queuing_emails_fails(monkeypatch, pending_session, admin_user):
    def outbox_down(session):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("bookings.emails.queue_session_confirmed", outbox_down)
    before = row(pending_session)

    with pytest.raises(RuntimeError, match="outbox down"):
        services.confirm_session(pending_session, link=MEET, by=admin_user)

    assert row(pending_session) == before
    assert row(pending_session)["status"] == Status.PENDING
    assert side_effects() == NO_SIDE_EFFECTS


def test_cancel_rolls_back_when_queuing_emails_fails(monkeypatch, confirmed_session, mentor):
    def outbox_down(session, *, was_confirmed):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("bookings.emails.queue_session_cancelled", outbox_down)
    before = row(confirmed_session)

    with pytest.raises(RuntimeError, match="outbox down"):
        services.cancel_session(confirmed_session, by=mentor, reason="Mentor is ill")

    assert row(confirmed_session) == before
    assert side_effects() == NO_SIDE_EFFECTS


# --- two admins at the same moment: exactly one wins -----------------------------------------


def _confirm(session: MentoringSession, admin) -> tuple[str, int]:
    services.confirm_session(session, link=MEET, by=admin)
    return ("confirmed", admin.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_exactly_one_wins(mentor, mentee, admin_user, second_admin):
    sessions = [
        SessionFactory(mentor=mentor, mentee=mentee, start=START + timedelta(days=day))
        for day in range(5)
    ]

    for session in sessions:
        # Each admin's page was loaded while the session was pending.
        outcomes = run_together(
            *(
                partial(_confirm, MentoringSession.objects.get(pk=session.pk), admin)
                for admin in (admin_user, second_admin)
            ),
            refused=(SessionActionError,),
        )

        winner = MentoringSession.objects.get(pk=session.pk)
        assert sorted(outcomes, key=repr) == sorted(
            [("confirmed", winner.confirmed_by_id), f"refused: {ALREADY_CONFIRMED}"], key=repr
        )
        assert winner.status == Status.CONFIRMED
        assert winner.ics_sequence == 1
        assert OutboundEmail.objects.filter(session=session).count() == 2
        assert SessionEvent.objects.filter(session=session).count() == 1

    assert side_effects() == {"events": 5, "emails": 10, "tasks": 0}  # tasks: the relay's
