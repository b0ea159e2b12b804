"""A rate limit per key, in the database (ops/ratelimit.py): at most `limit` attempts in any
`window`; a refused attempt records nothing and says how long to wait. Parallel attempts
of one key, each on its own connection, let exactly `limit` through on SQLite and
PostgreSQL alike."""

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from ops import ratelimit
from ops.models import RateLimitLog
from ops.ratelimit import Rate, RateLimited
from tests.concurrency import run_together

NOW = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
THREE_IN_A_MINUTE = Rate(scope="test", limit=3, window=timedelta(minutes=1))

pytestmark = pytest.mark.clock(NOW)


def refused_for(rate: Rate, key: str) -> timedelta:
    """How long `rate` says `key` must wait (the attempt must be refused)."""
    with pytest.raises(RateLimited) as refused:
        ratelimit.attempt(rate, key)
    return refused.value.retry_after


def stored() -> dict[tuple[str, str], list[str]]:
    return {(log.scope, log.key): log.attempts for log in RateLimitLog.objects.all()}


@pytest.mark.django_db
def test_the_limit_passes_and_one_more_is_refused_until_the_first_leaves_the_window(clock):
    for seconds in (0, 10, 20):
        clock.set(NOW + timedelta(seconds=seconds))
        ratelimit.attempt(THREE_IN_A_MINUTE, "kim")

    clock.set(NOW + timedelta(seconds=45))
    assert refused_for(THREE_IN_A_MINUTE, "kim") == timedelta(seconds=15)
    clock.set(NOW + timedelta(seconds=59, microseconds=999999))
    assert refused_for(THREE_IN_A_MINUTE, "kim") == timedelta(microseconds=1)
    clock.set(NOW + timedelta(seconds=60))
    ratelimit.attempt(THREE_IN_A_MINUTE, "kim")
    assert refused_for(THREE_IN_A_MINUTE, "kim") == timedelta(seconds=10)


@pytest.mark.django_db
def test_a_refused_attempt_records_nothing(clock):
    for _ in range(3):
        ratelimit.attempt(THREE_IN_A_MINUTE, "kim")
    before = stored()

    clock.advance(timedelta(seconds=30))
    refused_for(THREE_IN_A_MINUTE, "kim")

    assert stored() == before == {("test", "kim"): [NOW.isoformat()] * 3}


@pytest.mark.django_db
def test_keys_and_scopes_are_counted_apart(clock):
    other_scope = Rate(scope="other", limit=3, window=timedelta(minutes=1))
    for _ in range(3):
        ratelimit.attempt(THREE_IN_A_MINUTE, "kim")

    ratelimit.attempt(THREE_IN_A_MINUTE, "lee")
    ratelimit.attempt(other_scope, "kim")

    assert stored() == {
        ("test", "kim"): [NOW.isoformat()] * 3,
        ("test", "lee"): [NOW.isoformat()],
        ("other", "kim"): [NOW.isoformat()],
    }


@pytest.mark.django_db
def test_a_key_keeps_only_the_attempts_inside_the_window(clock):
    for seconds in (0, 30, 61, 62):
        clock.set(NOW + timedelta(seconds=seconds))
        ratelimit.attempt(THREE_IN_A_MINUTE, "kim")

    assert stored() == {
        ("test", "kim"): [
            (NOW + timedelta(seconds=seconds)).isoformat() for seconds in (30, 61, 62)
        ]
    }


@pytest.mark.django_db
def test_a_new_key_drops_the_scopes_idle_rows(clock):
    ratelimit.attempt(THREE_IN_A_MINUTE, "kim")
    ratelimit.attempt(Rate(scope="other", limit=3, window=timedelta(minutes=1)), "kim")
    clock.advance(timedelta(seconds=30))
    ratelimit.attempt(THREE_IN_A_MINUTE, "lee")
    clock.advance(timedelta(seconds=31))  # kim's attempt has left the window, lee's not

    ratelimit.attempt(THREE_IN_A_MINUTE, "max")

    assert sorted(stored()) == [("other", "kim"), ("test", "lee"), ("test", "max")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "limit, minutes",
    [(0, 1), (-1, 1), (1, 0)],
)
def test_a_rate_that_lets_nothing_through_is_a_mistake(limit, minutes):
    with pytest.raises(ValueError, match="at least one attempt in a window of some length"):
        Rate(scope="test", limit=limit, window=timedelta(minutes=minutes))


THREADS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing", [False, True])
def test_parallel_attempts_of_one_key_let_exactly_the_limit_through(clock, existing):
    """Eight attempts released together, each on its own connection: exactly three pass,
    whether the key's row exists already (its one attempt long gone) or all eight want to
    create it."""
    if existing:
        clock.set(NOW - timedelta(minutes=2))
        ratelimit.attempt(THREE_IN_A_MINUTE, "kim")
        clock.set(NOW)

    def one() -> str:
        ratelimit.attempt(THREE_IN_A_MINUTE, "kim")
        return "passed"

    outcomes = run_together(*(partial(one) for _ in range(THREADS)), refused=(RateLimited,))

    assert sorted(outcomes) == ["passed"] * 3 + [
        "refused: too many test attempts for one key: wait 0:01:00"
    ] * (THREADS - 3)
    assert len(RateLimitLog.objects.get().attempts) == 3


# --- several keys at once --------------------------------------------------------------------


@pytest.mark.django_db
def test_several_keys_count_one_attempt_each(clock):
    ratelimit.attempt_all(THREE_IN_A_MINUTE, ["email:kim@example.com", "address:10.0.0.1"])
    ratelimit.attempt_all(THREE_IN_A_MINUTE, ["address:10.0.0.1"])
    ratelimit.attempt_all(THREE_IN_A_MINUTE, ["address:10.0.0.1", "address:10.0.0.1"])

    assert stored() == {
        ("test", "email:kim@example.com"): [NOW.isoformat()],
        ("test", "address:10.0.0.1"): [NOW.isoformat()] * 3,
    }


@pytest.mark.django_db
def test_one_key_at_the_limit_refuses_the_attempt_for_every_key(clock):
    """Nothing is recorded, neither for a key below the limit nor for a new one; the wait
    is the longest of the keys at the limit."""
    for _ in range(3):
        ratelimit.attempt(THREE_IN_A_MINUTE, "address:10.0.0.1")
    clock.advance(timedelta(seconds=10))
    for _ in range(3):
        ratelimit.attempt(THREE_IN_A_MINUTE, "address:10.0.0.2")
    ratelimit.attempt(THREE_IN_A_MINUTE, "email:kim@example.com")
    before = stored()
    clock.advance(timedelta(seconds=10))

    with pytest.raises(RateLimited) as refused:
        ratelimit.attempt_all(
            THREE_IN_A_MINUTE,
            [
                "email:kim@example.com",
                "address:10.0.0.1",
                "email:new@example.com",
                "address:10.0.0.2",
            ],
        )

    assert refused.value.retry_after == timedelta(seconds=50)
    assert stored() == before
    assert ("test", "email:new@example.com") not in stored()


@pytest.mark.django_db(transaction=True)
def test_parallel_attempts_of_two_keys_in_either_order_let_exactly_the_limit_through(clock):
    def one(keys: list[str]) -> str:
        ratelimit.attempt_all(THREE_IN_A_MINUTE, keys)
        return "passed"

    calls = [["kim", "lee"], ["lee", "kim"]] * (THREADS // 2)

    outcomes = run_together(*(partial(one, keys) for keys in calls), refused=(RateLimited,))

    assert sorted(outcomes) == ["passed"] * 3 + [
        "refused: too many test attempts for one key: wait 0:01:00"
    ] * (THREADS - 3)
    assert {key: len(attempts) for (_, key), attempts in stored().items()} == {
        "kim": 3,
        "lee": 3,
    }


@pytest.mark.django_db(transaction=True)
def test_parallel_attempts_of_keys_overlapping_in_a_circle_never_wait_for_each_other(clock):
    """a+b, b+c and c+a, three times each, the rows there already: taken in the order
    given, each would hold one row and wait for the next one's (a deadlock); all pass."""
    roomy = Rate(scope="test", limit=10, window=timedelta(minutes=1))
    clock.set(NOW - timedelta(minutes=2))
    ratelimit.attempt_all(roomy, ["a", "b", "c"])
    clock.set(NOW)
    calls = [["a", "b"], ["b", "c"], ["c", "a"]] * 3

    outcomes = run_together(*(partial(ratelimit.attempt_all, roomy, keys) for keys in calls))

    assert outcomes == [None] * len(calls)
    assert {key: len(attempts) for (_, key), attempts in stored().items()} == {
        "a": 6,
        "b": 6,
        "c": 6,
    }
