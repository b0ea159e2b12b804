"""Fuzzing every route of the API (docs/PRODUCT.md §11): bodies of any JSON shape (wrong
types, missing and extra fields, huge numbers, unicode, NUL, lone surrogates), bodies that
are not JSON at all, query parameters of any text, ids of any text.

Properties: never a 5xx (the test client re-raises a view's exception, which fails the
test); every refusal is a problem document; and a refused request changes nothing (row
counts of every model, every field of the people, sessions, availability and emails; the
rate limits' counts aside). Each example runs in a savepoint that is rolled back."""

import json
from urllib.parse import quote

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import ApiClient, problem_of, product_state, token_for
from tests.conftest import MEET

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\ud800",
        MEET,
        MEET + "\x00",
        MEET + "\r\nBcc: x@evil.test",
        "http://meet.google.com/abc-defg-hij",
        "https://meet.google.com.evil.test/abc-defg-hij",
        "javascript:alert(1)",
        "2030-01-15T13:00:00+00:00",
        "2030-01-15T13:00:00",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+14:00",
        "1e309",
        "NaN",
        "9" * 40,
        "x" * 10_000,
        "١٢",
        "pending",
        "confirmed",
    ]
)
TEXT = st.text(max_size=50) | NASTY_TEXT
NUMBER = st.integers() | st.sampled_from([0, -1, 2**63 - 1, 2**63, 10**30, 60, 45]) | st.floats()
SCALAR = st.none() | st.booleans() | NUMBER | TEXT
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
FIELDS = ["meeting_link", "reason", "start", "mentor", "duration_minutes", "notes"]
BODY = st.dictionaries(st.sampled_from(FIELDS) | TEXT, JSON, max_size=6) | JSON
RAW = st.sampled_from(
    ["", "{", "{]", "nul", "[1,", '{"a": 1}{', "\xff\xfe", '{"meeting_link": "\\ud800"}']
) | st.binary(max_size=40)
ID = st.one_of(
    st.integers(-5, 2**64).map(str), st.text(max_size=12), st.sampled_from(["0", "00", "1.0"])
)


class Undo(Exception):
    pass


@pytest.fixture
def fuzz_world(world, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000  # the limit would answer most examples
    return world


def _clients(world) -> dict[str, ApiClient]:
    return {role: ApiClient(token_for(world.users[role])) for role in ("admin", "mentee")}


def _check(send) -> None:
    before = product_state()
    try:
        with transaction.atomic():
            response = send()
            assert response.status_code < 500, response.content[:300]
            if response.status_code >= 400:
                problem_of(response)
                assert product_state() == before
            raise Undo
    except Undo:
        pass


SESSION_ROUTES = ["confirm", "complete", "cancel", "change-link", "reschedule"]


@FUZZ
@given(
    role=st.sampled_from(["admin", "mentee"]),
    route=st.sampled_from(SESSION_ROUTES),
    body=BODY,
    raw=st.none() | RAW,
)
def test_session_actions_survive_any_body(fuzz_world, role, route, body, raw):
    client = _clients(fuzz_world)[role]
    path = f"/api/v1/sessions/{fuzz_world.session.pk}/{route}"
    _check(lambda: client.post(path, body, raw=raw))


@FUZZ
@given(role=st.sampled_from(["admin", "mentee"]), body=BODY, raw=st.none() | RAW)
def test_booking_survives_any_body(fuzz_world, role, body, raw):
    client = _clients(fuzz_world)[role]
    if isinstance(body, dict) and body.get("mentor") == "world":
        body["mentor"] = fuzz_world.users["mentor"].pk
    _check(lambda: client.post("/api/v1/bookings", body, raw=raw))


@FUZZ
@given(
    start=TEXT | st.sampled_from(["slot"]),
    duration=JSON,
    notes=JSON,
    mentor=st.sampled_from(["world", 0, -1, 2**63, "1"]) | NUMBER,
)
def test_booking_survives_any_field_values(fuzz_world, start, duration, notes, mentor):
    """Fields of the right names with any values (more of them reach the service)."""
    client = _clients(fuzz_world)["mentee"]
    body = {
        "mentor": fuzz_world.users["mentor"].pk if mentor == "world" else mentor,
        "start": fuzz_world.slot if start == "slot" else start,
        "duration_minutes": duration,
        "notes": notes,
    }
    _check(lambda: client.post("/api/v1/bookings", body))


@FUZZ
@given(
    role=st.sampled_from(["admin", "mentee"]),
    route=st.sampled_from(SESSION_ROUTES + ["", "free-times"]),
    ident=ID,
    body=BODY,
)
def test_any_id_is_answered(fuzz_world, role, route, ident, body):
    client = _clients(fuzz_world)[role]
    base = "mentors" if route == "free-times" else "sessions"
    path = f"/api/v1/{base}/{quote(ident, safe='')}" + (f"/{route}" if route else "")
    method = "GET" if route in ("", "free-times") else "POST"
    _check(lambda: client.send(method, path, body))


QUERY_KEYS = ["status", "start_after", "start_before", "cursor", "q", "skill", "page"]


@FUZZ
@given(
    role=st.sampled_from(["admin", "mentee"]),
    path=st.sampled_from(["/api/v1/sessions/", "/api/v1/mentors/", "free-times"]),
    query=st.dictionaries(
        st.sampled_from(QUERY_KEYS + ["duration_minutes"]) | st.text(max_size=5),
        st.lists(TEXT.filter(lambda t: "\ud800" not in t), min_size=1, max_size=2),
        max_size=4,
    ),
)
def test_lists_survive_any_query(fuzz_world, role, path, query):
    client = _clients(fuzz_world)[role]
    if path == "free-times":
        path = f"/api/v1/mentors/{fuzz_world.users['mentor'].pk}/free-times"
    _check(lambda: client.get(path, query))


def test_a_body_that_is_not_json_is_400(fuzz_world):
    client = _clients(fuzz_world)["admin"]

    response = client.post(f"/api/v1/sessions/{fuzz_world.session.pk}/confirm", raw="{oops")

    assert response.status_code == 400
    assert problem_of(response)["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize("raw", ["[1]", '"x"', "null", "3"])
def test_a_body_that_is_not_an_object_is_400(raw, fuzz_world):
    client = _clients(fuzz_world)["admin"]
    for route in ("confirm", "change-link", "cancel", "reschedule"):
        response = client.post(f"/api/v1/sessions/{fuzz_world.session.pk}/{route}", raw=raw)

        assert response.status_code == 400, (route, raw)
        problem_of(response)


def test_invalid_fields_are_422_with_errors_per_field(fuzz_world):
    client = _clients(fuzz_world)["mentee"]

    response = client.post(
        "/api/v1/bookings", {"mentor": "x", "start": "2030-01-15T13:00:00", "notes": "\x00"}
    )

    assert response.status_code == 422
    errors = problem_of(response)["errors"]
    assert set(errors) == {"mentor", "start", "duration_minutes", "notes"}
    assert errors["notes"] == ["Text cannot contain NUL characters."]
    assert json.loads(response.content)["title"] == "Unprocessable Content"


def test_a_body_over_the_size_limit_is_400(fuzz_world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = _clients(fuzz_world)["mentee"]
    before = product_state()

    response = client.post("/api/v1/bookings", {"notes": "x" * 2000})

    assert response.status_code == 400
    assert problem_of(response)["detail"] == "The request body is too large."
    assert product_state() == before
