"""axe-core in the browser tests: `assert_accessible(page)` runs axe on the page as it is now
and fails on any serious or critical violation; every page a test watches must be checked
(`watch`), so a navigation nobody checked fails the test too.

axe is evaluated through the DevTools protocol rather than added as a <script> tag: the
site's Content-Security-Policy (script-src 'self') refuses inline scripts, and turning the
policy off for the tests would hide the inline scripts it exists to refuse.
"""

from dataclasses import dataclass, field
from functools import cache

from playwright.sync_api import Page, Route

from tests.worker_process import ROOT

# Installed by `make browser` (the Makefile pins the version).
AXE_JS = ROOT / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


@cache
def _axe_source() -> str:
    if not AXE_JS.is_file():
        raise AssertionError(f"{AXE_JS.relative_to(ROOT)} is missing: run `make browser`.")
    return AXE_JS.read_text()


@dataclass
class _Watched:
    javascript: bool
    loads: list[str] = field(default_factory=list)
    checked: set[int] = field(default_factory=set)

    def unchecked(self) -> list[str]:
        return [url for n, url in enumerate(self.loads) if n not in self.checked]


_WATCHED: dict[int, _Watched] = {}


def watch(page: Page, *, javascript: bool = True) -> Page:
    """Record every document the page loads, to be checked before the test ends.

    javascript=False: the page's context runs no scripts, so axe runs on a copy of its DOM."""
    watched = _Watched(javascript)
    _WATCHED[id(page)] = watched

    def loaded(loaded_page: Page) -> None:
        if loaded_page.url != "about:blank":
            watched.loads.append(loaded_page.url)

    page.on("load", loaded)
    return page


def unchecked_pages(page: Page) -> list[str]:
    """URLs the page loaded that no assert_accessible saw; forgets the page."""
    watched = _WATCHED.pop(id(page), None)
    return watched.unchecked() if watched else []


def violations(page: Page) -> list[dict]:
    """axe's violations on the page as it is now, all impacts."""
    watched = _WATCHED.get(id(page))
    # The load event arrives before this returns, so the current document is in `loads`.
    page.wait_for_load_state("load")
    if watched is not None and not watched.javascript:
        found = _violations_of_copy(page)
    else:
        found = _run(page)
    if watched is not None and watched.loads:
        watched.checked.add(len(watched.loads) - 1)
    return found


def assert_accessible(page: Page) -> None:
    blocking = [v for v in violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"{len(blocking)} serious/critical axe violation(s) on {page.url}:\n" + (
        "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}"
            for v in blocking
        )
    )


def _run(page: Page) -> list[dict]:
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(_axe_source())
    return page.evaluate(_RUN_AXE)


def _violations_of_copy(page: Page) -> list[dict]:
    """A page whose scripts are off cannot run axe (its timers never fire): check the same
    DOM, served at the same URL with the same styles, in a page that runs axe but none of
    the site's scripts, so what is checked is what the no-JavaScript visitor gets."""
    url, markup = page.url, page.content()
    context = page.context.browser.new_context(viewport=page.viewport_size)
    try:
        copy = context.new_page()
        served: list[str] = []

        def serve(route: Route) -> None:
            served.append(route.request.url)
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=markup)

        copy.route(lambda u: u == url, serve)
        copy.route(lambda u: u.split("?")[0].endswith(".js"), lambda route: route.abort())
        copy.goto(url)
        # Without the copy, this context (no cookies) would check the login page instead.
        assert served == [url], f"the copy of {url} was not served: {served}"
        return _run(copy)
    finally:
        context.close()
