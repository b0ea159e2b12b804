"""MENTEE_PENDING_LIMIT and MENTEE_PENDING_LIMIT_TOTAL (docs/PRODUCT.md §6.3): whole numbers
1–1000, the one for a single mentor no larger than the total; anything else stops start-up
naming the variable."""

import json
import os

import pytest

from tests.helpers import run_python

READ = (
    "import json, config.settings as s; "
    "print(json.dumps([s.MENTEE_PENDING_LIMIT, s.MENTEE_PENDING_LIMIT_TOTAL]))"
)


def _settings(**variables: str):
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MENTEE_PENDING_LIMIT")},
        "DJANGO_DEBUG": "true",
        **variables,
    }
    return run_python("-c", READ, env=environment)


@pytest.mark.parametrize(
    "variables, expected",
    [
        ({}, [3, 5]),
        ({"MENTEE_PENDING_LIMIT": "", "MENTEE_PENDING_LIMIT_TOTAL": " "}, [3, 5]),
        ({"MENTEE_PENDING_LIMIT": "2"}, [2, 5]),
        ({"MENTEE_PENDING_LIMIT": " 1 ", "MENTEE_PENDING_LIMIT_TOTAL": "1"}, [1, 1]),
        ({"MENTEE_PENDING_LIMIT": "10", "MENTEE_PENDING_LIMIT_TOTAL": "1000"}, [10, 1000]),
    ],
)
def test_the_pending_limits_are_read_from_the_environment(variables, expected):
    result = _settings(**variables)

    assert json.loads(result.stdout) == expected, result.stderr


@pytest.mark.parametrize(
    "variables, message",
    [
        (
            {"MENTEE_PENDING_LIMIT": "three"},
            "MENTEE_PENDING_LIMIT must be a whole number; got 'three'.",
        ),
        (
            {"MENTEE_PENDING_LIMIT": "3,5"},
            "MENTEE_PENDING_LIMIT must be a whole number; got '3,5'.",
        ),
        ({"MENTEE_PENDING_LIMIT": "0"}, "MENTEE_PENDING_LIMIT must be between 1 and 1000; got 0."),
        (
            {"MENTEE_PENDING_LIMIT_TOTAL": "-5"},
            "MENTEE_PENDING_LIMIT_TOTAL must be between 1 and 1000; got -5.",
        ),
        (
            {"MENTEE_PENDING_LIMIT_TOTAL": "1001"},
            "MENTEE_PENDING_LIMIT_TOTAL must be between 1 and 1000; got 1001.",
        ),
        (
            {"MENTEE_PENDING_LIMIT": "6"},
            "MENTEE_PENDING_LIMIT (6, with one mentor) must not be more than "
            "MENTEE_PENDING_LIMIT_TOTAL (5, with all mentors together).",
        ),
    ],
)
def test_a_bad_pending_limit_stops_start_up_naming_the_variable(variables, message):
    result = _settings(**variables)

    assert result.returncode != 0
    assert message in result.stderr
