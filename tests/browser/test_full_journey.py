"""The whole life of a session in a real browser, at desktop and phone width.

An organiser creates a session of one seat with an agenda and a panellist and publishes it;
participant A signs up from the session page, follows the e-mailed link and is registered,
downloads the invitation (.ics) and cancels; B, who joined the waitlist meanwhile, is promoted
and sees the confirmed seat on /me; the organiser publishes the notes and a takeaway; a reader
searches in Thai and lands on the takeaway. Every page the journey opens is switched to English
and back with the header's switch. (test_organiser_journey.py builds a three-agency panel in
detail.)"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import ORGANISER
from tests.browser.steps import (
    SIZES,
    both_languages,
    create_session,
    live_database,
    sign_up,
    switch_language,
    watch_foreign,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

PASSWORD = "a long journey password"
# Found by a Thai search for a word inside the sentence (no spaces between Thai words).
TAKEAWAY_TH = "ศูนย์บริการประชาชนแบบไร้กระดาษลดเวลารอคอยลงครึ่งหนึ่ง"
TAKEAWAY_EN = "A paperless service centre halved waiting times"
QUERY_TH = "ไร้กระดาษ"


@pytest.mark.parametrize("size", list(SIZES))
def test_session_life_from_creation_to_takeaway(
    browser, live_server, logged_in, artifacts, tmp_path_factory, size
) -> None:
    base = live_server
    database = live_database(tmp_path_factory)
    again = "" if size == "desktop" else " ครั้งที่ 2"  # one session per run, both found
    title_th = f"เวทีแลกเปลี่ยนบริการประชาชนไร้กระดาษ{again}"
    title_en = f"Exchange on paperless public services{' (2)' if again else ''}"
    day = date.today() + timedelta(days=40 if size == "desktop" else 41)

    organiser = browser.new_context(
        viewport=SIZES[size], locale="th-TH", storage_state=logged_in(ORGANISER)
    )
    o_page = organiser.new_page()
    # the workspace is switched on the desktop run; the participant's and reader's pages on both
    desk = size == "desktop"
    slug = _organiser_builds(o_page, base, title_th, title_en, day, languages=desk)
    o_page.screenshot(path=artifacts / f"full-organiser-edit-th-{size}.png", full_page=True)

    # A signs up from the session page and takes the only seat, then gets the invitation
    a_context = browser.new_context(viewport=SIZES[size], locale="th-TH", accept_downloads=True)
    a_page = a_context.new_page()
    foreign = watch_foreign(a_page)
    a_page.goto(f"{base}/sessions/{slug}")
    both_languages(a_page)
    assert "เหลือ 1 ที่นั่ง" in a_page.locator("#register").inner_text()
    a_page.get_by_role("button", name="เข้าสู่ระบบและลงทะเบียน").click()
    both_languages(a_page)

    # the form, "check your e-mail", the e-mailed link's page: each in Thai and English
    def shot(name: str) -> None:
        a_page.screenshot(path=artifacts / f"full-{name}-{size}.png", full_page=True)

    sign_up(a_page, "อารีย์ ทดสอบ", f"a-{size}@agency.go.th", PASSWORD, database, shot)
    assert a_page.url.endswith(f"/sessions/{slug}")
    assert "ที่นั่งของคุณได้รับการยืนยันแล้ว" in a_page.locator("#register").inner_text()
    both_languages(a_page)
    a_page.screenshot(path=artifacts / f"full-registered-th-{size}.png", full_page=True)
    invite = _download_invite(a_page)
    assert f"\nSUMMARY:{title_th}\n" in invite
    uid = re.search(r"^UID:(session-\d+@\S+)$", invite, re.M).group(1)
    assert uid in _feed_event(a_page, base, title_th)  # the same UID as the public feed

    # B finds the session full and joins the waitlist
    b_context = browser.new_context(viewport=SIZES[size], locale="th-TH")
    b_page = b_context.new_page()
    b_page.goto(f"{base}/sessions/{slug}")
    assert "เต็มแล้ว" in b_page.locator("#register").inner_text()
    b_page.get_by_role("button", name="เข้าสู่ระบบและลงทะเบียน").click()
    sign_up(b_page, "บุญมี รอที่นั่ง", f"b-{size}@agency.go.th", PASSWORD, database)
    assert "รายชื่อสำรอง ลำดับที่ 1" in b_page.locator("#register").inner_text()
    b_page.goto(f"{base}/me")
    assert "รายชื่อสำรอง ลำดับที่ 1" in b_page.locator("main").inner_text()

    # A cancels: B gets the seat
    a_page.get_by_role("button", name="ยกเลิกการลงทะเบียน").click()
    a_page.wait_for_load_state()
    assert "ยกเลิกการลงทะเบียน" not in a_page.locator("#register").inner_text()
    a_page.goto(f"{base}/me")
    both_languages(a_page)
    b_page.reload()
    both_languages(b_page)
    mine = b_page.locator(".session-card", has_text=title_th)
    assert "ยืนยันที่นั่งแล้ว" in mine.inner_text()
    b_page.screenshot(path=artifacts / f"full-me-promoted-th-{size}.png", full_page=True)
    b_context.close()

    # the organiser publishes the notes and a takeaway
    _organiser_writes(o_page, base, slug, languages=desk)
    organiser.close()

    # a reader searches in Thai from the header and lands on the takeaway
    reader = browser.new_context(viewport=SIZES[size], locale="th-TH")
    r_page = reader.new_page()
    foreign += watch_foreign(r_page)
    r_page.goto(base + "/")
    both_languages(r_page)
    r_page.fill("#site-search-q", QUERY_TH)
    r_page.press("#site-search-q", "Enter")
    r_page.wait_for_load_state()
    both_languages(r_page)
    ours = r_page.get_by_role("link", name=title_th, exact=True)
    hit = r_page.locator(".search-hit--takeaway", has_text=TAKEAWAY_TH).filter(has=ours)
    assert hit.locator("mark").inner_text() == QUERY_TH  # found inside the Thai sentence
    r_page.screenshot(path=artifacts / f"full-search-th-{size}.png", full_page=True)
    hit.get_by_role("link", name=title_th, exact=True).click()
    r_page.wait_for_load_state()
    # on the takeaway itself: the link's #takeaway-<id> is the item, scrolled into view
    assert re.search(rf"/sessions/{slug}#takeaway-\d+$", r_page.url)
    target = r_page.locator(".takeaway:target")
    assert target.locator(".takeaway__statement").inner_text() == TAKEAWAY_TH
    assert r_page.evaluate(
        "() => { const r = document.querySelector('.takeaway:target').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }"
    )
    assert "ไม่ใช้กระดาษ" in r_page.locator("#summary").inner_text()
    r_page.screenshot(path=artifacts / f"full-takeaway-th-{size}.png", full_page=True)
    switch_language(r_page)
    assert r_page.locator(".takeaway__statement", has_text=TAKEAWAY_EN).is_visible()
    assert r_page.locator("h1").inner_text() == title_en
    r_page.screenshot(path=artifacts / f"full-takeaway-en-{size}.png", full_page=True)
    assert r_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert foreign == []
    reader.close()
    a_context.close()


def _organiser_builds(
    page, base: str, title_th: str, title_en: str, day: date, *, languages: bool
) -> str:
    """A session of one seat, an opening and a panel on the agenda, a panellist; published."""
    slug = create_session(page, base, title_th, title_en, day, capacity=1, languages=languages)
    page.goto(f"{base}/manage/sessions/{slug}/agenda")
    if languages:
        both_languages(page)
    for title, start, end in [("กล่าวเปิด", "09:00", "09:15"), ("เสวนา", "09:15", "12:00")]:
        page.fill("#title_th", title)
        page.fill("#starts_at", f"{day.isoformat()}T{start}")
        page.fill("#ends_at", f"{day.isoformat()}T{end}")
        page.locator("aside form button[type=submit]").click()
        page.wait_for_load_state()
    assert page.locator("main").get_by_text("เสวนา", exact=True).count() == 1

    page.goto(f"{base}/manage/sessions/{slug}/people")
    if languages:
        both_languages(page)
    panellist = page.locator("#person option", has_text="ปิ่นสาย").first.get_attribute("value")
    page.select_option("#person", panellist)
    page.select_option("#role", "panellist")
    revenue = page.locator("#agency option", has_text="กรมสรรพากร").first.get_attribute("value")
    page.select_option("#agency", revenue)
    panel = page.locator("#agenda_item option", has_text="เสวนา").get_attribute("value")
    page.select_option("#agenda_item", panel)
    page.locator("aside form button[type=submit]").click()
    page.wait_for_load_state()
    assert "ปิ่นสาย" in page.locator("main").inner_text()

    page.goto(f"{base}/manage/sessions/{slug}/edit")
    page.locator("form[action$='/publish'] button").click()
    page.wait_for_load_state()
    if languages:
        both_languages(page)
    page.goto(f"{base}/sessions/{slug}")
    body = page.locator("main").inner_text()
    for expected in (title_th, "ปิ่นสาย", "กล่าวเปิด"):
        assert expected in body
    page.goto(f"{base}/manage/sessions/{slug}/edit")
    return slug


def _organiser_writes(page, base: str, slug: str, *, languages: bool) -> None:
    """The Thai summary, saved and published; one takeaway, published."""
    page.goto(f"{base}/manage/sessions/{slug}/notes")
    if languages:
        both_languages(page)
    page.fill("#title", "สรุปเวทีบริการไร้กระดาษ")
    page.fill("#body", "หน่วยงานเล่าประสบการณ์การให้บริการโดย **ไม่ใช้กระดาษ**")
    page.locator(".note-editor__actions button[value=save]").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="บันทึกและเผยแพร่").click()
    page.wait_for_load_state()
    assert "เผยแพร่เมื่อ" in page.locator("aside").inner_text()

    page.goto(f"{base}/manage/sessions/{slug}/takeaways")
    if languages:
        both_languages(page)
    page.fill("#statement_th", TAKEAWAY_TH)
    page.fill("#statement_en", TAKEAWAY_EN)
    page.select_option("#kind", "initiative")
    page.check("#all_session_agencies")
    page.check("input[name=status][value=published]")
    page.locator("aside form button[type=submit]").click()
    page.wait_for_load_state()
    item = page.locator(".takeaway-editor__item", has_text=TAKEAWAY_TH)
    assert item.count() == 1


def _download_invite(page) -> str:
    """The calendar file through the browser's download, as text."""
    with page.expect_download() as info:
        page.locator("#calendar a[download]").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    data = download.path().read_bytes().decode()
    assert data.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" in data
    return _unfold(data)


def _feed_event(page, base: str, title: str) -> str:
    """This session's VEVENT in the public calendar feed."""
    feed = _unfold(page.request.get(base + "/calendar.ics").text())
    events = feed.split("BEGIN:VEVENT")[1:]
    return next(event for event in events if f"\nSUMMARY:{title}\n" in event)


def _unfold(ics: str) -> str:
    """RFC 5545 lines longer than 75 octets continue on the next line after a space."""
    return ics.replace("\r\n ", "").replace("\r\n", "\n")
