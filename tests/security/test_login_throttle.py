"""Every way to check a password goes through the one login throttle (ops/throttle.py;
docs/PRODUCT.md §1.3): the product's login, Django's admin login (`/django-admin/login/`),
and the current password asked by the password change and by the account page. Failures at
one count at the others, and a lockout at one holds at all of them."""

import pytest

from ops.models import LoginAttempt
from tests.conftest import client_for
from tests.factories import PASSWORD, UserFactory
from tests.helpers import is_logged_in, post_from

ADMIN_LOGIN = "/django-admin/login/"
LOGIN = "/accounts/login/"
PASSWORD_CHANGE = "/accounts/password_change/"
ADDRESS = "10.0.0.1"
LOCKOUT = (
    "Too many failed login attempts. Wait 15 minutes and try again, or reset your password "
    "to log in now."
)
NEW_PASSWORD = "a-long-new-password-42"


@pytest.fixture
def staff(db):
    return UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)


def _admin_login(password, email="admin@example.com"):
    return post_from(
        ADDRESS, ADMIN_LOGIN, {"username": email, "password": password, "next": "/django-admin/"}
    )


def _product_login(password, email="admin@example.com"):
    return post_from(ADDRESS, LOGIN, {"username": email, "password": password})


def _change_password(client, old_password):
    return client.post(
        PASSWORD_CHANGE,
        {
            "old_password": old_password,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        REMOTE_ADDR=ADDRESS,
    )


def _locked_out(response) -> bool:
    return response.status_code == 429 and LOCKOUT in response.content.decode()


# --- Django's admin login --------------------------------------------------------------


def test_wrong_admin_passwords_are_recorded_and_then_refused(staff):
    for _ in range(25):
        _admin_login("wrong-password")

    assert LoginAttempt.objects.filter(email="admin@example.com", ip=ADDRESS).count() == 5
    client, response = _admin_login(PASSWORD)
    assert _locked_out(response)
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    ("failures", "then"),
    [
        ([_product_login] * 5, _admin_login),
        ([_admin_login] * 3 + [_product_login] * 2, _product_login),
    ],
    ids=["product failures lock the admin login", "failures at both lock the product login"],
)
def test_failures_at_either_login_count_at_both(failures, then, staff):
    for fail in failures:
        fail("wrong-password")

    client, response = then(PASSWORD)

    assert _locked_out(response) and not is_logged_in(client)


def test_the_admin_login_below_the_limit_logs_in_and_clears_the_failures(staff):
    for _ in range(4):
        _admin_login("wrong-password")

    client, response = _admin_login(PASSWORD, email=" ADMIN@example.com ")

    assert (response.status_code, response["Location"]) == (302, "/django-admin/")
    assert is_logged_in(client)
    assert LoginAttempt.objects.count() == 0


def test_a_wrong_admin_password_still_says_so(staff):
    _, response = _admin_login("wrong-password")

    assert response.status_code == 200
    assert "Please enter the correct email address and password" in response.content.decode()


# --- the current password of a password change -----------------------------------------


def test_wrong_current_passwords_count_and_a_lockout_refuses_the_right_one(mentee):
    client = client_for(mentee)
    for _ in range(5):
        assert _change_password(client, "wrong-password").status_code == 200

    response = _change_password(client, PASSWORD)

    assert _locked_out(response)
    assert LoginAttempt.objects.filter(email="john@example.com", ip=ADDRESS).count() == 5
    mentee.refresh_from_db()
    assert mentee.check_password(PASSWORD) and not mentee.check_password(NEW_PASSWORD)
    assert is_logged_in(client)


def test_a_password_change_is_refused_while_the_login_is_locked(mentee):
    for _ in range(5):
        _product_login("wrong-password", email="john@example.com")

    response = _change_password(client_for(mentee), PASSWORD)

    assert _locked_out(response)
    mentee.refresh_from_db()
    assert mentee.check_password(PASSWORD)


def test_a_right_current_password_changes_it_below_the_limit(mentee):
    client = client_for(mentee)
    for _ in range(4):
        _change_password(client, "wrong-password")

    response = _change_password(client, PASSWORD)

    assert response["Location"] == "/accounts/password_change/done/"
    mentee.refresh_from_db()
    assert mentee.check_password(NEW_PASSWORD)
    assert LoginAttempt.objects.count() == 0


def test_the_django_admin_password_change_is_the_products_page(staff):
    """One page changes a password, behind the throttle: the admin's own link leads there."""
    response = client_for(staff).get("/django-admin/password_change/")

    assert (response.status_code, response["Location"]) == (302, PASSWORD_CHANGE)
