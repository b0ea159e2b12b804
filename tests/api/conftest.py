"""The API's tests: a client per persona that sends its own token, and the world of the
security tests (tests/security/conftest.py) to act on."""

import json

import pytest
from django.test import Client

from accounts.services import create_api_token
from tests.security.conftest import ROLES, snapshot, world  # noqa: F401 (a fixture)


class ApiClient(Client):
    """Sends `Authorization: Bearer <token>` (none for `token=None`) and JSON bodies."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def _auth(self, extra: dict) -> dict:
        if self.token:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return extra

    def get(self, path, data=None, **extra):
        return super().get(path, data, **self._auth(extra))

    def send(self, method: str, path: str, body=None, *, raw: str | bytes | None = None, **extra):
        payload = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.generic(
            method, path, payload, content_type="application/json", **self._auth(extra)
        )

    def post(self, path, body=None, *, raw=None, **extra):
        return self.send("POST", path, body, raw=raw, **extra)


def token_for(user) -> str | None:
    return None if user is None else create_api_token(user, "tests").raw


@pytest.fixture
def api_clients(world):  # noqa: F811
    """A client per persona (ROLES), each with a token of its own (anonymous: none)."""
    return {role: ApiClient(token_for(world.users[role])) for role in ROLES}


def problem_of(response) -> dict:
    assert response["Content-Type"] == "application/problem+json", response.content[:200]
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def product_state() -> dict:
    """tests.security.conftest.snapshot(), less the rate limits' counts: every request with
    a token counts against its limit, whatever comes of it."""
    state = snapshot()
    state["counts"].pop("ops.RateLimitLog")
    return state
