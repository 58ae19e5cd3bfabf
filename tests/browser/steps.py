"""Steps the browser journeys share: the language switch, sign-up, an organiser's new session.

Each step drives the page the way a person does (the visible switch, the forms) and checks
what it promised, so a journey reads as a list of steps."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# The first entry of the main menu, in each language: proof the page itself changed language.
MENU_FIRST = {"th": "กิจกรรม", "en": "Sessions"}
OTHER = {"th": "en", "en": "th"}


def language(page) -> str:
    return page.locator("html").get_attribute("lang")


def switch_language(page) -> str:
    """Press the header's language switch; the same page comes back in the other language."""
    before = language(page)
    path = urlsplit(page.url).path
    page.locator(".site-header__lang").click()
    page.wait_for_load_state()
    after = language(page)
    assert after == OTHER[before], (page.url, before, after)
    assert urlsplit(page.url).path == path
    assert page.locator(".site-header__nav a").first.text_content().strip() == MENU_FIRST[after]
    return after


def both_languages(page) -> None:
    """The switch there and back on this page (the journey goes on in the first language)."""
    switch_language(page)
    switch_language(page)


def watch_foreign(page) -> list[str]:
    """Requests the page makes to anywhere but loopback (no CDN, no third party)."""
    foreign: list[str] = []

    def note(request) -> None:
        if request.url.startswith("http") and urlsplit(request.url).hostname != "127.0.0.1":
            foreign.append(request.url)

    page.on("request", note)
    return foreign


def live_database(tmp_path_factory) -> Path:
    """The SQLite file of the app ``live_server`` (tests/browser/conftest.py) serves."""
    # mktemp("live") made live0; pytest also links livecurrent to it
    [path] = {path.resolve() for path in tmp_path_factory.getbasetemp().glob("live*/live.sqlite")}
    return path


def emailed_signup_link(database: Path, email: str) -> str:
    """The path of the sign-up link in the newest e-mail to *email* (the outbox, as the
    served app wrote it: no mail server in the tests)."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        (body,) = connection.execute(
            "SELECT body_text FROM outbox_message WHERE to_address = ? ORDER BY id DESC LIMIT 1",
            (email,),
        ).fetchone()
    return re.search(r"https?://[^/\s]+(/auth/signup/confirm/\S+)", body).group(1)


def _both_with_shots(page, shot: Callable[[str], None] | None, name: str) -> None:
    """The switch there and back; with *shot*, a screenshot in each language."""
    if shot is None:
        both_languages(page)
        return
    shot(f"{name}-{language(page)}")
    switch_language(page)
    shot(f"{name}-{language(page)}")
    switch_language(page)


def sign_up(
    page,
    name: str,
    email: str,
    password: str,
    database: Path,
    shot: Callable[[str], None] | None = None,
) -> None:
    """From a login page (reached through "log in and register"): fill in the sign-up form,
    then follow the e-mailed link and press its button; ends where the sign-up leads."""
    page.locator("main").get_by_role("link", name="สร้างบัญชีผู้ใช้").click()
    page.wait_for_load_state()
    _both_with_shots(page, shot, "signup")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/auth/signup/sent")
    assert email in page.locator(".flashes").inner_text()  # "check your e-mail: sent to …"
    _both_with_shots(page, shot, "signup-sent")

    base = f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}"
    page.goto(base + emailed_signup_link(database, email))
    assert email in page.locator("main").inner_text()
    _both_with_shots(page, shot, "signup-confirm")
    page.locator("main").get_by_role("button", name="สร้างบัญชีของฉัน").click()
    page.wait_for_load_state()
    assert "ยินดีต้อนรับ บัญชีของคุณพร้อมใช้งานแล้ว" in page.locator(".flashes").inner_text()


def create_session(
    page, base: str, title_th: str, title_en: str, day: date, capacity: int, *, languages: bool
) -> str:
    """The organiser's new-session form, as a draft; returns the new session's slug."""
    page.goto(base + "/manage/sessions/new")
    if languages:
        both_languages(page)
    page.fill("#title_th", title_th)
    page.fill("#title_en", title_en)
    page.fill("#description_th", "แลกเปลี่ยน **แนวปฏิบัติที่ดี** ระหว่างหน่วยงาน")
    page.select_option("#format", "online")
    page.fill("#platform", "Zoom")
    page.fill("#join_url", "https://meet.example.org/waitlist")
    page.fill("#starts_at", f"{day.isoformat()}T09:00")
    page.fill("#ends_at", f"{day.isoformat()}T12:00")
    page.fill("#capacity", str(capacity))
    page.locator("form.session-form button[type=submit]:not([name=preview])").click()
    page.wait_for_url("**/edit")
    return page.url.rstrip("/").split("/")[-2]
