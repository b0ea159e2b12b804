"""The database restarted under a running site (docs/PRODUCT.md §6.2): while it is away,
every page answers the plain 503 page, never a traceback; when it is back, the same
gunicorn answers again, with no restart.

Real processes on 127.0.0.1: a PostgreSQL server of the test's own (tests/pg_cluster.py,
so the machine's server is not disturbed) and gunicorn with the production settings
(DEBUG off, hashed static files)."""

import http.client
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.ops.test_gunicorn_conf import _children
from tests.ops.test_slow_clients import gunicorn
from tests.pg_cluster import private_postgres

# collectstatic rewrites var/staticfiles/, which every other test's WhiteNoise reads: the
# Makefile runs this test after the parallel ones, on its own.
pytestmark = pytest.mark.serial

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-test-only-secret-key-that-is-long-enough-for-check-deploy-0123",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
}


def _manage(database_url: str, *args: str) -> None:
    env = {**os.environ, **PRODUCTION, "DATABASE_URL": database_url}
    subprocess.run(
        [sys.executable, "manage.py", *args, "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


def _get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def _heading(page: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).strip()


def _gunicorn_workers(port: int) -> set[int]:
    """The worker processes of the gunicorn this test started on `port` (a child of this
    process; the suite may have others)."""
    bind = f"127.0.0.1:{port}".encode()
    (master,) = (
        pid
        for pid in _children(os.getpid())
        if bind in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    )
    return _children(master)


@pytest.fixture
def site_on_its_own_database(tmp_path):
    with private_postgres() as database:
        _manage(database.url, "migrate")
        # Without the API docs' Swagger and ReDoc files (ninja/: 8 MB, most of the time
        # compressing): none of the pages this test reads links to them.
        _manage(database.url, "collectstatic", "--ignore", "ninja")
        with gunicorn(tmp_path, DATABASE_URL=database.url, **PRODUCTION) as port:
            yield database, port


def test_pages_answer_503_while_the_database_is_away_and_recover_without_a_restart(
    site_on_its_own_database,
):
    database, port = site_on_its_own_database
    status, _, before = _get(port, "/mentors/")
    assert status == 200, before
    workers = _gunicorn_workers(port)

    database.stop()
    away = [_get(port, "/mentors/") for _ in range(3)]
    health_status, _, health = _get(port, "/healthz")

    for status, headers, body in away:
        assert (status, headers["Retry-After"]) == (503, "30")
        assert "<h1>Back in a moment</h1>" in body
        assert "Traceback" not in body and "OperationalError" not in body
    assert health_status == 503
    assert json.loads(health)["database"] == "error"

    database.start()
    status, _, body = _get(port, "/mentors/")

    assert status == 200
    # The directory again, as it was before (no mentors yet in this new database).
    assert _heading(body) == _heading(before) != "Back in a moment"
    # The same worker processes answered: nothing was restarted to recover.
    assert _gunicorn_workers(port) == workers
