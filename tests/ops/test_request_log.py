"""One INFO line per request on "codementorhub.requests": method, path, status, ms, user."""

import logging
import re

import pytest
from django.test import Client

from tests.factories import UserFactory

LOGGER = "codementorhub.requests"


def _records(caplog):
    return [r for r in caplog.records if r.name == LOGGER]


@pytest.mark.django_db
def test_one_line_per_anonymous_request(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    Client().get("/mentors/?q=secret-query")
    [record] = _records(caplog)
    assert record.levelno == logging.INFO
    assert re.fullmatch(r"GET /mentors/ 200 \d+\.\dms user=-", record.getMessage())
    assert (record.method, record.path, record.status, record.user_id) == (
        "GET",
        "/mentors/",
        200,
        None,
    )
    assert record.duration_ms >= 0
    assert "secret-query" not in record.getMessage()


@pytest.mark.django_db
def test_logs_the_user_id_and_the_final_status(caplog):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    caplog.set_level(logging.INFO, logger=LOGGER)
    client.get("/dashboard/")
    client.get("/no-such-page/")
    client.post("/accounts/logout/")
    lines = [r.getMessage() for r in _records(caplog)]
    assert len(lines) == 3
    assert re.fullmatch(rf"GET /dashboard/ 200 \d+\.\dms user={user.pk}", lines[0])
    assert re.fullmatch(rf"GET /no-such-page/ 404 \d+\.\dms user={user.pk}", lines[1])
    assert lines[2].startswith("POST /accounts/logout/ 302 ")


@pytest.mark.django_db
def test_anonymous_redirect_is_logged(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    Client().get("/dashboard/")
    [record] = _records(caplog)
    assert record.status == 302 and record.user_id is None


@pytest.mark.django_db
def test_control_characters_and_reset_tokens_never_reach_the_log(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    Client().get("/x%0Afake 200 line%0D/")
    Client().get("/accounts/reset/MQ/abc123-secrettoken/")
    first, second = (r.getMessage() for r in _records(caplog))
    assert "\n" not in first and "\r" not in first
    assert "/x\\nfake 200 line\\r/" in first
    assert "secrettoken" not in second
    assert "/accounts/reset/MQ/***/" in second


def test_logging_settings_print_request_and_task_logs(settings):
    """Production: these loggers are at INFO and reach the console handler via the root."""
    logging_config = settings.LOGGING
    loggers = logging_config["loggers"]
    for name in ("codementorhub", "django.tasks", "django_tasks_db", "notifications", "bookings"):
        assert loggers[name]["level"] == "INFO"
        assert loggers[name].get("propagate", True)
    assert logging_config["root"]["handlers"] == ["console"]
    assert "level" not in logging_config["handlers"]["console"]
    assert logging.getLogger(LOGGER).getEffectiveLevel() == logging.INFO
    assert settings.MIDDLEWARE[0] == "ops.middleware.RequestLogMiddleware"
