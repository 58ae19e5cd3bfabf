"""The main pages under the Content-Security-Policy in Chromium: no violation, no script error.

A violation is caught twice over: the page's ``securitypolicyviolation`` events (recorded by a
script Playwright adds, which the policy does not govern) and Chromium's console messages
("Refused to …"). Pages are found by following the site's own links from the demo, so the
slugs are the demo's, whatever they are.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ORGANISER

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
                    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""
PUBLIC_PAGES = [
    "/",
    "/sessions",
    "/agencies",
    "/agencies/opdc",
    "/topics",
    "/topics/mindset-change",
    "/takeaways",
    "/search?q=mindset",
    "/search?q=%E0%B8%A7%E0%B8%B4%E0%B8%AA%E0%B8%B1%E0%B8%A2",  # วิสัย, in Thai
    "/api",
    "/certificates",
    "/auth/login",
    "/auth/signup",
    "/auth/reset",
    "/no-such-page",  # the 404 page
]
WORKSPACE_PARTS = [
    "edit",
    "agenda",
    "people",
    "notes",
    "takeaways",
    "registrations",
    "materials",
    "feedback",
    "reminders",
    "note-takers",
    "dashboard",
    "preview",
]


class Watcher:
    """Collects CSP violations and script errors of one page, per address visited."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: error {error}"))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.problems.append(f"{self.page.url}: console {text}")

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None, url
        self.page.wait_for_load_state("load")
        self.check()

    def check(self) -> None:
        violations = self.page.evaluate("window.__csp || []")
        self.problems += [f"{self.page.url}: {v}" for v in violations]
        self.page.evaluate("window.__csp = []")


def _links(page, pattern: str) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
    return sorted({h.split("#")[0] for h in hrefs if re.search(pattern, h)})


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    watcher = Watcher(page)
    yield watcher
    context.close()


def test_public_pages_run_under_the_policy(watched, live_server):
    for path in PUBLIC_PAGES:
        watched.visit(live_server + path)
    watched.visit(live_server + "/sessions?when=past")
    sessions = _links(watched.page, r"/sessions/[^/?#]+$")
    people = []
    for url in sessions[:2]:
        watched.visit(url)
        people += _links(watched.page, r"/people/[^/?#]+$")
    assert sessions, "the demo has sessions"
    for url in people[:1]:
        watched.visit(url)
    for language in ("en", "th"):  # the language switch, and a page in each language
        watched.visit(f"{live_server}/language/{language}")
    assert watched.problems == []


def test_workspace_and_my_pages_run_under_the_policy(watched, live_server):
    page = watched.page
    watched.visit(live_server + "/auth/login?lang=en")
    page.fill("#email", ORGANISER[0])
    page.fill("#password", ORGANISER[1])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    watched.check()
    for path in ("/me", "/me/profile", "/manage", "/manage/sessions", "/manage/sessions/new"):
        watched.visit(live_server + path)
    watched.visit(live_server + "/manage/sessions")
    managed = _links(page, r"/manage/sessions/[^/?#]+/edit$")
    assert managed, "the organiser has sessions to manage"
    for edit_url in managed[:2]:
        base = edit_url.removesuffix("/edit")
        for part in WORKSPACE_PARTS:
            watched.visit(f"{base}/{part}")
    # the markdown preview (a script that fetches and inserts sanitised HTML)
    watched.visit(managed[0].removesuffix("/edit") + "/notes")
    editor = page.locator("textarea").first
    if editor.count():
        editor.fill("**ตัวหนา** and a [link](https://example.org)")
        page.wait_for_timeout(800)
        watched.check()
    assert watched.problems == []


def test_charts_keep_their_width_under_the_policy(watched, live_server):
    """The charts' natural width reaches them through the hashed <style> (not an attribute)."""
    page = watched.page
    watched.visit(live_server + "/auth/login?lang=en")
    page.fill("#email", ORGANISER[0])
    page.fill("#password", ORGANISER[1])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    watched.visit(live_server + "/manage/sessions")
    for edit_url in _links(page, r"/manage/sessions/[^/?#]+/edit$"):
        watched.visit(edit_url.removesuffix("/edit") + "/dashboard")
        charts = page.locator("svg.chart__svg")
        if charts.count():
            widths = charts.evaluate_all(
                "svgs => svgs.map(s => getComputedStyle(s).getPropertyValue('--chart-w'))"
            )
            assert all(w.strip().endswith("px") for w in widths), widths
            break
    else:
        pytest.fail("no dashboard with a chart in the demo")
    assert watched.problems == []


def test_a_violation_would_be_caught(watched, live_server):
    """The watcher is not blind: an inline script added to a page is refused and reported."""
    watched.visit(live_server + "/")
    watched.page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.body.append(s); }"""
    )
    watched.page.wait_for_timeout(300)
    watched.check()
    assert watched.page.evaluate("window.__ran === undefined")
    assert any("script-src" in problem for problem in watched.problems), watched.problems
