from django.db import OperationalError
from django.test import Client

from tests.conftest import client_for


def test_someone_elses_session_answers_the_friendly_404(other_mentee, pending_session):
    response = client_for(other_mentee).get(f"/sessions/{pending_session.pk}/")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_non_staff_in_admin_area_answers_the_friendly_403(mentee):
    response = client_for(mentee).get("/admin/sessions/")

    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.content.decode()


def test_post_without_csrf_token_is_refused_with_a_clear_page(admin_user, pending_session):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/sessions/{pending_session.pk}/set-status/", {"action": "cancelled"}
    )

    assert response.status_code == 403
    assert "nothing was changed" in response.content.decode()
    pending_session.refresh_from_db()
    assert pending_session.status == "pending"


def _dashboard_failing_with(monkeypatch, user, error: Exception):
    """The dashboard of `user`, its query raising `error`."""

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("bookings.views.selectors.dashboard_lists", broken)
    client = client_for(user)
    client.raise_request_exception = False
    return client.get("/dashboard/")


def test_a_failing_page_answers_the_friendly_500_with_the_support_address(
    monkeypatch, settings, mentee
):
    settings.SUPPORT_EMAIL = "help@codementorhub.test"

    response = _dashboard_failing_with(
        monkeypatch, mentee, RuntimeError("the dashboard's query failed")
    )

    assert response.status_code == 500
    body = response.content.decode()
    assert "<h1>Something went wrong</h1>" in body
    assert (
        'write to us at <a href="mailto:help@codementorhub.test">help@codementorhub.test</a>.'
        in body
    )
    assert "the dashboard's query failed" not in body


def test_a_database_that_cannot_be_reached_answers_the_plain_503(monkeypatch, mentee):
    away = OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    response = _dashboard_failing_with(monkeypatch, mentee, away)

    assert (response.status_code, response["Retry-After"]) == (503, "30")
    body = response.content.decode()
    assert "<h1>Back in a moment</h1>" in body
    assert "5432" not in body and "<h1>Something went wrong</h1>" not in body
