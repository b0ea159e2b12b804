"""Run callables in threads released together (a real race against the database)."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(*calls: Callable[[], object], refused: tuple[type[Exception], ...] = ()) -> list:
    """Each call's result, in finishing order; an exception of `refused` becomes
    "refused: <message>", any other "crashed: <repr>" (so it fails the assertion, not the
    thread). Each thread closes its own database connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except refused as error:
            outcomes.append(f"refused: {error}")
        except Exception as error:
            outcomes.append(f"crashed: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes
