"""MENTEE_RESCHEDULE_LIMIT (docs/PRODUCT.md, Rescheduling): a whole number 0–100, 2 when
unset or blank; anything else stops start-up naming the variable."""

import os

import pytest

from tests.helpers import run_python

READ = "import config.settings as s; print(s.MENTEE_RESCHEDULE_LIMIT)"


def _settings(**variables: str):
    environment = {
        **{k: v for k, v in os.environ.items() if k != "MENTEE_RESCHEDULE_LIMIT"},
        "DJANGO_DEBUG": "true",
        **variables,
    }
    return run_python("-c", READ, env=environment)


@pytest.mark.parametrize(
    "variables, expected",
    [
        ({}, "2"),
        ({"MENTEE_RESCHEDULE_LIMIT": ""}, "2"),
        ({"MENTEE_RESCHEDULE_LIMIT": " 0 "}, "0"),
        ({"MENTEE_RESCHEDULE_LIMIT": "5"}, "5"),
        ({"MENTEE_RESCHEDULE_LIMIT": "100"}, "100"),
    ],
)
def test_the_reschedule_limit_is_read_from_the_environment(variables, expected):
    result = _settings(**variables)

    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize(
    "value, message",
    [
        ("two", "MENTEE_RESCHEDULE_LIMIT must be a whole number; got 'two'."),
        ("1.5", "MENTEE_RESCHEDULE_LIMIT must be a whole number; got '1.5'."),
        ("-1", "MENTEE_RESCHEDULE_LIMIT must be between 0 and 100; got -1."),
        ("101", "MENTEE_RESCHEDULE_LIMIT must be between 0 and 100; got 101."),
    ],
)
def test_a_bad_reschedule_limit_stops_start_up_naming_the_variable(value, message):
    result = _settings(MENTEE_RESCHEDULE_LIMIT=value)

    assert result.returncode != 0
    assert message in result.stderr
