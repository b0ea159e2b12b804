"""Login throttling (ops/throttle.py, accounts.forms.EmailAuthenticationForm): 5 failures
per email (any case) or 20 per address within 15 minutes lock out for 15 minutes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ops.models import LoginAttempt
from ops.throttle import LOCKOUT_MESSAGE
from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"
LOCKOUT = "Too many failed login attempts. Please wait 15 minutes or reset your password."


def _post(email, password, ip="10.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(LOGIN, {"username": email, "password": password})
    return client, response


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail(email, times, ip="10.0.0.1"):
    for _ in range(times):
        client, response = _post(email, "wrong-password", ip)
        assert response.status_code == 200 and not _logged_in(client)


@pytest.fixture
def user(db):
    return UserFactory(email="kim@example.com")


def test_message_is_the_agreed_text():
    assert LOCKOUT_MESSAGE == LOCKOUT


def test_four_failures_still_allow_the_right_password(user):
    _fail("kim@example.com", 4)
    client, response = _post("kim@example.com", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


def test_fifth_failure_locks_the_email_even_for_the_right_password(user):
    _fail("kim@example.com", 4)
    _, fifth = _post("kim@example.com", "wrong-password")
    assert LOCKOUT not in fifth.content.decode()  # the fifth is an ordinary failure
    client, response = _post("kim@example.com", PASSWORD)
    assert response.status_code == 200
    assert not _logged_in(client)
    assert LOCKOUT in response.content.decode()
    assert "Please enter a correct" not in response.content.decode()


def test_email_counter_ignores_case_and_surrounding_spaces(user):
    for email in ["KIM@example.com", "kim@EXAMPLE.com", " Kim@Example.Com ", "kim@example.com"]:
        _post(email, "wrong-password")
    _post("kIm@eXample.com", "wrong-password")
    _, response = _post("kim@example.com", PASSWORD)
    assert LOCKOUT in response.content.decode()


def test_email_counter_counts_across_addresses(user):
    for n in range(5):
        _post("kim@example.com", "wrong-password", ip=f"10.0.1.{n}")
    client, response = _post("kim@example.com", PASSWORD, ip="10.0.9.9")
    assert LOCKOUT in response.content.decode() and not _logged_in(client)


def test_email_counter_is_per_email(user):
    other = UserFactory(email="lee@example.com")
    _fail("kim@example.com", 5, ip="10.0.0.1")
    # Same address, other account: only 5 failures from this address, below 20.
    client, response = _post(other.email, PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302 and _logged_in(client)


def test_unknown_emails_are_throttled_the_same_way(db):
    _fail("nobody@example.com", 5)
    _, response = _post("nobody@example.com", "whatever")
    assert LOCKOUT in response.content.decode()


def test_twenty_failures_from_one_address_lock_that_address(user):
    for n in range(20):
        _post(f"guess{n}@example.com", "wrong-password", ip="10.0.0.7")
    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.7")
    assert LOCKOUT in response.content.decode() and not _logged_in(client)
    # Another address is not locked, and kim's email has no failures of its own.
    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.8")
    assert response.status_code == 302 and _logged_in(client)


def test_nineteen_failures_from_one_address_do_not_lock_it(user):
    for n in range(19):
        _post(f"guess{n}@example.com", "wrong-password", ip="10.0.0.7")
    client, response = _post("kim@example.com", PASSWORD, ip="10.0.0.7")
    assert response.status_code == 302 and _logged_in(client)


def test_success_clears_the_email_counter(user):
    _fail("kim@example.com", 4)
    client, _ = _post("KIM@example.com", PASSWORD)
    assert _logged_in(client)
    assert not LoginAttempt.objects.filter(email="kim@example.com").exists()
    _fail("kim@example.com", 4)  # four more are allowed again
    client, _ = _post("kim@example.com", PASSWORD)
    assert _logged_in(client)


def test_refused_attempts_during_lockout_are_not_counted(user):
    _fail("kim@example.com", 5)
    for _ in range(3):
        _post("kim@example.com", "wrong-password")
    assert LoginAttempt.objects.filter(email="kim@example.com").count() == 5


def _age_attempts(minutes: int) -> None:
    LoginAttempt.objects.update(created_at=timezone.now() - timedelta(minutes=minutes))


def test_lockout_lasts_15_minutes_then_lifts(user):
    _fail("kim@example.com", 5)
    _age_attempts(14)
    _, response = _post("kim@example.com", PASSWORD)
    assert LOCKOUT in response.content.decode()
    _age_attempts(16)
    client, response = _post("kim@example.com", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


def test_only_failures_within_15_minutes_count(user):
    _fail("kim@example.com", 4)
    _age_attempts(16)
    _fail("kim@example.com", 1)  # 1 within the window, 4 outside it
    client, _ = _post("kim@example.com", PASSWORD)
    assert _logged_in(client)


def test_ip_lockout_lifts_after_15_minutes(user):
    for n in range(20):
        _post(f"guess{n}@example.com", "wrong-password", ip="10.0.0.7")
    _age_attempts(16)
    client, _ = _post("kim@example.com", PASSWORD, ip="10.0.0.7")
    assert _logged_in(client)


def test_counter_lives_in_the_database_shared_by_every_process(user):
    """Every web process reads the same rows: a failure recorded by "another process"
    (a row written directly) counts here."""
    LoginAttempt.objects.bulk_create(
        LoginAttempt(email="kim@example.com", ip="10.9.9.9", created_at=timezone.now())
        for _ in range(5)
    )
    _, response = _post("kim@example.com", PASSWORD, ip="10.0.0.1")
    assert LOCKOUT in response.content.decode()
