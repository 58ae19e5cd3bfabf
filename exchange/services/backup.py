"""Backup, restore and moving between databases: every row of every table, in one JSON file.

``export_database`` streams the tables in dependency order, each one's rows by primary key,
with one spelling per value (aware UTC datetimes as ISO strings with microseconds, enums as
their values, JSON columns with sorted keys), so the same data gives the same bytes whether it
was read from SQLite or PostgreSQL. The file carries no date of its own; its
``schema_revision`` is the Alembic revision the data was read at.

Restoring is ``exchange.services.restore``.

Not in the file: the search index (derived, rebuilt after a load) and the uploaded material
files (on disk under UPLOAD_FOLDER; the reports say how many there are and which are missing).

"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import safe_join

from exchange.db import UTCDateTime, db
from exchange.models import (
    DataVersion,
    Material,
    SearchDocument,
    search_document_agency,
    search_document_topic,
)

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

FORMAT = "learning-exchange-export"
FORMAT_VERSION = 1
BATCH = 1000
# Derived from the other tables and rebuilt after a load (with the full-text index beside them),
# and the data version: this database's own counter of changes, raised by the load itself.
DERIVED_TABLES = frozenset(
    {
        SearchDocument.__tablename__,
        search_document_agency.name,
        search_document_topic.name,
        DataVersion.__tablename__,
    }
)

Encode = Callable[[Any], Any]


class BackupError(Exception):
    """A refused export or import; the message is safe to show and says what to do.
    *changed*: the database was changed all the same (an older file whose upgrade failed)."""

    def __init__(self, message: str, *, changed: bool = False) -> None:
        super().__init__(message)
        self.changed = changed


@dataclass
class ExportReport:
    schema_revision: str
    counts: dict[str, int] = field(default_factory=dict)
    material_files: int = 0
    upload_folder: Path | None = None
    missing_files: list[str] = field(default_factory=list)  # not in the upload folder already


@dataclass
class Export:
    """A file read and checked by `read_export`: rows as they appear in it, per table."""

    schema_revision: str
    tables: dict[str, list[dict[str, Any]]]
    older: bool = False  # from an older revision than this installation's: see import_older


@dataclass
class ImportReport:
    schema_revision: str
    counts: dict[str, int] = field(default_factory=dict)
    replaced: bool = False
    search_documents: int = 0
    missing_files: list[str] = field(default_factory=list)  # stored names of missing materials
    upload_folder: Path | None = None
    migrated_to: str | None = None  # an older file's rows: the revision the migrations reached


# --- tables and values -----------------------------------------------------------------------


def exported_tables() -> list[sa.Table]:
    """Every table of the models but the derived ones, parents before children."""
    ordered = sa.schema.sort_tables_and_constraints(db.metadata.tables.values())
    return [t for t, _ in ordered if t is not None and t.name not in DERIVED_TABLES]


def deferred_columns(tables: list[sa.Table]) -> dict[str, list[sa.Column]]:
    """Foreign-key columns loaded as NULL first and set once every row is in: those that
    point into their own table (agency.parent_id) or close a cycle between tables."""
    cycles = {
        fkc
        for t, fkcs in sa.schema.sort_tables_and_constraints(tables)
        if t is None
        for fkc in fkcs
    }
    deferred: dict[str, list[sa.Column]] = {}
    for table in tables:
        for fkc in table.foreign_key_constraints:
            if fkc.referred_table is table or fkc in cycles:
                if not all(column.nullable for column in fkc.columns):  # pragma: no cover
                    raise TypeError(f"{table.name}: a cycle through a NOT NULL foreign key")
                deferred.setdefault(table.name, []).extend(fkc.columns)
    return deferred


def encoder(column: sa.Column) -> Encode:
    """How a column's value is written: one representation per type."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return lambda v: v.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(kind, sa.Enum):
        return lambda v: v.value if isinstance(v, enum.Enum) else str(v)
    if isinstance(kind, sa.Boolean):
        return bool
    if isinstance(kind, sa.Integer):
        return int
    if isinstance(kind, sa.String):  # and Text
        return str
    if isinstance(kind, sa.JSON):
        return lambda v: v
    raise TypeError(f"{column.table.name}.{column.name}: no export format for {kind!r}")


def decoder(column: sa.Column) -> Encode:
    """How a value of the file is checked and turned back into the column's Python value;
    raises ValueError with a readable reason."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _datetime
    if isinstance(kind, sa.DateTime):  # a reflected table's: naive UTC
        return lambda value: _datetime(value).replace(tzinfo=None)
    if isinstance(kind, sa.Enum):
        values = set(kind.enums)
        enum_class = kind.enum_class

        def _enum(value: Any) -> Any:
            if not isinstance(value, str) or value not in values:
                raise ValueError(f"{value!r} is not one of {', '.join(sorted(values))}")
            return enum_class(value) if enum_class else value

        return _enum
    if isinstance(kind, sa.Boolean):
        return _typed(bool, "true or false")
    if isinstance(kind, sa.Integer):
        return _typed(int, "an integer")
    if isinstance(kind, sa.String):
        length = kind.length

        def _string(value: Any) -> str:
            if not isinstance(value, str):
                raise ValueError("expected a string")
            if length is not None and len(value) > length:
                raise ValueError(f"longer than {length} characters")
            if "\x00" in value:
                raise ValueError("contains a NUL character")
            return value

        return _string
    if isinstance(kind, sa.JSON):
        return lambda v: v
    raise TypeError(f"{column.table.name}.{column.name}: no import format for {kind!r}")


def _typed(python_type: type, wanted: str) -> Encode:
    def _check(value: Any) -> Any:
        # bool is an int in Python, but not in the file
        if type(value) is not python_type:
            raise ValueError(f"expected {wanted}")
        return value

    return _check


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("expected a date and time as text")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date and time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return parsed.astimezone(UTC)


# --- schema revisions ------------------------------------------------------------------------


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory  # here: web workers never load Alembic

    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def head_revision(scripts: ScriptDirectory) -> str:
    head = scripts.get_current_head()
    if head is None:  # pragma: no cover - the project always has migrations
        raise BackupError("The project has no migrations.")
    return head


def database_revision() -> str | None:
    """The Alembic revision of the database (None: not under migrations)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(db.session.connection()).get_current_revision()


def require_head(scripts: ScriptDirectory) -> str:
    head = head_revision(scripts)
    current = database_revision()
    if current is None:
        raise BackupError(
            "The database has no schema revision (alembic_version): run `flask db upgrade` first."
        )
    if current != head:
        raise BackupError(
            f"The database is at schema revision {current}, not the latest ({head}):"
            " run `flask db upgrade` first."
        )
    return head


# --- export -----------------------------------------------------------------------------------


def export_database(out: IO[bytes]) -> ExportReport:
    """Write every row of every exported table to *out*, table by table (streamed)."""
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        # one snapshot for every table, however long the export takes
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    report = ExportReport(schema_revision=require_head(script_directory()))
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": report.schema_revision,
    }
    out.write(b"{\n")
    for key, value in header.items():
        out.write(f"  {json.dumps(key)}: {json.dumps(value)},\n".encode())
    out.write(b'  "tables": {')
    for number, table in enumerate(exported_tables()):
        out.write(b",\n" if number else b"\n")
        out.write(f"    {json.dumps(table.name)}: [".encode())
        count = 0
        for line in _rows(table):
            out.write(b",\n      " if count else b"\n      ")
            out.write(line)
            count += 1
        out.write(b"\n    ]" if count else b"]")
        report.counts[table.name] = count
    out.write(b"\n  }\n}\n")
    report.material_files = report.counts.get(Material.__tablename__, 0)
    report.upload_folder = upload_folder()
    report.missing_files = missing_material_files(report.upload_folder)
    return report


def _rows(table: sa.Table) -> Iterator[bytes]:
    encoders = [(column.name, encoder(column)) for column in table.columns]
    query = sa.select(table).order_by(*table.primary_key.columns)
    result = db.session.execute(query, execution_options={"yield_per": BATCH})
    for row in result:
        values = {
            name: None if value is None else encode(value)
            for (name, encode), value in zip(encoders, row, strict=True)
        }
        try:
            text = json.dumps(values, ensure_ascii=False, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise BackupError(f"{table.name}: a value cannot be written as JSON ({exc}).") from exc
        yield text.encode()


def export_to_path(path: Path) -> ExportReport:
    """Export into *path* through a temporary file beside it, so a failed export leaves no
    half-written file (and an older backup of the same name intact)."""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            report = export_database(out)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return report


# --- material files ---------------------------------------------------------------------------


def upload_folder() -> Path:
    from exchange.services.materials import upload_folder as folder

    return folder()


def missing_material_files(folder: Path) -> list[str]:
    """Stored names of the materials whose file is not in *folder*."""
    missing = []
    names = db.session.scalars(sa.select(Material.stored_name).order_by(Material.id))
    for stored_name in names:
        joined = safe_join(str(folder), stored_name)
        if joined is None or not Path(joined).is_file():
            missing.append(stored_name)
    return missing
