"""The background worker: django-tasks-db's `db_worker`, plus two threads:

- the relay (every --relay-every seconds, 1 by default): gives each new outbox row its
  delivery task (notifications.delivery.relay), DELIVERY_TASK_BATCH rows per task, which
  the worker sends over DELIVERY_CONNECTIONS connections at once. Web requests only write
  outbox rows;

and the periodic jobs (every --sweep-every seconds) — no cron daemon needed. They are the
setting WORKER_PERIODIC_JOBS, `(name, dotted path)` in the order they run: the apps that own
them are named there (config/settings.py), so this command imports none of them.

Any number of workers may run side by side: every job is safe to run concurrently. The
sweep only re-enqueues, under SKIP LOCKED (and delivery claims each email with SKIP
LOCKED, so a row enqueued twice is still sent once); expiry and reminders lock what they
act on (SELECT … FOR UPDATE SKIP LOCKED) and re-check it under the lock, backed by a
unique constraint — see bookings/jobs.py and bookings/reminders.py. A job that fails
is logged and does not stop the others.
"""

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string

from notifications.delivery import RELAY_BATCH, relay, send_on_connections
from ops.heartbeat import beat, default_worker_id

logger = logging.getLogger("notifications")
# The longest pause of the relay after failures in a row.
RELAY_MAX_PAUSE = 60.0


def periodic_jobs() -> list[tuple[str, Callable[[], int]]]:
    """WORKER_PERIODIC_JOBS, imported: (name, job) in the order they run."""
    return [(name, import_string(path)) for name, path in settings.WORKER_PERIODIC_JOBS]


def run_periodic_jobs(jobs: list[tuple[str, Callable[[], int]]] | None = None) -> dict[str, int]:
    """One round of every job; returns what each did (-1: it failed, and was logged)."""
    results: dict[str, int] = {}
    for name, job in jobs if jobs is not None else periodic_jobs():
        try:
            results[name] = job()
        except Exception:  # keep going; the next round may succeed
            logger.exception("%s failed", name)
            results[name] = -1
        finally:
            close_old_connections()
    return results


def _beat(worker_id: str) -> None:
    """Record that this worker is alive (/healthz reads it); a failure is only logged."""
    try:
        beat(worker_id)
    except Exception:
        logger.exception("worker heartbeat failed")
    finally:
        close_old_connections()


class Command(BaseCommand):
    help = "Run the background worker (email delivery) with its periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sweep-every",
            type=float,
            default=60.0,
            help="seconds between rounds of the periodic jobs (sweep, expiry, reminders)",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="task polling interval")
        parser.add_argument(
            "--relay-every",
            type=float,
            default=1.0,
            help="seconds between looks for new outbox rows to queue for delivery",
        )

    def handle(self, *, sweep_every: float, interval: float, relay_every: float, **options):
        if sweep_every <= 0 or interval <= 0 or relay_every <= 0:
            self.stderr.write("--sweep-every, --interval and --relay-every must be positive.")
            raise SystemExit(2)
        # Each delivery task's rows go out over this many connections at once.
        send_on_connections(settings.DELIVERY_CONNECTIONS)
        stop = threading.Event()
        for loop, every in ((self._jobs_loop, sweep_every), (self._relay_loop, relay_every)):
            threading.Thread(target=loop, args=(stop, every), daemon=True).start()
        try:
            call_command(
                "db_worker",
                queue_name="default",
                interval=interval,
                reload=False,
                verbosity=options["verbosity"],
            )
        finally:
            stop.set()

    @staticmethod
    def _jobs_loop(stop: threading.Event, every: float) -> None:
        worker_id = default_worker_id()
        _beat(worker_id)  # at start, so /healthz is green before the first round ends
        while not stop.is_set():
            results = run_periodic_jobs()
            _beat(worker_id)
            if results.get("outbox sweep", 0) > 0:
                logger.warning("sweep queued %s stale deliveries again", results["outbox sweep"])
            stop.wait(every)

    @staticmethod
    def _relay_loop(stop: threading.Event, every: float) -> None:
        failures = 0
        while not stop.is_set():
            handed_over = run_periodic_jobs([("outbox relay", relay)])["outbox relay"]
            if handed_over == RELAY_BATCH:
                continue  # a full batch: more are waiting, go again at once
            # After a failure (logged), wait twice as long each time, up to a minute: a
            # database that is down gets one log line a minute, not one a second.
            failures = failures + 1 if handed_over < 0 else 0
            stop.wait(min(every * 2**failures, max(every, RELAY_MAX_PAUSE)))
