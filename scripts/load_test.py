"""Load test: 50 users for 60 s against gunicorn + PostgreSQL + the worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/codementorhub_load \\
        .venv/bin/python scripts/load_test.py            # or: make load

A script, not a test. What it does, every step on this machine:

1. (re)creates the database named by DATABASE_URL: it must be PostgreSQL and its name must
   contain "load" (the script DROPs it), migrates it, seeds it
   (`manage.py seed_demo --password … --sessions 2000`: the demo people, 6 mentors with weekly
   hours, 2000 more sessions between generated people) and runs `collectstatic`;
2. starts gunicorn (2–4 workers from .venv, gunicorn.conf.py, 127.0.0.1 on a free port) and
   `manage.py run_worker`, both with production settings: DJANGO_DEBUG=false, a generated
   DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS=127.0.0.1, DJANGO_SECURE_SSL_REDIRECT=false (plain
   http on 127.0.0.1, as behind a TLS-terminating proxy); emails go to files
   (EMAIL_FILE_PATH=var/load/emails);
3. runs locust headless (scripts/locustfile.py): 50 users (4 mentees : 1 admin), each
   logging in through the login form with its CSRF token; once all are logged in, the
   statistics are reset and they browse for 60 s of mixed traffic (the measured window;
   the login phase is reported on its own line);
4. prints p50/p95/p99, requests/s and the error count per request kind and overall, and
   exits 1 when there was any error (2 when it could not run);
5. stops every process it started (gunicorn, the worker, locust), whatever happened.

Logs: var/load/ (gunicorn.log, worker.log, locust.log, locust_stats.csv).
"""

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
LOG_DIR = ROOT / "var" / "load"
PASSWORD = "load-test-password"
MENTEES = ["mentee@example.com"] + [f"demo-mentee{i}@mentees.example.com" for i in range(1, 11)]
ADMINS = ["admin@example.com"]


def fail(message: str) -> None:
    print(f"load_test: {message}", file=sys.stderr)
    raise SystemExit(2)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        fail(
            "DATABASE_URL is required, naming a dedicated PostgreSQL database whose name "
            "contains 'load', e.g. postgres://postgres@127.0.0.1:5432/codementorhub_load "
            "(or run `make load`)."
        )
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        fail(f"DATABASE_URL must be a PostgreSQL URL (postgres://…); got {parts.scheme!r}.")
    name = parts.path.lstrip("/")
    if "load" not in name:
        fail(
            f"refusing to use database {name!r}: this script drops and re-creates it. Use a "
            "dedicated database whose name contains 'load' (e.g. codementorhub_load)."
        )
    return url


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"created database {name}")


def query(url: str, statement: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute(statement).fetchall()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Processes:
    """Everything this script starts, each in its own process group, stopped in reverse."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(LOG_DIR / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, process))
        return process

    def stop_all(self) -> None:
        for name, process in reversed(self.started):
            if process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)  # its own group: it and its children
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            except ProcessLookupError:
                pass
            print(f"stopped {name} (pid {process.pid})")


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"gunicorn exited with {process.returncode}; see {LOG_DIR / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    fail(f"gunicorn did not answer {url} within {timeout:.0f} s")


def results(csv_path: Path) -> tuple[list[dict], dict]:
    with csv_path.open() as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    # Rows of the login phase are emptied by the statistics reset: leave them out.
    shown = [r for r in rows if r["Name"] != "Aggregated" and int(r["Request Count"])]
    return shown, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--sessions", type=int, default=2000, help="seeded sessions")
    parser.add_argument("--web-workers", type=int, default=min(4, max(2, os.cpu_count() or 2)))
    args = parser.parse_args()
    if not 2 <= args.web_workers <= 4:
        fail("--web-workers must be 2, 3 or 4.")
    if shutil.which("locust", path=str(VENV_BIN)) is None:
        fail(f"locust is not installed in {VENV_BIN} (it is in the dev group: `make install`).")

    url = database_url()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(LOG_DIR / "emails", ignore_errors=True)
    (LOG_DIR / "emails").mkdir()
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "SITE_URL": host,
        "EMAIL_FILE_PATH": str(LOG_DIR / "emails"),
        "GUNICORN_WORKERS": str(args.web_workers),
        "PYTHONUNBUFFERED": "1",
    }

    started = time.monotonic()
    recreate_database(url)
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", "--password", PASSWORD, "--sessions", str(args.sessions), env=env)
    manage("collectstatic", "--noinput", env=env)
    mentor_ids = [
        str(row[0])
        for row in query(
            url, "SELECT DISTINCT mentor_id FROM availability_weeklyavailability ORDER BY 1"
        )
    ]
    (sessions,) = query(url, "SELECT count(*) FROM bookings_mentoringsession")[0]
    (users,) = query(url, "SELECT count(*) FROM accounts_user")[0]
    print(
        f"seeded {users} users, {sessions} sessions, {len(mentor_ids)} mentors with weekly "
        f"hours ({time.monotonic() - started:.0f} s)"
    )

    processes = Processes()

    def on_signal(signum, frame):
        raise SystemExit(130)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        web = processes.start(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi:application",
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            env,
        )
        processes.start(
            "worker", [sys.executable, "manage.py", "run_worker", "--sweep-every", "30"], env
        )
        wait_until_up(f"{host}/accounts/login/", web)
        print(f"gunicorn ({args.web_workers} workers) on {host}, worker running")

        locust_env = {
            **env,
            "LOAD_PASSWORD": PASSWORD,
            "LOAD_MENTOR_IDS": ",".join(mentor_ids),
            "LOAD_MENTEES": ",".join(MENTEES),
            "LOAD_ADMINS": ",".join(ADMINS),
            "LOAD_USERS": str(args.users),
            "LOAD_SECONDS": str(args.seconds),
            "LOAD_LOGIN_SUMMARY": str(LOG_DIR / "login_phase.json"),
        }
        (LOG_DIR / "login_phase.json").unlink(missing_ok=True)
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        print(f"locust: {args.users} users for {args.seconds} s, started {when}")
        locust = processes.start(
            "locust",
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "scripts" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                "10",
                "--stop-timeout",
                "10",
                "--host",
                host,
                "--csv",
                str(LOG_DIR / "locust"),
                "--only-summary",
            ],
            locust_env,
        )
        try:
            # The locustfile stops locust LOAD_SECONDS after the last login.
            locust.wait(timeout=args.seconds + 300)
        except subprocess.TimeoutExpired:
            fail("locust did not finish in time; see var/load/locust.log")
        if not (LOG_DIR / "login_phase.json").exists():
            fail("not every simulated user logged in; see var/load/locust.log")
        login = json.loads((LOG_DIR / "login_phase.json").read_text())
        per_request, total = results(LOG_DIR / "locust_stats.csv")
        (emails,) = query(url, "SELECT count(*) FROM notifications_outboundemail")[0]
        (sent,) = query(
            url, "SELECT count(*) FROM notifications_outboundemail WHERE state = 'sent'"
        )[0]
    finally:
        processes.stop_all()

    print()
    header = (
        f"{'request':<40} {'count':>7} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'req/s':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in [*per_request, total]:
        name = f"{row['Type']} {row['Name']}".strip() if row["Name"] != "Aggregated" else "ALL"
        print(
            f"{name[:40]:<40} {row['Request Count']:>7} {row['Failure Count']:>6} "
            f"{row['50%']:>6} {row['95%']:>6} {row['99%']:>6} {float(row['Requests/s']):>7.1f}"
        )
    errors = int(total["Failure Count"]) + login["errors"]
    print()
    print(
        f"login phase (before the measured window): {login['requests']} requests in "
        f"{login['seconds']} s, p50 {login['p50']} ms, p95 {login['p95']} ms, max "
        f"{login['max']:.0f} ms, errors: {login['errors']}"
    )
    print(f"measured window: {args.users} logged-in users for {args.seconds} s")
    print(
        f"p50 {total['50%']} ms, p95 {total['95%']} ms, p99 {total['99%']} ms, "
        f"{float(total['Requests/s']):.1f} requests/s, {total['Request Count']} requests, "
        f"errors: {errors}"
    )
    print(f"outbox after the run: {emails} emails, {sent} sent by the worker")
    print(f"logs: {LOG_DIR}")
    if errors or locust.returncode not in (0, None):
        print(
            f"load_test: FAILED ({errors} errors, locust exit {locust.returncode}); "
            f"see {LOG_DIR / 'locust.log'}",
            file=sys.stderr,
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()
