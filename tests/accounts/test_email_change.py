"""A new email address is confirmed before it is used (docs/PRODUCT.md §1.3): the account
page sends a link to the new address and a notice to the current one; the link, opened by
the same person, shows the change, and its button makes it."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from accounts.models import User
from notifications.delivery import deliver
from notifications.models import EmailKind, OutboundEmail
from tests.conftest import SITE, client_for
from tests.factories import PASSWORD, UserFactory
from tests.helpers import messages_of, visible_text

NEW = "john.doe@new.example"


@pytest.fixture
def sent(mentee, settings, clock):
    """The mentee asked for NEW on the account page: (their client, the link's path)."""
    settings.SITE_URL = SITE
    client = client_for(mentee)
    client.post(
        "/account/",
        {
            "first_name": "John",
            "last_name": "Doe",
            "email": NEW,
            "time_zone": mentee.time_zone,
            "current_password": PASSWORD,
        },
    )
    client.get("/account/")  # shows (and so uses up) the "we sent a link" message
    confirm = OutboundEmail.objects.get(kind=EmailKind.EMAIL_CHANGE_CONFIRM)
    found = re.search(rf"{re.escape(SITE)}(/account/email/[^/\s]+/)", confirm.body_text)
    assert found, confirm.body_text
    return client, found.group(1)


def _email(user) -> str:
    return User.objects.get(pk=user.pk).email


def test_the_link_goes_to_the_new_address_and_a_notice_to_the_current_one(mentee, sent):
    _, path = sent
    confirm = OutboundEmail.objects.get(kind=EmailKind.EMAIL_CHANGE_CONFIRM)
    notice = OutboundEmail.objects.get(kind=EmailKind.EMAIL_CHANGE_NOTICE)

    assert (confirm.recipient_id, confirm.to_email) == (mentee.pk, NEW)
    assert confirm.subject == "Confirm your new email address for CodeMentorHub"
    assert (
        f"You asked to use {NEW} for your CodeMentorHub account instead of john@example.com."
        in confirm.body_text
    )
    assert "open this link within 24 hours" in confirm.body_text
    assert f'href="{SITE}{path}"' in confirm.body_html
    assert (notice.recipient_id, notice.to_email) == (mentee.pk, "john@example.com")
    assert notice.subject == "A change of your CodeMentorHub email address was asked for"
    assert f"from john@example.com to {NEW}" in notice.body_text
    assert f"{SITE}/accounts/password_change/" in notice.body_text
    assert path not in notice.body_text + notice.body_html
    assert _email(mentee) == "john@example.com"


def test_the_confirmation_is_delivered_to_the_new_address(mentee, sent, smtp):
    confirm = OutboundEmail.objects.get(kind=EmailKind.EMAIL_CHANGE_CONFIRM)

    deliver(confirm.pk)

    assert [(item.rcpt_tos, item.message["To"]) for item in smtp.received] == [((NEW,), NEW)]


def test_opening_the_link_shows_the_change_and_changes_nothing(mentee, sent):
    client, path = sent

    response = client.get(path)

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert f"Change the email address of your account from john@example.com to {NEW} ?" in text
    assert "Change my email address" in text
    assert _email(mentee) == "john@example.com"


def test_the_button_changes_the_address_and_the_link_then_stops_working(mentee, sent):
    client, path = sent

    response = client.post(path)

    assert response["Location"] == "/account/"
    assert messages_of(response) == [("success", f"Your email address is now {NEW}.")]
    assert _email(mentee) == NEW
    assert Client().login(username=NEW, password=PASSWORD)
    assert not Client().login(username="john@example.com", password=PASSWORD)
    again = client.post(path)
    assert again.status_code == 410
    assert "This link has been used already" in visible_text(again.content.decode())
    assert _email(mentee) == NEW


def test_an_expired_link_says_so_and_changes_nothing(mentee, sent, clock):
    client, path = sent
    clock.advance(timedelta(hours=24, seconds=1))
    client.force_login(mentee)

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "This link has expired: it works for 24 hours." in visible_text(
            response.content.decode()
        )
    assert _email(mentee) == "john@example.com"


def test_a_link_still_works_at_24_hours(mentee, sent, clock):
    client, path = sent
    clock.advance(timedelta(hours=24))
    client.force_login(mentee)

    assert client.post(path)["Location"] == "/account/"
    assert _email(mentee) == NEW


def test_a_link_for_another_account_is_not_found(mentee, other_mentee, sent):
    _, path = sent
    olga = client_for(other_mentee)

    assert olga.get(path).status_code == 404
    assert olga.post(path).status_code == 404
    assert (_email(mentee), _email(other_mentee)) == ("john@example.com", "olga@example.com")


@pytest.mark.parametrize("change", ["tampered", "garbage"])
def test_a_link_we_did_not_make_is_not_found(mentee, sent, change):
    client, path = sent
    token = path.split("/")[3]
    bad = token[:-2] + ("AA" if token[-2:] != "AA" else "BB") if change == "tampered" else "x"

    assert client.post(f"/account/email/{bad}/").status_code == 404
    assert _email(mentee) == "john@example.com"


def test_logged_out_the_link_asks_to_log_in_first(mentee, sent):
    _, path = sent

    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/account/email/")
    assert _email(mentee) == "john@example.com"


def test_an_address_taken_since_the_link_was_sent_is_refused(mentee, sent):
    client, path = sent
    UserFactory(email=NEW)

    response = client.post(path)

    assert response.status_code == 409
    assert "Another account already uses this email address. Nothing was changed." in visible_text(
        response.content.decode()
    )
    assert _email(mentee) == "john@example.com"


def test_a_second_request_makes_the_first_link_useless_once_either_is_used(mentee, sent):
    client, first = sent
    client.post(
        "/account/",
        {
            "first_name": "John",
            "last_name": "Doe",
            "email": "john@third.example",
            "time_zone": mentee.time_zone,
            "current_password": PASSWORD,
        },
    )
    second = (
        OutboundEmail.objects.filter(kind=EmailKind.EMAIL_CHANGE_CONFIRM).latest("pk").body_text
    )
    second_path = re.search(r"(/account/email/[^/\s]+/)", second).group(1)

    assert client.post(second_path)["Location"] == "/account/"
    assert client.post(first).status_code == 410
    assert _email(mentee) == "john@third.example"
