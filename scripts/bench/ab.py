"""Interleaved A/B of two versions of the product on the same data: does a change pay?

    .venv/bin/python scripts/bench/ab.py --a HEAD~1 --b HEAD \\
        --page "admin dashboard=admin@example.com:/admin/sessions/" \\
        --page "My Sessions=mentee@example.com:/dashboard/"

Each side is a git revision checked out in its own worktree (`.` is this checkout as it
is, uncommitted changes included) and served by its own gunicorn (one sync worker, no
threads, production settings) on 127.0.0.1, against ONE database: the page benchmark's
(var/bench.sqlite3, or DATABASE_URL naming a *bench* database), seeded by `make bench`.
Both sides must agree on its schema (no migration between them).

Each round requests every (side, page) pair once, in a new random order, so machine noise
falls on both sides alike; the first rounds are warm-up. Printed per page: each side's
median and p95 wall time (one new loopback connection per request, the same for both
sides), B − A, and (B − A) / A. A trick stays only if removing it costs more than 10 % of
its page (docs/ARCHITECTURE.md lists the survivors).
"""

import argparse
import http.client
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass
class Side:
    name: str
    revision: str
    directory: Path
    port: int
    times: dict[str, list[float]] = field(default_factory=dict)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="revision A (the baseline), or .")
    parser.add_argument("--b", required=True, help="revision B (the change), or .")
    parser.add_argument(
        "--page",
        action="append",
        required=True,
        help='"name=email:/path" — a page and the demo user who requests it',
    )
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{ROOT / 'var/bench.sqlite3'}"
    if "bench" not in Path(urlsplit(url).path).name:
        sys.exit("ab.py: use the page benchmark's database (its name contains 'bench').")
    return url


def checkout(revision: str, stack: ExitStack) -> Path:
    if revision == ".":
        return ROOT
    directory = Path(tempfile.mkdtemp(prefix="cmh-ab-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(directory), revision],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    stack.callback(
        subprocess.run,
        ["git", "worktree", "remove", "--force", str(directory)],
        cwd=ROOT,
        capture_output=True,
    )
    return directory


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(url: str, key: str, static_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": key,
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "SITE_URL": "http://127.0.0.1",
    }


def start(side: Side, env: dict[str, str], stack: ExitStack) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=side.directory,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{side.port}",
            "--workers", "1", "--threads", "1", "--worker-class", "sync",
            "--config", "/dev/null", "--log-level", "warning",
        ],
        cwd=side.directory,
        env=env,
    )  # fmt: skip
    stack.callback(server.wait)
    stack.callback(server.terminate)
    for _ in range(200):
        try:
            status, _ = request(side.port, "/healthz", "")
            if status:
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"ab.py: side {side.name} did not start")


def login_cookie(directory: Path, env: dict[str, str], email: str) -> str:
    """A session cookie for `email`, made in the shared database (valid on both sides)."""
    code = (
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY;"
        "from django.contrib.sessions.backends.db import SessionStore;"
        "from accounts.models import User;"
        f"u = User.objects.get(email={email!r}); s = SessionStore();"
        "s[SESSION_KEY] = str(u.pk);"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend';"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); print(s.session_key)"
    )
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=directory,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return f"sessionid={result.stdout.split()[-1]}"


def request(port: int, path: str, cookie: str) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return response.status, elapsed


def main() -> None:
    args = parse_args()
    url = database_url()
    key = secrets.token_urlsafe(50)
    pages = {}
    for spec in args.page:
        name, _, rest = spec.partition("=")
        email, _, path = rest.partition(":")
        pages[name] = (email, path)
    rng = random.Random(args.seed)
    with ExitStack() as stack:
        static = Path(tempfile.mkdtemp(prefix="cmh-ab-static-"))
        stack.callback(shutil.rmtree, static, True)
        sides = []
        for name, revision in (("A", args.a), ("B", args.b)):
            directory = checkout(revision, stack)
            side = Side(name, revision, directory, free_port())
            start(side, environment(url, key, static / name), stack)
            sides.append(side)
        env = environment(url, key, static / "A")
        cookies = {email: login_cookie(ROOT, env, email) for email, _ in pages.values()}
        pairs = [(side, page) for side in sides for page in pages]
        for number in range(args.warmup + args.rounds):
            rng.shuffle(pairs)
            for side, page in pairs:
                email, path = pages[page]
                status, elapsed = request(side.port, path, cookies[email])
                if status != 200:
                    sys.exit(f"ab.py: {side.name} {path} answered {status}")
                if number >= args.warmup:
                    side.times.setdefault(page, []).append(elapsed)
    a, b = sides
    print(f"A = {a.revision}, B = {b.revision}; {args.rounds} rounds after {args.warmup} warm-up")
    heads = ("A median", "A p95", "B median", "B p95", "B−A", "(B−A)/A")
    print(f"{'page':<28}" + "".join(f"{head:>10}" for head in heads))
    for page in pages:
        ta, tb = a.times[page], b.times[page]
        ma, mb = statistics.median(ta), statistics.median(tb)
        pa, pb = (statistics.quantiles(t, n=20)[-1] for t in (ta, tb))
        print(
            f"{page:<28}{ma:>10.2f}{pa:>10.2f}{mb:>10.2f}{pb:>10.2f}{mb - ma:>+10.2f}"
            f"{(mb - ma) / ma:>+10.1%}"
        )


if __name__ == "__main__":
    main()
