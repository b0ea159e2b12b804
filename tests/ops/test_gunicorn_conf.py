"""gunicorn.conf.py: how many workers it asks for (GUNICORN_WORKERS, else WEB_CONCURRENCY,
else 3), that a bad value stops start-up naming the variable, and a real gunicorn started
with WEB_CONCURRENCY=2 running exactly two workers."""

import json
import os
import re
import runpy
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from gunicorn.config import Config

from tests.helpers import ROOT, free_port, run_python

CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).parent / "gunicorn"
OURS = ("GUNICORN_WORKERS", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT")


@pytest.fixture
def load(monkeypatch):
    """Load gunicorn.conf.py under exactly the given variables (the others unset)."""

    def run(**variables: str) -> dict:
        for name in (*OURS, "GUNICORN_CMD_ARGS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    return run


@pytest.mark.parametrize(
    ("variables", "workers"),
    [
        ({}, 3),
        ({"WEB_CONCURRENCY": "2"}, 2),
        ({"WEB_CONCURRENCY": " 7 "}, 7),
        ({"GUNICORN_WORKERS": "5"}, 5),
        ({"GUNICORN_WORKERS": "5", "WEB_CONCURRENCY": "2"}, 5),
        ({"GUNICORN_WORKERS": "1", "WEB_CONCURRENCY": "8"}, 1),
        # The one that wins is the only one read: the platform's value cannot stop start-up.
        ({"GUNICORN_WORKERS": "4", "WEB_CONCURRENCY": "lots"}, 4),
    ],
)
def test_workers_come_from_gunicorn_workers_then_web_concurrency_then_3(
    load, variables: dict[str, str], workers: int
):
    assert load(**variables)["workers"] == workers


def test_threads_and_timeout_defaults_and_overrides(load):
    defaults = load()
    assert (defaults["threads"], defaults["timeout"]) == (2, 30)
    chosen = load(GUNICORN_THREADS="4", GUNICORN_TIMEOUT="0")
    assert (chosen["threads"], chosen["timeout"]) == (4, 0)


def test_the_limits_on_a_request_and_a_connection_are_set_on_purpose(load):
    """Chosen in gunicorn.conf.py, each with its reason, rather than left to gunicorn's
    defaults (docs/DEPLOYMENT.md)."""
    conf = load()

    assert conf["timeout"] == 30
    assert conf["keepalive"] == 5
    assert conf["limit_request_line"] == 8190
    assert conf["limit_request_fields"] == 50
    assert conf["limit_request_field_size"] == 8190


def test_gunicorn_reads_the_limits_from_the_file(load):
    """The names are gunicorn's own: a misspelt one would be ignored without a word."""
    config = Config()
    for name, value in load().items():
        if name in config.settings:
            config.set(name, value)

    assert (
        config.limit_request_line,
        config.limit_request_fields,
        config.limit_request_field_size,
        config.keepalive,
        config.timeout,
    ) == (8190, 50, 8190, 5, 30)


@pytest.mark.parametrize("name", ["GUNICORN_WORKERS", "WEB_CONCURRENCY"])
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("two", "must be a whole number; got 'two'."),
        ("2.5", "must be a whole number; got '2.5'."),
        ("3 workers", "must be a whole number; got '3 workers'."),
        ("0", "must be between 1 and 256; got 0."),
        ("-1", "must be between 1 and 256; got -1."),
        ("3000", "must be between 1 and 256; got 3000."),
    ],
)
def test_a_bad_worker_count_stops_start_up_naming_the_variable(
    load, name: str, raw: str, says: str
):
    """The same strict parsing as every other setting (config/env.py)."""
    with pytest.raises(SystemExit) as stopped:
        load(**{name: raw})

    assert str(stopped.value) == f"gunicorn.conf.py: {name} {says}"


def test_an_empty_worker_count_counts_as_unset(load):
    assert load(GUNICORN_WORKERS="", WEB_CONCURRENCY="2")["workers"] == 2
    assert load(WEB_CONCURRENCY=" ")["workers"] == 3


def test_a_bad_gunicorn_workers_is_refused_even_when_web_concurrency_is_good(load):
    with pytest.raises(SystemExit, match=r"GUNICORN_WORKERS must be a whole number; got 'x'\.$"):
        load(GUNICORN_WORKERS="x", WEB_CONCURRENCY="2")


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("GUNICORN_THREADS", "0", "must be between 1 and 256; got 0."),
        ("GUNICORN_TIMEOUT", "-5", "must be between 0 and 3600; got -5."),
        ("GUNICORN_TIMEOUT", "30s", "must be a whole number; got '30s'."),
    ],
)
def test_bad_threads_or_timeout_stop_start_up(load, name: str, raw: str, says: str):
    with pytest.raises(SystemExit) as stopped:
        load(**{name: raw})

    assert str(stopped.value) == f"gunicorn.conf.py: {name} {says}"


# --- the real server ---------------------------------------------------------------------


def _server_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (*OURS, "GUNICORN_CMD_ARGS")}
    # The database file exists, in write-ahead-log mode, before the server starts: two
    # threads' first connections would otherwise both switch a new file to WAL, and one
    # of them may find it locked (a new deployment's first requests; not these tests').
    with closing(sqlite3.connect(tmp_path / "gunicorn.sqlite3")) as database:
        database.execute("PRAGMA journal_mode=WAL")
    env.update(
        {
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
            "PYTHONUNBUFFERED": "1",
            **variables,
        }
    )
    return env


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:  # fields after "(comm)": state, ppid, ...
            found.add(int(stat.parent.name))
    return found


def test_gunicorn_started_with_web_concurrency_2_runs_two_workers(tmp_path):
    port = free_port()
    command = [
        str(GUNICORN),
        "config.wsgi:application",
        "--config",
        str(CONF),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    master = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_server_env(tmp_path, WEB_CONCURRENCY="2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Reading the log blocks; this bounds the whole test however gunicorn behaves.
    watchdog = threading.Timer(60, master.kill)
    watchdog.start()
    log: list[str] = []
    try:
        booted: list[int] = []
        for line in master.stdout:
            log.append(line)
            if match := re.search(r"Booting worker with pid: (\d+)", line):
                booted.append(int(match.group(1)))
            if len(booted) == 2:
                break
        assert len(booted) == 2, "".join(log)

        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30)
        except urllib.error.HTTPError as answer:  # 503: no worker has beaten here
            assert answer.code == 503
            assert json.load(answer)["database"] == "ok"
        else:
            raise AssertionError("/healthz answered 200 without a worker heartbeat")

        assert _children(master.pid) == set(booted)
    finally:
        if master.poll() is None:
            master.send_signal(signal.SIGTERM)
        rest, _ = master.communicate(timeout=30)
        watchdog.cancel()
    log.append(rest)

    assert master.returncode == 0, "".join(log)
    assert "Shutting down: Master" in rest
    assert len(re.findall(r"Booting worker with pid", "".join(log))) == 2


def test_gunicorn_refuses_to_start_with_a_bad_web_concurrency(tmp_path):
    finished = run_python(
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--config",
        str(CONF),
        "--check-config",
        env=_server_env(tmp_path, WEB_CONCURRENCY="0"),
    )

    assert finished.returncode == 1
    assert finished.stderr.strip() == (
        "gunicorn.conf.py: WEB_CONCURRENCY must be between 1 and 256; got 0."
    )
