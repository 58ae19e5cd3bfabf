"""A visitor's journey in a real browser: home → the model webinar → an agency, in Thai and
English, at desktop and phone width. Screenshots land in test-artifacts/ for review."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

# The threaded development server hands static files to Werkzeug's file wrapper; a browser
# that drops a connection mid-font can leave one to the garbage collector. Not our code.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
WEBINAR_TH = "ไขกุญแจความสำเร็จ"
TEXT = {
    "th": {"date": "วันจันทร์ที่ 13 ธันวาคม พ.ศ. 2564", "agency": "กรมสรรพากร"},
    "en": {"date": "Monday 13 December 2021", "agency": "Revenue Department"},
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", ["th", "en"])
def test_home_to_webinar_to_agency(browser, live_server, artifacts, language, size):
    context = browser.new_context(viewport=SIZES[size], locale="th-TH")
    page = context.new_page()
    foreign: list[str] = []

    def note_foreign(request) -> None:
        if request.url.startswith("http") and urlsplit(request.url).hostname != "127.0.0.1":
            foreign.append(request.url)

    page.on("request", note_foreign)
    shot = f"{language}-{size}"
    page.goto(live_server + "/")
    if language == "en":
        page.get_by_role("link", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language
    page.screenshot(path=artifacts / f"home-{shot}.png", full_page=True)

    page.get_by_role("link", name="ไขกุญแจ" if language == "th" else "Unlocking").first.click()
    page.wait_for_load_state("networkidle")
    body = page.locator("main").inner_text()
    assert TEXT[language]["date"] in body
    assert "ผศ.ดร.ทพญ.รัชฎา ฉายจิต" in body or "Rachada" in body
    assert page.evaluate("document.fonts.check('16px Sarabun', 'ไขกุญแจ')")
    page.screenshot(path=artifacts / f"webinar-{shot}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.locator("main").get_by_role("link", name=TEXT[language]["agency"]).first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith(TEXT[language]["agency"])
    assert WEBINAR_TH in page.locator("main").inner_text() or language == "en"
    page.screenshot(path=artifacts / f"agency-{shot}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert foreign == []  # no CDN, no third-party request
    context.close()
