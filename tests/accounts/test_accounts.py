"""Sign up, log in by email, log out, reset a password (docs/PRODUCT.md)."""

from urllib.parse import urlencode

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.models import User
from notifications.models import EmailKind, OutboundEmail
from tests.conftest import client_for
from tests.factories import PASSWORD
from tests.helpers import messages_of

NEW_PASSWORD = "a-long-unusual-passphrase-42"


def _signup_data(**overrides) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "  Ada.Lovelace@Example.COM ",
        "time_zone": "Europe/London",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


def _logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


# --- sign up ---------------------------------------------------------------------------


def test_signup_creates_the_user_with_lowercased_email_and_time_zone(db):
    Client().post("/accounts/signup/", _signup_data())

    user = User.objects.get()
    assert (user.email, user.first_name, user.last_name, user.time_zone) == (
        "ada.lovelace@example.com",
        "Ada",
        "Lovelace",
        "Europe/London",
    )
    assert user.check_password(NEW_PASSWORD)
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_signup_logs_in_and_lands_on_the_dashboard(db):
    client = Client()

    response = client.post("/accounts/signup/", _signup_data())

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert _logged_in_user_id(client) == str(User.objects.get().pk)
    assert messages_of(response) == [("success", "Welcome to CodeMentorHub, Ada!")]


@pytest.mark.parametrize("email", ["john@example.com", "JOHN@Example.com", " john@example.com "])
def test_signup_with_a_taken_email_is_refused_and_creates_nothing(email, mentee):
    client = Client()

    response = client.post("/accounts/signup/", _signup_data(email=email))

    assert response.status_code == 400
    assert "An account with this email already exists. Log in instead." in (
        response.content.decode()
    )
    assert list(User.objects.values_list("email", flat=True)) == ["john@example.com"]
    assert _logged_in_user_id(client) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"password2": "something-else-entirely"}, "password2"),
        ({"password1": "12345678", "password2": "12345678"}, "password2"),
        ({"email": "not-an-email"}, "email"),
        ({"first_name": ""}, "first_name"),
    ],
    ids=["time-zone", "mismatch", "weak-password", "email", "first-name"],
)
def test_signup_with_invalid_data_shows_the_error_and_creates_nothing(overrides, field, db):
    response = Client().post("/accounts/signup/", _signup_data(**overrides))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert User.objects.count() == 0


def test_signup_page_shows_the_time_zone_choice(db):
    html = Client().get("/accounts/signup/").content.decode()

    assert '<select name="time_zone"' in html
    assert '<option value="America/New_York">America/New York</option>' in html


# --- keeping `next` through sign-up and log-in -------------------------------------------

# What the login redirect of a time picked on a profile carries (the start stays encoded).
BOOKING_NEXT = "/mentors/7/book/?start=2030-01-15T13%3A00%3A00%2B00%3A00"
FOREIGN_NEXTS = [
    "https://evil.test/",
    "//evil.test/",
    "/\\evil.test",
    "javascript:alert(1)",
    "http://testserver.evil.test/",
    "\r\n/dashboard/",
    "x" * 3000,
]


def test_signup_follows_a_local_next(db):
    response = Client().post("/accounts/signup/", {**_signup_data(), "next": BOOKING_NEXT})

    assert response.status_code == 302
    assert response["Location"] == BOOKING_NEXT


@pytest.mark.parametrize("next_url", FOREIGN_NEXTS)
def test_signup_ignores_an_off_site_or_malformed_next(next_url, db):
    client = Client()

    response = client.post("/accounts/signup/", {**_signup_data(), "next": next_url})

    assert response["Location"] == "/dashboard/"
    assert _logged_in_user_id(client) == str(User.objects.get().pk)


# The page's form carries it as it came; a link to the other page carries it encoded.
HIDDEN_NEXT = (
    '<input type="hidden" name="next" '
    'value="/mentors/7/book/?start=2030-01-15T13%3A00%3A00%2B00%3A00">'
)
NEXT_IN_LINK = "next=/mentors/7/book/%3Fstart%3D2030-01-15T13%253A00%253A00%252B00%253A00"
# (the page, the link to the other page, its text)
LOGIN_AND_SIGNUP = [
    ("/accounts/signup/", "/accounts/login/", "Log in"),
    ("/accounts/login/", "/accounts/signup/", "Sign up"),
]


@pytest.mark.parametrize(("path", "other", "text"), LOGIN_AND_SIGNUP)
def test_login_and_signup_pages_carry_next_in_the_form_and_the_link_between_them(
    path, other, text, db
):
    html = Client().get(path, {"next": BOOKING_NEXT}).content.decode()

    assert HIDDEN_NEXT in html
    assert f'href="{other}?{NEXT_IN_LINK}">{text}</a>' in html


@pytest.mark.parametrize("next_url", FOREIGN_NEXTS)
@pytest.mark.parametrize(("path", "other", "text"), LOGIN_AND_SIGNUP)
def test_login_and_signup_pages_drop_an_off_site_next(path, other, text, next_url, db):
    html = Client().get(path, {"next": next_url}).content.decode()

    assert '<input type="hidden" name="next" value="">' in html
    assert f'href="{other}">{text}</a>' in html


def test_a_refused_signup_keeps_next(mentee):
    response = Client().post(
        "/accounts/signup/", {**_signup_data(email="john@example.com"), "next": BOOKING_NEXT}
    )

    assert response.status_code == 400
    assert HIDDEN_NEXT in response.content.decode()


def test_a_logged_in_person_opening_signup_goes_to_a_local_next(mentee):
    response = client_for(mentee).get("/accounts/signup/", {"next": BOOKING_NEXT})

    assert response["Location"] == BOOKING_NEXT


# --- the browser's time zone ------------------------------------------------------------


def test_signup_page_asks_the_browser_for_its_time_zone(db):
    html = Client().get("/accounts/signup/").content.decode()

    assert '<script src="/static/js/time-zone.js" defer></script>' in html
    assert '<select name="time_zone" data-browser-time-zone' in html
    assert '<option value="UTC" selected>UTC</option>' in html


def test_a_refused_signup_keeps_the_zone_the_person_chose(db):
    """The form came back with an error: the zone shown is the person's choice, which the
    browser must not overwrite."""
    html = (
        Client()
        .post(
            "/accounts/signup/",
            _signup_data(time_zone="Europe/Paris", password2="different-one-42"),
        )
        .content.decode()
    )

    assert "data-browser-time-zone" not in html
    assert '<option value="Europe/Paris" selected>Europe/Paris</option>' in html


# --- log in / log out ------------------------------------------------------------------


@pytest.mark.parametrize("email", ["john@example.com", "JOHN@EXAMPLE.COM", " John@Example.com "])
def test_login_by_email_in_any_case(email, mentee):
    client = Client()

    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert _logged_in_user_id(client) == str(mentee.pk)


def test_login_page_labels_the_field_email(db):
    html = Client().get("/accounts/login/").content.decode()

    assert '<label for="id_username">Email</label>' in html
    assert 'type="email" name="username"' in html


@pytest.mark.parametrize(
    ("email", "password"),
    [("john@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_login_with_bad_credentials_shows_an_error_and_does_not_log_in(email, password, mentee):
    client = Client()

    response = client.post("/accounts/login/", {"username": email, "password": password})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct email address and password. "
        "Note that both fields may be case-sensitive."
    ]
    assert _logged_in_user_id(client) is None


@pytest.mark.parametrize("where", ["form", "query"])
def test_login_follows_a_local_next_back_to_the_chosen_time(where, mentee):
    """`next` comes in the login form (a page that carried it) or in the address."""
    data = {"username": "john@example.com", "password": PASSWORD}
    if where == "form":
        response = Client().post("/accounts/login/", {**data, "next": BOOKING_NEXT})
    else:
        response = Client().post(f"/accounts/login/?{urlencode({'next': BOOKING_NEXT})}", data)

    assert response.status_code == 302
    assert response["Location"] == BOOKING_NEXT


@pytest.mark.parametrize("next_url", FOREIGN_NEXTS)
def test_login_never_follows_a_foreign_next(next_url, mentee):
    client = Client()

    response = client.post(
        "/accounts/login/",
        {"username": "john@example.com", "password": PASSWORD, "next": next_url},
    )

    assert response["Location"] == "/dashboard/"
    assert _logged_in_user_id(client) == str(mentee.pk)


def test_inactive_user_cannot_log_in(mentee):
    mentee.is_active = False
    mentee.save(update_fields=["is_active"])
    client = Client()

    client.post("/accounts/login/", {"username": "john@example.com", "password": PASSWORD})

    assert _logged_in_user_id(client) is None


def test_logout_by_post_logs_out_and_goes_home(mentee):
    client = client_for(mentee)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _logged_in_user_id(client) is None


def test_logout_by_get_is_refused_and_keeps_the_user_logged_in(mentee):
    client = client_for(mentee)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert _logged_in_user_id(client) == str(mentee.pk)


def test_the_logout_control_is_a_post_form(mentee):
    html = client_for(mentee).get("/dashboard/").content.decode()

    assert '<form method="post" action="/accounts/logout/" class="inline">' in html


# --- password reset --------------------------------------------------------------------


@pytest.mark.parametrize("email", ["john@example.com", "nobody@example.com"])
def test_password_reset_answers_the_same_for_known_and_unknown_emails(email, mentee):
    client = Client()

    response = client.post("/accounts/password_reset/", {"email": email})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert "If an account exists for the address you entered" in done.content.decode()


def test_password_reset_done_page_is_identical_for_known_and_unknown(mentee):
    pages = []
    for email in ("john@example.com", "nobody@example.com"):
        client = Client()
        client.post("/accounts/password_reset/", {"email": email})
        pages.append(client.get("/accounts/password_reset/done/").content)

    assert pages[0] == pages[1]


def test_password_reset_queues_one_email_with_the_link_for_a_known_user(mentee):
    Client().post("/accounts/password_reset/", {"email": "JOHN@example.com"})

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to_email) == (EmailKind.PASSWORD_RESET, "john@example.com")
    assert "/accounts/reset/" in email.body_text
    assert "/accounts/reset/" in email.body_html


def test_password_reset_for_an_unknown_email_queues_nothing(mentee):
    Client().post("/accounts/password_reset/", {"email": "nobody@example.com"})

    assert OutboundEmail.objects.count() == 0


def test_password_reset_never_shows_the_reset_link_on_screen(mentee):
    client = Client()

    response = client.post("/accounts/password_reset/", {"email": "john@example.com"}, follow=True)

    html = response.content.decode()
    assert "/accounts/reset/" not in html
    assert OutboundEmail.objects.get().to_email == "john@example.com"


def test_the_emailed_reset_link_lets_the_user_choose_a_new_password(mentee):
    client = Client()
    client.post("/accounts/password_reset/", {"email": "john@example.com"})
    body = OutboundEmail.objects.get().body_text
    path = "/accounts/reset/" + body.split("/accounts/reset/")[1].split()[0]

    form_page = client.get(path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    mentee.refresh_from_db()
    assert response["Location"] == "/accounts/reset/done/"
    assert mentee.check_password(NEW_PASSWORD)
