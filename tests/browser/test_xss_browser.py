"""The XSS corpus in a real browser: the pages that show the payloads, opened in Chromium with
a ``window.__xss`` hook (every payload calls it) and a dialog listener (for ``alert``); nothing
may fire. The Content-Security-Policy is bypassed on purpose: it is the second wall, and this
test proves the first one (escaping and sanitising) alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from exchange import create_app
from exchange.db import db
from tests.conftest import login_as
from tests.test_xss_corpus import ORGANISER_PAGES, P, World, _build
from tests.xss_corpus import all_values, bare, marker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

HOOK = """
window.__xssCalls = [];
window.__xss = (m) => { window.__xssCalls.push(String(m)); };
"""


@pytest.fixture(scope="module")
def payload_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """The corpus world (tests/test_xss_corpus.py) on SQLite, served on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("xss-live")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "xss-browser-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'xss.sqlite'}",
            "UPLOAD_FOLDER": str(folder / "uploads"),
        }
    )
    with app.test_request_context("/"):
        db.create_all()
        world = _build(datetime.now(UTC))
    world.app = app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", world
    finally:
        server.shutdown()
        thread.join()
        with app.app_context():
            db.engine.dispose()


def _session_cookie(world: World, user_id: int) -> str:
    """A signed session cookie for *user_id*, as Flask-Login's fast path writes it."""
    client = world.app.test_client()
    login_as(client, user_id)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


class Watch:
    """A browser context whose pages report every ``__xss`` call, dialog and page error."""

    def __init__(self, browser, base: str, cookie: str | None = None) -> None:
        self.context = browser.new_context(bypass_csp=True, java_script_enabled=True)
        self.context.add_init_script(HOOK)
        if cookie:
            self.context.add_cookies([{"name": "session", "value": cookie, "url": base}])
        self.base = base
        self.fired: list[str] = []
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.fired.append(f"{self.page.url}: dialog {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None
        assert response.status < 500, (path, response.status)
        self.page.wait_for_timeout(30)  # a handler queued by the parser (onerror) runs
        calls = self.page.evaluate("window.__xssCalls || []")
        self.fired += [f"{path}: __xss({call!r})" for call in calls]
        frames = [f for f in self.page.frames if f != self.page.main_frame]
        for frame in frames:  # the outbox's sandboxed e-mail preview: scripts must not run
            try:
                calls = frame.evaluate("window.__xssCalls || []")
            except Exception:  # noqa: S112 -- a sandboxed frame without scripts
                continue
            self.fired += [f"{path} (frame): __xss({call!r})" for call in calls]

    def close(self) -> None:
        self.context.close()


def _live_preview(watch: Watch) -> None:
    """Every payload typed into the note editor: the live preview (innerHTML of the server's
    sanitised answer) runs none of them."""
    watch.open("/manage/sessions/xss-1/notes")
    box = watch.page.locator(".markdown-preview[data-preview-for]").first
    textarea = box.get_attribute("data-preview-for")
    watch.page.fill(f"#{textarea}", all_values("livepreview"))
    watch.page.wait_for_function(
        "document.querySelector('.markdown-preview__body').innerHTML.includes('xss00livepreview')"
    )
    watch.page.wait_for_timeout(100)
    calls = watch.page.evaluate("window.__xssCalls")
    watch.fired += [f"live preview: __xss({call!r})" for call in calls]


def test_the_hook_reports_what_runs(browser, payload_server) -> None:
    """Not vacuous: an unescaped payload on a page does call the hook and open a dialog."""
    base, _world = payload_server
    watch = Watch(browser, base)
    try:
        watch.page.goto(base + "/")
        watch.page.set_content("<img src=x onerror=\"__xss('probe')\"><script>alert(1)</script>")
        watch.page.wait_for_timeout(100)
        calls = watch.page.evaluate("window.__xssCalls")
        assert "probe" in calls
        assert any("dialog alert" in f for f in watch.fired)
    finally:
        watch.close()


def test_public_pages_run_nothing(browser, payload_server) -> None:
    base, _world = payload_server
    watch = Watch(browser, base)
    try:
        for path in ("/", "/sessions", "/sessions?when=past", "/agencies", "/topics",
                     "/takeaways", "/sessions/xss-cancelled"):  # fmt: skip
            watch.open(path)
        for k in range(P):
            watch.open(f"/sessions/xss-{k}")
            assert marker(k, "titleth") in watch.page.content()
            if k % 2 == 0:
                watch.open(f"/agencies/agency-{k}")
                watch.open(f"/people/person-{k}")
            else:
                watch.open(f"/topics/topic-{k}")
                watch.open(f"/sessions/xss-{k}/compare")
        for k in range(P):
            watch.open("/search?" + urlencode({"q": bare(k, "search")}))
        for query in ("script", "onerror", "javascript", "svg", "ไทย"):
            watch.open("/search?" + urlencode({"q": query}))
        watch.open("/language/en")
        for k in range(0, P, 3):
            watch.open(f"/sessions/xss-{k}")
    finally:
        watch.close()
    assert watch.fired == []


def test_workspace_and_account_pages_run_nothing(browser, payload_server) -> None:
    base, world = payload_server
    watch = Watch(browser, base, _session_cookie(world, world.admin_id))
    try:
        for path in ("/manage", "/manage/sessions", "/manage/agencies", "/manage/people",
                     "/manage/topics", "/manage/users", "/manage/audit",
                     "/manage/outbox"):  # fmt: skip
            watch.open(path)
        for k in range(P):
            for n, part in enumerate(ORGANISER_PAGES):
                if part == "edit" or (part == "notes" and k % 2) or n % 6 == k % 6:
                    watch.open(f"/manage/sessions/xss-{k}/{part}")
        for message_id in range(1, 60, 4):
            watch.open(f"/manage/outbox/{message_id}")
        _live_preview(watch)
    finally:
        watch.close()
    fired = watch.fired
    for k in range(0, P, 5):
        watch = Watch(browser, base, _session_cookie(world, world.user_ids[k]))
        try:
            watch.open("/me")
            watch.open("/me/profile")
            assert marker(k, "token") in watch.page.content()
            watch.open(f"/sessions/xss-{k}")
            if k in world.certificate_codes:
                watch.open(f"/certificates/{world.certificate_codes[k]}")
        finally:
            watch.close()
        fired += watch.fired
    assert fired == []
