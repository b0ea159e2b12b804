"""Settings come from the environment only, and a bad value stops start-up naming it."""

import json
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env
from tests.helpers import run_python


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("1", True),
        ("YES", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("No", False),
        ("off", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env.env_bool("SOME_FLAG", not expected) is expected


def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be a boolean.*'maybe'"):
        env.env_bool("SOME_FLAG", False)


def test_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "")
    config = env.env_database("DATABASE_URL", "sqlite:///var/x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "var/x.sqlite3"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("EMAIL_PORT", "abc", "EMAIL_PORT must be a whole number; got 'abc'."),
        ("EMAIL_PORT", "70000", "EMAIL_PORT must be between 1 and 65535; got 70000."),
        ("EMAIL_USE_TLS", "sometimes", "EMAIL_USE_TLS must be a boolean"),
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE must be an IANA time zone"),
        ("SITE_URL", "ftp://example.com", "SITE_URL must be an absolute http(s) URL"),
        ("DATABASE_URL", "foo://x", "DATABASE_URL must be a database URL"),
        ("DEFAULT_FROM_EMAIL", "not an address", "DEFAULT_FROM_EMAIL must be one email address"),
        ("SUPPORT_EMAIL", "help desk", "SUPPORT_EMAIL must be one email address"),
        ("SUPPORT_EMAIL", "a@example.com, b@example.com", "SUPPORT_EMAIL must be one email"),
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be a boolean"),
        ("SESSION_REMINDER_HOURS", "24,x", "SESSION_REMINDER_HOURS must be a comma-separated"),
        ("SESSION_REMINDER_HOURS", "0", "SESSION_REMINDER_HOURS items must be between 1 and 336"),
        ("BOOKING_HORIZON_DAYS", "0", "BOOKING_HORIZON_DAYS must be between 1 and 366; got 0."),
        (
            "PAYMENT_INSTRUCTIONS",
            "x" * 1001,
            "PAYMENT_INSTRUCTIONS must be at most 1000 characters; got 1001.",
        ),
        ("PAYMENT_INSTRUCTIONS", "Pay\x1bnow", "PAYMENT_INSTRUCTIONS must be plain text"),
        (
            "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS",
            "five",
            "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS must be a whole number; got 'five'.",
        ),
        (
            "LOGIN_MAX_FAILURES_PER_ADDRESS",
            "0",
            "LOGIN_MAX_FAILURES_PER_ADDRESS must be between 1 and 10000; got 0.",
        ),
        (
            "LOGIN_THROTTLE_MINUTES",
            "0",
            "LOGIN_THROTTLE_MINUTES must be between 1 and 1440; got 0.",
        ),
        (
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            "5",
            "LOGIN_MAX_FAILURES_PER_ACCOUNT (5) must be more than "
            "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS (5)",
        ),
        (
            "LOGIN_ACCOUNT_THROTTLE_HOURS",
            "721",
            "LOGIN_ACCOUNT_THROTTLE_HOURS must be between 1 and 720; got 721.",
        ),
        ("SIGNUP_LIMIT_PER_HOUR", "0", "SIGNUP_LIMIT_PER_HOUR must be between 1 and 1000; got 0."),
        (
            "API_RATE_LIMIT_PER_MINUTE",
            "0",
            "API_RATE_LIMIT_PER_MINUTE must be between 1 and 100000; got 0.",
        ),
        (
            "API_RATE_LIMIT_PER_MINUTE",
            "many",
            "API_RATE_LIMIT_PER_MINUTE must be a whole number; got 'many'.",
        ),
        (
            "PASSWORD_RESET_LIMIT_PER_HOUR",
            "many",
            "PASSWORD_RESET_LIMIT_PER_HOUR must be a whole number; got 'many'.",
        ),
        (
            "PASSWORD_RESET_EMAIL_INTERVAL_MINUTES",
            "61",
            "PASSWORD_RESET_EMAIL_INTERVAL_MINUTES must be between 1 and 60; got 61.",
        ),
        ("WEBHOOK_ALLOW_PRIVATE_HOSTS", "maybe", "WEBHOOK_ALLOW_PRIVATE_HOSTS must be a boolean"),
        (
            "WEBHOOK_TIMEOUT_SECONDS",
            "0",
            "WEBHOOK_TIMEOUT_SECONDS must be between 1 and 120; got 0.",
        ),
        (
            "WEBHOOK_MAX_ATTEMPTS",
            "many",
            "WEBHOOK_MAX_ATTEMPTS must be a whole number; got 'many'.",
        ),
    ],
)
def test_bad_value_stops_start_up_with_a_message_naming_the_variable(name, value, message):
    environment = {**os.environ, "DJANGO_DEBUG": "true", name: value}
    result = run_python("manage.py", "check", env=environment)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("help@example.com", "help@example.com"),
        ("  CodeMentorHub Help <help@example.com> ", "help@example.com"),
    ],
)
def test_env_email_address_keeps_the_bare_address(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_ADDRESS", raw)
    assert env.env_email_address("SOME_ADDRESS", "x@example.com") == expected


@pytest.mark.parametrize("raw", ["help@", "@example.com", "help", "a@example.com b@example.com"])
def test_env_email_address_refuses_what_is_not_one_address(monkeypatch, raw):
    monkeypatch.setenv("SOME_ADDRESS", raw)
    with pytest.raises(ImproperlyConfigured, match="SOME_ADDRESS must be one email address"):
        env.env_email_address("SOME_ADDRESS", "x@example.com")


def test_env_text_keeps_line_breaks_and_trims(monkeypatch):
    monkeypatch.setenv("SOME_TEXT", "  Pay by transfer.\r\nQuote your invoice number.\n  ")
    assert env.env_text("SOME_TEXT") == "Pay by transfer.\nQuote your invoice number."


def test_env_text_is_empty_when_unset(monkeypatch):
    monkeypatch.delenv("SOME_TEXT", raising=False)
    assert env.env_text("SOME_TEXT") == ""


@pytest.mark.parametrize("character", ["\x01", "\t", "\x7f", "\u202e", "\u2028"])
def test_env_text_refuses_control_characters(monkeypatch, character):
    monkeypatch.setenv("SOME_TEXT", f"Pay{character}now")
    with pytest.raises(ImproperlyConfigured, match="SOME_TEXT must be plain text"):
        env.env_text("SOME_TEXT")


def test_support_email_is_the_senders_address_when_unset():
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "DEFAULT_FROM_EMAIL": "CodeMentorHub <hello@mentors.example.com>",
        "SUPPORT_EMAIL": "",
    }
    script = "import config.settings as s; print(s.SUPPORT_EMAIL)"
    result = run_python("-c", script, env=environment)
    assert result.stdout.strip() == "hello@mentors.example.com", result.stderr


THROTTLE_SETTINGS = (
    "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_THROTTLE_MINUTES",
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_ACCOUNT_THROTTLE_HOURS",
    "SIGNUP_LIMIT_PER_HOUR",
    "PASSWORD_RESET_LIMIT_PER_HOUR",
    "PASSWORD_RESET_EMAIL_INTERVAL_MINUTES",
    "TRUSTED_PROXIES",
)


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, [5, 20, 15, 50, 24, 5, 5, 5, []]),
        (
            dict(
                zip(
                    THROTTLE_SETTINGS,
                    ["3", "40", "10", "30", "48", "2", "3", "10", "10.0.0.2"],
                    strict=True,
                )
            ),
            [3, 40, 10, 30, 48, 2, 3, 10, ["10.0.0.2/32"]],
        ),
    ],
    ids=["defaults", "from the environment"],
)
def test_throttle_settings_come_from_the_environment(variables, expected):
    environment = {
        **{k: v for k, v in os.environ.items() if k not in THROTTLE_SETTINGS},
        "DJANGO_DEBUG": "true",
        **variables,
    }
    script = (
        "import json, config.settings as s; "
        f"print(json.dumps([getattr(s, n) for n in {THROTTLE_SETTINGS!r}]))"
    )
    result = run_python("-c", script, env=environment)
    assert json.loads(result.stdout) == expected, result.stderr


def test_production_start_up_requires_a_secret_key():
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY"}}
    environment["DJANGO_DEBUG"] = "false"
    result = run_python("manage.py", "check", env=environment)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set." in result.stderr


def test_check_deploy_is_clean_with_production_values():
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x" * 20
        + "-production-like-secret-key-with-enough-entropy-1234567890",
        "DJANGO_ALLOWED_HOSTS": "codementorhub.example.com",
        "SITE_URL": "https://codementorhub.example.com",
    }
    result = run_python(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=environment
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_email_variables_map_onto_django_mailers():
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "2525",
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "s3cret",
        "EMAIL_USE_TLS": "yes",
    }
    environment.pop("EMAIL_FILE_PATH", None)
    script = "import json, config.settings as s; print(json.dumps(s.MAILERS, sort_keys=True))"
    result = run_python("-c", script, env=environment)
    assert json.loads(result.stdout) == {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "smtp.example.com",
                "port": 2525,
                "username": "mailer",
                "password": "s3cret",
                "use_tls": True,
                "timeout": 20,
            },
        }
    }


def test_a_lease_shorter_than_a_slow_send_is_warned_about():
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "EMAIL_TIMEOUT": "30",
        "EMAIL_LEASE_SECONDS": "45",
        "DELIVERY_TASK_BATCH": "1",
    }
    result = run_python("manage.py", "check", env=environment)

    assert "notifications.W001" in result.stderr + result.stdout
    assert "EMAIL_LEASE_SECONDS (45) should be more than twice EMAIL_TIMEOUT (30)." in (
        result.stderr + result.stdout
    )


def test_a_lease_shorter_than_a_connections_share_of_a_batch_is_warned_about():
    """Every row of a task is leased when the task starts; one connection sends its share
    of them one after another, so the last must still be inside its lease."""
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "EMAIL_TIMEOUT": "20",
        "EMAIL_LEASE_SECONDS": "300",
        "DELIVERY_TASK_BATCH": "30",
        "DELIVERY_CONNECTIONS": "3",
    }
    result = run_python("manage.py", "check", env=environment)

    assert (
        "EMAIL_LEASE_SECONDS (300) should be more than twice EMAIL_TIMEOUT (20) × 10 (the rows "
        "a connection sends per task: DELIVERY_TASK_BATCH 30 over DELIVERY_CONNECTIONS 3)."
    ) in result.stderr
    # The defaults (20 rows over 4 connections, 20 s, 300 s) pass.
    del environment["DELIVERY_TASK_BATCH"], environment["DELIVERY_CONNECTIONS"]
    assert "W001" not in run_python("manage.py", "check", env=environment).stderr


@pytest.mark.django_db
def test_sqlite_runs_with_a_write_ahead_log():
    """Pages read while a request or the worker writes, and a commit appends to the log
    rather than syncing the journal and the database file (config/settings.py)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's journal mode")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]

    assert (journal, synchronous) == ("wal", 1)  # 1: NORMAL
