"""Password reset requests are limited (docs/PRODUCT.md §1.3): 5 an hour from one client
address and 5 an hour for one email address; at most one reset email per email address
every 5 minutes; a known and an unknown email get the same answer from the same database
work. A refused request answers 429 with the form and changes nothing."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import EmailKind, OutboundEmail
from tests.helpers import post_from
from tests.security.conftest import counted_attempts, row_counts

RESET = "/accounts/password_reset/"
DONE = "/accounts/password_reset/done/"
REFUSED = (
    "Too many password reset requests from your network or for this email address. Please "
    "wait an hour and try again."
)


def _request_reset(email: str, ip: str = "10.0.0.1"):
    return post_from(ip, RESET, {"email": email})[1]


def _refused(response) -> bool:
    page = response.content.decode()
    return response.status_code == 429 and REFUSED in page and 'name="email"' in page


def _reset_emails() -> list[str]:
    return list(
        OutboundEmail.objects.filter(kind=EmailKind.PASSWORD_RESET).values_list(
            "to_email", flat=True
        )
    )


def test_repeated_requests_for_one_email_queue_one_email(mentee):
    for n in range(5):
        assert _request_reset("john@example.com", ip=f"10.0.1.{n}")["Location"] == DONE

    assert _reset_emails() == ["john@example.com"]


@pytest.mark.parametrize(("minutes", "emails"), [(4, 1), (5, 2)])
def test_the_next_reset_email_waits_5_minutes(minutes, emails, clock, mentee):
    _request_reset("john@example.com")
    clock.advance(timedelta(minutes=minutes))

    response = _request_reset("john@example.com", ip="10.0.0.2")

    assert response["Location"] == DONE
    assert _reset_emails() == ["john@example.com"] * emails


def test_a_sixth_request_from_one_address_within_an_hour_is_refused(mentee, other_mentee):
    for n in range(5):
        _request_reset(f"nobody{n}@example.com")
    counts, attempts = row_counts(), counted_attempts()

    response = _request_reset("john@example.com")

    assert _refused(response)
    assert response.context["form"]["email"].value() == "john@example.com"
    assert _reset_emails() == []
    assert row_counts() == counts
    assert counted_attempts() == attempts  # neither for the address nor for the new email


def test_requests_for_one_email_are_limited_across_addresses(clock, mentee):
    for n in range(5):
        _request_reset("john@example.com", ip=f"10.0.1.{n}")
        clock.advance(timedelta(minutes=6))  # each of the five gets its email
    attempts = counted_attempts()

    response = _request_reset(" John@example.com ", ip="10.0.9.9")

    assert _refused(response)
    assert counted_attempts() == attempts  # not counted for the new address either
    assert _reset_emails() == ["john@example.com"] * 5


@pytest.mark.parametrize(("minutes", "allowed"), [(59, False), (61, True)])
def test_the_limit_is_per_hour(minutes, allowed, clock, mentee):
    for n in range(5):
        _request_reset(f"nobody{n}@example.com")
    clock.advance(timedelta(minutes=minutes))

    response = _request_reset("john@example.com")

    assert (response.status_code == 302) is allowed
    assert _reset_emails() == (["john@example.com"] if allowed else [])


def test_the_limits_come_from_the_settings(settings, clock, mentee):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 2
    settings.PASSWORD_RESET_EMAIL_INTERVAL_MINUTES = 1
    _request_reset("john@example.com", ip="10.0.1.1")
    clock.advance(timedelta(minutes=1))
    _request_reset("john@example.com", ip="10.0.1.2")

    response = _request_reset("john@example.com", ip="10.0.1.3")

    assert _refused(response)
    assert _reset_emails() == ["john@example.com"] * 2


def _statements(email: str, ip: str) -> list[str]:
    """The SQL a reset request runs, with its values (emails, times, ids) and the names of
    its savepoints (numbered in order) blanked out."""
    with CaptureQueriesContext(connection) as queries:
        _request_reset(email, ip=ip)
    blank = re.compile(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"")
    return [blank.sub("?", query["sql"]) for query in queries.captured_queries]


def test_known_and_unknown_emails_do_the_same_database_work(mentee):
    """Only the outbox row itself is extra for a known email: the same reads, the same
    throttle rows, in the same transactions."""
    known = _statements("john@example.com", "10.0.0.1")
    unknown = _statements("nobody@example.com", "10.0.0.2")

    outbox = [q for q in known if "notifications_outboundemail" in q]
    assert len(outbox) == 1 and outbox[0].startswith("INSERT")
    assert [q for q in known if q not in outbox] == unknown
    assert _reset_emails() == ["john@example.com"]
