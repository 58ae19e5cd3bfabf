"""axe-core on every main page, in Thai and in English: no serious or critical violation.

axe-core comes from npm (package.json's devDependencies, `npm ci`) and is read from
node_modules and injected by the test: never a CDN, and never shipped to readers. The pages
are opened with the Content-Security-Policy bypassed so the injected script may run. Each run
also saves a screenshot of the main pages at desktop and phone width into
test-artifacts/screenshots/ for review."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import ADMIN, ARTIFACTS, PARTICIPANT
from tests.browser.steps import SIZES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ARTIFACTS / "screenshots"
UPCOMING = "mindset-for-organisation-4-0-follow-up"
PAST = "unlocking-success-organisation-4-0-2021"

# (name, path, expected status); the name of a screenshot, or None for no screenshot.
PUBLIC = [
    ("home", "/", 200),
    ("sessions", "/sessions", 200),
    ("session-upcoming", f"/sessions/{UPCOMING}", 200),
    ("session-past", f"/sessions/{PAST}", 200),
    ("agencies", "/agencies", 200),
    ("agency", "/agencies/revenue-department", 200),
    ("topic", "/topics/mindset-change", 200),
    ("person", "/people/rachada-chaijit", 200),
    ("takeaways", "/takeaways", 200),
    ("search", "/search?q=กรอบความคิด", 200),
    ("login", "/auth/login", 200),
    ("signup", "/auth/signup", 200),
    ("signup-sent", "/auth/signup/sent", 200),
    ("reset", "/auth/reset", 200),
    ("api", "/api", 200),
    ("not-found", "/no-such-page", 404),
]
PARTICIPANT_PAGES = [
    ("me", "/me", 200),
    ("profile", "/me/profile", 200),
]
WORKSPACE = f"/manage/sessions/{PAST}"
ADMIN_PAGES = [
    ("manage", "/manage", 200),
    ("session-edit", f"{WORKSPACE}/edit", 200),
    ("agenda", f"{WORKSPACE}/agenda", 200),
    ("people", f"{WORKSPACE}/people", 200),
    ("registrations", f"{WORKSPACE}/registrations", 200),
    ("notes", f"{WORKSPACE}/notes", 200),
    ("takeaways-editor", f"{WORKSPACE}/takeaways", 200),
    ("directory-agencies", "/manage/agencies", 200),
    ("users", "/manage/users", 200),
    ("outbox", "/manage/outbox", 200),
    ("audit", "/manage/audit", 200),
]
# Forms checked again after an empty submission, with their error messages showing.
SUBMIT_EMPTY = {"login", "signup", "reset"}
# The pages worth a phone-width screenshot too.
PHONE_SHOTS = {"home", "session-upcoming", "session-past", "agency", "search", "takeaways", "me"}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
      targets: v.nodes.slice(0, 6).map((n) => n.target.join(" ")),
      summary: (v.nodes[0] && v.nodes[0].failureSummary) || "",
    }));
}"""


@pytest.fixture(scope="module")
def axe_script() -> str:
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (axe-core is a devDependency)"
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize(
    ("who", "pages"),
    [("anonymous", PUBLIC), ("participant", PARTICIPANT_PAGES), ("admin", ADMIN_PAGES)],
)
def test_no_serious_accessibility_violation(
    browser, live_server, logged_in, axe_script, who, pages, lang
) -> None:
    account = {"participant": PARTICIPANT, "admin": ADMIN}.get(who)
    context = browser.new_context(
        bypass_csp=True,  # only so that the injected axe-core may run
        viewport=SIZES["desktop"],
        locale="th-TH",
        storage_state=logged_in(account) if account else None,
    )
    page = context.new_page()
    page.goto(f"{live_server}/language/{lang}?next=/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    for name, path, status in pages:
        response = page.goto(live_server + path, wait_until="load")
        assert response.status == status, (path, response.status)
        assert page.locator("html").get_attribute("lang") == lang
        if name == "search":
            assert page.locator(".search-hit mark").count(), "the Thai search found nothing"
        found += _axe(page, axe_script, f"{path} [{lang}]")
        _screenshots(page, f"{name}-{lang}", phone=name in PHONE_SHOTS)
        if name in SUBMIT_EMPTY:
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state()
            assert page.locator(".field-error").count(), f"{path}: no error shown"
            found += _axe(page, axe_script, f"{path} with errors [{lang}]")
            _screenshots(page, f"{name}-errors-{lang}", phone=False)
    context.close()
    assert not found, "\n".join(found)


def test_axe_reports_what_it_should(browser, axe_script) -> None:
    """The harness itself: a page with an unlabelled image and an empty link fails."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_content('<html><body><img src="data:,"><a href="/x"></a></body></html>')
    found = _axe(page, axe_script, "bad page")
    context.close()
    assert any("image-alt (critical)" in line for line in found), found
    assert any("link-name (serious)" in line for line in found), found


def _axe(page, axe_script: str, where: str) -> list[str]:
    """The serious and critical violations on the page, one readable entry each."""
    page.add_script_tag(content=axe_script)
    return [
        f"{where} {v['id']} ({v['impact']}): {v['help']}\n    {v['url']}"
        f"\n    targets: {v['targets']}\n    {v['summary']}"
        for v in page.evaluate(RUN_AXE)
    ]


def _screenshots(page, name: str, *, phone: bool) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png")
    if phone:
        page.set_viewport_size(SIZES["phone"])
        page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
        page.set_viewport_size(SIZES["desktop"])
