"""The reschedule page /sessions/<id>/reschedule/ and its buttons (docs/PRODUCT.md §2.7).

The session starts 2030-01-15 13:00 UTC (14:00 for the mentor in Berlin, 08:00 for the
mentee in New York); the mentor is available every day 00:00–23:30 in Berlin; the clock
stands two days before the start."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from availability.models import AvailabilityException, ExceptionKind
from bookings import services
from bookings.models import MentoringSession, SessionEvent, Status
from tests.availability.factories import every_day
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory, UserFactory
from tests.helpers import messages_of, visible_text

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
NOW = START - timedelta(days=2)
LATER = START + timedelta(hours=3)  # 11:00 in New York, 17:00 in Berlin

pytestmark = [pytest.mark.clock(NOW), pytest.mark.usefixtures("booking_rules", "clock")]


@pytest.fixture
def session(mentor, pending_session):
    every_day(mentor, time(0), time(23, 30))
    return pending_session


def _url(session) -> str:
    return f"/sessions/{session.pk}/reschedule/"


def _state(session) -> dict:
    """The session's row and its audit rows: what a refused move must leave as it was."""
    return {
        "session": MentoringSession.objects.values().get(pk=session.pk),
        "events": list(SessionEvent.objects.filter(session=session).values()),
    }


def _radios(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="start" value="([^"]+)"', html)


def _current(html: str) -> list[str]:
    """The values of the radios marked as the current time (disabled)."""
    return re.findall(r'<input type="radio" name="start" value="([^"]+)" disabled>', html)


def _errors(html: str) -> str:
    match = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', html, re.S)
    return visible_text(match.group(1)) if match else ""


# --- who -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "heading"),
    [
        ("mentee", "Move your session with Jane Smith"),
        ("mentor", "Move your session with John Doe"),
        ("admin_user", "Move the session of John Doe with Jane Smith"),
    ],
)
def test_each_role_sees_the_free_times_and_the_form(request, session, who, heading):
    response = client_for(request.getfixturevalue(who)).get(_url(session))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert LATER.isoformat() in _radios(html)
    assert 'name="reason"' in html
    assert "Move session</button>" in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize(
    ("who", "moved_to"),
    [
        ("mentee", "Tuesday, 15 January 2030 at 11:00 (America/New_York)"),
        ("mentor", "Tuesday, 15 January 2030 at 17:00 (Europe/Berlin)"),
        ("admin_user", "Tuesday, 15 January 2030 at 16:00 (UTC)"),
    ],
)
def test_each_role_moves_the_session(request, session, who, moved_to):
    by = request.getfixturevalue(who)
    sequence = session.ics_sequence

    response = client_for(by).post(
        _url(session), {"start": LATER.isoformat(), "reason": "  A clash   at work. "}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert messages_of(response) == [("success", f"Session moved to {moved_to}.")]
    session.refresh_from_db()
    assert session.start == LATER
    assert session.status == Status.PENDING
    assert session.ics_sequence == sequence + 1
    event = SessionEvent.objects.get(session=session, action=SessionEvent.Action.RESCHEDULE)
    assert event.actor == by
    assert event.note == "2030-01-15T13:00:00+00:00 → 2030-01-15T16:00:00+00:00: A clash at work."


def test_after_a_move_an_admin_lands_on_the_sessions_admin_page(session, admin_user):
    response = client_for(admin_user).post(_url(session), {"start": LATER.isoformat()}, follow=True)

    assert response.redirect_chain == [
        (f"/sessions/{session.pk}/", 302),
        (f"/admin/sessions/{session.pk}/", 302),
    ]
    assert response.status_code == 200
    assert "Session moved to Tuesday, 15 January 2030 at 16:00 (UTC)." in visible_text(
        response.content.decode()
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_gets_404_and_changes_nothing(session, other_mentee, method):
    before = _state(session)

    response = getattr(client_for(other_mentee), method)(
        _url(session), {"start": LATER.isoformat()}
    )

    assert response.status_code == 404
    assert _state(session) == before


def test_logged_out_is_sent_to_the_login_page(session):
    response = client_for(None).get(_url(session))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/sessions/{session.pk}/reschedule/"


# --- what is sent ----------------------------------------------------------------------

CHOOSE = "Choose a new time from the list of free times."


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2030-01-15T16:00:00", CHOOSE),  # no offset
        ("next tuesday", CHOOSE),
        ("", CHOOSE),
        ("2030-01-15T16:00:00+00:00" + "0" * 40, CHOOSE),  # too long
        ("2030-01-15T16:10:00+00:00", services.NOT_OFFERED),  # off the grid
        ("2030-01-13T20:00:00+00:00", services.NOT_OFFERED),  # inside the notice
        ("2030-01-15T13:00:00+00:00", services.SAME_START),
    ],
)
def test_a_bad_start_is_the_page_again_with_why(session, mentee, start, message):
    before = _state(session)

    response = client_for(mentee).post(_url(session), {"start": start, "reason": "Clash"})

    assert response.status_code == 400
    assert message in visible_text(response.content.decode())
    assert _state(session) == before


def test_a_time_someone_took_meanwhile_is_refused(session, mentor, mentee, other_mentee):
    SessionFactory(mentor=mentor, mentee=other_mentee, start=LATER)
    before = _state(session)

    response = client_for(mentee).post(_url(session), {"start": LATER.isoformat()})

    assert response.status_code == 400
    assert _errors(response.content.decode()) == services.SLOT_TAKEN
    assert LATER.isoformat() not in _radios(response.content.decode())  # no longer offered
    assert _state(session) == before


def test_a_time_chosen_while_someone_moved_the_session_is_refused(session, mentee, mentor):
    """The page sends the start it showed; a move made since wins."""
    page = client_for(mentee).get(_url(session)).content.decode()
    assert f'<input type="hidden" name="seen" value="{START.isoformat()}">' in page
    services.reschedule_session(session, start=LATER, by=mentor, now=timezone.now())
    before = _state(session)

    response = client_for(mentee).post(
        _url(session),
        {"start": (LATER + timedelta(hours=1)).isoformat(), "seen": START.isoformat()},
    )

    assert response.status_code == 400
    assert _errors(response.content.decode()) == services.MOVED_MEANWHILE
    assert _state(session) == before


def test_a_reason_over_500_characters_is_refused(session, mentee):
    before = _state(session)

    response = client_for(mentee).post(
        _url(session), {"start": LATER.isoformat(), "reason": "x" * 501}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "The reason can be at most 500 characters." in visible_text(html)
    # The time picked stays picked.
    assert f'value="{LATER.isoformat()}" checked' in html
    assert _state(session) == before


def test_a_reason_of_500_characters_is_kept_in_an_audit_note_that_fits(session, mentee):
    """The note (at most 500 characters, like every audit note) holds old → new and as much
    of the reason as fits, marked as cut."""
    response = client_for(mentee).post(
        _url(session), {"start": LATER.isoformat(), "reason": "y" * 500}
    )

    assert response.status_code == 302
    event = SessionEvent.objects.get(session=session, action=SessionEvent.Action.RESCHEDULE)
    moved = "2030-01-15T13:00:00+00:00 → 2030-01-15T16:00:00+00:00: "
    assert event.note == moved + "y" * (499 - len(moved)) + "…"
    assert len(event.note) == 500


# --- closed windows --------------------------------------------------------------------


def _assert_closed(response, reason: str) -> None:
    assert response.status_code == 200
    html = response.content.decode()
    assert _errors(html) == reason
    assert _radios(html) == []
    assert "<form" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_after_the_mentee_cutoff_the_page_says_why_and_offers_nothing(session, mentee, clock):
    clock.set(START - timedelta(hours=24))
    client = client_for(mentee)
    before = _state(session)

    _assert_closed(
        client.get(_url(session)),
        "It is too late to move this session: moving closed 24 hours before the start.",
    )
    refused = client.post(_url(session), {"start": LATER.isoformat()})

    assert refused.status_code == 400
    assert "too late to move" in _errors(refused.content.decode())
    assert _state(session) == before


def test_the_mentor_may_move_after_the_mentee_cutoff(session, mentor, clock):
    clock.set(START - timedelta(hours=2))

    response = client_for(mentor).get(_url(session))

    assert response.status_code == 200
    # The first time after the 12 hours' notice.
    assert _radios(response.content.decode())[0] == "2030-01-15T23:00:00+00:00"


@pytest.mark.parametrize(
    ("status", "word"), [("completed", "completed"), ("cancelled", "cancelled")]
)
def test_a_final_session_cannot_be_moved(session, mentor, status, word):
    MentoringSession.objects.filter(pk=session.pk).update(status=status)

    _assert_closed(
        client_for(mentor).get(_url(session)),
        f"This session is {word}, which is final; it cannot be moved.",
    )


def test_a_started_session_cannot_be_moved(session, admin_user, clock):
    clock.set(START)

    _assert_closed(
        client_for(admin_user).get(_url(session)),
        "This session has already started; it can no longer be moved.",
    )


def test_the_mentees_limit_is_said_on_the_page(session, mentee, mentor, settings):
    settings.MENTEE_RESCHEDULE_LIMIT = 1
    client = client_for(mentee)
    page = client.get(_url(session)).content.decode()
    assert "You can move this session until 2030-01-14 08:00 (America/New_York), 1 more time." in (
        visible_text(page)
    )
    client.post(_url(session), {"start": LATER.isoformat()})
    # A move by the mentor does not count against the mentee.
    client_for(mentor).post(_url(session), {"start": (LATER + timedelta(hours=1)).isoformat()})

    _assert_closed(
        client.get(_url(session)),
        "This session has already been moved 1 time, the most a mentee may.",
    )
    assert client_for(mentor).get(_url(session)).status_code == 200


# --- the list --------------------------------------------------------------------------


def test_the_mentee_sees_the_times_in_their_zone_with_the_current_time_marked(session, mentee):
    html = client_for(mentee).get(_url(session)).content.decode()

    text = visible_text(html)
    assert "Current time: Tuesday, 15 January 2030, 08:00 (America/New_York), 60 minutes" in text
    assert "shown in your time zone: America/New_York" in text
    assert _current(html) == [START.isoformat()]
    assert START.isoformat() not in _radios(html)[: _radios(html).index(START.isoformat())]
    day = re.search(r"<legend>Tuesday, 15 January 2030</legend>(.*?)</fieldset>", html, re.S)
    times = visible_text(day.group(1))
    # New York's day of the 15th: from 00:00 (06:00 in Berlin); the current time among them.
    assert times.startswith("00:00 America/New_York 00:30 America/New_York")
    assert "07:30 America/New_York 08:00 America/New_York current time 08:30" in times
    # Seven days with free times, the first the evening of the 13th in New York (the notice).
    legends = re.findall(r"<legend>([^<]+)</legend>", html)
    assert legends == [
        "Sunday, 13 January 2030",
        "Monday, 14 January 2030",
        "Tuesday, 15 January 2030",
        "Wednesday, 16 January 2030",
        "Thursday, 17 January 2030",
        "Friday, 18 January 2030",
        "Saturday, 19 January 2030",
    ]
    assert _radios(html)[0] == "2030-01-14T01:00:00+00:00"  # 20:00 on the 13th in New York


def test_a_later_page_does_not_show_the_current_time(session, mentee):
    html = client_for(mentee).get(_url(session), {"from": "2030-01-20"}).content.decode()

    assert re.findall(r"<legend>([^<]+)</legend>", html)[0] == "Sunday, 20 January 2030"
    assert _current(html) == []
    assert START.isoformat() not in html.split("<fieldset", 1)[1]
    assert '<a href="?from=2030-01-13">← Earlier times</a>' in html


def test_a_time_next_to_the_session_is_offered_on_its_own_old_time(session, mentee):
    """The session's own interval does not block it: 30 minutes either side is offered."""
    radios = _radios(client_for(mentee).get(_url(session)).content.decode())

    assert (START - timedelta(minutes=30)).isoformat() in radios
    assert (START + timedelta(minutes=30)).isoformat() in radios


def test_the_length_stays_the_sessions(mentor, mentee):
    every_day(mentor, time(0), time(23, 30))
    session = SessionFactory(mentor=mentor, mentee=mentee, start=START, duration_minutes=90)

    html = client_for(mentee).get(_url(session)).content.decode()

    assert "Jane Smith's free 90-minute times" in visible_text(html)
    # The last start on the 16th that leaves 90 minutes before 23:30 in Berlin is 22:00
    # (21:00 UTC); the next is 00:00 on the 17th.
    radios = _radios(html)
    assert radios[radios.index("2030-01-16T21:00:00+00:00") + 1] == "2030-01-16T23:00:00+00:00"


# --- the buttons -----------------------------------------------------------------------


def test_the_mentees_card_and_session_page_offer_reschedule(session, mentee):
    client = client_for(mentee)
    link = f'href="/sessions/{session.pk}/reschedule/"'

    assert link in client.get("/dashboard/").content.decode()
    detail = client.get(f"/sessions/{session.pk}/").content.decode()
    assert link in detail
    assert (
        "Move this session to another of Jane Smith's free times until 2030-01-14 08:00 "
        "(America/New_York); you can move it 2 more times."
    ) in visible_text(detail)


def test_the_mentors_card_and_session_page_offer_reschedule(session, mentor):
    client = client_for(mentor)
    link = f'href="/sessions/{session.pk}/reschedule/"'

    assert link in client.get("/dashboard/").content.decode()
    assert link in client.get(f"/sessions/{session.pk}/").content.decode()


def test_after_the_cutoff_the_mentee_is_offered_no_reschedule(session, mentee, clock):
    clock.set(START - timedelta(hours=23))
    client = client_for(mentee)
    link = f'href="/sessions/{session.pk}/reschedule/"'

    assert link not in client.get("/dashboard/").content.decode()
    detail = client.get(f"/sessions/{session.pk}/").content.decode()
    assert link not in detail
    assert "It is too late to move this session" in visible_text(detail)


def test_the_admin_dashboard_and_session_page_offer_reschedule(session, admin_user):
    client = client_for(admin_user)
    link = f'href="/sessions/{session.pk}/reschedule/"'
    services.confirm_session(session, link=MEET, by=admin_user)

    assert link in client.get("/admin/sessions/").content.decode()
    assert link in client.get(f"/admin/sessions/{session.pk}/").content.decode()


def test_a_cancelled_session_offers_no_reschedule(session, mentee, admin_user):
    services.cancel_session(session, by=admin_user, reason="No longer needed")
    link = f'href="/sessions/{session.pk}/reschedule/"'

    assert link not in client_for(mentee).get(f"/sessions/{session.pk}/").content.decode()
    assert link not in client_for(admin_user).get("/admin/sessions/").content.decode()
    assert link not in client_for(admin_user).get(f"/admin/sessions/{session.pk}/").content.decode()


# --- what it costs ---------------------------------------------------------------------


def _more(mentor, mentee, count: int) -> None:
    """`count` more sessions of the mentor and the mentee (a day apart, three weeks on) and
    `count` more exceptions in the mentor's calendar."""
    for index in range(count):
        SessionFactory(
            mentor=mentor,
            mentee=UserFactory() if index % 2 else mentee,
            start=START + timedelta(days=index + 1, hours=1),
        )
        AvailabilityException.objects.create(
            mentor=mentor, date=START.date() + timedelta(days=index + 2), kind=ExceptionKind.OFF
        )


# Django's session and the user, the session (with its mentor, mentee and the mentee's
# moves), the weekly hours, the exceptions, the sessions that hold their time.
PAGE_QUERIES = 6


@pytest.mark.parametrize("count", [0, 40])
def test_the_page_reads_the_same_queries_however_much_there_is(
    count, session, mentor, mentee, django_assert_num_queries
):
    _more(mentor, mentee, count)
    client = client_for(mentee)

    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(_url(session))

    assert response.status_code == 200
    assert _current(response.content.decode()) == [START.isoformat()]


def test_the_session_page_reads_the_mentees_moves_with_the_session(
    session, mentee, django_assert_num_queries
):
    client = client_for(mentee)
    services.reschedule_session(session, start=LATER, by=mentee, now=timezone.now())

    # Django's session and the user, the session with its people and the moves.
    with django_assert_num_queries(3):
        response = client.get(f"/sessions/{session.pk}/")

    assert "you can move it 1 more time." in visible_text(response.content.decode())
