"""Email delivery benchmark: N emails through real `manage.py run_worker` processes to a
local SMTP sink, with 1 and then 2 workers, on PostgreSQL. A script, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/codementorhub_bench \\
        .venv/bin/python scripts/bench/bench_email.py --emails 1000 --create-database

(`make bench-email` does exactly this.) What it does:

1. creates the database if asked, migrates it, and empties it (`flush`): the database must be
   a dedicated one, its name containing "bench" (or pass --any-database);
2. confirms N/2 sessions through bookings.services.confirm_session: N real outbox rows (the
   mentee's and the mentor's confirmation, text + HTML + .ics invite), exactly as the web
   request writes them (no task: each worker's relay queues those);
3. starts an SMTP sink (aiosmtpd on 127.0.0.1, accepting everything at once);
4. for each worker count: re-queues the N rows, starts that many `manage.py run_worker`
   processes (production settings: DEBUG off, SMTP to the sink), and measures the wall time
   from starting them until every row is `sent`; then stops them (SIGTERM) and checks that
   the sink received each Message-ID exactly once.

Prints emails per second for each worker count: over the whole wall time (worker start-up
included) and between the first and the last email sent (steady state).

With --webhooks, an endpoint on a local HTTP receiver (127.0.0.1, answering 200 at once) also
gets each confirmation (N/2 webhook deliveries, signed), and the same rounds are run for
them: webhooks per second through the same engine, each webhook-id checked exactly once.
"""

import argparse
import os
import platform
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / "var" / "bench"
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)


def fail(message: str) -> None:
    print(f"bench_email: {message}", file=sys.stderr)
    raise SystemExit(2)


# --- the database ----------------------------------------------------------------------


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        fail(
            "DATABASE_URL is required and must name a PostgreSQL database, e.g. "
            "postgres://postgres@127.0.0.1:5432/codementorhub_bench (or run `make bench-email`)."
        )
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        fail(
            "SQLite is refused: it lets one writer at a time, so the figures would say nothing "
            "about PostgreSQL, where workers claim emails side by side (SKIP LOCKED). "
            "Set DATABASE_URL to a PostgreSQL database."
        )
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        fail(f"DATABASE_URL must be a PostgreSQL URL (postgres://…); got scheme {scheme!r}.")
    return url


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def create_database(url: str) -> None:
    """CREATE DATABASE through the server's `postgres` database, unless it exists."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


# --- the SMTP sink -----------------------------------------------------------------------


class Sink:
    """Accepts every message at once and records its Message-ID (no parsing beyond that)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.message_ids: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        match = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.message_ids.append(match.group(1) if match else b"")
        return "250 Message accepted for delivery"

    def take(self) -> list[str]:
        with self.lock:
            taken, self.message_ids = self.message_ids, []
        return [message_id.decode() for message_id in taken]


def start_sink():
    from aiosmtpd.controller import Controller

    sink = Sink()
    # A free port; server_hostname skips a slow getfqdn() lookup.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port, server_hostname="sink.test")
    controller.start()
    return sink, controller, port


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver that answers 200 at once and records each webhook-id."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    ids: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.lock:
            self.ids.append(self.headers.get("webhook-id", ""))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass

    @classmethod
    def take(cls) -> list[str]:
        with cls.lock:
            taken, cls.ids = cls.ids, []
        return taken


def start_receiver() -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


# --- the data ------------------------------------------------------------------------------


def create_confirmed_sessions(count: int) -> None:
    """`count` sessions, each confirmed by an admin: 2 outbox rows (and tasks) per session."""
    from django.utils import timezone

    from accounts.models import User
    from bookings import services
    from bookings.models import MentoringSession

    admin = User.objects.create_user("bench-admin@example.com", first_name="Ada", is_staff=True)
    mentors = [
        User.objects.create_user(
            f"bench-mentor{n}@example.com",
            first_name=f"Mentor{n}",
            last_name="Bench",
            time_zone="Europe/Berlin",
        )
        for n in range(10)
    ]
    mentees = [
        User.objects.create_user(
            f"bench-mentee{n}@example.com",
            first_name=f"Mentee{n}",
            last_name="Bench",
            time_zone="America/New_York",
        )
        for n in range(10)
    ]
    first = (timezone.now() + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    sessions = MentoringSession.objects.bulk_create(
        MentoringSession(
            mentor=mentors[n % 10],
            mentee=mentees[n % 10],
            # One hour apart: no mentor is ever booked twice at once.
            start=first + timedelta(hours=n),
            duration_minutes=60,
            notes="Benchmark session.",
        )
        for n in range(count)
    )
    for session in sessions:
        services.confirm_session(session, link="https://meet.google.com/abc-defg-hij", by=admin)


def requeue_all(model) -> int:
    """Every row of `model` (emails, or webhook deliveries) back to queued without a task,
    as the web request writes it: the workers' relays queue their delivery tasks
    (notifications.delivery.relay). Every other kind of row is marked sent, so a round
    measures one kind only."""
    from django.db import transaction
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from notifications.models import EmailState, OutboundEmail
    from webhooks.models import WebhookDelivery

    with transaction.atomic():
        DBTaskResult.objects.all().delete()
        for other in {OutboundEmail, WebhookDelivery} - {model}:
            other.objects.update(state=EmailState.SENT, task_id=None)
        model.objects.update(
            state=EmailState.QUEUED,
            attempts=0,
            last_error="",
            sent_at=None,
            lease_expires_at=None,
            next_attempt_at=timezone.now(),
            task_id=None,
        )
        return model.objects.count()


# --- one round ---------------------------------------------------------------------------


def run_round(workers: int, total: int, env: dict[str, str], kind: "Kind", timeout: float) -> dict:
    from django.db.models import Count, Max, Min

    from notifications.models import EmailState

    model = kind.model
    requeue_all(model)
    kind.take()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    processes = []
    logs = []
    cpu_before = _cpu_seconds()
    machine_before = _machine_jiffies()
    started = time.monotonic()
    for n in range(workers):
        log = open(LOG_DIR / f"worker-{workers}-{n + 1}.log", "w")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--sweep-every", "3600"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        while True:
            sent = model.objects.filter(state=EmailState.SENT).count()
            if sent >= total:
                break
            if time.monotonic() - started > timeout:
                fail(f"{workers} worker(s): only {sent} of {total} sent after {timeout:.0f} s")
            if any(process.poll() is not None for process in processes):
                fail(f"a worker exited early; see {LOG_DIR}")
            time.sleep(0.05)
        wall = time.monotonic() - started
        (busy_after, all_after), (busy_before, all_before) = _machine_jiffies(), machine_before
        busy, all_jiffies = busy_after - busy_before, all_after - all_before
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    cpu = {key: after - cpu_before[key] for key, after in _cpu_seconds().items()}
    window = model.objects.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    steady = (window["last"] - window["first"]).total_seconds()
    states = dict(model.objects.values_list("state").annotate(n=Count("pk")))
    received = Counter(kind.take())
    expected = set(model.objects.values_list(kind.id_field, flat=True))
    return {
        "workers": workers,
        "wall": wall,
        "per_second": total / wall,
        "steady_per_second": (total - 1) / steady if steady > 0 else float("inf"),
        "received": sum(received.values()),
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "missing": len(expected - set(received)),
        "states": states,
        "worker_cpu_ms": 1000 * cpu["workers"] / total,
        "bench_cpu_ms": 1000 * cpu["bench"] / total,
        "machine_busy": busy / all_jiffies if all_jiffies else 0.0,
    }


def _machine_jiffies() -> tuple[int, int]:
    """(busy, all) CPU time of the whole machine since boot, in clock ticks (/proc/stat):
    how busy its cores were over a round, whoever kept them busy."""
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) so far of this process (the SMTP sink, the receiver, the
    polling) and of its children that have ended and been waited for (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "bench": own.ru_utime + own.ru_stime,
        "workers": children.ru_utime + children.ru_stime,
    }


class Kind:
    """What a round delivers: its rows, the column a receiver sees, and what it received."""

    def __init__(self, name: str, model, id_field: str, take) -> None:
        self.name, self.model, self.id_field, self.take = name, model, id_field, take


# --- the machine ---------------------------------------------------------------------------


def machine() -> dict[str, str]:
    from django.db import connection

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": nproc or str(os.cpu_count()),
        "cpu": model or platform.processor() or "unknown CPU",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgres": postgres,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--emails", type=int, default=1000, help="emails to send (even; default 1000)"
    )
    parser.add_argument("--workers", default="1,2", help="worker counts to try (default 1,2)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per round at most")
    parser.add_argument("--create-database", action="store_true", help="CREATE DATABASE if missing")
    parser.add_argument(
        "--any-database", action="store_true", help="allow a database whose name lacks 'bench'"
    )
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="also deliver one webhook per confirmation to a local receiver, and time those",
    )
    args = parser.parse_args()
    if args.emails < 2 or args.emails % 2:
        fail("--emails must be an even number ≥ 2 (two emails per confirmed session).")
    try:
        counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        fail(f"--workers must be a comma-separated list of numbers; got {args.workers!r}.")
    if not counts or min(counts) < 1:
        fail("--workers must list positive numbers.")

    url = database_url()
    name = database_name(url)
    if "bench" not in name and not args.any_database:
        fail(
            f"refusing to use database {name!r}: the benchmark empties it. Use a dedicated "
            "database whose name contains 'bench' (e.g. codementorhub_bench), or pass "
            "--any-database."
        )
    if args.create_database:
        create_database(url)

    sink, controller, port = start_sink()
    receiver, receiver_port = start_receiver()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"EMAIL_PROVIDER", "EMAIL_FILE_PATH", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY")
        or "bench-only-secret-key-not-for-production",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_USE_TLS="false",
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        WEBHOOK_ALLOW_PRIVATE_HOSTS="true",
    )
    try:
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("flush", "--noinput", "-v", "0", env=env)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

        from notifications.models import OutboundEmail
        from webhooks.models import WebhookDelivery, WebhookEndpoint

        if args.webhooks:
            WebhookEndpoint.objects.create(
                url=f"http://127.0.0.1:{receiver_port}/hooks", events=",session.confirmed,"
            )
        began = time.monotonic()
        create_confirmed_sessions(args.emails // 2)
        print(f"queued {args.emails} emails in {time.monotonic() - began:.1f} s")
        facts = machine()
        kinds = [Kind("emails", OutboundEmail, "message_id", sink.take)]
        if args.webhooks:
            kinds.append(Kind("webhooks", WebhookDelivery, "msg_id", Receiver.take))
        rounds = [
            (
                kind,
                kind.model.objects.count(),
                run_round(n, kind.model.objects.count(), env, kind, args.timeout),
            )
            for kind in kinds
            for n in counts
        ]
    finally:
        controller.stop()
        receiver.shutdown()

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print()
    print(f"CodeMentorHub email benchmark, {when}")
    print(
        f"machine: nproc={facts['nproc']} ({facts['cpu']}), {facts['os']}, "
        f"Python {facts['python']}, PostgreSQL {facts['postgres']}"
    )
    print(
        f"N={args.emails} emails ({args.emails // 2} confirmed sessions × mentee + mentor; text, "
        f"HTML and .ics each) → SMTP sink on 127.0.0.1:{port}"
    )
    print(
        f"{'kind':>8}  {'workers':>7}  {'wall time':>9}  {'per s':>8}  {'steady per s':>12}  "
        f"{'received':>8}  {'duplicates':>10}  {'missing':>7}  {'worker CPU':>10}  "
        f"{'sink CPU':>8}  {'busy':>5}"
    )
    for kind, _, r in rounds:
        print(
            f"{kind.name:>8}  {r['workers']:>7}  {r['wall']:>8.2f}s  {r['per_second']:>8.1f}  "
            f"{r['steady_per_second']:>12.1f}  {r['received']:>8}  {r['duplicates']:>10}  "
            f"{r['missing']:>7}  {r['worker_cpu_ms']:>8.2f}ms  {r['bench_cpu_ms']:>6.2f}ms  "
            f"{r['machine_busy']:>5.0%}"
        )
    print(
        "wall time: from starting the workers until every row is sent (start-up included); "
        "steady: between the first and the last row sent. CPU per message: of all the "
        "round's workers together (start-up included), and of this script (the SMTP sink or "
        "the webhook receiver, and its polling); PostgreSQL's is not counted. Busy: how much of "
        "the machine's CPU time (all cores) was used during the round, by anything."
    )
    if any(r["duplicates"] or r["missing"] or r["received"] != total for _, total, r in rounds):
        fail("some messages were lost or sent twice: see above.")


if __name__ == "__main__":
    main()
