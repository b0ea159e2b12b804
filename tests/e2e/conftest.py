"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server,
with the real worker in a separate process delivering to a real SMTP server."""

import os
import subprocess
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.a11y import unchecked_pages, watch
from tests.smtp_sink import SMTPSink
from tests.worker_process import ROOT, start_worker

SCREENSHOTS = ROOT / "var" / "screenshots"
_PASSED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Sync Playwright runs an event loop in this thread; the ORM calls in these tests (and
    # the database flush after each) are plain synchronous calls, so Django's async-safety
    # guard can step aside while browser tests run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_PASSED] = report.passed
    return report


@pytest.fixture
def page(page: Page, request: pytest.FixtureRequest) -> Iterator[Page]:
    """pytest-playwright's page; each page it loads must pass tests.e2e.a11y.assert_accessible
    before the test ends."""
    watch(page)
    yield page
    unchecked = unchecked_pages(page)
    # A test that failed already says what went wrong; this would only add noise.
    if request.node.stash.get(_PASSED, False):
        assert not unchecked, f"pages loaded but never checked with assert_accessible: {unchecked}"


@pytest.fixture
def inbox():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def worker(inbox, transactional_db):
    """`manage.py run_worker` (the production worker) against the test database."""
    process = start_worker(
        inbox.port, interval=0.2, sweep_every=5, relay_every=0.2, stdout=subprocess.PIPE
    )
    yield process
    process.terminate()
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "e2e-worker.log").write_bytes(output or b"")


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot under var/screenshots/ (kept as CI artefacts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def eventually(check, timeout: float = 15.0, every: float = 0.05):
    """Wait until `check()` is truthy (another process is doing the work); fail after timeout."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        pause.wait(every)
