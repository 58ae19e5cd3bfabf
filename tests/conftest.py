"""Fixtures: an app, a database and a client per test; factories that return ids."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

from exchange import create_app
from exchange.db import db, engines, listening
from exchange.models import (
    Agency,
    Appearance,
    LearningSession,
    Person,
    Role,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    Topic,
)

# Every database-backed test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
DATABASES = {"sqlite": "sqlite://"}
if os.environ.get("TEST_DATABASE_URL"):
    DATABASES["postgresql"] = os.environ["TEST_DATABASE_URL"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile the catalogues when `make` has not (e.g. pytest run directly)."""
    for po_path in (PROJECT_ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=True)


@pytest.fixture(params=list(DATABASES))
def database_url(request: pytest.FixtureRequest) -> str:
    return DATABASES[request.param]


def make_test_app(database_url: str, **overrides: object) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
    }
    if database_url == "sqlite://":
        # one in-memory database shared by every connection of this app
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": sa.pool.StaticPool}
    config.update(overrides)
    return create_app(config)


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@contextmanager
def built_app(database_url: str, **overrides: object) -> Iterator[Flask]:
    """An app on a fresh schema (dropped again afterwards), with *overrides* in its config."""
    app = make_test_app(database_url, **overrides)
    with app.app_context():
        _drop_everything()  # the PostgreSQL test database is shared between runs
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            _drop_everything()
            for engine in engines():  # each test's app has its own pools; close them now, not at GC
                engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    with built_app(database_url) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def demo(app: Flask) -> None:
    """The model webinar and the upcoming demo session, as `flask exchange demo` loads them."""
    from exchange.services.demo import load_demo

    with app.app_context():
        load_demo(now=datetime.now(UTC))
        db.session.commit()


@pytest.fixture
def make_session(app: Flask) -> Callable[..., int]:
    """Factory: a published session (tomorrow by default) with people, an agency, a topic and
    a takeaway, so that pages touch every relation; returns its id.

    With ``shared=True`` the agency, topic and first person are the same for every session
    made so, which is how a page's data grows.
    """
    numbers = count(1)

    def _get_or_add(model: type, slug: str, **fields: object) -> object:
        found = db.session.scalar(sa.select(model).filter_by(slug=slug))
        return found or model(slug=slug, **fields)

    def _make_session(
        *, people: int = 2, days: float = 1, shared: bool = False, **fields: object
    ) -> int:
        n = next(numbers)
        key = "shared" if shared else str(n)
        start = datetime.now(UTC) + timedelta(days=days)
        with app.app_context():
            agency = _get_or_add(Agency, f"agency-{key}", name_th=f"หน่วยงาน {key}", name_en=key)
            topic = _get_or_add(Topic, f"topic-{key}", name_th=f"หัวข้อ {key}", name_en=key)
            fields.setdefault("slug", f"session-{n}")
            fields.setdefault("title_th", f"การประชุม {n}")
            fields.setdefault("title_en", f"Session {n}")
            fields.setdefault("status", SessionStatus.PUBLISHED)
            fields.setdefault("starts_at", start)
            fields.setdefault("ends_at", start + timedelta(hours=2))
            learning_session = LearningSession(organiser=agency, topics=[topic], **fields)
            persons = [
                _get_or_add(Person, f"person-{key if i == 0 else n}-{i}", name_th=f"คน {n}.{i}")
                for i in range(people)
            ]
            learning_session.appearances = [
                Appearance(person=person, role=Role.PANELLIST, agency=agency, sort_order=i)
                for i, person in enumerate(persons)
            ]
            learning_session.takeaways = [
                Takeaway(
                    kind=kind,
                    statement_th=f"บทเรียน {n}",
                    agencies=[agency],
                    topics=[topic],
                    position=position,
                )
                for position, kind in enumerate(TakeawayKind)
            ]
            db.session.add(learning_session)
            db.session.commit()
            return learning_session.id  # ids, not objects: no detached instances in tests

    return _make_session


@pytest.fixture
def count_queries(app: Flask) -> Callable[[Callable[[], object]], int]:
    """Run *action* and return how many SQL statements it sent."""

    def _count(action: Callable[[], object]) -> int:
        statements: list[str] = []

        def _record(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        with app.app_context():
            every = engines()  # search has its own
        with listening(every, "before_cursor_execute", _record):
            action()
        return len(statements)

    return _count


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    """Factory: an account (participant by default) with password "correct horse"; returns id."""
    numbers = count(1)

    def _make_user(
        email: str | None = None,
        *,
        role: str = "participant",
        agency_id: int | None = None,
        password: str | None = "correct horse",
        locale: str = "th",
        name: str | None = None,
    ) -> int:
        from exchange.models import UserRole
        from exchange.services.accounts import create_user

        n = next(numbers)
        with app.app_context():
            user = create_user(
                email or f"user{n}@agency.go.th",
                name or f"ผู้ใช้ {n}",
                password=password,
                agency_id=agency_id,
                locale=locale,
                role=UserRole(role),
            )
            db.session.commit()
            return user.id

    return _make_user


def login_as(client: FlaskClient, user_id: int) -> None:
    """Fast path: put Flask-Login's keys into the client's session cookie."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list]:
    """The queued e-mails, as (to_address, template-ish subject, text body) tuples."""

    def _outbox() -> list:
        from exchange.models import OutboxMessage

        with app.app_context():
            rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
            return [(m.to_address, m.subject, m.body_text) for m in rows]

    return _outbox
