"""Serve the app with the demo on a free loopback port and drive Debian's Chromium."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
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
        }
    )
    with app.app_context():
        db.create_all()
        load_demo(now=datetime.now(UTC))
        _add_organiser()
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
