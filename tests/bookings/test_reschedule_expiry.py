"""A moved pending session is judged by its new time (docs/PRODUCT.md §2.7, §7.3): the
expiry job cancels it at the lead time before the new start, and confirming it is refused
once the new start has passed, whatever the old time was."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from bookings import jobs, services
from bookings.models import MentoringSession, SessionEvent, Status
from notifications.models import EmailKind, OutboundEmail
from tests.availability.factories import every_day
from tests.conftest import MEET
from tests.factories import SessionFactory

NOW = datetime(2030, 1, 10, 8, 0, tzinfo=UTC)
FAR = NOW + timedelta(days=5)
NEAR = NOW + timedelta(hours=13)  # 22:00 in Berlin, past the 12 hours of booking notice
LEAD = timedelta(hours=2)  # PENDING_EXPIRY_LEAD_HOURS

pytestmark = [pytest.mark.clock(NOW), pytest.mark.usefixtures("booking_rules")]


@pytest.fixture(autouse=True)
def expiry_lead(settings):
    settings.PENDING_EXPIRY_LEAD_HOURS = 2


def pending_at(start, mentor, mentee) -> MentoringSession:
    every_day(mentor, time(0), time(23, 30))
    return SessionFactory(mentor=mentor, mentee=mentee, start=start)


def status_of(session) -> str:
    return MentoringSession.objects.get(pk=session.pk).status


def test_a_pending_session_moved_close_to_now_expires_by_its_new_start(mentor, mentee):
    session = pending_at(FAR, mentor, mentee)
    services.reschedule_session(session, start=NEAR, by=mentor, now=NOW)

    assert jobs.expire_pending_sessions(now=NEAR - LEAD - timedelta(seconds=1)) == 0
    assert status_of(session) == Status.PENDING
    assert jobs.expire_pending_sessions(now=NEAR - LEAD) == 1

    session.refresh_from_db()
    assert (session.status, session.cancelled_by, session.cancellation_reason) == (
        Status.CANCELLED,
        None,
        jobs.EXPIRED_REASON,
    )
    assert list(
        OutboundEmail.objects.filter(kind=EmailKind.SESSION_CANCELLED)
        .order_by("id")
        .values_list("to_email", flat=True)
    ) == ["john@example.com", "jane@example.com"]


def test_a_pending_session_moved_away_no_longer_expires_at_its_old_time(mentor, mentee):
    session = pending_at(NEAR, mentor, mentee)
    services.reschedule_session(session, start=FAR, by=mentor, now=NOW)

    assert jobs.expire_pending_sessions(now=NEAR - LEAD) == 0
    assert jobs.expire_pending_sessions(now=NEAR + timedelta(hours=1)) == 0
    assert status_of(session) == Status.PENDING
    assert jobs.expire_pending_sessions(now=FAR - LEAD) == 1
    assert status_of(session) == Status.CANCELLED


def test_a_session_moved_to_a_time_now_past_cannot_be_confirmed(clock, mentor, mentee, admin_user):
    session = pending_at(FAR, mentor, mentee)
    session = services.reschedule_session(session, start=NEAR, by=mentor, now=NOW)
    clock.set(NEAR + timedelta(minutes=1))  # the old time, FAR, is days away still
    before = MentoringSession.objects.values().get(pk=session.pk)
    counts = (
        SessionEvent.objects.count(),
        OutboundEmail.objects.count(),
        DBTaskResult.objects.count(),
    )

    with pytest.raises(services.SessionActionError) as refused:
        services.confirm_session(session, link=MEET, by=admin_user)

    assert str(refused.value) == (
        "This session's start time has passed; it can no longer be confirmed. Nothing was changed."
    )
    assert MentoringSession.objects.values().get(pk=session.pk) == before
    assert (
        SessionEvent.objects.count(),
        OutboundEmail.objects.count(),
        DBTaskResult.objects.count(),
    ) == counts


def test_a_session_moved_later_can_be_confirmed_after_its_old_time(
    clock, mentor, mentee, admin_user
):
    session = pending_at(NEAR, mentor, mentee)
    session = services.reschedule_session(session, start=FAR, by=mentor, now=NOW)
    clock.set(NEAR + timedelta(minutes=1))  # past the old time, days before the new one

    confirmed = services.confirm_session(session, link=MEET, by=admin_user)

    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.start, confirmed.get_meeting_link) == (
        Status.CONFIRMED,
        FAR,
        MEET,
    )
