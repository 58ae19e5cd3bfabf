"""Serve the app with the demo on a free loopback port and drive Debian's Chromium."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from exchange import create_app
from exchange.db import db

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the demo loaded, on SQLite, served by a thread on 127.0.0.1."""
    from exchange.services.demo import load_demo

    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite'}",
            # the browser keeps CSS and fonts instead of asking again on every page
            "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        }
    )
    with app.test_request_context():  # a request, for the links in the participant's e-mail
        db.create_all()
        load_demo(now=datetime.now(UTC))
        _add_organiser()
        _add_admin()
        _add_participant()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        with app.app_context():
            db.engine.dispose()


ORGANISER = ("organiser@opdc.go.th", "organiser password")


def _add_organiser() -> None:
    """An organiser of OPDC, for the workspace journey."""
    from sqlalchemy import select

    from exchange.models import Agency, UserRole
    from exchange.services.accounts import create_user

    opdc = db.session.scalar(select(Agency).filter_by(slug="opdc"))
    create_user(
        ORGANISER[0],
        "ผู้จัด ก.พ.ร.",
        password=ORGANISER[1],
        role=UserRole.ORGANISER,
        agency_id=opdc.id,
    )


ADMIN = ("admin@exchange.go.th", "admin password long")


def _add_admin() -> None:
    """An administrator, for the accessibility checks of the admin and workspace pages."""
    from exchange.models import UserRole
    from exchange.services.accounts import create_user

    create_user(ADMIN[0], "ผู้ดูแลระบบ", password=ADMIN[1], role=UserRole.ADMIN)


PARTICIPANT = ("participant@agency.go.th", "participant password")


def _add_participant() -> None:
    """A participant registered for the demo's upcoming session, for /me."""
    from sqlalchemy import select

    from exchange.models import LearningSession
    from exchange.services.accounts import create_user
    from exchange.services.registration import register

    user = create_user(PARTICIPANT[0], "ผู้เข้าร่วม ทดสอบ", password=PARTICIPANT[1])
    upcoming = db.session.scalar(
        select(LearningSession).filter_by(slug="mindset-for-organisation-4-0-follow-up")
    )
    register(upcoming, user, datetime.now(UTC))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"SKIPPED: no Chromium at {CHROMIUM}; install it: apt-get install chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def logged_in(browser, live_server) -> Callable[[tuple[str, str]], dict]:
    """The storage state of a logged-in account, logging in once per account for the whole
    run: the log-in form is rate-limited per address, and every test comes from 127.0.0.1."""
    states: dict[str, dict] = {}

    def state(account: tuple[str, str]) -> dict:
        if account[0] not in states:
            context = browser.new_context()
            page = context.new_page()
            page.goto(live_server + "/auth/login")
            page.fill("#email", account[0])
            page.fill("#password", account[1])
            page.locator("main form button[type=submit]").click()
            page.wait_for_url("**/me")
            states[account[0]] = context.storage_state()
            context.close()
        return states[account[0]]

    return state
