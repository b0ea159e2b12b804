"""Which email addresses the product accepts (docs/PRODUCT.md §1.3): Django's rules, with no
quoted local part and nothing that is not printable, wherever an address comes in: sign-up,
the account page, log-in, password reset, Django's admin and the settings."""

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import RequestFactory

from accounts.models import User
from common.email_addresses import validate_email_address
from config import env
from notifications.models import OutboundEmail
from tests.conftest import client_for
from tests.factories import PASSWORD, UserFactory
from tests.security.conftest import SIGNUP, CsrfClient

REFUSED = [
    '"c\x0bd"@x.test',  # a control character, inside a quoted local part
    '"c\x7fd"@x.test',
    '"john doe"@example.com',  # quoted local parts are refused altogether
    '"john"@example.com',
    "john@exam\u200bple.com",  # zero-width space in the domain
    "john@example.com\u202e",  # right-to-left override
    "john@ex\u00adample.com",  # soft hyphen
    "john@example\u2028.com",  # line separator
    "john@exa\u00a0mple.com",  # no-break space
]
ACCEPTED = [
    "john@example.com",
    "jane.o'neil+mentoring@example.co.uk",
    "x_y-z{1}@sub.example.test",
    "jürgen@bücher.example",  # an international domain (the local part is Django's: ASCII)
]
FIELD_ERROR = "Enter a valid email address, without quotation marks or control characters."


@pytest.mark.parametrize("address", REFUSED)
def test_the_validator_refuses(address):
    with pytest.raises(ValidationError) as refused:
        validate_email_address(address)

    assert refused.value.messages == [FIELD_ERROR]


@pytest.mark.parametrize("address", [a for a in ACCEPTED if "ü" not in a.split("@")[0]])
def test_the_validator_accepts_ordinary_addresses(address):
    validate_email_address(address)


@pytest.mark.parametrize("address", REFUSED)
def test_sign_up_refuses_the_address_and_creates_no_account(address, db):
    response = CsrfClient().post("/accounts/signup/", {**SIGNUP, "email": address})

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [FIELD_ERROR]
    assert not User.objects.exists()


def test_sign_up_accepts_an_address_with_an_apostrophe_and_a_tag(db):
    address = "jane.o'neil+mentoring@example.co.uk"

    response = CsrfClient().post("/accounts/signup/", {**SIGNUP, "email": address})

    assert response.status_code == 302
    assert User.objects.get().email == address


@pytest.mark.parametrize("address", REFUSED)
def test_the_account_page_refuses_the_address_and_changes_nothing(address, mentee):
    data = {
        "first_name": mentee.first_name,
        "last_name": mentee.last_name,
        "email": address,
        "current_password": PASSWORD,
        "time_zone": mentee.time_zone,
    }

    response = client_for(mentee).post("/account/", data)

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [FIELD_ERROR]
    mentee.refresh_from_db()
    assert mentee.email == "john@example.com"


@pytest.fixture
def old_account(db):
    """An account whose address came in before these rules (written past every form)."""
    return UserFactory(email='"c\x0bd"@x.test')


def test_log_in_with_such_an_address_finds_no_one(old_account):
    client = CsrfClient()

    response = client.post(
        "/accounts/login/", {"username": old_account.email, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors["username"] == [FIELD_ERROR]


def test_password_reset_for_such_an_address_sends_nothing(old_account):
    response = CsrfClient().post("/accounts/password_reset/", {"email": old_account.email})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [FIELD_ERROR]
    assert not OutboundEmail.objects.exists()


def _django_admin_form(superuser, obj=None):
    request = RequestFactory().get("/django-admin/")
    request.user = superuser
    return admin.site._registry[User].get_form(request, obj, change=obj is not None)


@pytest.mark.parametrize("address", REFUSED)
def test_djangos_admin_refuses_the_address_for_a_new_user(address, db):
    superuser = User.objects.create_superuser("root@example.com", PASSWORD)
    data = {
        "email": address,
        "first_name": "New",
        "last_name": "Person",
        "usable_password": "true",
        "password1": "a-long-new-password-42",
        "password2": "a-long-new-password-42",
    }

    form = _django_admin_form(superuser)(data)

    assert not form.is_valid()
    assert form.errors["email"] == [FIELD_ERROR]


@pytest.mark.parametrize("address", REFUSED)
def test_djangos_admin_refuses_the_address_for_a_user_it_changes(address, mentee):
    superuser = User.objects.create_superuser("root@example.com", PASSWORD)
    form_class = _django_admin_form(superuser, mentee)
    data = {**form_class(instance=mentee).initial, "email": address}

    form = form_class(data, instance=mentee)

    assert not form.is_valid()
    assert form.errors["email"] == [FIELD_ERROR]


@pytest.mark.parametrize("address", REFUSED)
def test_the_model_refuses_the_address(address):
    """What createsuperuser and every model form check."""
    with pytest.raises(ValidationError):
        User._meta.get_field("email").clean(address, None)


@pytest.mark.parametrize("address", REFUSED)
@pytest.mark.parametrize("written", ["{}", "CodeMentorHub <{}>"])
def test_an_address_setting_refuses_it(monkeypatch, address, written):
    monkeypatch.setenv("SOME_ADDRESS", written.format(address))

    with pytest.raises(ImproperlyConfigured, match="SOME_ADDRESS must be one email address"):
        env.env_email("SOME_ADDRESS", "x@example.com")
    with pytest.raises(ImproperlyConfigured, match="SOME_ADDRESS must be one email address"):
        env.env_email_address("SOME_ADDRESS", "x@example.com")


def test_a_control_character_in_a_settings_display_name_is_refused(monkeypatch):
    monkeypatch.setenv("SOME_ADDRESS", "Code\x0bMentorHub <help@example.com>")

    with pytest.raises(ImproperlyConfigured, match="SOME_ADDRESS must be one email address"):
        env.env_email("SOME_ADDRESS", "x@example.com")


@pytest.mark.parametrize("written", ['"Code, Mentor" <help@example.com>', "help@bücher.example"])
def test_an_address_setting_still_accepts_a_quoted_display_name_and_a_unicode_domain(
    monkeypatch, written
):
    monkeypatch.setenv("SOME_ADDRESS", written)

    assert env.env_email("SOME_ADDRESS", "x@example.com") == written
