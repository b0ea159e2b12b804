"""The background worker: django-tasks-db's `db_worker`, plus a sweep that recovers
deliveries whose task was lost (a killed worker, a lease that expired)."""

import logging
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from notifications.delivery import sweep

logger = logging.getLogger("notifications")


class Command(BaseCommand):
    help = "Run the background worker (email delivery) with the outbox sweep."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sweep-every", type=float, default=60.0, help="seconds between sweeps"
        )
        parser.add_argument("--interval", type=float, default=1.0, help="task polling interval")

    def handle(self, *, sweep_every: float, interval: float, **options):
        if sweep_every <= 0 or interval <= 0:
            self.stderr.write("--sweep-every and --interval must be positive.")
            raise SystemExit(2)
        stop = threading.Event()
        thread = threading.Thread(target=self._sweep_loop, args=(stop, sweep_every), daemon=True)
        thread.start()
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
    def _sweep_loop(stop: threading.Event, every: float) -> None:
        while not stop.is_set():
            try:
                requeued = sweep()
                if requeued:
                    logger.warning("sweep queued %s stale deliveries again", requeued)
            except Exception:  # keep sweeping; the next round may succeed
                logger.exception("outbox sweep failed")
            finally:
                close_old_connections()
            stop.wait(every)
