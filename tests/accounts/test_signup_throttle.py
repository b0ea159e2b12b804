"""Sign-up is limited (docs/PRODUCT.md §1.3): 5 attempts an hour from one client address,
and 5 an hour for one email address from anywhere. Whether an email has an account cannot
be asked without limit. A refused attempt answers 429 with the form and changes nothing."""

from datetime import timedelta

import pytest

from accounts.models import User
from tests.helpers import is_logged_in, post_from
from tests.security.conftest import counted_attempts, row_counts

SIGNUP = "/accounts/signup/"
REFUSED = (
    "Too many sign-up attempts from your network or for this email address. Please wait an "
    "hour and try again."
)
TAKEN = "An account with this email already exists. Log in instead."


def _data(email: str, **overrides) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email,
        "time_zone": "Europe/London",
        "password1": "a-long-unusual-passphrase-42",
        "password2": "a-long-unusual-passphrase-42",
        **overrides,
    }


def _sign_up(email: str, ip: str = "10.0.0.1", **overrides):
    return post_from(ip, SIGNUP, _data(email, **overrides))


def _refused(response) -> bool:
    page = response.content.decode()
    return response.status_code == 429 and REFUSED in page and 'name="email"' in page


def test_five_sign_ups_an_hour_from_one_address_are_allowed(db):
    for n in range(5):
        _, response = _sign_up(f"person{n}@example.com")
        assert response.status_code == 302

    assert User.objects.count() == 5


def test_a_sixth_sign_up_from_one_address_within_an_hour_is_refused_and_creates_nothing(db):
    for n in range(5):
        _sign_up(f"person{n}@example.com")
    counts, attempts = row_counts(), counted_attempts()

    client, response = _sign_up("person5@example.com")

    assert _refused(response)
    assert response.context["form"]["email"].value() == "person5@example.com"
    assert row_counts() == counts
    assert counted_attempts() == attempts  # neither for the address nor for the new email
    assert not is_logged_in(client)


def test_refused_sign_ups_do_not_tell_whether_an_email_has_an_account(mentee):
    """Asking about emails one after another: after five, the answer is the limit, for a
    taken email the same as for a free one."""
    for n in range(5):
        _sign_up(f"probe{n}@example.com", password2="mismatch-42")

    _, taken = _sign_up("john@example.com")
    _, free = _sign_up("free@example.com")

    assert _refused(taken) and _refused(free)
    assert TAKEN not in taken.content.decode()


def test_failed_sign_ups_count_too(db):
    for _ in range(5):
        _, response = _sign_up("ada@example.com", password2="mismatch-42")
        assert response.status_code == 400

    _, response = _sign_up("other@example.com")

    assert _refused(response)


def test_sign_ups_for_one_email_are_limited_across_addresses(mentee):
    for n in range(5):
        _, response = _sign_up("john@example.com", ip=f"10.0.1.{n}")
        assert TAKEN in response.content.decode()
    attempts = counted_attempts()

    _, response = _sign_up(" JOHN@example.com", ip="10.0.9.9")

    assert _refused(response)
    assert counted_attempts() == attempts  # not counted for the new address either


def test_other_addresses_and_emails_are_not_limited(db):
    for n in range(5):
        _sign_up(f"person{n}@example.com", ip="10.0.0.1")

    _, response = _sign_up("ada@example.com", ip="10.0.0.2")

    assert response.status_code == 302
    assert User.objects.filter(email="ada@example.com").exists()


def test_an_email_and_an_address_with_the_same_text_are_counted_apart(db):
    """What is typed as the email is counted under its own name, never as an address."""
    for n in range(5):
        _sign_up("10.0.0.9", ip=f"10.0.1.{n}")

    _, response = _sign_up("ada@example.com", ip="10.0.0.9")

    assert response.status_code == 302
    assert User.objects.filter(email="ada@example.com").exists()


@pytest.mark.parametrize(("minutes", "allowed"), [(59, False), (61, True)])
def test_the_limit_is_per_hour(minutes, allowed, clock, db):
    for n in range(5):
        _sign_up(f"person{n}@example.com")
    clock.advance(timedelta(minutes=minutes))

    _, response = _sign_up("ada@example.com")

    assert (response.status_code == 302) is allowed
    assert User.objects.filter(email="ada@example.com").exists() is allowed


def test_the_limit_comes_from_the_settings(settings, db):
    settings.SIGNUP_LIMIT_PER_HOUR = 2
    for n in range(2):
        _sign_up(f"person{n}@example.com")

    _, response = _sign_up("ada@example.com")

    assert _refused(response)
