"""Who may open which URL (docs/PRODUCT.md): one table per method, one row per URL.

Outcomes: a status code, or ("login", None) for the redirect to the login page with `next`,
or a redirect target. Objects that are not yours answer 404; admin URLs answer 403 to
non-staff; anonymous visitors are sent to the login page.
"""

from urllib.parse import quote

import pytest
from django.test import Client

from bookings.models import MentoringSession, Status
from notifications.models import OutboundEmail
from tests.conftest import MEET, client_for
from tests.factories import PASSWORD
from tests.helpers import messages_of

LOGIN = "login"
ROLES = ("anonymous", "mentee", "mentor", "other_mentee", "admin")


@pytest.fixture
def people(mentee, mentor, other_mentee, admin_user):
    return {
        "anonymous": None,
        "mentee": mentee,
        "mentor": mentor,
        "other_mentee": other_mentee,
        "admin": admin_user,
    }


def _url(template: str, session: MentoringSession) -> str:
    return template.format(id=session.pk)


def _assert_outcome(response, expected, url: str) -> None:
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={quote(url, safe='/')}"
    elif isinstance(expected, str):
        assert response.status_code == 302
        assert response["Location"] == expected
    else:
        assert response.status_code == expected


# (url, {role: outcome}) — every role is listed for every URL.
GET_TABLE = [
    ("/", dict.fromkeys(ROLES, 200)),
    ("/accounts/signup/", {"anonymous": 200, **dict.fromkeys(ROLES[1:], "/dashboard/")}),
    ("/accounts/login/", dict.fromkeys(ROLES, 200)),
    ("/accounts/password_reset/", dict.fromkeys(ROLES, 200)),
    ("/dashboard/", {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 200)}),
    (
        # An admin outside the session is sent to the session's admin page.
        "/sessions/{id}/",
        {
            "anonymous": LOGIN,
            "mentee": 200,
            "mentor": 200,
            "other_mentee": 404,
            "admin": "/admin/sessions/{id}/",
        },
    ),
    (
        "/sessions/{id}/reschedule/",
        {"anonymous": LOGIN, "mentee": 200, "mentor": 200, "other_mentee": 404, "admin": 200},
    ),
    ("/sessions/{id}/complete/", {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], 405)}),
    # The cancel page (the emails link to it): only the session's two people.
    (
        "/sessions/{id}/cancel/",
        {"anonymous": LOGIN, "mentee": 200, "mentor": 200, "other_mentee": 404, "admin": 404},
    ),
    (
        "/admin/sessions/",
        {"anonymous": LOGIN, "mentee": 403, "mentor": 403, "other_mentee": 403, "admin": 200},
    ),
    (
        "/admin/sessions/{id}/set-status/",
        {"anonymous": LOGIN, "mentee": 403, "mentor": 403, "other_mentee": 403, "admin": 405},
    ),
    (
        "/admin/sessions/{id}/change-link/",
        {"anonymous": LOGIN, "mentee": 403, "mentor": 403, "other_mentee": 403, "admin": 405},
    ),
    (
        "/admin/sessions/{id}/create-link/",
        {"anonymous": LOGIN, "mentee": 403, "mentor": 403, "other_mentee": 403, "admin": 405},
    ),
    (
        "/admin/sessions/{id}/",
        {"anonymous": LOGIN, "mentee": 403, "mentor": 403, "other_mentee": 403, "admin": 200},
    ),
    (
        "/admin/emails/",
        {"anonymous": LOGIN, "mentee": 403, "mentor": 403, "other_mentee": 403, "admin": 200},
    ),
    (
        # POST only: GET is refused before the email is looked up.
        "/admin/emails/{id}/resend/",
        {"anonymous": LOGIN, "mentee": 403, "mentor": 403, "other_mentee": 403, "admin": 405},
    ),
    (
        "/django-admin/",
        {
            **dict.fromkeys(ROLES[:4], "/django-admin/login/?next=/django-admin/"),
            "admin": 200,
        },
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url", "outcomes"), GET_TABLE, ids=[row[0] for row in GET_TABLE])
def test_get_access(url, outcomes, role, people, pending_session):
    path = _url(url, pending_session)
    expected = outcomes[role]
    if isinstance(expected, str) and expected != LOGIN:
        expected = _url(expected, pending_session)

    response = client_for(people[role]).get(path)

    _assert_outcome(response, expected, path)


POST_TABLE = [
    (
        "/sessions/{id}/complete/",
        {},
        {
            "anonymous": LOGIN,
            "mentee": 404,
            "mentor": "/sessions/{id}/",
            "other_mentee": 404,
            "admin": 404,
        },
    ),
    (
        "/sessions/{id}/cancel/",
        {"reason": "Something came up."},
        {
            "anonymous": LOGIN,
            "mentee": "/sessions/{id}/",
            "mentor": "/sessions/{id}/",
            "other_mentee": 404,
            "admin": 404,
        },
    ),
    (
        "/admin/sessions/{id}/set-status/",
        {"action": "confirmed", "meeting_link": MEET},
        {
            "anonymous": LOGIN,
            "mentee": 403,
            "mentor": 403,
            "other_mentee": 403,
            "admin": "/admin/sessions/",
        },
    ),
    (
        "/admin/sessions/{id}/change-link/",
        {"meeting_link": MEET},
        {
            "anonymous": LOGIN,
            "mentee": 403,
            "mentor": 403,
            "other_mentee": 403,
            "admin": "/admin/sessions/",
        },
    ),
    (
        # Saves nothing, for anyone (docs/PRODUCT.md §3): staff are sent back to the
        # dashboard, its dialog re-opened with the link, or here (no provider) with why not.
        "/admin/sessions/{id}/create-link/",
        {},
        {
            "anonymous": LOGIN,
            "mentee": 403,
            "mentor": 403,
            "other_mentee": 403,
            "admin": "/admin/sessions/",
        },
    ),
    (
        # The session here has no emails, so no outbox row has this id: staff get 404
        # (Resend of a real email: tests/notifications/test_email_log.py).
        "/admin/emails/{id}/resend/",
        {},
        {"anonymous": LOGIN, "mentee": 403, "mentor": 403, "other_mentee": 403, "admin": 404},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("url", "data", "outcomes"), POST_TABLE, ids=[row[0] for row in POST_TABLE]
)
def test_post_access(url, data, outcomes, role, people, pending_session):
    path = _url(url, pending_session)
    expected = outcomes[role]
    if isinstance(expected, str) and expected != LOGIN:
        expected = _url(expected, pending_session)

    response = client_for(people[role]).post(path, data)

    _assert_outcome(response, expected, path)


@pytest.mark.parametrize("role", ["mentee", "mentor", "other_mentee", "admin"])
def test_refused_post_changes_nothing(role, people, pending_session):
    """Outsiders' POSTs to every action URL leave the session and the outbox untouched."""
    before = MentoringSession.objects.values().get(pk=pending_session.pk)
    client = client_for(people[role])
    allowed = {
        "mentor": {"/sessions/{id}/complete/", "/sessions/{id}/cancel/"},
        "mentee": {"/sessions/{id}/cancel/"},
        "admin": {"/admin/sessions/{id}/set-status/", "/admin/sessions/{id}/change-link/"},
    }.get(role, set())

    for url, data, _ in POST_TABLE:
        if url not in allowed:
            client.post(_url(url, pending_session), data)

    assert MentoringSession.objects.values().get(pk=pending_session.pk) == before
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/sessions/999999/"),
        ("post", "/sessions/999999/complete/"),
        ("get", "/sessions/999999/cancel/"),
        ("post", "/sessions/999999/cancel/"),
        ("get", "/sessions/999999/reschedule/"),
        ("post", "/sessions/999999/reschedule/"),
    ],
)
def test_unknown_session_is_404_for_a_participant(method, url, mentor):
    response = getattr(client_for(mentor), method)(url, {"reason": "Something came up."})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/admin/sessions/999999/set-status/", {"action": "confirmed", "meeting_link": MEET}),
        ("/admin/sessions/999999/set-status/", {"action": "completed"}),
        ("/admin/sessions/999999/set-status/", {"action": "cancelled", "reason": "x"}),
        ("/admin/sessions/999999/set-status/", {"action": "pending"}),
        # an invalid form too: the unknown session is said first
        ("/admin/sessions/999999/set-status/", {"action": "bogus"}),
        ("/admin/sessions/999999/set-status/", {"action": "confirmed", "meeting_link": "x"}),
        ("/admin/sessions/999999/change-link/", {"meeting_link": MEET}),
        ("/admin/sessions/999999/change-link/", {"meeting_link": "javascript:alert(1)"}),
        ("/admin/sessions/999999/create-link/", {}),
        ("/sessions/999999/reschedule/", {"start": "2030-01-07T10:00:00+00:00"}),
    ],
)
def test_unknown_session_is_404_for_staff(url, data, admin_client, pending_session):
    before = list(MentoringSession.objects.values())

    response = admin_client.post(url, data)

    assert response.status_code == 404
    assert list(MentoringSession.objects.values()) == before
    assert messages_of(response) == []


def test_an_unknown_session_page_is_404_for_staff(admin_client, pending_session):
    """Only a session that exists sends an admin on to its admin page."""
    response = admin_client.get(f"/sessions/{pending_session.pk + 1000}/")

    assert response.status_code == 404


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_set_status_without_csrf_token_is_403_and_changes_nothing(admin_user, pending_session):
    before = MentoringSession.objects.values().get(pk=pending_session.pk)

    response = _csrf_client(admin_user).post(
        f"/admin/sessions/{pending_session.pk}/set-status/",
        {"action": "confirmed", "meeting_link": MEET},
    )

    assert response.status_code == 403
    assert MentoringSession.objects.values().get(pk=pending_session.pk) == before
    assert OutboundEmail.objects.count() == 0


def test_change_link_without_csrf_token_is_403_and_changes_nothing(admin_user, pending_session):
    MentoringSession.objects.filter(pk=pending_session.pk).update(
        status=Status.CONFIRMED, admin_provided_link=MEET
    )
    before = MentoringSession.objects.values().get(pk=pending_session.pk)

    response = _csrf_client(admin_user).post(
        f"/admin/sessions/{pending_session.pk}/change-link/",
        {"meeting_link": "https://meet.google.com/xyz-wxyz-xyz"},
    )

    assert response.status_code == 403
    assert MentoringSession.objects.values().get(pk=pending_session.pk) == before


@pytest.mark.parametrize("action", ["complete", "cancel"])
def test_mentor_action_without_csrf_token_is_403_and_changes_nothing(
    action, mentor, pending_session
):
    before = MentoringSession.objects.values().get(pk=pending_session.pk)

    response = _csrf_client(mentor).post(
        f"/sessions/{pending_session.pk}/{action}/", {"reason": "Something came up."}
    )

    assert response.status_code == 403
    assert MentoringSession.objects.values().get(pk=pending_session.pk) == before


def test_logout_without_csrf_token_is_403_and_keeps_the_user_logged_in(mentee):
    client = _csrf_client(mentee)

    response = client.post("/accounts/logout/")

    assert response.status_code == 403
    assert client.get("/dashboard/").status_code == 200


def test_login_without_csrf_token_is_403(mentee):
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "john@example.com", "password": PASSWORD}
    )

    assert response.status_code == 403
