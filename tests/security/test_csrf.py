"""CSRF on every POST (docs/PRODUCT.md): every URL pattern that accepts POST, posted to
without a token by a client that enforces CSRF checks, answers 403 and changes nothing in
the database — for every persona, including the one the POST would succeed for."""

import pytest

from tests.security.conftest import ROLES, CsrfClient, snapshot
from tests.security.test_url_matrix import MATRIX, _path

POST_URLS = sorted(
    name for name, (_, _, _, post) in MATRIX.items() if any(o != 405 for o in post.values())
)


def test_the_post_urls_are_the_expected_ones():
    """Guards the list below against an accidental empty or shrunken table."""
    assert len(POST_URLS) >= 25
    assert {"admin_set_status", "session_cancel", "login", "logout", "signup"} <= set(POST_URLS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", POST_URLS)
def test_post_without_csrf_token_is_403_and_changes_nothing(name, role, world):
    client = CsrfClient(world.users[role])
    path = _path(name, world)
    data_of = MATRIX[name][2]
    data = data_of(world, role) if data_of else {}
    before = snapshot()

    response = client.post(path, data, csrf=False)

    assert response.status_code == 403, (path, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize("name", POST_URLS)
def test_post_with_a_wrong_token_is_403(name, world):
    """A token that does not match the cookie is as good as none."""
    client = CsrfClient(world.users["admin"])
    data_of = MATRIX[name][2]
    data = dict(data_of(world, "admin") if data_of else {})
    data["csrfmiddlewaretoken"] = "x" * 32
    before = snapshot()

    response = client.post(_path(name, world), data, csrf=False)

    assert response.status_code == 403
    assert snapshot() == before
