"""The people's pages: /dashboard/ ("My Sessions") and /sessions/<id>/ (docs/PRODUCT.md)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import MentoringSession, Status
from notifications.models import OutboundEmail
from tests.conftest import MEET, client_for
from tests.factories import MentorProfileFactory, SessionFactory, UserFactory
from tests.helpers import messages_of, visible_text

SNAPSHOT_FIELDS = (
    "status",
    "admin_provided_link",
    "completed_at",
    "cancelled_by",
    "cancelled_at",
    "cancellation_reason",
    "updated_at",
)


def _section(html: str, title_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {title_id}"
    return match.group(1)


def _card_ids(section: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-session-id="(\d+)"', section)]


def _card(html: str, pk: int) -> str:
    match = re.search(
        rf'<article class="card session-card" data-session-id="{pk}">(.*?)</article>', html, re.S
    )
    assert match, f"no card for session {pk}"
    return match.group(1)


def _snapshot(session: MentoringSession) -> dict:
    return MentoringSession.objects.values(*SNAPSHOT_FIELDS).get(pk=session.pk)


@pytest.fixture
def confirmed_session(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


@pytest.fixture
def started_session(mentor, mentee, admin_user):
    """Confirmed, started an hour ago, still running (90 minutes)."""
    start = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    session = SessionFactory(
        mentor=mentor, mentee=mentee, start=start + timedelta(days=2), duration_minutes=90
    )
    services.confirm_session(session, link=MEET, by=admin_user)
    # Confirmed while it was still ahead (a started session can no longer be confirmed);
    # then its start passed.
    MentoringSession.objects.filter(pk=session.pk).update(start=start)
    return MentoringSession.objects.get(pk=session.pk)


# --- the mentee's dashboard ------------------------------------------------------------


def test_confirmed_card_shows_the_seed_details_in_the_viewers_zone(mentee, confirmed_session):
    html = client_for(mentee).get("/dashboard/").content.decode()

    card = _card(html, confirmed_session.pk)
    assert visible_text(card) == (
        "Jane Smith CONFIRMED "
        "Date 2030-01-15 Time 08:00 (America/New_York) Duration 60 minutes Amount $60.00 "
        f"Meeting Link Available Join Google Meet {MEET} "
        "Payment: pending — $60.00 "
        "Reschedule "
        "Cancel session Reason for cancelling (Jane Smith will see it) Cancel session "
        "You can cancel until 2030-01-14 08:00 (America/New_York), 24 hours before the start."
    )


def test_confirmed_card_join_button_and_full_url_link_to_the_meeting(mentee, confirmed_session):
    card = _card(client_for(mentee).get("/dashboard/").content.decode(), confirmed_session.pk)

    assert (
        f'<a class="button join" href="{MEET}" target="_blank" rel="noopener noreferrer">'
        "Join Google Meet</a>"
    ) in card
    assert f'<a href="{MEET}" target="_blank" rel="noopener noreferrer">{MEET}</a>' in card


def test_the_mentor_sees_the_same_session_in_their_own_zone(mentor, confirmed_session):
    html = client_for(mentor).get("/dashboard/").content.decode()

    card = _card(_section(html, "mentor-upcoming-title"), confirmed_session.pk)
    assert "John Doe" in card
    assert "Time 14:00 (Europe/Berlin)" in visible_text(card)


def test_join_label_follows_the_provider(settings, mentee, pending_session, admin_user):
    settings.MEETING_LINK_EXTRA_PROVIDERS = ["zoom"]
    services.confirm_session(pending_session, link="https://zoom.us/j/1234567890", by=admin_user)

    card = _card(client_for(mentee).get("/dashboard/").content.decode(), pending_session.pk)

    assert ">Join Zoom</a>" in card
    assert "Join Google Meet" not in card


def test_pending_card_says_awaiting_confirmation_and_has_no_link(mentee, pending_session):
    card = _card(client_for(mentee).get("/dashboard/").content.decode(), pending_session.pk)

    assert "PENDING" in card
    assert "Awaiting confirmation" in card
    assert "Meeting Link Available" not in card
    assert 'href="https://' not in card


@pytest.mark.parametrize(("who", "lists"), [("mentee", ""), ("mentor", "mentor-")])
def test_a_cancelled_session_stays_under_upcoming_marked_until_its_time_is_over(
    request, clock, who, lists, pending_session, mentor
):
    services.cancel_session(pending_session, by=mentor, reason="I am ill, sorry.")
    viewer = request.getfixturevalue(who)

    html = client_for(viewer).get("/dashboard/").content.decode()
    clock.now = pending_session.end
    later = client_for(viewer).get("/dashboard/").content.decode()  # logged in at that time

    assert _card_ids(_section(html, f"{lists}upcoming-title")) == [pending_session.pk]
    assert _card_ids(_section(html, f"{lists}past-title")) == []
    card = _card(html, pending_session.pk)
    assert '<span class="badge badge-cancelled">CANCELLED</span>' in card
    assert '<p class="cancel-reason">Cancelled: I am ill, sorry.</p>' in card
    assert "/cancel/" not in card and "Awaiting confirmation" not in card
    assert _card_ids(_section(later, f"{lists}upcoming-title")) == []
    assert _card_ids(_section(later, f"{lists}past-title")) == [pending_session.pk]


def test_upcoming_is_soonest_first_and_past_is_latest_first(mentee, mentor):
    now = timezone.now()
    later = SessionFactory(mentor=mentor, mentee=mentee, start=now + timedelta(days=5))
    sooner = SessionFactory(mentor=mentor, mentee=mentee, start=now + timedelta(days=1))
    running = SessionFactory(
        mentor=mentor, mentee=mentee, start=now - timedelta(minutes=30), status=Status.CONFIRMED
    )
    ended = SessionFactory(
        mentor=mentor, mentee=mentee, start=now - timedelta(days=1), status=Status.CONFIRMED
    )
    completed = SessionFactory(
        mentor=mentor, mentee=mentee, start=now - timedelta(days=3), status=Status.COMPLETED
    )
    cancelled_future = SessionFactory(
        mentor=mentor, mentee=mentee, start=now + timedelta(days=9), status=Status.CANCELLED
    )

    html = client_for(mentee).get("/dashboard/").content.decode()

    assert _card_ids(_section(html, "upcoming-title")) == [
        running.pk,
        sooner.pk,
        later.pk,
        cancelled_future.pk,
    ]
    assert _card_ids(_section(html, "past-title")) == [ended.pk, completed.pk]


def test_ended_confirmed_session_has_no_join_button(mentee, mentor):
    ended = SessionFactory(
        mentor=mentor,
        mentee=mentee,
        start=timezone.now() - timedelta(days=1),
        status=Status.CONFIRMED,
        admin_provided_link=MEET,
    )

    card = _card(client_for(mentee).get("/dashboard/").content.decode(), ended.pk)

    assert "Join Google Meet" not in card
    assert "This session has ended and is waiting to be marked completed." in card


def test_upcoming_card_keeps_its_join_button_when_there_are_past_sessions(
    mentee, mentor, confirmed_session
):
    SessionFactory(
        mentor=mentor, mentee=mentee, start=timezone.now() - timedelta(days=2), status="completed"
    )

    card = _card(client_for(mentee).get("/dashboard/").content.decode(), confirmed_session.pk)

    assert "Join Google Meet" in card
    assert "has ended" not in card


def test_a_session_completed_before_its_end_moves_to_past_once_it_has_ended(
    clock, mentee, started_session, mentor
):
    services.complete_session(started_session, by=mentor)
    client = client_for(mentee)

    html = client.get("/dashboard/").content.decode()
    clock.now = started_session.end
    later = client.get("/dashboard/").content.decode()

    assert _card_ids(_section(html, "upcoming-title")) == [started_session.pk]
    assert _card_ids(_section(html, "past-title")) == []
    card = _card(html, started_session.pk)
    assert '<span class="badge badge-completed">COMPLETED</span>' in card
    assert "Join Google Meet" not in card
    assert _card_ids(_section(later, "upcoming-title")) == []
    assert _card_ids(_section(later, "past-title")) == [started_session.pk]


def test_empty_dashboard_says_so(mentee):
    html = client_for(mentee).get("/dashboard/").content.decode()

    assert '<p class="empty">No upcoming sessions.</p>' in html
    assert '<p class="empty">No past sessions yet.</p>' in html


def test_dashboard_shows_only_my_sessions(mentee, other_mentee, mentor, pending_session):
    olgas = SessionFactory(mentor=mentor, mentee=other_mentee)

    html = client_for(other_mentee).get("/dashboard/").content.decode()

    assert _card_ids(html) == [olgas.pk]
    assert pending_session.pk not in _card_ids(html)


def test_a_plain_mentee_has_no_mentor_section(mentee, pending_session):
    html = client_for(mentee).get("/dashboard/").content.decode()

    assert "As a mentor" not in html


def test_an_approved_mentor_sees_their_sessions_as_a_mentor(mentor, pending_session):
    html = client_for(mentor).get("/dashboard/").content.decode()

    assert '<h2 class="section-title">As a mentor</h2>' in html
    assert _card_ids(_section(html, "mentor-upcoming-title")) == [pending_session.pk]
    assert _card_ids(_section(html, "upcoming-title")) == []
    assert "John Doe" in _card(html, pending_session.pk)


def test_an_unapproved_mentor_is_not_shown_mentor_sessions(mentee):
    hopeful = UserFactory()
    MentorProfileFactory(user=hopeful, status="pending")
    SessionFactory(mentor=hopeful, mentee=mentee)

    html = client_for(hopeful).get("/dashboard/").content.decode()

    assert "As a mentor" not in html


def test_a_mentor_who_also_books_sees_both_roles(mentor, mentee):
    as_mentee = SessionFactory(mentee=mentor)
    as_mentor = SessionFactory(mentor=mentor, mentee=mentee)

    html = client_for(mentor).get("/dashboard/").content.decode()

    assert _card_ids(_section(html, "upcoming-title")) == [as_mentee.pk]
    assert _card_ids(_section(html, "mentor-upcoming-title")) == [as_mentor.pk]


# --- session detail --------------------------------------------------------------------


def test_mentor_detail_shows_the_seed_layout(mentor, confirmed_session):
    response = client_for(mentor).get(f"/sessions/{confirmed_session.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    text = visible_text(html)
    assert "<h1>Session with John Doe</h1>" in html
    assert "Date 2030-01-15 Time 14:00 (Europe/Berlin) Duration 60 minutes" in text
    assert "Status: CONFIRMED" in text
    assert "Payment: pending — $60.00" in text
    assert f'<a href="{MEET}" target="_blank" rel="noopener noreferrer">{MEET}</a>' in html
    assert "Notes: Help with my Django project." in text
    assert '<a href="/dashboard/">← Back to Dashboard</a>' in html


def test_mentor_detail_of_a_started_session_offers_completed_not_cancelled(mentor, started_session):
    html = client_for(mentor).get(f"/sessions/{started_session.pk}/").content.decode()

    assert f'action="/sessions/{started_session.pk}/complete/"' in html
    assert '<button type="submit">Mark as Completed</button>' in html
    assert f'action="/sessions/{started_session.pk}/cancel/"' not in html
    assert "The session has started, so it can no longer be cancelled here" in html


def test_mentor_detail_of_a_future_session_explains_when_completing_is_possible(
    mentor, confirmed_session
):
    html = client_for(mentor).get(f"/sessions/{confirmed_session.pk}/").content.decode()

    assert "Mark as Completed</button>" in html
    assert '<button type="submit">Mark as Completed</button>' not in html
    assert "You can mark it completed once it has started." in html


def test_mentor_detail_of_a_pending_session_offers_only_cancel(mentor, pending_session):
    html = client_for(mentor).get(f"/sessions/{pending_session.pk}/").content.decode()

    assert "Mark as Completed" not in html
    assert "Mark as Cancelled" in html
    assert "Awaiting confirmation" in html


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELLED])
def test_mentor_detail_of_a_final_session_has_no_controls(status, mentor, mentee):
    session = SessionFactory(mentor=mentor, mentee=mentee, status=status)

    html = client_for(mentor).get(f"/sessions/{session.pk}/").content.decode()

    assert "Mark as Completed" not in html
    assert "Mark as Cancelled" not in html


def test_mentee_detail_shows_the_link_and_no_mentor_controls(mentee, confirmed_session):
    html = client_for(mentee).get(f"/sessions/{confirmed_session.pk}/").content.decode()

    assert "<h1>Session with Jane Smith</h1>" in html
    assert "Time 08:00 (America/New_York)" in visible_text(html)
    assert f'href="{MEET}"' in html
    assert "/complete/" not in html
    assert "Mark as Cancelled" not in html  # the mentee's own cancel: test_cancellation.py


def test_notes_are_escaped(mentee, mentor):
    session = SessionFactory(mentor=mentor, mentee=mentee, notes="<b>bold</b>\nline two")

    html = client_for(mentor).get(f"/sessions/{session.pk}/").content.decode()

    assert '<p class="notes">&lt;b&gt;bold&lt;/b&gt;<br>line two</p>' in html


# --- the mentor's actions --------------------------------------------------------------


def test_mentor_completes_a_started_session(mentor, started_session):
    response = client_for(mentor).post(f"/sessions/{started_session.pk}/complete/")

    started_session.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{started_session.pk}/"
    assert started_session.status == Status.COMPLETED
    assert messages_of(response) == [("success", "Session marked completed. Thank you!")]


def test_mentor_cannot_complete_before_the_start(mentor, confirmed_session):
    before = _snapshot(confirmed_session)

    response = client_for(mentor).post(f"/sessions/{confirmed_session.pk}/complete/")

    assert response["Location"] == f"/sessions/{confirmed_session.pk}/"
    assert messages_of(response) == [
        ("error", "A session can be marked completed once it has started; nothing was changed.")
    ]
    assert _snapshot(confirmed_session) == before


def test_mentor_cannot_complete_a_pending_session(mentor, pending_session):
    before = _snapshot(pending_session)

    response = client_for(mentor).post(f"/sessions/{pending_session.pk}/complete/")

    assert messages_of(response) == [
        ("error", "A pending session cannot be completed; nothing was changed.")
    ]
    assert _snapshot(pending_session) == before


def test_mentor_cancels_with_a_reason(mentor, confirmed_session):
    response = client_for(mentor).post(
        f"/sessions/{confirmed_session.pk}/cancel/", {"reason": "Family emergency."}
    )

    confirmed_session.refresh_from_db()
    assert response["Location"] == f"/sessions/{confirmed_session.pk}/"
    assert (
        confirmed_session.status,
        confirmed_session.cancellation_reason,
        confirmed_session.cancelled_by,
    ) == (Status.CANCELLED, "Family emergency.", mentor)
    assert messages_of(response) == [
        ("success", "Session cancelled. The mentee has been notified.")
    ]


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_mentor_cancel_without_a_reason_is_refused(reason, mentor, confirmed_session):
    before = _snapshot(confirmed_session)
    emails_before = OutboundEmail.objects.count()

    response = client_for(mentor).post(
        f"/sessions/{confirmed_session.pk}/cancel/", {"reason": reason}
    )

    assert response["Location"] == f"/sessions/{confirmed_session.pk}/"
    assert messages_of(response) == [("error", "Please give a reason for cancelling.")]
    assert _snapshot(confirmed_session) == before
    assert OutboundEmail.objects.count() == emails_before


def test_mentee_cannot_complete_a_session(mentee, started_session):
    before = _snapshot(started_session)

    response = client_for(mentee).post(f"/sessions/{started_session.pk}/complete/")

    assert response.status_code == 404
    assert _snapshot(started_session) == before


@pytest.mark.parametrize("action", ["complete", "cancel"])
def test_another_mentor_cannot_act_on_the_session(action, started_session):
    stranger = SessionFactory().mentor

    response = client_for(stranger).post(
        f"/sessions/{started_session.pk}/{action}/", {"reason": "Not mine."}
    )

    assert response.status_code == 404
    assert MentoringSession.objects.get(pk=started_session.pk).status == Status.CONFIRMED


# --- links that are not safe are never clickable ---------------------------------------

UNSAFE_LINKS = [
    "javascript:alert(1)",
    "http://meet.google.com/abc-defg-hij",
    "https://meet.google.com.evil.test/abc-defg-hij",
    "data:text/html,hello",
]


@pytest.fixture
def unsafe_session(request, pending_session):
    """A confirmed session whose stored link bypassed validation (e.g. a raw UPDATE)."""
    MentoringSession.objects.filter(pk=pending_session.pk).update(
        status=Status.CONFIRMED, admin_provided_link=request.param
    )
    pending_session.refresh_from_db()
    return pending_session


@pytest.mark.parametrize("unsafe_session", UNSAFE_LINKS, indirect=True)
@pytest.mark.parametrize("who", ["mentee", "mentor"])
@pytest.mark.parametrize("page", ["/dashboard/", "/sessions/{id}/"])
def test_an_invalid_stored_link_is_never_rendered_as_a_link(page, who, unsafe_session, request):
    user = request.getfixturevalue(who)

    html = client_for(user).get(page.format(id=unsafe_session.pk)).content.decode()

    link = unsafe_session.admin_provided_link
    assert f'href="{link}' not in html
    assert "Join Google Meet" not in html
    assert "Meeting Link Available" not in html


def test_no_inline_script_or_style_on_the_dashboard(mentee, confirmed_session):
    html = client_for(mentee).get("/dashboard/").content.decode()

    assert "<script>" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_session_at_utc_midnight_shows_the_previous_day_in_new_york(mentee, mentor):
    session = SessionFactory(
        mentor=mentor, mentee=mentee, start=datetime(2030, 3, 1, 2, 30, tzinfo=UTC)
    )

    card = _card(client_for(mentee).get("/dashboard/").content.decode(), session.pk)

    assert "Date 2030-02-28 Time 21:30 (America/New_York)" in visible_text(card)


def test_mentor_dashboard_links_to_availability_and_profile(mentor):
    html = client_for(mentor).get("/dashboard/").content.decode()

    assert '<a href="/mentor/availability/">My availability</a>' in html
    assert '<a href="/mentor/profile/">My mentor profile</a>' in html
    assert "Become a mentor" not in html


def test_mentee_dashboard_invites_to_become_a_mentor(mentee):
    html = client_for(mentee).get("/dashboard/").content.decode()

    assert '<a href="/mentor/apply/">Become a mentor</a>' in html
    assert "My availability" not in html


def test_cards_escape_what_people_typed(mentee):
    """The cards are a Jinja2 partial (autoescaped, config/jinja2.py): a name and a
    cancellation reason are text, never markup."""
    mentor = MentorProfileFactory(user__first_name="<b>Eve</b>", user__last_name="&Co").user
    SessionFactory(
        mentor=mentor,
        mentee=mentee,
        start=timezone.now() + timedelta(days=9),
        status=Status.CANCELLED,
        cancellation_reason='<script>alert("x")</script>',
    )

    html = client_for(mentee).get("/dashboard/").content.decode()

    assert "&lt;b&gt;Eve&lt;/b&gt; &amp;Co" in html
    assert "Cancelled: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<b>Eve</b>" not in html and "<script>alert" not in html
