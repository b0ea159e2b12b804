"""The API's access matrix (docs/PRODUCT.md §11): every route of the OpenAPI document ×
every persona, with the exact status. A route added to the API without a row here fails
`test_every_route_of_the_document_has_a_row`.

The session is the world's pending one, between the mentee and the mentor; the other
mentee is a stranger to it. A session one may not see is 404, as one that does not exist;
an action one's role does not allow on a session one can see is 403; an action the
session's state refuses is 409."""

import pytest

from tests.api.conftest import ApiClient, problem_of, product_state
from tests.conftest import MEET
from tests.security.conftest import ROLES

S = "/api/v1/sessions/{id}"

NOTHING_HERE = "There is nothing here, or nothing you may see."


def _no_such(template: str) -> str:
    """What a 404 says of an id that names no row (or none the token's owner may see)."""
    return "No such mentor." if template.startswith("/api/v1/mentors/") else "No such session."


def _row(anonymous, mentee, mentor, other_mentee, admin):
    return dict(zip(ROLES, (anonymous, mentee, mentor, other_mentee, admin), strict=True))


def _booking(w):
    return {"mentor": w.users["mentor"].pk, "start": w.slot, "duration_minutes": 60}


# (method, path in the document) → (the id it takes from the world, body, outcomes)
MATRIX = {
    ("GET", "/api/v1/sessions/"): (None, None, _row(401, 200, 200, 200, 200)),
    ("GET", S): ("session", None, _row(401, 200, 200, 404, 200)),
    ("POST", S + "/confirm"): (
        "session",
        lambda w: {"meeting_link": MEET},
        _row(401, 403, 403, 404, 200),
    ),
    # Pending: nobody may complete it yet; the mentee never may.
    ("POST", S + "/complete"): ("session", None, _row(401, 403, 409, 404, 409)),
    ("POST", S + "/cancel"): (
        "session",
        lambda w: {"reason": "Something came up."},
        _row(401, 200, 200, 404, 200),
    ),
    # Pending: only a confirmed session's link changes.
    ("POST", S + "/change-link"): (
        "session",
        lambda w: {"meeting_link": MEET},
        _row(401, 403, 403, 404, 409),
    ),
    # Here no provider is configured (tests/api/test_create_link.py has one): 409 for an admin.
    ("POST", S + "/create-link"): ("session", None, _row(401, 403, 403, 404, 409)),
    ("POST", S + "/reschedule"): (
        "session",
        lambda w: {"start": w.slot, "reason": "Clash at work."},
        _row(401, 200, 200, 404, 200),
    ),
    ("GET", "/api/v1/mentors/"): (None, None, _row(401, 200, 200, 200, 200)),
    ("GET", "/api/v1/mentors/{id}/free-times"): ("mentor", None, _row(401, 200, 200, 200, 200)),
    # The mentor cannot book themself (a field refused: 422).
    ("POST", "/api/v1/bookings"): (None, _booking, _row(401, 201, 422, 201, 201)),
}


def document_routes(client) -> set[tuple[str, str]]:
    document = client.get("/api/v1/openapi.json").json()
    return {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }


def _path(template: str, takes: str | None, world) -> str:
    ids = {"session": world.session.pk, "mentor": world.users["mentor"].pk}
    return template.replace("{id}", str(ids[takes])) if takes else template


def test_every_route_of_the_document_has_a_row(client, db):
    assert document_routes(client) == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template"), sorted(MATRIX))
def test_access(method, template, role, api_clients, world):
    takes, body_of, outcomes = MATRIX[(method, template)]
    path = _path(template, takes, world)
    body = body_of(world) if body_of else None
    before = product_state()

    response = api_clients[role].send(method, path, body)

    assert response.status_code == outcomes[role], (role, response.content[:300])
    assert "no-store" in response["Cache-Control"]
    if response.status_code >= 400:
        problem_of(response)
        assert product_state() == before  # a refused request changes nothing
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


UNSERVED = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@pytest.mark.parametrize(("method", "template"), sorted(MATRIX))
def test_other_methods_are_405_naming_the_one_served(method, template, api_clients, world):
    takes = MATRIX[(method, template)][0]
    path = _path(template, takes, world)
    before = product_state()

    for other in (m for m in UNSERVED if m != method):
        for role, client in api_clients.items():
            response = client.send(other, path, {})

            assert response.status_code == 405, (other, role, path)
            assert response["Allow"] == method
            if other != "HEAD":
                assert problem_of(response)["status"] == 405
    assert product_state() == before


@pytest.mark.parametrize("value", ["0", "00", "-1", "abc", str(2**63), str(10**30), "1.0"])
@pytest.mark.parametrize(("method", "template"), [k for k in sorted(MATRIX) if "{id}" in k[1]])
def test_an_impossible_id_is_a_404_problem(method, template, value, api_clients, world):
    path = template.replace("{id}", value)

    for client in api_clients.values():
        response = client.send(method, path, {})

        assert response.status_code == 404
        assert problem_of(response)["detail"] == NOTHING_HERE


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_largest_id_is_a_404_for_everyone_with_a_token(method, api_clients, world):
    """A valid id that no row has (the body valid too: it is read first)."""
    for template in (t for m, t in MATRIX if m == method and "{id}" in t):
        path = template.replace("{id}", str(2**63 - 1))
        body_of = MATRIX[(method, template)][1]
        for role, client in api_clients.items():
            response = client.send(method, path, body_of(world) if body_of else None)
            assert response.status_code == (401 if role == "anonymous" else 404), (role, path)
            if role != "anonymous":
                assert problem_of(response)["detail"] == _no_such(template)


@pytest.mark.parametrize(
    "path", ["/api/", "/api/v1/", "/api/v2/sessions/", "/api/v1/sessions", "/api/v1/nothing/"]
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unknown_routes_under_api_are_404_problems(path, method, api_clients):
    response = api_clients["admin"].send(method, path, {})

    assert response.status_code == 404
    assert problem_of(response)["detail"] == NOTHING_HERE


def test_a_session_cookie_alone_is_not_enough(world, client):
    """Only a token authenticates: a logged-in browser's cookie does not (so the API needs
    no CSRF token)."""
    client.force_login(world.users["admin"])
    before = product_state()

    response = client.post(
        f"/api/v1/sessions/{world.session.pk}/confirm",
        {"meeting_link": MEET},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert product_state() == before


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Bearer nope", "Basic abc", "Token cmh_x", "Bearer cmh_" + "a" * 43],
)
def test_a_missing_or_unknown_token_is_401(header, world):
    client = ApiClient(None)
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/api/v1/sessions/", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    problem_of(response)
