"""The participant's whole journey in a real browser: register → the reminder arrives at a
real SMTP server on loopback → follow the personal join link during the session → after it,
download the certificate of attendance from /me."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from werkzeug.serving import make_server

from exchange import create_app
from exchange.db import db
from exchange.models import (
    AttendanceBasis,
    LearningSession,
    Registration,
    SessionFormat,
    SessionReminder,
    SessionStatus,
)
from exchange.services.accounts import create_user
from tests.test_mail import _free_port, _Handler

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

EMAIL, PASSWORD = "somchai@agency.go.th", "a long test password"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Handler]]:
    handler = _Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler
    controller.stop()


@pytest.fixture
def served(tmp_path, smtp) -> Iterator[tuple[object, str]]:
    """A fresh app on SQLite with mail to the loopback SMTP server, served on 127.0.0.1."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "journey",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'journey.sqlite'}",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp[0],
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    start = datetime.now(UTC) + timedelta(minutes=40)
    with app.app_context():
        db.create_all()
        create_user(EMAIL, "สมชาย ใจดี", password=PASSWORD)
        learning_session = LearningSession(
            slug="journey",
            title_th="เวทีแลกเปลี่ยนเรื่องการปรับกรอบความคิด",
            title_en="Exchange on changing mindsets",
            format=SessionFormat.ONLINE,
            platform="Zoom",
            join_url=f"{base}/static/favicon.svg",  # the "platform": on loopback too
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            status=SessionStatus.PUBLISHED,
            attendance_basis=AttendanceBasis.ONLINE,
            reminders=[SessionReminder(minutes_before=30)],
        )
        db.session.add(learning_session)
        db.session.commit()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base
    finally:
        server.shutdown()
        thread.join()
        with app.app_context():
            db.engine.dispose()


def run_worker(app, base: str, later: timedelta = timedelta()) -> None:
    """One round of `flask exchange worker` at *later* from now, with links written for the
    served address."""
    from exchange.services.followups import run_round

    with app.test_request_context(base_url=base):
        run_round(datetime.now(UTC) + later)
        db.session.remove()


def time_passes(app, minutes: int) -> None:
    """Move the session *minutes* closer (its registrations and attendance stay)."""
    with app.app_context():
        learning_session = db.session.scalar(select(LearningSession))
        learning_session.starts_at -= timedelta(minutes=minutes)
        learning_session.ends_at -= timedelta(minutes=minutes)
        db.session.commit()


def test_register_remind_join_and_download_the_certificate(browser, served, smtp, artifacts):
    app, base = served
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: (
            foreign.append(r.url)
            if r.url.startswith("http") and urlsplit(r.url).hostname != "127.0.0.1"
            else None
        ),
    )

    # log in from the session page, then register with one click
    page.goto(f"{base}/sessions/journey")
    page.get_by_role("button", name="เข้าสู่ระบบและลงทะเบียน").click()
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    if page.get_by_role("button", name="ลงทะเบียน", exact=True).count():
        page.get_by_role("button", name="ลงทะเบียน", exact=True).first.click()
        page.wait_for_load_state("networkidle")
    page.screenshot(path=artifacts / "journey-registered-th.png", full_page=True)
    assert "ยกเลิกการลงทะเบียน" in page.locator("main").inner_text()

    # eleven minutes later the worker sends the 30-minute reminder (the session is in 40)
    run_worker(app, base)
    assert len(smtp[1].received) == 1  # the confirmation, not yet the reminder
    run_worker(app, base, later=timedelta(minutes=11))
    received = list(smtp[1].received)
    assert len(received) == 2
    subjects = [m.message["Subject"] for m in received]
    reminder = next(m for m in received if m.message["Subject"].startswith("เตือนความจำ"))
    assert all(m.rcpt_tos == [EMAIL] for m in received), subjects
    body = reminder.message.get_body(("plain",)).get_content()
    link = re.search(r"https?://127\.0\.0\.1:\d+/j/[A-Za-z0-9_-]+", body).group(0)
    assert "favicon" not in body  # the platform's own link is never in a mail
    run_worker(app, base, later=timedelta(minutes=12))
    assert len(smtp[1].received) == len(received)  # nothing twice
    time_passes(app, 15)  # the session starts in 25 minutes: the join window is open

    # following the personal link during the join window lands on the platform and counts
    page.goto(link)
    assert page.url == f"{base}/static/favicon.svg"
    with app.app_context():
        registration = db.session.scalar(select(Registration))
        assert registration.join_count == 1
        assert registration.joined_online_at is not None
    time_passes(app, 95)  # the session ended ten minutes ago

    # the certificate, from /me
    page.goto(f"{base}/me")
    page.screenshot(path=artifacts / "journey-me-th.png", full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="เกียรติบัตร").first.click()
    pdf = download_info.value
    data = pdf.path().read_bytes()
    assert data.startswith(b"%PDF")
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
    assert "สมชาย ใจดี" in text
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", text).group(0)
    page.goto(f"{base}/certificates/{code}")
    assert "สมชาย ใจดี" in page.locator("main").inner_text()
    assert EMAIL not in page.content()
    assert foreign == []
    context.close()
    assert reminder.message["To"].addresses[0].addr_spec == EMAIL
