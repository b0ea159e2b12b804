"""Login throttling (ops/throttle.py; docs/PRODUCT.md §1.3): 5 failures for one account
from one client address within 15 minutes lock that pair for 15 minutes; 20 from one
address lock the address; 50 for one account from anywhere within 24 hours lock the account
for 24 hours. A completed password reset clears the account's failures."""

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from notifications.models import OutboundEmail
from ops import throttle
from ops.models import LoginAttempt
from tests.factories import PASSWORD, UserFactory
from tests.helpers import is_logged_in, post_from

LOGIN = "/accounts/login/"
LOCKOUT = (
    "Too many failed login attempts. Wait 15 minutes and try again, or reset your password "
    "to log in now."
)
ADDRESS_LOCKOUT = "Too many failed login attempts from your network. Wait 15 minutes and try again."
ACCOUNT_LOCKOUT = (
    "This account is locked after too many failed login attempts. Reset your password to "
    "unlock it now, or wait 24 hours."
)


def _post(email, password, ip="10.0.0.1"):
    return post_from(ip, LOGIN, {"username": email, "password": password})


def _fail(email, times, ip="10.0.0.1"):
    for _ in range(times):
        client, response = _post(email, "wrong-password", ip)
        assert response.status_code == 200 and not is_logged_in(client)


def _fail_from_many(email, times):
    """One failure each from `times` different addresses."""
    for n in range(times):
        _fail(email, 1, ip=f"10.1.{n // 250}.{n % 250}")


def _refused(response, message=LOCKOUT) -> bool:
    return response.status_code == 429 and message in response.content.decode()


@pytest.fixture
def user(db):
    return UserFactory(email="kim@example.com")


def test_four_failures_still_allow_the_right_password(user):
    _fail("kim@example.com", 4)
    client, response = _post("kim@example.com", PASSWORD)
    assert response.status_code == 302 and is_logged_in(client)


def test_fifth_failure_locks_the_account_from_that_address_even_for_the_right_password(user):
    _fail("kim@example.com", 4)
    _, fifth = _post("kim@example.com", "wrong-password")
    assert LOCKOUT not in fifth.content.decode()  # the fifth is an ordinary failure

    client, response = _post("kim@example.com", PASSWORD)

    assert _refused(response) and not is_logged_in(client)
    assert "Please enter a correct" not in response.content.decode()


def test_five_failures_from_one_address_leave_the_account_open_from_others(user):
    """Anyone can type a person's email: a stranger's failures must not lock its owner out."""
    _fail("kim@example.com", 5, ip="10.0.0.1")

    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.2")

    assert response.status_code == 302 and is_logged_in(client)


def test_the_counter_ignores_case_and_surrounding_spaces(user):
    for email in ["KIM@example.com", "kim@EXAMPLE.com", " Kim@Example.Com ", "kim@example.com"]:
        _post(email, "wrong-password")
    _post("kIm@eXample.com", "wrong-password")
    _, response = _post("kim@example.com", PASSWORD)
    assert _refused(response)


def test_the_counter_is_per_account(user):
    other = UserFactory(email="lee@example.com")
    _fail("kim@example.com", 5, ip="10.0.0.1")
    # Same address, other account: only 5 failures from this address, below 20.
    client, response = _post(other.email, PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302 and is_logged_in(client)


def test_unknown_emails_are_throttled_the_same_way(db):
    _fail("nobody@example.com", 5)
    _, response = _post("nobody@example.com", "whatever")
    assert _refused(response)


def test_twenty_failures_from_one_address_lock_that_address(user):
    for n in range(20):
        _post(f"guess{n}@example.com", "wrong-password", ip="10.0.0.7")
    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.7")
    assert _refused(response, ADDRESS_LOCKOUT) and not is_logged_in(client)
    # Another address is not locked, and kim's account has no failures of its own.
    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.8")
    assert response.status_code == 302 and is_logged_in(client)


def test_nineteen_failures_from_one_address_do_not_lock_it(user):
    for n in range(19):
        _post(f"guess{n}@example.com", "wrong-password", ip="10.0.0.7")
    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.7")
    assert response.status_code == 302 and is_logged_in(client)


def test_success_clears_the_failures_from_that_address_only(user):
    _fail("kim@example.com", 4, ip="10.0.0.1")
    _fail("kim@example.com", 2, ip="10.0.0.2")

    client, _ = _post("KIM@example.com", PASSWORD, ip="10.0.0.1")

    assert is_logged_in(client)
    assert list(LoginAttempt.objects.values_list("email", "ip")) == [
        ("kim@example.com", "10.0.0.2"),
        ("kim@example.com", "10.0.0.2"),
    ]
    _fail("kim@example.com", 4, ip="10.0.0.1")  # four more are allowed again
    client, _ = _post("kim@example.com", PASSWORD, ip="10.0.0.1")
    assert is_logged_in(client)


def test_refused_attempts_during_lockout_are_not_counted(user):
    _fail("kim@example.com", 5)
    for _ in range(3):
        _post("kim@example.com", "wrong-password")
    assert LoginAttempt.objects.filter(email="kim@example.com").count() == 5


def test_lockout_lasts_15_minutes_then_lifts(user, clock):
    _fail("kim@example.com", 5)
    clock.advance(timedelta(minutes=14))
    _, response = _post("kim@example.com", PASSWORD)
    assert _refused(response)

    clock.advance(timedelta(minutes=2))
    client, response = _post("kim@example.com", PASSWORD)

    assert response.status_code == 302 and is_logged_in(client)


def test_only_failures_within_15_minutes_count(user, clock):
    _fail("kim@example.com", 4)
    clock.advance(timedelta(minutes=16))
    _fail("kim@example.com", 1)  # 1 within the window, 4 outside it
    client, _ = _post("kim@example.com", PASSWORD)
    assert is_logged_in(client)


def test_address_lockout_lifts_after_15_minutes(user, clock):
    for n in range(20):
        _post(f"guess{n}@example.com", "wrong-password", ip="10.0.0.7")
    clock.advance(timedelta(minutes=16))
    client, _ = _post("kim@example.com", PASSWORD, ip="10.0.0.7")
    assert is_logged_in(client)


def test_counter_lives_in_the_database_shared_by_every_process(user):
    """Every web process reads the same rows: a failure recorded by "another process"
    (a row written directly) counts here."""
    LoginAttempt.objects.bulk_create(
        LoginAttempt(email="kim@example.com", ip="10.0.0.1", created_at=timezone.now())
        for _ in range(5)
    )
    _, response = _post("kim@example.com", PASSWORD, ip="10.0.0.1")
    assert _refused(response)


# --- the account-wide limit ------------------------------------------------------------


def test_forty_nine_failures_from_many_addresses_leave_the_account_open(user):
    _fail_from_many("kim@example.com", 49)

    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.9")

    assert response.status_code == 302 and is_logged_in(client)


def test_fifty_failures_from_many_addresses_lock_the_account_everywhere(user):
    _fail_from_many("kim@example.com", 50)

    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.9")

    assert _refused(response, ACCOUNT_LOCKOUT) and not is_logged_in(client)
    assert LoginAttempt.objects.filter(email="kim@example.com").count() == 50


def test_the_account_lock_lasts_24_hours_then_lifts(user, clock):
    _fail_from_many("kim@example.com", 50)
    clock.advance(timedelta(hours=23, minutes=59))
    _, response = _post("kim@example.com", PASSWORD, ip="10.0.0.9")
    assert _refused(response, ACCOUNT_LOCKOUT)

    clock.advance(timedelta(minutes=2))
    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.9")

    assert response.status_code == 302 and is_logged_in(client)


def test_account_failures_older_than_24_hours_do_not_count(user, clock):
    _fail_from_many("kim@example.com", 49)
    clock.advance(timedelta(hours=24, minutes=1))
    _fail("kim@example.com", 1, ip="10.0.0.9")

    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.8")

    assert response.status_code == 302 and is_logged_in(client)


def test_the_limits_come_from_the_settings(user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 2
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    _fail("kim@example.com", 2, ip="10.0.0.1")
    assert _refused(_post("kim@example.com", PASSWORD, ip="10.0.0.1")[1])
    _fail("kim@example.com", 1, ip="10.0.0.2")

    _, response = _post("kim@example.com", PASSWORD, ip="10.0.0.3")

    assert _refused(response, ACCOUNT_LOCKOUT)


# --- a completed password reset --------------------------------------------------------


NEW_PASSWORD = "a-long-unusual-passphrase-42"


def _reset_password(client, email: str) -> None:
    """The whole reset flow, as the person clicks through it."""
    client.post("/accounts/password_reset/", {"email": email})
    body = OutboundEmail.objects.filter(to_email=email).latest("pk").body_text
    link = "/accounts/reset/" + body.split("/accounts/reset/")[1].split()[0]
    form_page = client.get(link, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done["Location"] == "/accounts/reset/done/"


@pytest.mark.parametrize("spread", [False, True], ids=["one address", "many addresses"])
def test_a_completed_password_reset_clears_the_accounts_failures(spread, user):
    if spread:
        _fail_from_many("kim@example.com", 50)
    else:
        _fail("kim@example.com", 5, ip="10.0.0.1")
    other = UserFactory(email="lee@example.com")
    _fail(other.email, 2, ip="10.0.0.1")

    _reset_password(Client(REMOTE_ADDR="10.0.0.1"), "kim@example.com")

    assert LoginAttempt.objects.filter(email="kim@example.com").count() == 0
    assert LoginAttempt.objects.filter(email="lee@example.com").count() == 2
    client, response = _post("kim@example.com", NEW_PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302 and is_logged_in(client)


# --- the one function every password check goes through -------------------------------


def _request(ip="10.0.0.1"):
    return RequestFactory().post("/", REMOTE_ADDR=ip)


def test_a_failed_check_is_recorded_and_its_result_returned(user):
    result = throttle.check_password(_request(), " KIM@example.com", lambda: None)

    assert result is None
    attempts = list(LoginAttempt.objects.values_list("email", "ip"))
    assert attempts == [("kim@example.com", "10.0.0.1")]


def test_a_successful_check_returns_its_result_and_clears_the_pair(user):
    _fail("kim@example.com", 3)

    result = throttle.check_password(_request(), "kim@example.com", lambda: user)

    assert result == user
    assert LoginAttempt.objects.count() == 0


def test_a_locked_pair_is_refused_without_running_the_check(user):
    _fail("kim@example.com", 5)
    checked = []

    with pytest.raises(throttle.LockedOut) as refused:
        throttle.check_password(_request(), "kim@example.com", lambda: checked.append(1))

    assert str(refused.value) == LOCKOUT
    assert checked == []
    assert LoginAttempt.objects.count() == 5


def test_a_guess_still_being_checked_counts_towards_the_limit(user):
    """Guesses sent side by side: each is counted before its password is checked, so the
    sixth is refused even while the fifth is still being checked."""
    _fail("kim@example.com", 4)
    inner = []

    def fifth_check():
        with pytest.raises(throttle.LockedOut):
            throttle.check_password(_request(), "kim@example.com", lambda: inner.append(1))
        return None

    throttle.check_password(_request(), "kim@example.com", fifth_check)

    assert inner == []
    assert LoginAttempt.objects.count() == 5
