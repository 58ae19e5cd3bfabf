"""The registration journey with the keyboard only: no click, no fill, only Tab, Enter, Space
and typing. Every control on the way is reachable in order and shows where focus is."""

from __future__ import annotations

import pytest

from tests.browser.steps import SIZES, emailed_signup_link, live_database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

SESSION = "mindset-for-organisation-4-0-follow-up"  # the demo's upcoming session
PASSWORD = "keyboard only password"

# What the focused element is, and whether anything shows it (outline or Pico's box-shadow ring).
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none";
  return {id: el.id, tag: el.tagName, text: (el.innerText || el.value || "").trim(), ring};
}"""


def tab_to(page, *, text: str | None = None, element_id: str | None = None, limit: int = 60):
    """Press Tab until the focus is on the control named *text* (or with *element_id*)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        seen.append(focused["text"][:30] or focused["id"])
        if (text is not None and focused["text"] == text) or (
            element_id is not None and focused["id"] == element_id
        ):
            assert focused["ring"], f"no visible focus on {focused}"
            return focused
    raise AssertionError(f"never reached {text or element_id} with Tab; focus went {seen}")


def test_register_with_the_keyboard_only(browser, live_server, artifacts, tmp_path_factory) -> None:
    context = browser.new_context(viewport=SIZES["desktop"], locale="th-TH", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/sessions/{SESSION}")

    # the first Tab reaches the skip link, which moves focus into the content
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["text"] == "ข้ามไปยังเนื้อหาหลัก"
    assert page.evaluate(FOCUSED)["ring"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to(page, text="เข้าสู่ระบบและลงทะเบียน")
    page.keyboard.press("Enter")
    page.wait_for_url("**/auth/login?**")
    tab_to(page, text="สร้างบัญชีผู้ใช้")
    page.keyboard.press("Enter")
    page.wait_for_url("**/auth/signup?**")

    for element_id, typed in [
        ("display_name", "แป้นพิมพ์ ล้วน"),
        ("email", "keyboard@agency.go.th"),
        ("password", PASSWORD),
        ("confirm", PASSWORD),
    ]:
        # from the top of the page to the first field; then each next field, a hint between
        tab_to(page, element_id=element_id, limit=40 if element_id == "display_name" else 6)
        page.keyboard.type(typed)
    page.screenshot(path=artifacts / "keyboard-signup-th.png")
    page.keyboard.press("Enter")
    page.wait_for_url("**/auth/signup/sent")

    # the e-mailed link (opened from the mail program): its one button, by keyboard
    link = emailed_signup_link(live_database(tmp_path_factory), "keyboard@agency.go.th")
    page.goto(live_server + link)
    tab_to(page, text="สร้างบัญชีของฉัน")
    page.screenshot(path=artifacts / "keyboard-signup-confirm-th.png")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/sessions/{SESSION}")
    status = page.locator("#register .registration-status")
    assert "ที่นั่งของคุณได้รับการยืนยันแล้ว" in status.inner_text()

    # the invitation, then cancel and register again, all from the keyboard
    tab_to(page, text="ดาวน์โหลดไฟล์ปฏิทิน (.ics)", limit=80)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.path().read_bytes().startswith(b"BEGIN:VCALENDAR")
    page.goto(f"{live_server}/sessions/{SESSION}")
    tab_to(page, text="ยกเลิกการลงทะเบียน", limit=80)
    page.keyboard.press("Space")
    page.wait_for_load_state()
    assert page.locator("#register .registration-status").count() == 0
    link = tab_to(page, text="ลงทะเบียน")  # the page header's link to the registration box
    assert link["tag"] == "A"
    page.keyboard.press("Enter")
    assert page.url.endswith("#register")
    button = tab_to(page, text="ลงทะเบียน", limit=3)  # from the box, its button is next
    assert button["tag"] == "BUTTON"
    page.keyboard.press("Space")
    page.wait_for_load_state()
    assert "ที่นั่งของคุณได้รับการยืนยันแล้ว" in status.inner_text()
    page.screenshot(path=artifacts / "keyboard-registered-th.png")
    context.close()
