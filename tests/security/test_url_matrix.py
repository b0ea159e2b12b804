"""The access matrix (docs/PRODUCT.md): every named URL pattern of the project,
found by walking the URL resolver, has one row here with the outcome of GET and POST for
anonymous, mentee, mentor, another mentee and admin. A new URL without a row fails
`test_every_url_pattern_has_a_row` with its name.

Outcomes: a status code; LOGIN (302 to /accounts/login/?next=<path>); or a redirect target
(a path, formatted with the world's ids). POSTs carry a valid CSRF token (CsrfClient).
Objects that are not yours answer 404; admin URLs answer 403 to non-staff; POST-only
views answer 405 to GET; GET-only views answer 405 to POST.

The methods a URL serves are read from its row (GET with HEAD, POST); every other method
(PUT, PATCH, DELETE, TRACE, OPTIONS) answers 405 with an `Allow` header naming exactly
those, to everyone who gets past the URL's login or staff check. A new view that forgets to
say which methods it serves fails here. Every response to a logged-in person says
`Cache-Control: private, no-store`.
"""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from accounts.services import email_change_token
from availability.models import WeeklyAvailability
from tests.conftest import MEET, client_for
from tests.factories import PASSWORD, MentorFactory
from tests.security.conftest import PROFILE, ROLES, SIGNUP, CsrfClient, snapshot

LOGIN = "login"
DJANGO_ADMIN_LOGIN = "/django-admin/login/?next=/django-admin/"


def named_patterns(patterns=None, prefix="", namespace=""):
    """(name, route) of every named URL pattern, following include()s; the Django admin
    contributes only its root (its internals are Django's own, behind its own login)."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            if route.startswith("django-admin/") and route != "django-admin/":
                continue
            # The JSON API answers tokens, not logins: its own matrix, over every route of
            # its OpenAPI document, is tests/api/test_access.py.
            if route.startswith("api/"):
                continue
            yield f"{namespace}{entry.name}", route


def _all(outcome):
    return dict.fromkeys(ROLES, outcome)


def _row(anonymous, mentee, mentor, other_mentee, admin):
    return dict(zip(ROLES, (anonymous, mentee, mentor, other_mentee, admin), strict=True))


def _staff(admin_outcome):
    return _row(LOGIN, 403, 403, 403, admin_outcome)


def _members(outcome):
    return _row(LOGIN, outcome, outcome, outcome, outcome)


def _mentor_only(mentor_outcome):
    return _row(LOGIN, 403, mentor_outcome, 403, 403)


def _login_data(w, role):
    user = w.users[role] or w.users["mentee"]
    return {"username": user.email, "password": PASSWORD}


def _mentee_token(w):
    """The mentee's API token (the world's)."""
    return w.users["mentee"].api_tokens.get()


def _account_data(w, role):
    user = w.users[role] or w.users["mentee"]
    return {
        "first_name": "Renamed",
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": "Asia/Tokyo",
    }


# name → (URL kwargs from the world, GET outcomes, POST data from (world, role), POST outcomes)
S = "/sessions/{session}/"
MATRIX = {
    "home": (None, _all(200), None, _all(405)),
    # No login, no session: a load balancer polls it (a worker beat in the `world` fixture).
    "healthz": (None, _all(200), None, _all(405)),
    "signup": (
        None,
        _row(200, *["/dashboard/"] * 4),
        lambda w, r: SIGNUP,
        _all("/dashboard/"),
    ),
    "login": (None, _all(200), _login_data, _all("/dashboard/")),
    "logout": (None, _all(405), None, _all("/")),
    "password_change": (
        None,
        _members(200),
        lambda w, r: {
            "old_password": PASSWORD,
            "new_password1": "a-long-new-password-42",
            "new_password2": "a-long-new-password-42",
        },
        _members("/accounts/password_change/done/"),
    ),
    "password_change_done": (None, _members(200), None, _members(405)),
    "account": (None, _members(200), _account_data, _members("/account/")),
    # A link sent to the mentee's new address: only the mentee can use it.
    "account_email_confirm": (
        lambda w: {"token": email_change_token(w.users["mentee"], "john.new@example.com")},
        _row(LOGIN, 200, 404, 404, 404),
        None,
        _row(LOGIN, "/account/", 404, 404, 404),
    ),
    "api_tokens": (
        None,
        _members(200),
        lambda w, r: {"name": "Slack bot"},
        _members(201),  # the page that shows the new token, once
    ),
    # The mentee's token: only the mentee can revoke it.
    "api_token_revoke": (
        lambda w: {"pk": _mentee_token(w).pk},
        _members(405),
        None,
        _row(LOGIN, "/account/api-tokens/", 404, 404, 404),
    ),
    "password_reset": (
        None,
        _all(200),
        lambda w, r: {"email": w.users["mentee"].email},
        _all("/accounts/password_reset/done/"),
    ),
    "password_reset_done": (None, _all(200), None, _all(405)),
    "password_reset_confirm": (
        # The token is made after the client logged in: logging in (last_login) changes it.
        lambda w: {"uidb64": w.uidb64, "token": _reset_token(w)},
        _all("/accounts/reset/{uidb64}/set-password/"),
        None,
        _all("/accounts/reset/{uidb64}/set-password/"),
    ),
    "password_reset_complete": (None, _all(200), None, _all(405)),
    "dashboard": (None, _members(200), None, _members(405)),
    "book_session": (
        lambda w: {"pk": w.users["mentor"].pk},
        _members(200),
        lambda w, r: {"start": w.slot, "duration_minutes": "60", "notes": "Hello"},
        # A mentor cannot book themself: the form is shown again with why.
        _row(LOGIN, "/dashboard/", 400, "/dashboard/", "/dashboard/"),
    ),
    "session_detail": (
        lambda w: {"pk": w.session.pk},
        # An admin outside the session is sent to its admin page.
        _row(LOGIN, 200, 200, 404, "/admin/sessions/{session}/"),
        None,
        _members(405),
    ),
    "session_complete": (
        lambda w: {"pk": w.session.pk},
        _members(405),
        None,
        _row(LOGIN, 404, S, 404, 404),
    ),
    "session_cancel": (
        lambda w: {"pk": w.session.pk},
        # The page the emails link to; only its POST cancels.
        _row(LOGIN, 200, 200, 404, 404),
        lambda w, r: {"reason": "Something came up."},
        _row(LOGIN, S, S, 404, 404),
    ),
    "session_reschedule": (
        lambda w: {"pk": w.session.pk},
        _row(LOGIN, 200, 200, 404, 200),
        lambda w, r: {"start": w.slot, "reason": "Clash at work."},
        _row(LOGIN, S, S, 404, S),
    ),
    "session_feedback": (
        lambda w: {"pk": w.session.pk},
        _members(405),
        lambda w, r: {"rating": "5", "comment": "Great"},
        _row(LOGIN, S, 404, 404, 404),
    ),
    "admin_sessions": (None, _staff(200), None, _staff(405)),
    "admin_set_status": (
        lambda w: {"pk": w.session.pk},
        _staff(405),
        lambda w, r: {"action": "confirmed", "meeting_link": MEET},
        _staff("/admin/sessions/"),
    ),
    "admin_change_link": (
        lambda w: {"pk": w.session.pk},
        _staff(405),
        lambda w, r: {"meeting_link": MEET},
        _staff("/admin/sessions/"),
    ),
    # Saves nothing; with no provider configured staff are sent back with why not.
    "admin_create_link": (
        lambda w: {"pk": w.session.pk},
        _staff(405),
        None,
        _staff("/admin/sessions/"),
    ),
    "admin_session_detail": (
        lambda w: {"pk": w.session.pk},
        _staff(200),
        None,
        _staff(405),
    ),
    "admin_mark_paid": (
        lambda w: {"pk": w.session.pk},
        _staff(405),
        None,
        _staff("/admin/sessions/"),
    ),
    "admin_mark_refunded": (
        lambda w: {"pk": w.session.pk},
        _staff(405),
        None,
        _staff("/admin/sessions/"),
    ),
    "mentor_directory": (None, _all(200), None, _all(405)),
    "mentor_profile": (lambda w: {"pk": w.users["mentor"].pk}, _all(200), None, _all(405)),
    "mentor_apply": (
        None,
        _row(LOGIN, 200, "/mentor/profile/", 200, 200),
        lambda w, r: PROFILE,
        _members("/mentor/profile/"),
    ),
    "mentor_profile_edit": (
        None,
        _row(LOGIN, "/mentor/apply/", 200, "/mentor/apply/", "/mentor/apply/"),
        lambda w, r: PROFILE,
        _row(LOGIN, "/mentor/apply/", "/mentor/profile/", "/mentor/apply/", "/mentor/apply/"),
    ),
    "admin_mentors": (None, _staff(200), None, _staff(405)),
    "admin_mentor_approve": (
        lambda w: {"pk": w.applicant_profile.pk},
        _staff(405),
        None,
        _staff("/admin/mentors/"),
    ),
    "admin_mentor_reject": (
        lambda w: {"pk": w.applicant_profile.pk},
        _staff(405),
        lambda w, r: {"reason": "Not the right fit yet."},
        _staff("/admin/mentors/"),
    ),
    "availability_editor": (None, _mentor_only(200), None, _mentor_only(405)),
    "availability_add_weekly": (
        None,
        _mentor_only(405),
        lambda w, r: {"weekday": "0", "start_time": "18:00", "end_time": "20:00"},
        _mentor_only("/mentor/availability/"),
    ),
    "availability_delete_weekly": (
        lambda w: {"pk": w.weekly.pk},
        _mentor_only(405),
        None,
        _mentor_only("/mentor/availability/"),
    ),
    "availability_add_exception": (
        None,
        _mentor_only(405),
        lambda w, r: {"date": (w.exception.date + timedelta(days=1)).isoformat(), "kind": "off"},
        _mentor_only("/mentor/availability/"),
    ),
    "availability_delete_exception": (
        lambda w: {"pk": w.exception.pk},
        _mentor_only(405),
        None,
        _mentor_only("/mentor/availability/"),
    ),
    "admin_emails": (None, _staff(200), None, _staff(405)),
    "admin_email_resend": (
        lambda w: {"pk": w.email.pk},
        _staff(405),
        None,
        _staff("/admin/emails/"),
    ),
    "admin_webhooks": (None, _staff(200), None, _staff(405)),
    "admin_webhook_create": (None, _staff(200), None, _staff(400)),
    "admin_webhook_detail": (lambda w: {"pk": w.webhook.pk}, _staff(200), None, _staff(400)),
    "admin_webhook_rotate": (lambda w: {"pk": w.webhook.pk}, _staff(405), None, _staff(200)),
    "admin_webhook_enable": (
        lambda w: {"pk": w.webhook.pk},
        _staff(405),
        None,
        _staff("/admin/webhooks/{webhook}/"),
    ),
    "admin_webhook_disable": (
        lambda w: {"pk": w.webhook.pk},
        _staff(405),
        None,
        _staff("/admin/webhooks/{webhook}/"),
    ),
    "admin_webhook_delete": (
        lambda w: {"pk": w.webhook.pk},
        _staff(200),
        None,
        _staff("/admin/webhooks/"),
    ),
    "admin_webhook_resend": (
        lambda w: {"pk": w.webhook_delivery.pk},
        _staff(405),
        None,
        _staff("/admin/webhooks/{webhook}/"),
    ),
    "admin:index": (
        None,
        _row(*[DJANGO_ADMIN_LOGIN] * 4, 200),
        None,
        _row(*[DJANGO_ADMIN_LOGIN] * 4, 200),
    ),
}


def test_every_url_pattern_has_a_row():
    found = {name for name, _ in named_patterns()}

    missing = sorted(found - MATRIX.keys())
    stale = sorted(MATRIX.keys() - found)

    assert not missing, f"URL patterns without a row in the access matrix: {missing}"
    assert not stale, f"Rows for URL patterns that no longer exist: {stale}"


def test_a_name_is_never_routed_twice_to_different_paths():
    routes: dict[str, set[str]] = {}
    for name, route in named_patterns():
        routes.setdefault(name, set()).add(route)

    assert {name: r for name, r in routes.items() if len(r) > 1} == {}


def _reset_token(world) -> str:
    return default_token_generator.make_token(User.objects.get(pk=world.users["mentee"].pk))


def _ids(world) -> dict:
    return {
        "session": world.session.pk,
        "uidb64": world.uidb64,
        "mentor": world.users["mentor"].pk,
        "webhook": world.webhook.pk,
    }


def _path(name, world) -> str:
    kwargs_of = MATRIX[name][0]
    return reverse(name, kwargs=kwargs_of(world) if kwargs_of else None)


def _assert_outcome(response, expected, path, world) -> None:
    where = f"{response.request['REQUEST_METHOD']} {path}"
    if expected == LOGIN:
        assert response.status_code == 302, where
        assert response["Location"] == f"/accounts/login/?next={quote(path, safe='/')}", where
    elif isinstance(expected, str):
        assert response.status_code == 302, (where, response.status_code)
        assert response["Location"] == expected.format(**_ids(world)), where
    else:
        assert response.status_code == expected, (where, response.get("Location"))


# What stands before a view: the login, the staff or mentor check, Django admin's login.
DOORS = (LOGIN, 403, DJANGO_ADMIN_LOGIN)


def served(name: str) -> set[str]:
    """The methods the URL serves, from its row: GET (and HEAD with it) unless everyone
    who gets past its door is answered 405, and POST the same way."""
    _, get, _, post = MATRIX[name]
    methods = set()
    if any(outcome not in (*DOORS, 405) for outcome in get.values()):
        methods |= {"GET", "HEAD"}
    if any(outcome not in (*DOORS, 405) for outcome in post.values()):
        methods.add("POST")
    return methods


def allowed(response) -> set[str]:
    return {method.strip() for method in response["Allow"].split(",")}


def cache_directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def _assert_private_to_the_logged_in(response, role) -> None:
    """A shared cache or the browser's back button must not show a person's page to the
    next one at the same computer."""
    if role != "anonymous":
        assert {"private", "no-store"} <= cache_directives(response), response.get("Cache-Control")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_get(name, role, world):
    client = client_for(world.users[role])
    path = _path(name, world)

    response = client.get(path)

    _assert_outcome(response, MATRIX[name][1][role], path, world)
    _assert_private_to_the_logged_in(response, role)
    if response.status_code == 405:
        assert allowed(response) == served(name), path


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_head_answers_as_get(name, world):
    clients = {role: client_for(user) for role, user in world.users.items()}
    path = _path(name, world)  # after logging in, which changes a reset link's token

    for role, client in clients.items():
        response = client.head(path)

        _assert_outcome(response, MATRIX[name][1][role], path, world)


UNSERVED = ("PUT", "PATCH", "DELETE", "TRACE", "OPTIONS")


@pytest.mark.parametrize("method", UNSERVED)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_a_method_the_url_does_not_serve_is_405_naming_those_it_does(name, method, world):
    """With a valid CSRF token, so that it is the view that refuses the method."""
    clients = {role: CsrfClient(user) for role, user in world.users.items()}
    path = _path(name, world)  # after logging in, which changes a reset link's token
    before = snapshot()

    for role, client in clients.items():
        response = client.generic(method, path, headers={"X-CSRFToken": client.csrf_token})

        door = MATRIX[name][1][role]
        if door in DOORS:
            _assert_outcome(response, door, path, world)
        else:
            assert response.status_code == 405, (role, method, path, response.status_code)
            assert allowed(response) == served(name), (role, method, path)
    assert snapshot() == before


def test_the_methods_read_from_the_rows_are_the_expected_ones():
    """Guards `served` against a misreading: a page, a form, an action, Django's admin."""
    assert served("home") == {"GET", "HEAD"}
    assert served("account") == {"GET", "HEAD", "POST"}
    assert served("session_cancel") == {"GET", "HEAD", "POST"}
    assert served("session_reschedule") == {"GET", "HEAD", "POST"}
    assert served("logout") == {"POST"}
    assert served("admin:index") == {"GET", "HEAD", "POST"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_post(name, role, world):
    client = CsrfClient(world.users[role])
    path = _path(name, world)
    data_of = MATRIX[name][2]
    data = data_of(world, role) if data_of else {}

    response = client.post(path, data)

    _assert_outcome(response, MATRIX[name][3][role], path, world)
    _assert_private_to_the_logged_in(response, role)
    if response.status_code == 405:
        assert allowed(response) == served(name), path


@pytest.mark.parametrize("name", ["availability_delete_weekly", "availability_delete_exception"])
def test_another_mentors_availability_is_404(name, world):
    """Objects that are not yours answer 404, also between mentors."""
    stranger = MentorFactory()
    path = _path(name, world)

    response = CsrfClient(stranger).post(path)

    assert response.status_code == 404
    assert WeeklyAvailability.objects.filter(pk=world.weekly.pk).exists()


# --- Ids no row can have ----------------------------------------------------------------

# A URL's id is 1 … 2**63 - 1 (the database's BIGINT), written without leading zeros: one
# address per object. Anything else matches no route and answers 404, before any view or
# login check runs (docs/PRODUCT.md §1.2).
IMPOSSIBLE_IDS = [str(2**63), str(2**64), str(10**30), "0", "-1", "00", "+1", "1.0"]
ID_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def id_routes() -> list[tuple[str, str]]:
    """(name, route) of every route whose path takes a row's id."""
    return sorted(
        (name, route) for name, route in named_patterns() if re.search(r"<(?:int|id):\w+>", route)
    )


def test_every_id_in_a_route_uses_the_id_converter():
    assert [route for _, route in named_patterns() if "<int:" in route] == []
    assert len(id_routes()) >= 15


def _impossible(role, path) -> list[tuple[str, int]]:
    """(method, status) of GET and POST to `path` that did not answer 404."""
    client = CsrfClient(role)
    answers = [("GET", client.get(path).status_code), ("POST", client.post(path).status_code)]
    return [(method, status) for method, status in answers if status != 404]


@pytest.mark.parametrize("value", IMPOSSIBLE_IDS)
@pytest.mark.parametrize(("name", "route"), id_routes(), ids=[n for n, _ in id_routes()])
def test_an_impossible_id_is_404_for_everyone(name, route, value, world):
    path = "/" + ID_PARAMETER.sub(value, route)

    wrong = {role: _impossible(user, path) for role, user in world.users.items()}

    assert {role: found for role, found in wrong.items() if found} == {}, path


@pytest.mark.parametrize(("name", "route"), id_routes(), ids=[n for n, _ in id_routes()])
def test_an_id_with_a_leading_zero_is_404_for_everyone(name, route, world):
    real = _path(name, world)
    (pk,) = MATRIX[name][0](world).values()
    path = real.replace(f"/{pk}/", f"/0{pk}/")
    assert path != real

    wrong = {role: _impossible(user, path) for role, user in world.users.items()}

    assert {role: found for role, found in wrong.items() if found} == {}, path


@pytest.mark.parametrize(("name", "route"), id_routes(), ids=[n for n, _ in id_routes()])
def test_the_largest_id_the_database_holds_is_no_500(name, route, world):
    """2**63 - 1 is a valid id that no row has: whatever the persona meets (a login, a 403,
    a 404), never a server error."""
    path = "/" + ID_PARAMETER.sub(str(2**63 - 1), route)

    for user in world.users.values():
        client = CsrfClient(user)
        assert client.get(path).status_code < 500
        assert client.post(path).status_code < 500


# Django's admin: the matrix has its root; its own pages answer only GET, HEAD and POST too.
DJANGO_ADMIN_PAGES = [
    "/django-admin/login/",
    "/django-admin/accounts/",
    "/django-admin/accounts/user/",
    "/django-admin/accounts/user/add/",
    "/django-admin/accounts/user/{pk}/change/",
    "/django-admin/accounts/user/{pk}/history/",
    "/django-admin/accounts/user/{pk}/delete/",
    "/django-admin/password_change/",
    "/django-admin/no-such-page/",
]


@pytest.mark.parametrize("method", UNSERVED)
@pytest.mark.parametrize("page", DJANGO_ADMIN_PAGES)
def test_django_admin_pages_serve_only_get_head_and_post(page, method, world):
    superuser = User.objects.create_superuser("root@example.com", PASSWORD)
    client = CsrfClient(superuser)
    path = page.format(pk=world.users["mentee"].pk)
    before = snapshot()

    response = client.generic(method, path, headers={"X-CSRFToken": client.csrf_token})

    assert response.status_code == 405, (method, path, response.status_code)
    assert allowed(response) == {"GET", "HEAD", "POST"}
    assert snapshot() == before
