"""The account page `/account/`: a person changes their name, time zone and email
(docs/PRODUCT.md §1.3)."""

import re
from urllib.parse import urlencode

import pytest

from notifications.models import EmailKind, OutboundEmail
from ops.models import LoginAttempt
from tests.conftest import client_for
from tests.factories import PASSWORD
from tests.helpers import messages_of, visible_text

CURRENT_PASSWORD_NEEDED = "Enter your current password to change your email address."
WRONG_PASSWORD = "That is not your current password."


def _account_data(user, **overrides) -> dict:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "time_zone": user.time_zone,
        "current_password": "",
        **overrides,
    }


def _fields(user) -> tuple:
    user.refresh_from_db()
    return (user.first_name, user.last_name, user.email, user.time_zone)


def test_the_account_page_shows_the_persons_details_and_the_password_change_link(mentee):
    response = client_for(mentee).get("/account/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="first_name" value="John"' in html
    assert 'name="last_name" value="Doe"' in html
    assert 'name="email" value="john@example.com"' in html
    assert '<option value="America/New_York" selected>America/New York</option>' in html
    assert '<a href="/accounts/password_change/">Change your password</a>' in html


def test_saving_a_new_name_and_time_zone_changes_them_and_says_so(mentee):
    client = client_for(mentee)

    response = client.post(
        "/account/",
        _account_data(mentee, first_name="Johnny", last_name="Dough", time_zone="Asia/Tokyo"),
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert messages_of(response) == [("success", "Your account has been saved.")]
    assert _fields(mentee) == ("Johnny", "Dough", "john@example.com", "Asia/Tokyo")


def test_the_new_time_zone_is_used_on_the_next_page(mentee, pending_session):
    client = client_for(mentee)

    client.post("/account/", _account_data(mentee, time_zone="Asia/Tokyo"))
    page = client.get("/dashboard/").content.decode()

    # 13:00 UTC: 08:00 in New York before, 22:00 in Tokyo now.
    time = re.search(r"<dt>Time</dt>\s*<dd>(.*?)</dd>", page, re.S)
    assert time
    assert visible_text(time.group(1)) == "22:00 (Asia/Tokyo)"
    assert "John Doe · Asia/Tokyo" in visible_text(page)


def test_a_new_email_with_the_current_password_is_sent_a_link_and_not_yet_saved(mentee):
    """The change itself, once the link is opened: tests/accounts/test_email_change.py."""
    client = client_for(mentee)

    response = client.post(
        "/account/",
        _account_data(
            mentee, email="  John.Doe@NEW.example ", first_name="Jon", current_password=PASSWORD
        ),
    )

    assert response["Location"] == "/account/"
    assert messages_of(response) == [
        (
            "success",
            "Your account has been saved. To change your email address, open the link we "
            "sent to john.doe@new.example within 24 hours. Until then it stays "
            "john@example.com.",
        )
    ]
    # The name is saved; the address stays until the link is opened.
    assert _fields(mentee) == ("Jon", "Doe", "john@example.com", "America/New_York")
    assert sorted(OutboundEmail.objects.values_list("kind", "to_email")) == [
        (EmailKind.EMAIL_CHANGE_CONFIRM, "john.doe@new.example"),
        (EmailKind.EMAIL_CHANGE_NOTICE, "john@example.com"),
    ]


def test_the_same_email_in_another_case_is_no_change_and_needs_no_password(mentee):
    response = client_for(mentee).post(
        "/account/", _account_data(mentee, email="JOHN@Example.com", first_name="Jon")
    )

    assert response.status_code == 302
    assert _fields(mentee) == ("Jon", "Doe", "john@example.com", "America/New_York")


@pytest.mark.parametrize(
    ("password", "message"),
    [("", CURRENT_PASSWORD_NEEDED), ("wrong-password", WRONG_PASSWORD)],
    ids=["missing", "wrong"],
)
def test_changing_the_email_without_the_right_password_is_refused(password, message, mentee):
    response = client_for(mentee).post(
        "/account/",
        _account_data(mentee, email="new@example.com", first_name="Jon", current_password=password),
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"current_password": [message]}
    assert _fields(mentee) == ("John", "Doe", "john@example.com", "America/New_York")


def test_a_wrong_password_counts_towards_the_login_throttle(mentee):
    client_for(mentee).post(
        "/account/",
        _account_data(mentee, email="new@example.com", current_password="wrong-password"),
    )

    assert list(LoginAttempt.objects.values_list("email", flat=True)) == ["john@example.com"]


def test_a_locked_out_email_cannot_be_changed_even_with_the_right_password(mentee, settings):
    client = client_for(mentee)
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        client.post(
            "/account/",
            _account_data(mentee, email="new@example.com", current_password="wrong-password"),
        )

    response = client.post(
        "/account/", _account_data(mentee, email="new@example.com", current_password=PASSWORD)
    )

    assert response.status_code == 429
    assert response.context["form"].errors == {
        "current_password": [
            "Too many failed login attempts. Wait 15 minutes and try again, or reset your "
            "password to log in now."
        ]
    }
    assert _fields(mentee)[2] == "john@example.com"


@pytest.mark.parametrize("email", ["olga@example.com", "OLGA@Example.COM", " olga@example.com "])
def test_an_email_another_account_uses_is_refused_in_any_case(email, mentee, other_mentee):
    response = client_for(mentee).post(
        "/account/", _account_data(mentee, email=email, current_password=PASSWORD)
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "email": ["Another account already uses this email address."]
    }
    assert _fields(mentee)[2] == "john@example.com"
    assert _fields(other_mentee)[2] == "olga@example.com"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "x" * 250 + "@example.com"}, "email"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "John\r\nBcc: victim@example.com"}, "first_name"),
        ({"last_name": "L" * 151}, "last_name"),
    ],
    ids=[
        "email",
        "no-email",
        "long-email",
        "time-zone",
        "no-time-zone",
        "no-first-name",
        "line-break",
        "long-last-name",
    ],
)
def test_invalid_details_are_shown_next_to_the_field_and_change_nothing(overrides, field, mentee):
    response = client_for(mentee).post(
        "/account/", _account_data(mentee, current_password=PASSWORD, **overrides)
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert _fields(mentee) == ("John", "Doe", "john@example.com", "America/New_York")


def test_the_account_page_answers_only_get_head_and_post(mentee):
    response = client_for(mentee).put(
        "/account/",
        urlencode(_account_data(mentee, first_name="Jon", time_zone="Asia/Tokyo")),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert _fields(mentee) == ("John", "Doe", "john@example.com", "America/New_York")
