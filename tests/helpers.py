"""Helpers shared by the tests: what a response shows (its Django messages, its visible
text, a table row's cells) and running Python in the project as a separate process."""

import html
import re
import socket
import subprocess
import sys
from pathlib import Path

from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]


def messages_of(response) -> list[tuple[str, str]]:
    """The messages the request added or showed, as (level tag, text): for a redirect the
    ones waiting for the next page, for a page (or a followed redirect) the ones it showed.
    Takes a test client's response, or a request (RequestFactory's, with its storage)."""
    request = getattr(response, "wsgi_request", response)
    return [(m.level_tag, m.message) for m in get_messages(request)]


def is_logged_in(client: Client) -> bool:
    """Whether the test client's session holds a logged-in person."""
    return SESSION_KEY in client.session


def post_from(address: str, path: str, data: dict, **environ: str):
    """POST `data` to `path` from a new client at `address` (its REMOTE_ADDR; `environ` adds
    more, e.g. HTTP_X_FORWARDED_FOR): (the client, the response)."""
    client = Client(REMOTE_ADDR=address, **environ)
    return client, client.post(path, data)


def visible_text(markup: str) -> str:
    """What a reader sees: tags become spaces, entities are decoded, whitespace collapses."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def table_row(markup: str, attribute: str, value) -> str:
    """The inside of the table row `<tr {attribute}="{value}">`; fails when there is none."""
    match = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', markup, re.S)
    assert match, f"no row with {attribute}={value}"
    return match.group(1)


def cells_of(row: str) -> list[str]:
    """The visible text of each cell of a table row."""
    return [visible_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python <args>` in the project's root with exactly `env`; its output as text."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
