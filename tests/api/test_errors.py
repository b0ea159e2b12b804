"""A failure under /api/ answers a problem, not the HTML error pages (api/middleware.py)."""

from django.db import OperationalError

from tests.api.conftest import problem_of


def _listing_failing_with(monkeypatch, client, error: Exception):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("api.sessions.selectors.api_session_page", broken)
    client.raise_request_exception = False
    return client.get("/api/v1/sessions/")


def test_a_failure_answers_a_500_problem_not_the_html_page(monkeypatch, settings, api_clients):
    settings.SUPPORT_EMAIL = "help@codementorhub.test"

    response = _listing_failing_with(
        monkeypatch, api_clients["mentee"], RuntimeError("the listing's query failed")
    )

    assert response.status_code == 500
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Something went wrong. We have been told and will look into it. Please try "
        "again in a moment; if it keeps happening, write to help@codementorhub.test.",
    }
    assert response["Cache-Control"] == "private, no-store"


def test_a_database_that_cannot_be_reached_answers_a_503_problem(monkeypatch, api_clients):
    away = OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    response = _listing_failing_with(monkeypatch, api_clients["admin"], away)

    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert problem_of(response) == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "CodeMentorHub cannot reach its data just now. A change you were making was "
        "made whole or not at all: please check, and try again in a minute.",
    }
