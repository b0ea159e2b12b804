"""The admin sessions dashboard and its actions (docs/PRODUCT.md)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from bookings import services
from bookings.meeting_links import canonicalize_meeting_link
from bookings.models import MentoringSession, PaymentStatus, SessionEvent, Status
from common.keyset import Cursor
from mentors.models import Feedback
from notifications.models import EmailKind, EmailState, OutboundEmail
from tests.conftest import MEET, client_for
from tests.factories import MentorFactory, SessionFactory, UserFactory
from tests.helpers import cells_of, messages_of, table_row, visible_text

OTHER_MEET = "https://meet.google.com/xyz-wxyz-xyz"
SNAPSHOT_FIELDS = (
    "status",
    "admin_provided_link",
    "meeting_link",
    "link_provided_at",
    "confirmed_by",
    "confirmed_at",
    "completed_at",
    "cancelled_by",
    "cancelled_at",
    "cancellation_reason",
    "ics_sequence",
    "updated_at",
)


# --- helpers ---------------------------------------------------------------------------


def _row(html: str, pk: int) -> str:
    return table_row(html, "data-session-id", pk)


def _cells(html: str, pk: int) -> list[str]:
    """The row's cells as text, without the actions."""
    return cells_of(_row(html, pk))[:-1]


BROKEN_PAGE = "This page link is broken; showing the first page."


def _row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-session-id="(\d+)">', html)]


def _dialog_tag(html: str, dialog_id: str) -> str:
    match = re.search(rf'<dialog id="{dialog_id}"[^>]*>', html)
    assert match, f"no dialog {dialog_id}"
    return match.group(0)


def _open_dialogs(html: str) -> list[str]:
    """ "<kind>-<session id>" of each dialog rendered open: the page has one dialog per kind,
    whose form the server points at the session (the no-JavaScript path)."""
    found = re.findall(
        r'<dialog id="(\w+)-dialog"[^>]* open[ >][^<]*<form method="post" '
        r'action="/admin/sessions/(\d+)/',
        html,
    )
    return [f"{kind}-{pk}" for kind, pk in found]


def _snapshot(session: MentoringSession) -> dict:
    return MentoringSession.objects.values(*SNAPSHOT_FIELDS).get(pk=session.pk)


def _set_status(client, session, **data):
    return client.post(f"/admin/sessions/{session.pk}/set-status/", data)


def _refusal(raw: str) -> str:
    try:
        canonicalize_meeting_link(raw)
    except ValidationError as error:
        return error.messages[0]
    raise AssertionError(f"{raw!r} was accepted")


@pytest.fixture
def confirmed_session(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


def _at(day: int, hour: int = 13) -> datetime:
    return datetime(2030, 1, day, hour, 0, tzinfo=UTC)


# --- the list --------------------------------------------------------------------------


def test_row_shows_names_date_time_duration_amount_payment_status_link_and_emails(
    admin_client, pending_session
):
    response = admin_client.get("/admin/sessions/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<th>Time (UTC)</th>" in html
    assert _cells(html, pending_session.pk) == [
        "Jane Smith – John Doe jane@example.com john@example.com",
        "2030-01-15",
        "13:00",
        "60 min",
        "$60.00",
        "Pending",
        "PENDING",
        "—",
        "—",
    ]


def test_confirmed_row_shows_the_link_and_each_recipients_email_state(
    admin_client, confirmed_session
):
    OutboundEmail.objects.filter(to_email="john@example.com").update(state=EmailState.SENT)

    html = admin_client.get("/admin/sessions/").content.decode()

    cells = _cells(html, confirmed_session.pk)
    assert cells[6:] == [
        "CONFIRMED",
        MEET,
        "Session confirmed john@example.com: Sent jane@example.com: Queued",
    ]
    anchor = f'<a href="{MEET}" target="_blank" rel="noopener noreferrer" data-link>{MEET}</a>'
    assert anchor in html


def test_failed_email_shows_attempts_and_error(admin_client, confirmed_session):
    OutboundEmail.objects.filter(to_email="jane@example.com").update(
        state=EmailState.FAILED, attempts=6, last_error="SMTP 550 mailbox unavailable"
    )

    cells = _cells(admin_client.get("/admin/sessions/").content.decode(), confirmed_session.pk)

    assert cells[-1] == (
        "Session confirmed john@example.com: Queued "
        "jane@example.com: Failed after 6 attempts SMTP 550 mailbox unavailable"
    )


def test_times_are_shown_in_the_admins_time_zone(pending_session):
    tokyo_admin = UserFactory(is_staff=True, time_zone="Asia/Tokyo")

    html = client_for(tokyo_admin).get("/admin/sessions/").content.decode()

    assert "<th>Time (Asia/Tokyo)</th>" in html
    assert _cells(html, pending_session.pk)[1:3] == ["2030-01-15", "22:00"]


def test_default_order_is_pending_first_then_soonest(admin_client, mentor, mentee):
    confirmed_soonest = SessionFactory(
        mentor=mentor, mentee=mentee, start=_at(10), status=Status.CONFIRMED
    )
    pending_late = SessionFactory(mentor=mentor, mentee=mentee, start=_at(20))
    cancelled = SessionFactory(mentor=mentor, mentee=mentee, start=_at(12), status="cancelled")
    pending_early = SessionFactory(mentor=mentor, mentee=mentee, start=_at(15))

    html = admin_client.get("/admin/sessions/").content.decode()

    assert _row_ids(html) == [pending_early.pk, pending_late.pk, confirmed_soonest.pk, cancelled.pk]


@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED, Status.CANCELLED])
def test_filter_by_status_lists_only_that_status(status, admin_client, mentor, mentee):
    by_status = {
        s: SessionFactory(mentor=mentor, mentee=mentee, start=_at(day), status=s)
        for day, s in [(10, Status.PENDING), (11, Status.CONFIRMED), (12, Status.CANCELLED)]
    }

    html = admin_client.get(f"/admin/sessions/?status={status}").content.decode()

    assert _row_ids(html) == [by_status[status].pk]
    assert f'<option value="{status}" selected>' in html


@pytest.mark.parametrize("payment", PaymentStatus.values)
def test_filter_by_payment_lists_only_that_payment_status(payment, admin_client, mentor, mentee):
    by_payment = {
        paid: SessionFactory(
            mentor=mentor, mentee=mentee, start=_at(day), status=status, payment_status=paid
        )
        for day, status, paid in [
            (10, Status.PENDING, PaymentStatus.PENDING),
            (11, Status.CONFIRMED, PaymentStatus.PAID),
            (12, Status.CANCELLED, PaymentStatus.REFUND_DUE),
            (13, Status.CANCELLED, PaymentStatus.REFUNDED),
        ]
    }

    response = admin_client.get(f"/admin/sessions/?payment={payment}")

    html = response.content.decode()
    assert _row_ids(html) == [by_payment[payment].pk]
    assert f'<option value="{payment}" selected>' in html
    assert messages_of(response) == []


def test_payment_and_status_filters_combine(admin_client, mentor, mentee):
    SessionFactory(mentor=mentor, mentee=mentee, start=_at(10), status=Status.CONFIRMED)
    unpaid_cancelled = SessionFactory(
        mentor=mentor, mentee=mentee, start=_at(11), status=Status.CANCELLED
    )
    SessionFactory(
        mentor=mentor,
        mentee=mentee,
        start=_at(12),
        status=Status.CANCELLED,
        payment_status=PaymentStatus.REFUND_DUE,
    )

    html = admin_client.get("/admin/sessions/?status=cancelled&payment=pending").content.decode()

    assert _row_ids(html) == [unpaid_cancelled.pk]
    assert "1 session" in visible_text(html)


@pytest.mark.parametrize(
    "q", ["Olga", "olga", "Other", "olga@example.com", "OLGA@EXAMPLE", "Olga Other"]
)
def test_search_by_name_or_email(q, admin_client, mentor, mentee, other_mentee):
    SessionFactory(mentor=mentor, mentee=mentee, start=_at(10))
    olgas = SessionFactory(mentor=mentor, mentee=other_mentee, start=_at(11))

    html = admin_client.get("/admin/sessions/", {"q": q}).content.decode()

    assert _row_ids(html) == [olgas.pk]


def test_search_by_mentor_name_finds_all_their_sessions(admin_client, mentor, mentee):
    janes = [SessionFactory(mentor=mentor, mentee=mentee, start=_at(day)) for day in (10, 11)]
    SessionFactory(start=_at(12))

    html = admin_client.get("/admin/sessions/", {"q": "Jane Smith"}).content.decode()

    assert _row_ids(html) == [s.pk for s in janes]


@pytest.mark.parametrize("q", ["oth", "OLG", "olga@exa", "Ol Ot", "olga other"])
def test_search_matches_the_beginning_of_each_word(q, admin_client, mentor, mentee, other_mentee):
    SessionFactory(mentor=mentor, mentee=mentee, start=_at(10))
    olgas = SessionFactory(mentor=mentor, mentee=other_mentee, start=_at(11))

    html = admin_client.get("/admin/sessions/", {"q": q}).content.decode()

    assert _row_ids(html) == [olgas.pk]


@pytest.mark.parametrize(
    "q",
    [
        "lga",  # inside a name: served by no index, so not offered
        "example.com",  # inside the email
        "Jane Olga",  # two people: every word must fit the same person
        "%",  # LIKE wildcards are plain characters
        "_lga",
        "Olga Otherwise",
    ],
)
def test_search_does_not_match_inside_words_or_across_people(
    q, admin_client, mentor, mentee, other_mentee
):
    SessionFactory(mentor=mentor, mentee=other_mentee, start=_at(11))

    html = admin_client.get("/admin/sessions/", {"q": q}).content.decode()

    assert _row_ids(html) == []


def _zeds(count: int) -> list[User]:
    """`count` people named Zed, lowest id first."""
    made = User.objects.bulk_create(
        User(email=f"zed{n:03}@example.com", first_name="Zed", last_name=f"No{n}")
        for n in range(count)
    )
    return sorted(made, key=lambda user: user.pk)


def test_search_lists_the_sessions_of_up_to_200_people(admin_client, mentee):
    zeds = _zeds(200)
    first = SessionFactory(mentor=zeds[0], mentee=mentee, start=_at(10))
    last = SessionFactory(mentor=zeds[-1], mentee=mentee, start=_at(11))

    html = admin_client.get("/admin/sessions/", {"q": "zed"}).content.decode()

    assert _row_ids(html) == [first.pk, last.pk]
    assert "2 sessions" in visible_text(html)
    assert "people match" not in html


@pytest.mark.parametrize("extra", [{}, {"status": "pending"}])
def test_search_over_200_people_lists_nothing_and_asks_for_more(
    extra, admin_client, mentee, django_assert_num_queries
):
    """The sessions of 200 of 201 namesakes would look like all of them: none are listed,
    the admin is asked to type more, and no session is read or counted."""
    zeds = _zeds(201)
    SessionFactory(mentor=zeds[0], mentee=mentee, start=_at(10))
    SessionFactory(mentor=zeds[-1], mentee=mentee, start=_at(11))

    # The admin's session and user, the people search: nothing about sessions.
    with django_assert_num_queries(3):
        response = admin_client.get("/admin/sessions/", {"q": "zed", **extra})
    html = response.content.decode()

    assert response.status_code == 200
    assert _row_ids(html) == []
    assert "<table" not in html
    assert (
        "More than 200 people match “zed”: too many to list their sessions. "
        "Type more of a name, or an email address." in html
    )
    assert "No sessions match" not in html
    assert "0 sessions" not in html


@pytest.mark.parametrize("q", ["%", "_", "j_ne", "j%", "\\", "ja\\"])
def test_search_takes_pattern_characters_literally(q, admin_client, pending_session):
    """Jane and John are there; `%`, `_` and `\\` in the words match only themselves (on
    PostgreSQL the search is a LIKE: accounts/search.py escapes them)."""
    html = admin_client.get("/admin/sessions/", {"q": q}).content.decode()

    assert _row_ids(html) == []
    assert "No sessions match these filters." in html


@pytest.mark.parametrize(
    ("q", "expected"), [("j", "4 sessions"), ("jane", "4 sessions"), ("john", "3 sessions")]
)
def test_search_counts_each_session_once(q, expected, admin_client, mentor, mentee, other_mentee):
    """ "j" finds Jane (the mentor) and John (a mentee): their sessions together are counted
    once, not once per person (the count takes mentors, then mentees only)."""
    together = [
        SessionFactory(mentor=mentor, mentee=mentee, start=_at(day)) for day in (14, 15, 16)
    ]
    apart = SessionFactory(mentor=mentor, mentee=other_mentee, start=_at(17))

    html = admin_client.get("/admin/sessions/", {"q": q}).content.decode()

    shown = [s.pk for s in together] + ([apart.pk] if q != "john" else [])
    assert _row_ids(html) == shown
    assert f"<span>{expected}</span>" in html


def test_search_without_matches_says_so(admin_client, pending_session):
    html = admin_client.get("/admin/sessions/", {"q": "nobody"}).content.decode()

    assert _row_ids(html) == []
    assert "No sessions match these filters." in html


def test_date_range_includes_both_end_days(admin_client, mentor, mentee):
    sessions = {
        day: SessionFactory(mentor=mentor, mentee=mentee, start=_at(day)) for day in range(14, 19)
    }

    html = admin_client.get(
        "/admin/sessions/", {"date_from": "2030-01-15", "date_to": "2030-01-17"}
    ).content.decode()

    assert _row_ids(html) == [sessions[15].pk, sessions[16].pk, sessions[17].pk]


def test_date_range_uses_the_admins_day(mentor, mentee):
    """23:30 UTC on the 15th is already the 16th in Tokyo."""
    late = SessionFactory(mentor=mentor, mentee=mentee, start=_at(15, 23) + timedelta(minutes=30))
    tokyo_admin = UserFactory(is_staff=True, time_zone="Asia/Tokyo")

    html = (
        client_for(tokyo_admin)
        .get("/admin/sessions/", {"date_from": "2030-01-16", "date_to": "2030-01-16"})
        .content.decode()
    )

    assert _row_ids(html) == [late.pk]


def test_date_from_after_date_to_warns_and_keeps_date_from(admin_client, mentor, mentee):
    early = SessionFactory(mentor=mentor, mentee=mentee, start=_at(10))
    late = SessionFactory(mentor=mentor, mentee=mentee, start=_at(20))

    response = admin_client.get(
        "/admin/sessions/", {"date_from": "2030-01-15", "date_to": "2030-01-12"}
    )

    html = response.content.decode()
    assert _row_ids(html) == [late.pk]
    assert early.pk not in _row_ids(html)
    assert "The “from” date must not be after the “to” date." in html


@pytest.fixture
def thirty_sessions(mentor, mentee):
    start = _at(1)
    return [
        SessionFactory(mentor=mentor, mentee=mentee, start=start + timedelta(hours=n))
        for n in range(30)
    ]


def _token(session, rank: int) -> str:
    """A page cursor at `session`; `rank` is 0 for pending, 1 for others (dashboard_rank)."""
    return Cursor(rank, session.start, session.pk).token


def test_first_page_has_25_rows(admin_client, thirty_sessions):
    html = admin_client.get("/admin/sessions/").content.decode()

    assert _row_ids(html) == [s.pk for s in thirty_sessions[:25]]
    assert "<span>30 sessions</span>" in html
    after = _token(thirty_sessions[24], 0)
    assert f'<a href="?after={after}" rel="next">Next →</a>' in html
    assert 'rel="prev"' not in html


def test_next_page_has_the_rest_and_keeps_filters_in_its_links(admin_client, thirty_sessions):
    after = _token(thirty_sessions[24], 0)

    response = admin_client.get(f"/admin/sessions/?status=pending&q=Jane&after={after}")
    html = response.content.decode()

    assert _row_ids(html) == [s.pk for s in thirty_sessions[25:]]
    assert "<span>30 sessions</span>" in html
    before = _token(thirty_sessions[25], 0)
    assert (
        f'<a href="?status=pending&amp;q=Jane&amp;before={before}" rel="prev">← Previous</a>'
        in html
    )
    assert '<a href="?status=pending&amp;q=Jane">« First</a>' in html
    assert 'rel="next"' not in html
    assert (
        '<input type="hidden" name="return_query" '
        f'value="status=pending&amp;q=Jane&amp;after={after}">' in html
    )


def test_previous_page_is_the_page_before(admin_client, thirty_sessions):
    before = _token(thirty_sessions[25], 0)

    html = admin_client.get(f"/admin/sessions/?before={before}").content.decode()

    assert _row_ids(html) == [s.pk for s in thirty_sessions[:25]]
    assert f'<a href="?after={_token(thirty_sessions[24], 0)}" rel="next">Next →</a>' in html
    assert 'rel="prev"' not in html


def test_pages_run_through_pending_then_the_others_without_gaps(admin_client, mentor, mentee):
    """Pending first (soonest first), then every other status: paging forward and back
    across the boundary shows each session exactly once, in that order."""
    pending = [
        SessionFactory(mentor=mentor, mentee=mentee, start=_at(20) + timedelta(hours=n))
        for n in range(20)
    ]
    others = [
        SessionFactory(
            mentor=mentor, mentee=mentee, start=_at(1) + timedelta(hours=n), status=status
        )
        for n, status in enumerate([Status.CONFIRMED, Status.CANCELLED, Status.COMPLETED] * 4)
    ]

    first = admin_client.get("/admin/sessions/").content.decode()
    after = _token(others[4], 1)
    second = admin_client.get(f"/admin/sessions/?after={after}").content.decode()
    back = admin_client.get(f"/admin/sessions/?before={_token(others[5], 1)}").content.decode()

    assert _row_ids(first) == [s.pk for s in pending] + [s.pk for s in others[:5]]
    assert f'href="?after={after}" rel="next"' in first
    assert _row_ids(second) == [s.pk for s in others[5:]]
    assert _row_ids(back) == _row_ids(first)


def test_search_pages_run_through_pending_then_the_others_without_gaps(
    admin_client, mentor, mentee
):
    """A search's pages (ids found on the index entries first, selectors.admin_session_page)
    page forward and back across the pending boundary like the full list, and never show
    the sessions of people the search did not match, which lie between them."""
    stranger = MentorFactory(first_name="Zed", last_name="Stranger")
    # Another mentee: one mentee's sessions may not overlap (docs/PRODUCT.md §7.2).
    their_mentee = UserFactory(first_name="Yan", last_name="Elsewhere")
    pending, others = [], []
    for n in range(20):
        pending.append(SessionFactory(mentor=mentor, mentee=mentee, start=_at(20, n)))
        SessionFactory(
            mentor=stranger, mentee=their_mentee, start=_at(20, n) + timedelta(minutes=1)
        )
    for n, status in enumerate([Status.CONFIRMED, Status.CANCELLED, Status.COMPLETED] * 4):
        others.append(SessionFactory(mentor=mentor, mentee=mentee, start=_at(1, n), status=status))
        SessionFactory(
            mentor=stranger,
            mentee=their_mentee,
            start=_at(1, n) + timedelta(minutes=1),
            status=status,
        )
    q = f"{mentor.first_name} {mentor.last_name}"

    first = admin_client.get("/admin/sessions/", {"q": q}).content.decode()
    second = admin_client.get(
        "/admin/sessions/", {"q": q, "after": _token(others[4], 1)}
    ).content.decode()
    back = admin_client.get(
        "/admin/sessions/", {"q": q, "before": _token(others[5], 1)}
    ).content.decode()

    assert _row_ids(first) == [s.pk for s in pending] + [s.pk for s in others[:5]]
    assert "<span>32 sessions</span>" in first
    assert _row_ids(second) == [s.pk for s in others[5:]]
    assert _row_ids(back) == _row_ids(first)


def test_a_cursor_past_the_end_shows_no_rows_and_a_way_back(admin_client, thirty_sessions):
    after = _token(thirty_sessions[-1], 0)

    html = admin_client.get(f"/admin/sessions/?after={after}").content.decode()

    assert _row_ids(html) == []
    assert "No sessions match these filters." in html
    assert '<a href="?">« First</a>' in html


def test_old_page_numbers_show_the_first_page(admin_client, thirty_sessions):
    response = admin_client.get("/admin/sessions/?page=2")

    assert _row_ids(response.content.decode()) == [s.pk for s in thirty_sessions[:25]]
    assert messages_of(response) == []


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ({"status": "bogus"}, "Some filters were not understood and were ignored."),
        ({"payment": "bogus"}, "Some filters were not understood and were ignored."),
        ({"payment": "paid'--"}, "Some filters were not understood and were ignored."),
        ({"date_from": "notadate"}, "Some filters were not understood and were ignored."),
        ({"date_to": "2030-13-45"}, "Some filters were not understood and were ignored."),
        ({"q": "x" * 5000}, "Some filters were not understood and were ignored."),
        ({"date_to": "9999-12-31"}, "Some filters were not understood and were ignored."),
        ({"date_from": "0001-01-01"}, "Some filters were not understood and were ignored."),
        ({"q": "a\x00b"}, "Some filters were not understood and were ignored."),
        ({"after": "abc"}, BROKEN_PAGE),
        ({"after": "0.1.0"}, BROKEN_PAGE),
        ({"before": "0.-1.²"}, BROKEN_PAGE),
        ({"before": "0.-99999999999999999.1"}, BROKEN_PAGE),
        ({"after": "0.1.1" * 20}, BROKEN_PAGE),
    ],
    ids=[
        "status",
        "payment",
        "payment-injection",
        "date_from",
        "date_to",
        "long-q",
        "date_to-max",
        "date_from-min",
        "q-nul",
        "after-abc",
        "after-id-0",
        "before-superscript",
        "before-overflow",
        "after-too-long",
    ],
)
def test_invalid_filter_is_ignored_with_a_warning(query, warning, admin_client, pending_session):
    response = admin_client.get("/admin/sessions/", query)

    assert response.status_code == 200
    assert ("warning", warning) in messages_of(response)
    assert _row_ids(response.content.decode()) == [pending_session.pk]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
@pytest.mark.parametrize("query", ["date_from=0001-01-01", "date_to=9999-12-31"])
def test_calendar_edge_dates_never_fail_in_any_zone(zone, query, pending_session):
    admin = UserFactory(is_staff=True, time_zone=zone)

    response = client_for(admin).get(f"/admin/sessions/?{query}")

    assert response.status_code == 200
    assert _row_ids(response.content.decode()) == [pending_session.pk]


def test_row_text_is_escaped(admin_client):
    """The rows are rendered by Jinja2 (config/jinja2.py) with autoescape on."""
    mentor = MentorFactory(first_name="<b>Eve</b>", last_name='O"Hara & Co')
    session = SessionFactory(mentor=mentor, start=_at(10))

    html = admin_client.get("/admin/sessions/").content.decode()

    row = _row(html, session.pk)
    assert "&lt;b&gt;Eve&lt;/b&gt; O&quot;Hara &amp; Co – " in row
    assert "<b>Eve</b>" not in html


def test_matches_are_counted_up_to_a_thousand(admin_client, mentor, mentee):
    start = _at(1)
    MentoringSession.objects.bulk_create(
        MentoringSession(mentor=mentor, mentee=mentee, start=start + timedelta(hours=n))
        for n in range(1001)
    )

    html = admin_client.get("/admin/sessions/").content.decode()

    assert "<span>More than 1000 sessions</span>" in html
    assert len(_row_ids(html)) == 25


@pytest.mark.parametrize(
    ("as_mentor", "as_mentee", "expected"),
    [
        (1001, 0, "More than 1000 sessions"),  # the mentor count alone reaches the cap
        (600, 401, "More than 1000 sessions"),  # only both counts together do
        (600, 400, "1000 sessions"),
    ],
)
def test_a_search_counts_as_mentor_then_as_mentee_up_to_a_thousand(
    as_mentor, as_mentee, expected, admin_client, mentor, mentee, other_mentee
):
    """ "jane" finds Jane (a mentor) and Jane Roe (a mentee of someone else's sessions)."""
    jane_roe = UserFactory(first_name="Jane", last_name="Roe")
    other_mentor = MentorFactory(first_name="Olga", last_name="Other")
    start = _at(1)
    MentoringSession.objects.bulk_create(
        [
            MentoringSession(mentor=mentor, mentee=other_mentee, start=start + timedelta(hours=n))
            for n in range(as_mentor)
        ]
        + [
            MentoringSession(mentor=other_mentor, mentee=jane_roe, start=start + timedelta(hours=n))
            for n in range(as_mentee)
        ]
        # Nobody searched for: never counted.
        + [MentoringSession(mentor=other_mentor, mentee=mentee, start=_at(28))]
    )

    html = admin_client.get("/admin/sessions/", {"q": "jane"}).content.decode()

    assert f"<span>{expected}</span>" in html


# --- the actions each row offers -------------------------------------------------------

ACTION_MARKERS = {
    "confirm": ('data-open-dialog="confirm-{pk}"', "◇ Confirm with Link"),
    "cancel": ('data-open-dialog="cancel-{pk}"', "✗ Cancel"),
    "complete": (
        'formaction="/admin/sessions/{pk}/set-status/" name="action" value="completed"',
        "✓ Complete",
    ),
    "change": ('data-open-dialog="change-{pk}"', "Change link"),
}


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (Status.PENDING, {"confirm", "cancel"}),
        # Not started yet (two days ahead): not completable yet.
        (Status.CONFIRMED, {"cancel", "change"}),
        (Status.COMPLETED, set()),
        (Status.CANCELLED, set()),
    ],
)
def test_row_offers_only_the_legal_actions(status, offered, admin_client, mentor, mentee):
    session = SessionFactory(
        mentor=mentor,
        mentee=mentee,
        status=status,
        admin_provided_link=MEET if status != Status.PENDING else "",
    )

    row = _row(admin_client.get("/admin/sessions/").content.decode(), session.pk)

    for action, (marker, label) in ACTION_MARKERS.items():
        present = marker.format(pk=session.pk) in row and label in row
        assert present == (action in offered), action


def test_confirm_dialog_is_a_native_dialog_with_the_seed_wording(admin_client, pending_session):
    html = admin_client.get("/admin/sessions/").content.decode()

    assert _dialog_tag(html, "confirm-dialog") == (
        '<dialog id="confirm-dialog" class="modal" aria-labelledby="confirm-dialog-title">'
    )
    assert html.count("<dialog ") == 3  # one per kind, shared by every row
    assert '<h2 id="confirm-dialog-title">Provide Google Meet Link</h2>' in html
    assert '<label for="confirm-link">Google Meet Link</label>' in html
    # JavaScript points the form at the clicked row's session (static/js/site.js).
    assert (
        '<form method="post" action="" data-action-template="/admin/sessions/0/set-status/" '
        "novalidate>" in html
    )
    assert (
        '<button type="submit" formmethod="dialog" formnovalidate class="secondary">Cancel</button>'
        in html
    )
    assert '<button type="submit">Confirm &amp; Send Link</button>' in html
    assert _open_dialogs(html) == []


def test_dialog_query_opens_that_dialog_server_side(admin_client, pending_session):
    pk = pending_session.pk

    html = admin_client.get(f"/admin/sessions/?dialog=confirm-{pk}").content.decode()

    assert _open_dialogs(html) == [f"confirm-{pk}"]
    assert (
        f'<form method="post" action="/admin/sessions/{pk}/set-status/" '
        'data-action-template="/admin/sessions/0/set-status/" novalidate>' in html
    )
    assert "Jane Smith – John Doe, 2030-01-15 13:00 UTC" in html


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "confirm-",
        "confirm-abc",
        "delete-1",
        "confirm-1-2",
        "confirm-999999",
        "confirm-²",
        "confirm-٣",
        "confirm-" + "9" * 40,
    ],
)
def test_unknown_dialog_query_is_ignored(value, admin_client, pending_session):
    response = admin_client.get("/admin/sessions/", {"dialog": value})

    assert response.status_code == 200
    assert _open_dialogs(response.content.decode()) == []


def test_action_links_keep_the_current_filters(admin_client, pending_session):
    pk = pending_session.pk

    html = admin_client.get("/admin/sessions/?status=pending&q=Jane").content.decode()

    assert f'href="?status=pending&amp;q=Jane&amp;dialog=confirm-{pk}"' in html
    assert '<input type="hidden" name="return_query" value="status=pending&amp;q=Jane">' in html


def test_no_inline_script_or_style(admin_client, confirmed_session, mentor, mentee):
    SessionFactory(mentor=mentor, mentee=mentee)

    html = admin_client.get("/admin/sessions/").content.decode()

    assert "<script>" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)


# --- POST set-status: confirm ----------------------------------------------------------


def test_confirm_with_good_link_redirects_back_with_the_filters(admin_client, pending_session):
    response = _set_status(
        admin_client,
        pending_session,
        action="confirmed",
        meeting_link=MEET,
        return_query="status=pending&q=Jane",
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/sessions/?status=pending&q=Jane"
    assert messages_of(response) == [
        (
            "success",
            "Session Jane Smith – John Doe confirmed. The meeting link is being emailed to "
            "John Doe and Jane Smith.",
        )
    ]


def test_confirm_stores_the_canonical_link_and_who_confirmed(
    admin_client, admin_user, pending_session
):
    _set_status(
        admin_client,
        pending_session,
        action="confirmed",
        meeting_link="  https://MEET.google.com/ABC-defg-hij/?authuser=0  ",
    )

    pending_session.refresh_from_db()
    assert pending_session.status == Status.CONFIRMED
    assert pending_session.admin_provided_link == MEET
    assert pending_session.get_meeting_link == MEET
    assert pending_session.confirmed_by == admin_user
    assert abs(pending_session.link_provided_at - timezone.now()) < timedelta(seconds=30)


def test_confirm_stores_a_link_pasted_without_https_as_the_https_link(
    admin_client, pending_session
):
    response = _set_status(
        admin_client,
        pending_session,
        action="confirmed",
        meeting_link="meet.google.com/abc-defg-hij",
    )

    pending_session.refresh_from_db()
    assert (pending_session.status, pending_session.admin_provided_link) == (
        Status.CONFIRMED,
        MEET,
    )
    assert messages_of(response)[0][0] == "success"


def test_confirm_queues_one_email_to_each_person(admin_client, pending_session):
    _set_status(admin_client, pending_session, action="confirmed", meeting_link=MEET)

    assert sorted(
        OutboundEmail.objects.filter(kind=EmailKind.SESSION_CONFIRMED).values_list(
            "to_email", flat=True
        )
    ) == ["jane@example.com", "john@example.com"]


def test_confirmed_row_after_redirect_shows_the_link(admin_client, pending_session):
    response = _set_status(admin_client, pending_session, action="confirmed", meeting_link=MEET)

    html = admin_client.get(response["Location"]).content.decode()
    assert _cells(html, pending_session.pk)[6:8] == ["CONFIRMED", MEET]


BAD_LINKS = [
    "javascript:alert(1)",
    "http://meet.google.com/abc-defg-hij",
    "https://meet.google.com.evil.test/abc-defg-hij",
    "https://meet.google.com@evil.test/abc-defg-hij",
    "data:text/html,<script>alert(1)</script>",
    "https://meet.google.com/abc-defg-hij\nX-Evil: 1",
]


@pytest.mark.parametrize("link", BAD_LINKS)
def test_bad_link_is_refused_with_an_error_and_changes_nothing(link, admin_client, pending_session):
    before = _snapshot(pending_session)

    response = _set_status(
        admin_client,
        pending_session,
        action="confirmed",
        meeting_link=link,
        return_query="status=pending",
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/sessions/?status=pending"
    assert messages_of(response) == [("error", f"The session was not confirmed: {_refusal(link)}")]
    assert _snapshot(pending_session) == before
    assert OutboundEmail.objects.count() == 0
    assert SessionEvent.objects.count() == 0


def test_refused_link_reopens_the_dialog_with_the_error_and_the_typed_value(
    admin_client, pending_session
):
    pk = pending_session.pk
    typed = 'https://meet.google.com.evil.test/"><script>alert(1)</script>'
    response = _set_status(admin_client, pending_session, action="confirmed", meeting_link=typed)

    html = admin_client.get(response["Location"]).content.decode()

    assert _open_dialogs(html) == [f"confirm-{pk}"]
    assert (
        'value="https://meet.google.com.evil.test/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'
        in html
    )
    assert "<script>alert(1)</script>" not in html
    error = escape(_refusal(typed))
    assert (
        f'<p class="error" id="confirm-link-error" role="alert" data-dialog-error>{error}</p>'
        in html
    )


def test_refused_link_dialog_opens_only_once(admin_client, pending_session):
    response = _set_status(
        admin_client, pending_session, action="confirmed", meeting_link="javascript:alert(1)"
    )
    admin_client.get(response["Location"])

    html = admin_client.get("/admin/sessions/").content.decode()

    assert _open_dialogs(html) == []


def test_confirm_without_a_link_is_refused_and_reopens_the_dialog(admin_client, pending_session):
    before = _snapshot(pending_session)

    response = _set_status(admin_client, pending_session, action="confirmed", meeting_link="  ")

    assert messages_of(response) == [
        ("error", "The session was not confirmed: A meeting link is required.")
    ]
    assert _snapshot(pending_session) == before
    html = admin_client.get(response["Location"]).content.decode()
    assert _open_dialogs(html) == [f"confirm-{pending_session.pk}"]


def test_confirming_twice_is_refused_and_sends_nothing_more(admin_client, confirmed_session):
    before = _snapshot(confirmed_session)
    emails_before = OutboundEmail.objects.count()

    response = _set_status(
        admin_client, confirmed_session, action="confirmed", meeting_link=OTHER_MEET
    )

    assert response["Location"] == "/admin/sessions/"
    assert messages_of(response) == [
        ("error", "This session is already confirmed; nothing was changed.")
    ]
    assert _snapshot(confirmed_session) == before
    assert OutboundEmail.objects.count() == emails_before


# --- POST set-status: refused actions --------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "bogus"}, "Unknown action “bogus”; nothing was changed."),
        ({"action": "delete"}, "Unknown action “delete”; nothing was changed."),
        ({}, "No action was chosen; nothing was changed."),
        (
            {"action": "completed"},
            "A pending session cannot be completed; nothing was changed.",
        ),
        ({"action": "pending"}, "This session is already pending; nothing was changed."),
    ],
    ids=["bogus", "delete", "missing", "complete-pending", "pending"],
)
def test_refused_action_on_pending_redirects_with_error_and_changes_nothing(
    data, message, admin_client, pending_session
):
    before = _snapshot(pending_session)

    response = _set_status(admin_client, pending_session, **data)

    assert response.status_code == 302
    assert response["Location"] == "/admin/sessions/"
    assert messages_of(response) == [("error", message)]
    assert _snapshot(pending_session) == before
    assert OutboundEmail.objects.count() == 0


def test_moving_a_confirmed_session_back_to_pending_is_refused(admin_client, confirmed_session):
    before = _snapshot(confirmed_session)

    response = _set_status(admin_client, confirmed_session, action="pending")

    assert messages_of(response) == [
        ("error", "A confirmed session cannot be moved back to pending; nothing was changed.")
    ]
    assert _snapshot(confirmed_session) == before


@pytest.mark.parametrize(
    ("final", "action", "message"),
    [
        (
            Status.COMPLETED,
            Status.CONFIRMED,
            "This session is completed, which is final; it cannot be confirmed. "
            "Nothing was changed.",
        ),
        (
            Status.COMPLETED,
            Status.COMPLETED,
            "This session is already completed; nothing was changed.",
        ),
        (
            Status.COMPLETED,
            Status.CANCELLED,
            "This session is completed, which is final; it cannot be cancelled. "
            "Nothing was changed.",
        ),
        (
            Status.CANCELLED,
            Status.CONFIRMED,
            "This session is cancelled, which is final; it cannot be confirmed. "
            "Nothing was changed.",
        ),
        (
            Status.CANCELLED,
            Status.COMPLETED,
            "This session is cancelled, which is final; it cannot be completed. "
            "Nothing was changed.",
        ),
        (
            Status.CANCELLED,
            Status.CANCELLED,
            "This session is already cancelled; nothing was changed.",
        ),
    ],
)
def test_final_sessions_cannot_change(final, action, message, admin_client, mentor, mentee):
    session = SessionFactory(mentor=mentor, mentee=mentee, status=final, admin_provided_link=MEET)
    before = _snapshot(session)

    response = _set_status(admin_client, session, action=action, meeting_link=OTHER_MEET)

    assert response["Location"] == "/admin/sessions/"
    assert messages_of(response) == [("error", message)]
    assert _snapshot(session) == before
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("return_query", "location"),
    [
        ("next=//evil.test", "/admin/sessions/"),
        ("//evil.test", "/admin/sessions/"),
        ("https://evil.test/?status=pending", "/admin/sessions/"),
        ("status=pending&next=https://evil.test", "/admin/sessions/?status=pending"),
        ("q=Jane&dialog=confirm-1&evil=1", "/admin/sessions/?q=Jane"),
        (
            "after=0.1.2&page=2&date_to=2030-02-01&date_from=2030-01-01&q=Jane&status=confirmed",
            "/admin/sessions/?status=confirmed&q=Jane&date_from=2030-01-01"
            "&date_to=2030-02-01&after=0.1.2",
        ),
        (
            "q=a%0D%0ALocation:%20https://evil.test",
            "/admin/sessions/?q=a%0D%0ALocation%3A+https%3A%2F%2Fevil.test",
        ),
        ("payment=pending&status=pending", "/admin/sessions/?status=pending&payment=pending"),
    ],
    ids=[
        "next",
        "scheme-relative",
        "absolute",
        "extra-param",
        "dialog",
        "all-filters",
        "crlf",
        "payment-filter",
    ],
)
def test_return_query_never_leaves_the_dashboard(
    return_query, location, admin_client, pending_session
):
    response = _set_status(
        admin_client,
        pending_session,
        action="cancelled",
        reason="Duplicate booking.",
        return_query=return_query,
    )

    assert response.status_code == 302
    assert response["Location"] == location


# --- complete, cancel and change link from the dashboard -------------------------------


def test_admin_completes_a_session_that_has_started(clock, admin_user, mentee, confirmed_session):
    clock.now = confirmed_session.start + timedelta(minutes=5)

    response = _set_status(client_for(admin_user), confirmed_session, action="completed")

    confirmed_session.refresh_from_db()
    assert confirmed_session.status == Status.COMPLETED
    assert confirmed_session.completed_at == clock.now
    assert messages_of(response) == [("success", "Session Jane Smith – John Doe marked completed.")]
    assert list(
        OutboundEmail.objects.filter(kind=EmailKind.SESSION_COMPLETED).values_list("to_email")
    ) == [(mentee.email,)]


NOT_STARTED = "A session can be marked completed once it has started; nothing was changed."


def test_admin_cannot_complete_a_session_before_its_start(clock, admin_user, confirmed_session):
    clock.now = confirmed_session.start - timedelta(seconds=1)
    before = _snapshot(confirmed_session)
    side_effects = (SessionEvent.objects.count(), OutboundEmail.objects.count())

    response = _set_status(
        client_for(admin_user),
        confirmed_session,
        action="completed",
        return_query="status=confirmed",
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/sessions/?status=confirmed"
    assert messages_of(response) == [("error", NOT_STARTED)]
    assert _snapshot(confirmed_session) == before
    assert (SessionEvent.objects.count(), OutboundEmail.objects.count()) == side_effects
    assert not OutboundEmail.objects.filter(kind=EmailKind.SESSION_COMPLETED).exists()


def test_a_refused_early_completion_leaves_the_mentee_the_link_and_no_rating(
    clock, admin_user, mentee, confirmed_session
):
    clock.now = confirmed_session.start - timedelta(days=1)
    _set_status(client_for(admin_user), confirmed_session, action="completed")

    mentee_client = client_for(mentee)
    page = mentee_client.get(f"/sessions/{confirmed_session.pk}/").content.decode()
    rated = mentee_client.post(f"/sessions/{confirmed_session.pk}/feedback/", {"rating": "5"})

    assert f'href="{MEET}"' in page
    assert "How was your session?" not in page
    assert rated.status_code == 302
    assert not Feedback.objects.exists()
    assert MentoringSession.objects.get(pk=confirmed_session.pk).status == Status.CONFIRMED


def test_confirmed_row_offers_complete_only_once_the_session_has_started(
    clock, admin_user, confirmed_session
):
    marker, label = ACTION_MARKERS["complete"]
    marker = marker.format(pk=confirmed_session.pk)

    clock.now = confirmed_session.start - timedelta(seconds=1)
    before = _row(
        client_for(admin_user).get("/admin/sessions/").content.decode(), confirmed_session.pk
    )
    clock.now = confirmed_session.start
    after = _row(
        client_for(admin_user).get("/admin/sessions/").content.decode(), confirmed_session.pk
    )

    assert marker not in before and label not in before
    assert marker in after and label in after


def test_admin_cancels_with_a_reason(admin_client, admin_user, confirmed_session):
    response = _set_status(
        admin_client,
        confirmed_session,
        action="cancelled",
        reason="  Mentor is ill.  ",
        return_query="status=confirmed",
    )

    confirmed_session.refresh_from_db()
    assert response["Location"] == "/admin/sessions/?status=confirmed"
    assert (confirmed_session.status, confirmed_session.cancellation_reason) == (
        Status.CANCELLED,
        "Mentor is ill.",
    )
    assert confirmed_session.cancelled_by == admin_user
    assert messages_of(response) == [
        ("success", "Session Jane Smith – John Doe cancelled. Both have been notified.")
    ]


def test_admin_cancels_a_pending_session_without_a_reason(admin_client, pending_session):
    _set_status(admin_client, pending_session, action="cancelled")

    pending_session.refresh_from_db()
    assert (pending_session.status, pending_session.cancellation_reason) == (Status.CANCELLED, "")


def test_a_stray_bad_link_does_not_block_a_cancel(admin_client, pending_session):
    _set_status(
        admin_client, pending_session, action="cancelled", meeting_link="javascript:alert(1)"
    )

    pending_session.refresh_from_db()
    assert pending_session.status == Status.CANCELLED
    assert pending_session.get_meeting_link == ""


def test_change_link_stores_the_new_link_and_notifies_both(admin_client, confirmed_session):
    emails_before = OutboundEmail.objects.count()

    response = admin_client.post(
        f"/admin/sessions/{confirmed_session.pk}/change-link/",
        {"meeting_link": OTHER_MEET, "return_query": "status=confirmed"},
    )

    confirmed_session.refresh_from_db()
    assert response["Location"] == "/admin/sessions/?status=confirmed"
    assert confirmed_session.admin_provided_link == OTHER_MEET
    assert messages_of(response) == [
        (
            "success",
            "Meeting link changed for Jane Smith – John Doe. Both have been emailed the new link.",
        )
    ]
    assert sorted(
        OutboundEmail.objects.filter(kind=EmailKind.LINK_CHANGED).values_list("to_email", flat=True)
    ) == ["jane@example.com", "john@example.com"]
    assert OutboundEmail.objects.count() == emails_before + 2


@pytest.mark.parametrize("link", ["javascript:alert(1)", "", "https://meet.google.co/abc-defg-hij"])
def test_change_link_refuses_a_bad_link_and_reopens_its_dialog(
    link, admin_client, confirmed_session
):
    before = _snapshot(confirmed_session)
    pk = confirmed_session.pk

    response = admin_client.post(f"/admin/sessions/{pk}/change-link/", {"meeting_link": link})

    assert messages_of(response) == [("error", f"The link was not changed: {_refusal(link)}")]
    assert _snapshot(confirmed_session) == before
    html = admin_client.get(response["Location"]).content.decode()
    assert _open_dialogs(html) == [f"change-{pk}"]


def test_change_link_on_a_pending_session_is_refused(admin_client, pending_session):
    before = _snapshot(pending_session)

    response = admin_client.post(
        f"/admin/sessions/{pending_session.pk}/change-link/", {"meeting_link": MEET}
    )

    assert messages_of(response) == [
        (
            "error",
            "Only a confirmed session's link can be changed; this one is pending. "
            "Nothing was changed.",
        )
    ]
    assert _snapshot(pending_session) == before


def test_change_link_to_the_same_link_is_refused(admin_client, confirmed_session):
    before = _snapshot(confirmed_session)

    response = admin_client.post(
        f"/admin/sessions/{confirmed_session.pk}/change-link/", {"meeting_link": MEET}
    )

    assert messages_of(response) == [
        ("error", "That is already the session's link; nothing was changed.")
    ]
    assert _snapshot(confirmed_session) == before


def test_invalid_stored_link_is_not_rendered_as_a_link(admin_client, pending_session):
    MentoringSession.objects.filter(pk=pending_session.pk).update(
        status=Status.CONFIRMED, admin_provided_link="javascript:alert(1)"
    )

    html = admin_client.get("/admin/sessions/").content.decode()

    assert 'href="javascript:' not in html
    assert _cells(html, pending_session.pk)[7] == (
        "Invalid link, not shown as a link: javascript:alert(1)"
    )


def test_every_filter_form_shares_one_widget_renderer():
    """A renderer builds its Jinja2 environment once: one per form would compile the
    widget templates again on every dashboard request."""
    from bookings.forms import AdminSessionFilterForm

    first, second = AdminSessionFilterForm(), AdminSessionFilterForm({"status": "pending"})

    assert first.renderer is second.renderer
    assert str(second["status"]).count('<option value="pending" selected>') == 1
