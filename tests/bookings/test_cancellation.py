"""Cancelling by the people in a session (docs/PRODUCT.md).

The mentee may cancel until MENTEE_CANCEL_CUTOFF_HOURS (24 h) before the start, the mentor
until the start, an admin at any time; everyone goes through the one cancel service, so
the rules hold for every entry point, and both people are told who cancelled and why.

The session under test starts 2030-01-15 13:00 UTC = 08:00 in New York (the mentee) =
14:00 in Berlin (the mentor); the mentee's cut-off is 2030-01-14 13:00 UTC.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import MentoringSession, SessionEvent, Status
from bookings.services import SessionActionError
from notifications.models import EmailKind, OutboundEmail
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory
from tests.helpers import messages_of, visible_text

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
CUTOFF = START - timedelta(hours=24)
SECOND = timedelta(seconds=1)
TOO_LATE = (
    "It is too late to cancel this session: cancelling closed 24 hours before the start, "
    "at 2030-01-14 08:00 (America/New_York). Nothing was changed."
)
STARTED = "This session has already started; it can no longer be cancelled. Nothing was changed."

# The `clock` fixture (tests/conftest.py) starts a day before the mentee's cutoff.
pytestmark = pytest.mark.clock(CUTOFF - timedelta(days=1))


@pytest.fixture
def session(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


def _state(session: MentoringSession) -> dict:
    """Everything a refused cancel must leave untouched."""
    return {
        "session": MentoringSession.objects.values().get(pk=session.pk),
        "events": SessionEvent.objects.filter(session=session).count(),
        "emails": OutboundEmail.objects.filter(session=session).count(),
    }


def _cancel(user, session, reason="Something came up.", **extra):
    return client_for(user).post(f"/sessions/{session.pk}/cancel/", {"reason": reason, **extra})


# --- the mentee ------------------------------------------------------------------------


def test_mentee_cancels_before_the_cutoff(clock, mentee, session):
    clock.now = CUTOFF - SECOND

    response = _cancel(mentee, session, reason="Exam moved to that day.")

    session.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert (session.status, session.cancelled_by, session.cancellation_reason) == (
        Status.CANCELLED,
        mentee,
        "Exam moved to that day.",
    )
    assert session.cancelled_at == CUTOFF - SECOND
    assert messages_of(response) == [
        ("success", "Session cancelled. Your mentor has been notified.")
    ]


def test_mentee_cancelling_from_the_dashboard_goes_back_to_it(clock, mentee, session):
    response = _cancel(mentee, session, return_to="dashboard")

    assert response["Location"] == "/dashboard/"
    assert MentoringSession.objects.get(pk=session.pk).status == Status.CANCELLED


def test_cancelling_from_a_later_page_of_the_dashboard_goes_back_to_that_page(
    clock, mentee, session
):
    places = "upcoming=after.0.1.2&past=before.0.3.4"

    response = _cancel(
        mentee, session, return_to="dashboard", return_query=f"{places}&next=https://evil.test"
    )

    assert response["Location"] == f"/dashboard/?{places}"
    assert MentoringSession.objects.get(pk=session.pk).status == Status.CANCELLED


def test_return_to_never_redirects_elsewhere(clock, mentee, session):
    response = _cancel(mentee, session, return_to="https://evil.test/")

    assert response["Location"] == f"/sessions/{session.pk}/"


@pytest.mark.parametrize("now", [CUTOFF, CUTOFF + SECOND, START - SECOND, START + SECOND])
def test_mentee_cancel_at_or_after_the_cutoff_is_refused_and_changes_nothing(
    clock, now, mentee, session
):
    clock.now = now
    before = _state(session)

    response = _cancel(mentee, session)

    assert response["Location"] == f"/sessions/{session.pk}/"
    assert messages_of(response) == [("error", TOO_LATE)]
    assert _state(session) == before


def test_the_service_refuses_the_mentee_after_the_cutoff_whoever_calls_it(clock, mentee, session):
    clock.now = CUTOFF
    before = _state(session)

    with timezone.override("America/New_York"), pytest.raises(SessionActionError) as error:
        services.cancel_session(session, by=mentee, reason="Late")

    assert str(error.value) == TOO_LATE
    assert _state(session) == before


@pytest.mark.parametrize(("hours", "allowed"), [(48, False), (12, True)])
def test_the_cutoff_follows_the_setting(settings, clock, hours, allowed, mentee, session):
    settings.MENTEE_CANCEL_CUTOFF_HOURS = hours
    clock.now = START - timedelta(hours=24)

    if allowed:
        services.cancel_session(session, by=mentee, reason="Ok")
    else:
        with pytest.raises(SessionActionError, match="closed 48 hours before the start"):
            services.cancel_session(session, by=mentee, reason="Too late")

    cancelled = MentoringSession.objects.get(pk=session.pk).status == Status.CANCELLED
    assert cancelled == allowed


def test_mentee_may_cancel_a_pending_session_too(clock, mentee, pending_session):
    _cancel(mentee, pending_session)

    assert MentoringSession.objects.get(pk=pending_session.pk).status == Status.CANCELLED


# --- the mentee withdraws a request nobody has confirmed -----------------------------------

WITHDRAWING_CLOSED = (
    "This request's start time has passed; it can no longer be withdrawn. Nothing was changed."
)


@pytest.mark.parametrize("now", [CUTOFF, CUTOFF + timedelta(hours=11), START - SECOND])
def test_mentee_withdraws_a_pending_request_until_its_start(clock, now, mentee, pending_session):
    clock.now = now

    response = _cancel(mentee, pending_session, reason="Found a closer time.")

    session = MentoringSession.objects.get(pk=pending_session.pk)
    assert (session.status, session.cancelled_by, session.cancelled_at) == (
        Status.CANCELLED,
        mentee,
        now,
    )
    assert session.cancellation_reason == "Found a closer time."
    assert messages_of(response) == [
        ("success", "Request withdrawn. Your mentor has been notified.")
    ]
    assert sorted(OutboundEmail.objects.values_list("kind", "to_email")) == [
        (EmailKind.SESSION_CANCELLED, "jane@example.com"),
        (EmailKind.SESSION_CANCELLED, "john@example.com"),
    ]


@pytest.mark.parametrize("now", [START, START + SECOND])
def test_withdrawing_a_pending_request_closes_at_its_start(clock, now, mentee, pending_session):
    clock.now = now
    before = _state(pending_session)

    response = _cancel(mentee, pending_session)

    assert messages_of(response) == [("error", WITHDRAWING_CLOSED)]
    assert _state(pending_session) == before


def test_a_request_confirmed_meanwhile_falls_under_the_cutoff(
    clock, mentee, admin_user, pending_session
):
    clock.now = CUTOFF + timedelta(hours=1)
    services.confirm_session(pending_session, link=MEET, by=admin_user)
    before = _state(pending_session)

    with timezone.override("America/New_York"), pytest.raises(SessionActionError) as error:
        services.cancel_session(pending_session, by=mentee, reason="Too late now")

    assert str(error.value) == TOO_LATE
    assert _state(pending_session) == before


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_mentee_must_give_a_reason(clock, reason, mentee, session):
    before = _state(session)

    response = _cancel(mentee, session, reason=reason)

    assert messages_of(response) == [("error", "Please give a reason for cancelling.")]
    assert _state(session) == before


def test_another_mentee_gets_404_and_changes_nothing(clock, other_mentee, session):
    before = _state(session)

    response = _cancel(other_mentee, session)

    assert response.status_code == 404
    assert _state(session) == before


def test_another_mentor_gets_404_and_changes_nothing(clock, session):
    stranger = SessionFactory().mentor
    before = _state(session)

    response = _cancel(stranger, session)

    assert response.status_code == 404
    assert _state(session) == before


def test_the_service_refuses_someone_outside_the_session(clock, other_mentee, session):
    with pytest.raises(SessionActionError, match="^Only the session's mentee, its mentor or"):
        services.cancel_session(session, by=other_mentee, reason="Not mine")


# --- the mentor ------------------------------------------------------------------------


def test_mentor_may_cancel_after_the_mentees_cutoff_until_the_start(clock, mentor, session):
    clock.now = START - SECOND

    response = _cancel(mentor, session, reason="Family emergency.")

    session.refresh_from_db()
    assert (session.status, session.cancelled_by) == (Status.CANCELLED, mentor)
    assert messages_of(response) == [
        ("success", "Session cancelled. The mentee has been notified.")
    ]


@pytest.mark.parametrize("now", [START, START + timedelta(minutes=30)])
def test_mentor_cancel_at_or_after_the_start_is_refused_and_changes_nothing(
    clock, now, mentor, session
):
    clock.now = now
    before = _state(session)

    response = _cancel(mentor, session)

    assert messages_of(response) == [("error", STARTED)]
    assert _state(session) == before


def test_mentor_must_give_a_reason(clock, mentor, session):
    before = _state(session)

    response = _cancel(mentor, session, reason=" ")

    assert messages_of(response) == [("error", "Please give a reason for cancelling.")]
    assert _state(session) == before


# --- admins and the system have no time limit ------------------------------------------


def test_an_admin_may_cancel_after_the_start(clock, admin_user, session):
    clock.now = START + timedelta(minutes=10)

    services.cancel_session(session, by=admin_user, reason="No-show")

    assert MentoringSession.objects.get(pk=session.pk).status == Status.CANCELLED


def test_the_system_may_cancel_after_the_start(clock, session):
    clock.now = START + timedelta(minutes=10)

    services.cancel_session(session, by=None, reason="Not confirmed in time")

    assert MentoringSession.objects.get(pk=session.pk).cancelled_by is None


# --- both are told who cancelled and why -----------------------------------------------


@pytest.mark.parametrize(
    ("canceller", "to_mentee", "to_mentor"),
    [
        ("mentee", "you", "John Doe (the mentee)"),
        ("mentor", "Jane Smith (the mentor)", "you"),
    ],
)
def test_both_are_emailed_who_cancelled_and_why(
    request, clock, canceller, to_mentee, to_mentor, session
):
    OutboundEmail.objects.all().delete()  # the confirmation's emails

    _cancel(request.getfixturevalue(canceller), session, reason="Exam moved.")

    rows = {row.to_email: row for row in OutboundEmail.objects.all()}
    assert sorted(rows) == ["jane@example.com", "john@example.com"]
    assert {row.kind for row in rows.values()} == {EmailKind.SESSION_CANCELLED}
    mentee_text = rows["john@example.com"].body_text.splitlines()
    mentor_text = rows["jane@example.com"].body_text.splitlines()
    assert (
        "Your session with Jane Smith on 2030-01-15 at 08:00 (America/New_York) has been "
        f"cancelled by {to_mentee}." in mentee_text
    )
    assert (
        "Your session with John Doe on 2030-01-15 at 14:00 (Europe/Berlin) has been "
        f"cancelled by {to_mentor}." in mentor_text
    )
    assert "Reason: Exam moved." in mentee_text
    assert "Reason: Exam moved." in mentor_text
    assert "Reason: Exam moved." in rows["jane@example.com"].body_html


# --- what the pages offer --------------------------------------------------------------


def test_detail_page_offers_the_mentee_the_form_and_shows_the_cutoff_in_her_zone(
    clock, mentee, session
):
    html = client_for(mentee).get(f"/sessions/{session.pk}/").content.decode()

    assert f'action="/sessions/{session.pk}/cancel/"' in html
    assert "Reason for cancelling (your mentor will see it)" in html
    assert (
        "You can cancel until 2030-01-14 08:00 (America/New_York), 24 hours before the start."
    ) in visible_text(html)


def test_detail_page_after_the_cutoff_offers_no_form_and_says_why(clock, mentee, session):
    clock.now = CUTOFF

    html = client_for(mentee).get(f"/sessions/{session.pk}/").content.decode()

    assert f'action="/sessions/{session.pk}/cancel/"' not in html
    assert (
        "Cancelling closed at 2030-01-14 08:00 (America/New_York), 24 hours before the start."
    ) in visible_text(html)


# Before the cut-off, and inside it (11 hours after): a request may be withdrawn either way;
# what is said of the cut-off once it is confirmed differs.
BEFORE_THE_CUTOFF = (
    None,
    "you can cancel it until 2030-01-14 08:00 (America/New_York), 24 hours before the start.",
)
INSIDE_THE_CUTOFF = (timedelta(hours=11), "it can no longer be cancelled here.")
WITHDRAWAL_MOMENTS = pytest.mark.parametrize(
    ("after_cutoff", "once_confirmed"),
    [BEFORE_THE_CUTOFF, INSIDE_THE_CUTOFF],
    ids=["before-the-cutoff", "inside-the-cutoff"],
)


@WITHDRAWAL_MOMENTS
def test_detail_page_offers_to_withdraw_a_pending_request(
    clock, mentee, pending_session, after_cutoff, once_confirmed
):
    if after_cutoff is not None:
        clock.now = CUTOFF + after_cutoff

    html = client_for(mentee).get(f"/sessions/{pending_session.pk}/").content.decode()

    assert f'action="/sessions/{pending_session.pk}/cancel/"' in html
    assert "Reason for withdrawing (your mentor will see it)" in html
    assert "Withdraw request</button>" in html
    assert (
        "Nobody has confirmed this request yet: you can withdraw it until the session starts, "
        f"at 2030-01-15 08:00 (America/New_York). Once it is confirmed, {once_confirmed}"
    ) in visible_text(html)


def test_detail_page_of_a_pending_request_that_has_started_offers_no_form(
    clock, mentee, pending_session
):
    clock.now = START

    html = client_for(mentee).get(f"/sessions/{pending_session.pk}/").content.decode()

    assert "/cancel/" not in html
    assert (
        "Withdrawing closed when the session started, at 2030-01-15 08:00 (America/New_York)."
    ) in visible_text(html)


@WITHDRAWAL_MOMENTS
def test_dashboard_card_offers_to_withdraw_a_pending_request(
    clock, mentee, pending_session, after_cutoff, once_confirmed
):
    if after_cutoff is not None:
        clock.now = CUTOFF + after_cutoff

    html = client_for(mentee).get("/dashboard/").content.decode()

    assert f'action="/sessions/{pending_session.pk}/cancel/"' in html
    assert "<summary>Withdraw request</summary>" in html
    assert "Reason for withdrawing (Jane Smith will see it)" in html
    assert (
        f"You can withdraw this request until it starts. Once it is confirmed, {once_confirmed}"
    ) in visible_text(html)


def test_dashboard_card_offers_the_mentee_cancel_with_the_cutoff(clock, mentee, session):
    html = client_for(mentee).get("/dashboard/").content.decode()

    assert f'action="/sessions/{session.pk}/cancel/"' in html
    assert '<input type="hidden" name="return_to" value="dashboard">' in html
    assert (
        "You can cancel until 2030-01-14 08:00 (America/New_York), 24 hours before the start."
    ) in visible_text(html)


def test_dashboard_card_after_the_cutoff_offers_no_cancel(clock, mentee, session):
    clock.now = CUTOFF + timedelta(hours=1)

    html = client_for(mentee).get("/dashboard/").content.decode()

    assert "/cancel/" not in html
    assert "Cancelling closed at 2030-01-14 08:00 (America/New_York)" in visible_text(html)


def test_dashboard_card_offers_the_mentor_cancel_until_the_start(clock, mentor, session):
    clock.now = START - timedelta(minutes=5)

    html = client_for(mentor).get("/dashboard/").content.decode()

    assert f'action="/sessions/{session.pk}/cancel/"' in html
    assert "Reason for cancelling (John Doe will see it)" in html


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.COMPLETED])
@pytest.mark.parametrize("who", ["mentee", "mentor"])
def test_final_sessions_offer_no_cancel(request, clock, status, who, mentor, mentee):
    final = SessionFactory(mentor=mentor, mentee=mentee, start=START, status=status)
    client = client_for(request.getfixturevalue(who))

    for page in ("/dashboard/", f"/sessions/{final.pk}/"):
        assert "/cancel/" not in client.get(page).content.decode()
