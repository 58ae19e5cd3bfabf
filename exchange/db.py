"""The SQLAlchemy object, the declarative base and database helpers.

A leaf module: it imports nothing from ``exchange``, so every other module can import it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

# app.extensions key: the app's engines besides db.engine, by name (search's own, see
# exchange.search.postgresql)
ENGINES = "exchange.engines"


def engines() -> list[sa.Engine]:
    """Every engine of the current app: db.engine, then the others (`ENGINES`)."""
    return [db.engine, *current_app.extensions.get(ENGINES, {}).values()]


@contextmanager
def listening(every: list[sa.Engine], identifier: str, fn: Callable[..., Any]) -> Iterator[None]:
    """*fn* listening to the event *identifier* of each of *every* (`engines()`) while the block
    runs: for counting or recording what a request sends, search's statement included."""
    for engine in every:
        sa.event.listen(engine, identifier, fn)
    try:
        yield
    finally:
        for engine in every:
            sa.event.remove(engine, identifier, fn)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Store naive UTC, return aware UTC; refuse naive datetimes (their zone is unknown)."""

    impl = sa.DateTime()
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    # Configured on the registry, not as class attributes: Flask-SQLAlchemy 3.1 subclasses
    # this base and would otherwise reject `type_annotation_map` (flask-sqlalchemy#1361).
    registry = sa.orm.registry(
        metadata=sa.MetaData(
            naming_convention={
                "ix": "ix_%(column_0_label)s",
                "uq": "uq_%(table_name)s_%(column_0_N_name)s",
                "ck": "ck_%(table_name)s_%(constraint_name)s",
                "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
                "pk": "pk_%(table_name)s",
            }
        ),
        type_annotation_map={
            datetime: UTCDateTime(),
            enum.Enum: sa.Enum(
                enum.Enum,
                native_enum=False,
                create_constraint=True,
                length=32,
                values_callable=lambda members: [m.value for m in members],
            ),
        },
    )


db = SQLAlchemy(model_class=Base)


def render_migration_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Alembic hook: write our TypeDecorators as their plain SQL type in migrations."""
    if type_ == "type" and isinstance(obj, sa.TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def configure_sqlite(engine: sa.Engine, busy_timeout_ms: int = 15000) -> None:
    """Foreign keys, WAL, busy timeout, and real SAVEPOINTs on pysqlite (STYLE §7, trap 3)."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: object) -> None:
        dbapi_connection.isolation_level = None  # the driver no longer emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A transaction that may write takes SQLite's write lock at once: one that read first
        # and tried to write later could not (SQLITE_BUSY on a stale snapshot, no waiting).
        # Writers thus queue on busy_timeout, which is what makes seat counting atomic here.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    """Everything but a GET/HEAD/OPTIONS request may write (CLI, tests, POSTs), and the few
    GET views marked with `writes_on_get`."""
    from flask import current_app, has_request_context, request

    if not has_request_context() or request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "writes_on_get", False)


def writes_on_get(view: Any) -> Any:
    """Mark a GET view that may write (e.g. a token made on first visit): on SQLite its
    transaction then takes the write lock at once, and waits for it, instead of failing with
    "database is locked" when another request wrote after this one began reading."""
    view.writes_on_get = True
    return view
