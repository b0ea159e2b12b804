"""Slow clients (docs/DEPLOYMENT.md): connections that never finish their headers starve a
gunicorn that faces them alone, and do not reach one behind the documented nginx.

Real processes on 127.0.0.1: gunicorn with gunicorn.conf.py and the smallest pool (one
worker, two threads), and nginx running the server block from docs/DEPLOYMENT.md as it is
written there, with only its ports and certificate replaced. Every wait is bounded by a
timeout on a socket; nothing sleeps to let something happen."""

import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.helpers import ROOT, free_port
from tests.ops.test_gunicorn_conf import CONF, GUNICORN, _server_env

HOST = "codementorhub.example.com"
THREADS = 2
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# Sent, and never finished: no blank line ends the headers.
UNFINISHED = f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: ".encode()


@contextmanager
def gunicorn(tmp_path: Path, **variables: str) -> Iterator[int]:
    """gunicorn with the project's settings (and these environment variables), one worker
    of THREADS threads; its port."""
    port = free_port()
    env = _server_env(
        tmp_path,
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS=str(THREADS),
        DJANGO_ALLOWED_HOSTS=f"{HOST},127.0.0.1",
        **variables,
    )
    server = subprocess.Popen(
        [str(GUNICORN), "config.wsgi:application", "--config", str(CONF)]
        + ["--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Reading the log blocks; this bounds the whole test however gunicorn behaves.
    watchdog = threading.Timer(60, server.kill)
    watchdog.start()
    try:
        log = []
        for line in server.stdout:
            log.append(line)
            if "Booting worker" in line:
                break
        assert server.poll() is None, "".join(log)
        yield port
    finally:
        server.terminate()
        server.communicate(timeout=30)
        watchdog.cancel()


def _documented_block() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", (ROOT / "docs/DEPLOYMENT.md").read_text(), re.S)
    assert len(blocks) == 1, "docs/DEPLOYMENT.md should show one nginx block"
    return blocks[0]


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the documented block no longer has {old!r} once"
    return text.replace(old, new)


@contextmanager
def nginx(tmp_path: Path, upstream: int) -> Iterator[int]:
    """nginx running the documented block in front of `upstream`; its HTTPS port."""
    assert Path(NGINX).exists(), "nginx is not installed: `make proxy` installs Debian's"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        + ["-nodes", "-days", "1", "-subj", f"/CN={HOST}"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    plain, tls = free_port(), free_port()
    block = _documented_block()
    block = _replace_once(block, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    block = _replace_once(block, "listen 80;", f"listen 127.0.0.1:{plain};")
    block = _replace_once(block, "listen 443 ssl;", f"listen 127.0.0.1:{tls} ssl;")
    for directive, file in (("ssl_certificate", "cert.pem"), ("ssl_certificate_key", "key.pem")):
        block, found = re.subn(rf"{directive} +\S+;", f"{directive} {tmp_path / file};", block)
        assert found == 1, f"the documented block no longer has one {directive}"
    temp = "\n".join(
        f"    {kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {tmp_path}/nginx.pid;\n"
        f"error_log stderr;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n    access_log off;\n{temp}\n{block}\n}}\n"
    )
    command = [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_listening(tls, proxy)
        yield tls
    finally:
        proxy.terminate()
        proxy.communicate(timeout=30)


def _wait_until_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except ConnectionRefusedError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own certificate
    return context


@contextmanager
def slow_clients(port: int, count: int, *, tls: bool = False) -> Iterator[None]:
    """`count` connections that each send the start of a request and never finish it."""
    held = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            if tls:
                sock = _tls().wrap_socket(sock, server_hostname=HOST)
            held.append(sock)
            sock.sendall(UNFINISHED)
        yield
    finally:
        for sock in held:
            sock.close()


def healthz(port: int, *, tls: bool = False, timeout: float = 10) -> dict:
    """GET /healthz; its status and body. Raises TimeoutError if no answer comes in time."""
    if tls:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=_tls())
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    with closing(connection):
        connection.request("GET", "/healthz", headers={"Host": HOST})
        response = connection.getresponse()
        return {"status": response.status, **json.loads(response.read())}


# 503: the database answers, and no background worker beats in this test.
ANSWERED = {"status": 503, "database": "ok"}


def test_healthz_answers_through_nginx_while_slow_clients_hold_their_headers(tmp_path):
    with gunicorn(tmp_path) as upstream, nginx(tmp_path, upstream) as port:
        with slow_clients(port, 12, tls=True):
            answer = healthz(port, tls=True)

    assert {key: answer[key] for key in ANSWERED} == ANSWERED


def test_as_many_slow_clients_as_threads_starve_gunicorn_on_its_own(tmp_path):
    """Why the proxy is required: gunicorn gives each of them a thread, which waits for
    the rest of the headers for as long as the client likes."""
    with gunicorn(tmp_path) as port:
        with slow_clients(port, THREADS):
            with pytest.raises(TimeoutError):
                healthz(port, timeout=2)
        # Once they hang up, their threads are free again.
        answer = healthz(port)

    assert {key: answer[key] for key in ANSWERED} == ANSWERED
