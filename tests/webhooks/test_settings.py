"""A webhook lease that a slow request could outlast is warned about (the bad values of the
settings themselves: tests/test_config.py)."""

from webhooks.apps import check_lease_outlasts_request


def test_a_lease_not_above_twice_the_timeout_is_warned_about(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS, settings.WEBHOOK_LEASE_SECONDS = 30, 60
    [warning] = check_lease_outlasts_request()
    assert warning.id == "webhooks.W001"

    settings.WEBHOOK_LEASE_SECONDS = 61
    assert check_lease_outlasts_request() == []
