"""An organiser builds a session in the browser — agenda, a panel of three agencies and a
moderator — publishes it, and sees it on the public site in Thai and in English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.conftest import ORGANISER

# The threaded development server hands static files to Werkzeug's file wrapper; a browser
# that drops a connection mid-font can leave one to the garbage collector. Not our code.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

PANEL = [
    ("นาย", "ปิ่นสาย สุรัสวดี", "Pinsai Surasawadee", "revenue-department"),
    ("พญ.", "อัมพร เบญจพลพิทักษ์", "Amporn Benjaponpitak", "department-of-mental-health"),
    ("นางสาว", "เบญจพร ชาครานนท์", "Benjaporn Chakranon", "land-development-department"),
]


def test_organiser_builds_and_publishes_a_session(browser, live_server, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/auth/login?lang=en")
    page.fill("#email", ORGANISER[0])
    page.fill("#password", ORGANISER[1])
    page.locator("main form button[type=submit]").click()

    day = (date.today() + timedelta(days=30)).isoformat()
    page.goto(live_server + "/manage/sessions/new")
    page.fill("#title_th", "เวทีเสวนาการพัฒนาองค์การ")
    page.fill("#title_en", "Panel on organisational development")
    page.fill("#description_th", "ผู้บริหาร **สามหน่วยงาน** แลกเปลี่ยนประสบการณ์")
    page.select_option("#format", "online")
    page.fill("#platform", "Zoom")
    page.fill("#join_url", "https://meet.example.org/panel")
    page.fill("#starts_at", f"{day}T13:00")
    page.fill("#ends_at", f"{day}T16:00")
    page.fill("#capacity", "80")
    page.locator("form.session-form button[type=submit]:not([name=preview])").click()
    page.wait_for_url("**/edit")
    slug = page.url.rstrip("/").split("/")[-2]

    page.goto(f"{live_server}/manage/sessions/{slug}/agenda")
    for title, start, end in [("กล่าวเปิด", "13:00", "13:15"), ("เสวนา", "13:15", "16:00")]:
        page.fill("#title_th", title)
        page.fill("#starts_at", f"{day}T{start}")
        page.fill("#ends_at", f"{day}T{end}")
        page.locator("aside form button[type=submit]").click()
        page.wait_for_load_state("networkidle")

    page.goto(f"{live_server}/manage/sessions/{slug}/people")
    panel_item = page.locator("#agenda_item option", has_text="เสวนา").get_attribute("value")
    for prefix, name_th, name_en, agency in PANEL:
        page.select_option("#person", "new")
        if not page.is_visible("#new_name_th"):
            page.locator("aside details summary").click()
        page.fill("#new_prefix_th", prefix)
        page.fill("#new_name_th", name_th)
        page.fill("#new_name_en", name_en)
        page.select_option("#role", "panellist")
        agency_value = page.locator("#agency option", has_text=_agency_name(agency)).first
        page.select_option("#agency", agency_value.get_attribute("value"))
        page.select_option("#agenda_item", panel_item)
        page.locator("aside form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    moderator = page.locator("#person option", has_text="รัชฎา").first.get_attribute("value")
    page.select_option("#person", moderator)
    page.select_option("#role", "moderator")
    page.fill("#position_title_th", "รองคณบดีฝ่ายยุทธศาสตร์")
    page.select_option("#agenda_item", panel_item)
    page.locator("aside form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artifacts / "organiser-people-en.png", full_page=True)

    page.goto(f"{live_server}/manage/sessions/{slug}/edit")
    page.locator("form[action$='/publish'] button").click()
    page.wait_for_load_state("networkidle")

    public = browser.new_context(viewport={"width": 390, "height": 844})
    reader = public.new_page()
    reader.goto(f"{live_server}/sessions/{slug}")
    body = reader.locator("main").inner_text()
    assert "เวทีเสวนาการพัฒนาองค์การ" in body
    for prefix, name_th, _, _ in PANEL:
        assert f"{prefix}{name_th}" in body
    assert "กรมสรรพากร" in body
    assert "ผู้ดำเนินการเสวนา" in body
    assert "meet.example.org" not in reader.content()  # the join link stays private
    reader.screenshot(path=artifacts / "organiser-built-th-phone.png", full_page=True)
    reader.goto(f"{live_server}/sessions/{slug}?lang=en")
    body = reader.locator("main").inner_text()
    assert "Panel on organisational development" in body
    assert "Pinsai Surasawadee" in body
    assert "Revenue Department" in body
    assert "13:00–16:00" in body
    reader.screenshot(path=artifacts / "organiser-built-en-phone.png", full_page=True)
    public.close()
    context.close()


def _agency_name(slug: str) -> str:
    """The agency as the organiser's (Thai) page lists it."""
    return {
        "revenue-department": "กรมสรรพากร",
        "department-of-mental-health": "กรมสุขภาพจิต",
        "land-development-department": "กรมพัฒนาที่ดิน",
    }[slug]
