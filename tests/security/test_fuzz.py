"""Fuzzing (docs/PRODUCT.md): arbitrary text — unicode, control characters (NUL too),
up to 10,000 characters, numbers as text, empty, several values for one field — at every
field of the main forms and at the query parameters of the list pages.

Properties: never a 5xx (the test client re-raises a view's exception, which fails the
test), and a refused input changes nothing: the row counts of every model and every field
of the people's rows, sessions, availability and emails are what they were. Each example
runs in a savepoint that is rolled back, so every example starts from the same world.
"""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import ERROR
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings import services as booking_services
from bookings.models import Status
from tests.conftest import MEET
from tests.factories import PASSWORD, SessionFactory
from tests.security.conftest import PROFILE, SIGNUP, CsrfClient, snapshot

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.sampled_from("\x7f\x85\u2028")
NASTY = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "https://meet.google.com/abc-defg-hij\x00",
        "https://meet.google.com/abc-defg-hij\r\nBcc: x@evil.test",
        "javascript:alert(1)",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "%00",
        "9" * 40,
        "-1",
        "0",
        "1e309",
        "NaN",
        "Infinity",
        "2030-02-30",
        "9999-12-31",
        "0001-01-01",
        "24:00",
        "²",
        "١٢",
        " ",
    ]
)
# Only what a browser can send: UTF-8 has no lone surrogates, so the test client (rightly)
# cannot encode them.
UTF8 = st.characters(codec="utf-8")
TEXT = st.one_of(
    st.just(""),
    st.text(UTF8, max_size=40),
    st.text(alphabet=CONTROL, max_size=10),
    st.integers().map(str),
    st.floats().map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.builds(lambda c, n: c * n, UTF8, st.integers(200, 10_000)),
    NASTY,
)
# One value, or the field sent several times (a list), which a form must also survive.
VALUE = TEXT | st.lists(TEXT, min_size=2, max_size=3)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _errors(response) -> list[str]:
    """The error messages this request added (not those left from earlier requests, which
    are never shown here because redirects are not followed)."""
    queued = response.wsgi_request._messages._queued_messages
    return [m.message for m in queued if m.level == ERROR]


def _check(client, path, base, field, value, refused, ignore=()):
    """POST `base` with `field` set to `value`: no 5xx; if refused, nothing changed."""
    data = {**base, field: value}
    with rolled_back():
        before = snapshot()
        response = client.post(path, data)
        assert response.status_code < 500
        if refused(response):
            after = snapshot()
            for label in ignore:
                before["counts"].pop(label), after["counts"].pop(label)
            assert after == before, (field, value)
    return response


def status_400(response) -> bool:
    return response.status_code == 400


def error_message(response) -> bool:
    return bool(_errors(response))


def _fields(base):
    return st.sampled_from(sorted(base))


# Sign-ups, reset requests and booking attempts are counted (ops/ratelimit.py), refused or
# not.
THROTTLE_ROWS = ("ops.RateLimitLog",)


def _fuzz_fields(client, path, base, refused, ignore=()) -> None:
    """`_check` with each field of `base` in turn set to arbitrary text."""

    @FUZZ
    @given(field=_fields(base), value=VALUE)
    def run(field, value):
        _check(client, path, base, field, value, refused, ignore)

    run()


# --- Accounts --------------------------------------------------------------------------


def test_signup(world):
    client = CsrfClient()

    _fuzz_fields(client, "/accounts/signup/", SIGNUP, status_400, THROTTLE_ROWS)


def test_login(world):
    client = CsrfClient()
    base = {"username": world.users["mentee"].email, "password": "wrong-password"}

    @FUZZ
    @given(field=_fields(base), value=VALUE)
    def run(field, value):
        # A failed login may be recorded (the throttle); nothing else may change.
        response = _check(
            client,
            "/accounts/login/",
            base,
            field,
            value,
            lambda r: r.status_code == 200,
            ignore=("ops.LoginAttempt",),
        )
        assert response.status_code == 200  # never logged in by a wrong password

    run()


def test_password_reset(world):
    client = CsrfClient()

    @FUZZ
    @given(value=VALUE)
    def run(value):
        # No account has this address: the answer is the same, and no email is queued.
        _check(
            client, "/accounts/password_reset/", {}, "email", value, lambda r: True, THROTTLE_ROWS
        )

    run()


# --- Booking ---------------------------------------------------------------------------


def test_booking(world):
    client = CsrfClient(world.users["mentee"])
    path = f"/mentors/{world.users['mentor'].pk}/book/"
    base = {"start": world.slot, "duration_minutes": "60", "notes": "Hello"}

    # Every POST counts as one of the account's booking attempts (the throttle, whatever
    # comes of it); nothing else may change.
    _fuzz_fields(client, path, base, status_400, ignore=THROTTLE_ROWS)


def test_booking_page_query_parameters(world):
    client = CsrfClient(world.users["mentee"])
    path = f"/mentors/{world.users['mentor'].pk}/book/"

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(["duration_minutes", "start", "from"]), VALUE))
    def run(params):
        _get_changes_nothing(client, path, params)

    run()


# --- Mentors ---------------------------------------------------------------------------


def test_mentor_apply(world):
    client = CsrfClient(world.users["mentee"])

    _fuzz_fields(client, "/mentor/apply/", PROFILE, status_400)


def test_mentor_profile_edit(world):
    client = CsrfClient(world.users["mentor"])

    _fuzz_fields(client, "/mentor/profile/", PROFILE, status_400)


def test_feedback(world):
    completed = SessionFactory(
        mentor=world.users["mentor"],
        mentee=world.users["mentee"],
        start=timezone.now() - timedelta(days=3),
        status=Status.COMPLETED,
    )
    client = CsrfClient(world.users["mentee"])
    base = {"rating": "5", "comment": "Great"}

    _fuzz_fields(client, f"/sessions/{completed.pk}/feedback/", base, error_message)


def test_admin_reject_application(world):
    client = CsrfClient(world.users["admin"])
    path = f"/admin/mentors/{world.applicant_profile.pk}/reject/"
    base = {"reason": "Not yet.", "return_query": "status=pending"}

    _fuzz_fields(client, path, base, error_message)


# --- Availability ----------------------------------------------------------------------


def test_availability_weekly(world):
    client = CsrfClient(world.users["mentor"])
    base = {"weekday": "0", "start_time": "18:00", "end_time": "20:00"}

    _fuzz_fields(client, "/mentor/availability/weekly/", base, status_400)


def test_availability_exception(world):
    client = CsrfClient(world.users["mentor"])
    day = (world.exception.date + timedelta(days=1)).isoformat()
    base = {"date": day, "kind": "extra", "start_time": "18:00", "end_time": "20:00"}

    _fuzz_fields(client, "/mentor/availability/exceptions/", base, status_400)


# --- Sessions: the people's and the admin's actions ------------------------------------


def test_cancel(world):
    client = CsrfClient(world.users["mentee"])
    base = {"reason": "Something came up.", "return_to": "dashboard"}

    _fuzz_fields(client, f"/sessions/{world.session.pk}/cancel/", base, error_message)


def test_reschedule(world):
    """Moving the session (docs/PRODUCT.md §2.7): a bad time or reason is the page again
    with why (400), and changes nothing."""
    client = CsrfClient(world.users["mentee"])
    base = {"start": world.slot, "reason": "A clash at work."}

    _fuzz_fields(client, f"/sessions/{world.session.pk}/reschedule/", base, status_400)


def test_reschedule_page_query_parameters(world):
    client = CsrfClient(world.users["mentee"])
    path = f"/sessions/{world.session.pk}/reschedule/"

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(["from", "start"]), VALUE))
    def run(params):
        _get_changes_nothing(client, path, params)

    run()


def test_admin_set_status(world):
    client = CsrfClient(world.users["admin"])
    path = f"/admin/sessions/{world.session.pk}/set-status/"

    @FUZZ
    @given(
        action=st.sampled_from(["confirmed", "cancelled", "completed", "pending"]) | TEXT,
        field=st.sampled_from(["action", "meeting_link", "reason", "return_query"]),
        value=VALUE,
    )
    def run(action, field, value):
        base = {"action": action, "meeting_link": MEET, "reason": "Because."}
        _check(client, path, base, field, value, error_message)

    run()


def test_admin_change_link(world):
    booking_services.set_status(
        world.session, action="confirmed", by=world.users["admin"], link=MEET
    )
    client = CsrfClient(world.users["admin"])
    path = f"/admin/sessions/{world.session.pk}/change-link/"
    base = {"meeting_link": "https://meet.google.com/xyz-wxyz-xyz", "return_query": ""}

    _fuzz_fields(client, path, base, error_message)


@pytest.mark.parametrize("action", ["mark-paid", "mark-refunded"])
def test_admin_payment_actions(action, world):
    client = CsrfClient(world.users["admin"])
    if action == "mark-refunded":
        booking_services.mark_paid(world.session, by=world.users["admin"], reference="R1")
    path = f"/admin/sessions/{world.session.pk}/{action}/"
    base = {"reference": "REF-1", "return_query": "page=2"}

    _fuzz_fields(client, path, base, error_message)


def test_admin_resend(world):
    client = CsrfClient(world.users["admin"])
    path = f"/admin/emails/{world.email.pk}/resend/"
    base = {"back": "session", "return_query": "state=failed"}

    _fuzz_fields(client, path, base, error_message)


# --- Query parameters of the list pages -------------------------------------------------


def _get_changes_nothing(client, path, params):
    with rolled_back():
        before = snapshot()
        response = client.get(path, params)
        assert response.status_code < 500
        assert response.status_code in (200, 302), (path, params, response.status_code)
        assert snapshot() == before


LIST_PAGES = [
    (
        "admin",
        "/admin/sessions/",
        ["status", "q", "date_from", "date_to", "after", "before", "dialog"],
    ),
    ("admin", "/admin/emails/", ["state", "kind", "q", "page"]),
    ("admin", "/admin/mentors/", ["status", "q", "page", "dialog"]),
    ("anonymous", "/mentors/", ["q", "skill", "page"]),
    ("mentee", "/dashboard/", ["upcoming", "past", "mentor_upcoming", "mentor_past"]),
    ("mentor", "/mentor/availability/", ["page", "week"]),
]


@pytest.mark.parametrize(("role", "path", "keys"), LIST_PAGES, ids=[p for _, p, _ in LIST_PAGES])
def test_list_page_query_parameters(role, path, keys, world):
    client = CsrfClient(world.users[role])

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(keys), VALUE, min_size=1))
    def run(params):
        _get_changes_nothing(client, path, params)

    run()


def test_the_world_is_what_the_fuzz_tests_assume(world):
    assert world.session.status == Status.PENDING
    assert world.session.amount == Decimal("60.00")


# --- A NUL byte in every field (PostgreSQL refuses to store one) -------------------------

NUL_FORMS = [
    ("anonymous", "/accounts/signup/", SIGNUP),
    ("anonymous", "/accounts/login/", {"username": "john@example.com", "password": PASSWORD}),
    ("anonymous", "/accounts/password_reset/", {"email": "john@example.com"}),
    ("mentee", "/mentors/{mentor}/book/", {"start": "{slot}", "duration_minutes": "60"}),
    ("mentee", "/mentor/apply/", PROFILE),
    ("mentor", "/mentor/profile/", PROFILE),
    ("mentor", "/mentor/availability/weekly/", {"weekday": "0", "start_time": "18:00"}),
    ("mentor", "/mentor/availability/exceptions/", {"date": "{day}", "kind": "off"}),
    ("mentee", "/sessions/{session}/cancel/", {"reason": "Something came up."}),
    ("mentee", "/sessions/{session}/reschedule/", {"start": "{slot}", "reason": "A clash."}),
    ("admin", "/admin/sessions/{session}/set-status/", {"action": "confirmed"}),
    ("admin", "/admin/sessions/{session}/set-status/", {"action": "cancelled", "reason": "x"}),
    ("admin", "/admin/sessions/{session}/change-link/", {"meeting_link": MEET}),
    ("admin", "/admin/sessions/{session}/mark-paid/", {"reference": "REF-1"}),
    ("admin", "/admin/mentors/{profile}/reject/", {"reason": "Not yet."}),
]


@pytest.mark.parametrize(("role", "path", "base"), NUL_FORMS, ids=[p for _, p, _ in NUL_FORMS])
def test_a_nul_byte_in_any_field_is_refused_and_stored_nowhere(role, path, base, world):
    """Every field gets "a\\x00b" (the rest valid): no 5xx — on PostgreSQL a NUL reaching
    the database would raise — and the email/password fields keep the user logged out."""
    ids = {
        "mentor": world.users["mentor"].pk,
        "session": world.session.pk,
        "profile": world.applicant_profile.pk,
        "slot": world.slot,
        "day": (world.exception.date + timedelta(days=1)).isoformat(),
    }
    path = path.format(**ids)
    base = {key: value.format(**ids) for key, value in base.items()}
    client = CsrfClient(world.users[role])
    for field in base:
        with rolled_back():
            before = snapshot()
            response = client.post(path, {**base, field: "a\x00b"})
            assert response.status_code < 500, field
            if response.status_code == 400 or _errors(response):
                after = snapshot()
                for label in ("ops.LoginAttempt", *THROTTLE_ROWS):
                    after["counts"].pop(label, None)
                    before["counts"].pop(label, None)
                assert after == before, field
            stored = [
                value
                for rows in snapshot()["rows"].values()
                for row in rows
                for value in row.values()
                if isinstance(value, str) and "\x00" in value
            ]
            assert stored == [], (field, stored)
