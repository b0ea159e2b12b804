"""A webhook lease that a slow request could outlast is warned about (the bad values of the
settings themselves: tests/test_config.py)."""

from webhooks.apps import check_lease_outlasts_request


def test_a_lease_not_above_twice_the_timeout_is_warned_about(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS, settings.WEBHOOK_LEASE_SECONDS = 30, 60
    [warning] = check_lease_outlasts_request()
    assert warning.id == "webhooks.W001"

    settings.WEBHOOK_LEASE_SECONDS = 61
    assert check_lease_outlasts_request() == []


def test_the_lease_must_outlast_a_connections_share_of_a_batch(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS, settings.WEBHOOK_LEASE_SECONDS = 10, 120
    settings.DELIVERY_TASK_BATCH, settings.DELIVERY_CONNECTIONS = 20, 4  # 5 rows each
    assert check_lease_outlasts_request() == []

    settings.DELIVERY_CONNECTIONS = 3  # 7 rows each: 2 × 10 s × 7 = 140 s
    [warning] = check_lease_outlasts_request()
    assert warning.msg == (
        "WEBHOOK_LEASE_SECONDS (120) should be more than twice WEBHOOK_TIMEOUT_SECONDS (10) "
        "× 7 (the rows a connection sends per task: DELIVERY_TASK_BATCH 20 over "
        "DELIVERY_CONNECTIONS 3)."
    )
