"""Backup, restore and moving between databases: every row of every table, in one JSON file.

``export_database`` streams the tables in dependency order, each one's rows by primary key,
with one spelling per value (aware UTC datetimes as ISO strings with microseconds, enums as
their values, JSON columns with sorted keys), so the same data gives the same bytes whether it
was read from SQLite or PostgreSQL. The file carries no date of its own; its
``schema_revision`` is the Alembic revision the data was read at.

``read_export`` checks a file before anything is written; ``import_database`` loads it into an
empty database at the head revision (or, with ``replace``, empties the database first, in the
same transaction), then resets PostgreSQL's sequences and rebuilds the search index. A file
from an older revision goes through ``import_older``: the empty database is taken down to that
revision, loaded, and migrated up again.

Not in the file: the search index (derived, rebuilt after a load) and the uploaded material
files (on disk under UPLOAD_FOLDER; the reports say how many there are and which are missing).

Services flush, never commit: the caller commits the import, or rolls it back on an error.
The exception is ``import_older``, which commits because Alembic's migrations run in
transactions of their own.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from werkzeug.security import safe_join

from exchange.db import UTCDateTime, db
from exchange.models import Material, SearchDocument, search_document_agency, search_document_topic

FORMAT = "learning-exchange-export"
FORMAT_VERSION = 1
BATCH = 1000
# Derived from the other tables and rebuilt after a load (with the full-text index beside them).
DERIVED_TABLES = frozenset(
    {SearchDocument.__tablename__, search_document_agency.name, search_document_topic.name}
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


def _deferred_columns(tables: list[sa.Table]) -> dict[str, list[sa.Column]]:
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


def _encoder(column: sa.Column) -> Encode:
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


def _decoder(column: sa.Column) -> Encode:
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


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def _head(scripts: ScriptDirectory) -> str:
    head = scripts.get_current_head()
    if head is None:  # pragma: no cover - the project always has migrations
        raise BackupError("The project has no migrations.")
    return head


def database_revision() -> str | None:
    """The Alembic revision of the database (None: not under migrations)."""
    return MigrationContext.configure(db.session.connection()).get_current_revision()


def _require_head(scripts: ScriptDirectory) -> str:
    head = _head(scripts)
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
    report = ExportReport(schema_revision=_require_head(_scripts()))
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
    encoders = [(column.name, _encoder(column)) for column in table.columns]
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


# --- import -----------------------------------------------------------------------------------


def read_export(stream: IO[bytes], name: str = "the file") -> Export:
    """Parse and check a file's outline (format, version, revision, tables and columns)."""
    not_ours = f"{name} is not a Learning Exchange export"
    try:
        data = json.loads(stream.read().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BackupError(f"{not_ours} (not UTF-8 text).") from exc
    except json.JSONDecodeError as exc:
        raise BackupError(f"{not_ours} (not JSON, or cut short: {exc}).") from exc
    except OSError as exc:
        raise BackupError(f"Cannot read {name}: {exc.strerror or exc}.") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{not_ours}.")
    version = data.get("format_version")
    if type(version) is not int or version < 1:
        raise BackupError(f"{not_ours} (its format_version is missing or wrong).")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"{name} was written by a newer Learning Exchange (export format {version}; this"
            f" one reads format {FORMAT_VERSION}): upgrade this installation, then import."
        )
    revision, tables = data.get("schema_revision"), data.get("tables")
    if not isinstance(revision, str) or not isinstance(tables, dict):
        raise BackupError(f"{not_ours} (schema_revision or tables missing).")
    scripts = _scripts()
    known = {script.revision for script in scripts.walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"{name} comes from a newer schema (revision {revision}, unknown to this"
            " installation's migrations): upgrade Learning Exchange here (new code, then"
            " `flask db upgrade`), then import again."
        )
    head = _head(scripts)
    if revision not in {script.revision for script in scripts.iterate_revisions(head, "base")}:
        raise BackupError(  # pragma: no cover - our migrations have a single line
            f"{name} comes from schema revision {revision}, on another line of migrations than"
            f" this installation's ({head}): it cannot be loaded here."
        )
    if revision == head:  # an older file is checked against its tables once they are there
        _check_outline(tables, revision, exported_tables())
    return Export(schema_revision=revision, tables=tables, older=revision != head)


def _check_outline(tables: dict[str, Any], revision: str, schema: list[sa.Table]) -> None:
    expected = {table.name: table for table in schema}
    unexpected, missing = set(tables) - set(expected), set(expected) - set(tables)
    if unexpected or missing:
        raise BackupError(
            f"The file's tables do not match schema revision {revision}"
            f" (missing: {', '.join(sorted(missing)) or 'none'};"
            f" unexpected: {', '.join(sorted(unexpected)) or 'none'})."
        )
    for name, rows in tables.items():
        if not isinstance(rows, list):
            raise BackupError(f"Table {name}: expected a list of rows.")
        columns = set(expected[name].columns.keys())
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise BackupError(f"Table {name}, row {number}: expected an object.")
            if row.keys() != columns:
                raise BackupError(
                    f"Table {name}, row {number}: its columns do not match schema revision"
                    f" {revision} (missing: {', '.join(sorted(columns - row.keys())) or 'none'};"
                    f" unexpected: {', '.join(sorted(row.keys() - columns)) or 'none'})."
                )


def non_empty_tables() -> list[str]:
    """The exported tables that hold at least one row."""
    return [
        table.name
        for table in exported_tables()
        if db.session.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
    ]


def _refuse_filled(older: bool = False) -> None:
    filled = non_empty_tables()
    if not filled:
        return
    where = ", ".join(filled[:6]) + (", …" if len(filled) > 6 else "")
    if older:
        raise BackupError(
            f"The database is not empty (rows in: {where}). A file from an older schema is"
            " loaded only into an empty database (--replace cannot be used with it): empty"
            " this one (`flask db downgrade base`, then `flask db upgrade`), or upgrade the"
            " source database with this version, export again and import that file."
        )
    raise BackupError(
        f"The database is not empty (rows in: {where}). Import into an empty database, or"
        " give --replace to delete everything in it first."
    )


def import_database(export: Export, *, replace: bool = False) -> ImportReport:
    """Load *export* (at the head revision) into this database (at the head revision too,
    empty unless *replace*), in the caller's transaction; then reset sequences and rebuild
    the search index."""
    head = _require_head(_scripts())
    if export.schema_revision != head:
        raise BackupError(f"The file is from schema revision {export.schema_revision}.")
    if not replace:
        _refuse_filled()
    report = ImportReport(schema_revision=export.schema_revision, replaced=replace)
    if replace:
        everything = sa.schema.sort_tables_and_constraints(db.metadata.tables.values())
        for table, _ in reversed(everything):
            if table is not None:
                db.session.execute(table.delete())
    report.counts = _load(exported_tables(), export.tables)
    _after_load(report)
    return report


def import_older(export: Export) -> ImportReport:
    """Load a file from an older revision: take the empty database down to that revision,
    load the rows into the tables as they were then, and let the migrations bring them up to
    the head revision; then as `import_database`.

    Unlike other services this commits, because Alembic runs each migration in a transaction
    of its own. If the load fails, the database is brought back up to head, empty; if the
    upgrade fails, the message says so (the rows are then at the older revision)."""
    import flask_migrate

    _require_head(_scripts())
    _refuse_filled(older=True)
    db.session.rollback()  # Alembic takes the connection next
    try:
        flask_migrate.downgrade(revision=export.schema_revision)
    except (Exception, SystemExit) as exc:
        flask_migrate.upgrade()
        raise BackupError(
            f"The migrations could not take the database down to schema revision"
            f" {export.schema_revision} ({exc}): upgrade the source database with this"
            " version (`flask db upgrade`), export it again and import that file."
        ) from exc
    try:
        tables = _reflected_tables()
        _check_outline(export.tables, export.schema_revision, tables)
        counts = _load(tables, export.tables)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        flask_migrate.upgrade()
        raise
    try:
        flask_migrate.upgrade()
    except (Exception, SystemExit) as exc:
        raise BackupError(
            f"The rows were loaded at schema revision {export.schema_revision}, but the"
            f" migrations to the latest revision failed ({exc}). Fix the cause and run"
            " `flask db upgrade` (then `flask exchange reindex`), or start again from an"
            " empty database.",
            changed=True,
        ) from exc
    report = ImportReport(schema_revision=export.schema_revision, counts=counts)
    report.migrated_to = database_revision()
    _after_load(report)
    return report


def _reflected_tables() -> list[sa.Table]:
    """The database's tables as they are now (at an older revision), parents first."""
    from exchange.models.search import SCHEMA_OBJECTS

    connection = db.session.connection()
    skip = DERIVED_TABLES | SCHEMA_OBJECTS | {"alembic_version"}
    names = [name for name in sa.inspect(connection).get_table_names() if name not in skip]
    metadata = sa.MetaData()
    metadata.reflect(bind=connection, only=names)
    ordered = sa.schema.sort_tables_and_constraints(metadata.tables.values())
    return [table for table, _ in ordered if table is not None]


def _load(tables: list[sa.Table], rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Insert every table's rows, parents first; the deferred references last."""
    deferred = _deferred_columns(tables)
    later: list[tuple[sa.Table, list[sa.Column], list[dict[str, Any]]]] = []
    counts = {}
    for table in tables:
        updates = _load_table(table, rows[table.name], deferred.get(table.name, []))
        if updates:
            later.append((table, deferred[table.name], updates))
        counts[table.name] = len(rows[table.name])
    for table, columns, updates in later:
        _set_deferred(table, columns, updates)
    return counts


def _after_load(report: ImportReport) -> None:
    """Sequences, the search index, the material files: what the rows alone do not give."""
    from exchange.search.index import rebuild

    if db.engine.dialect.name == "postgresql":
        _reset_sequences(exported_tables())
    report.search_documents = sum(rebuild(db.session).values())
    db.session.flush()
    db.session.expire_all()
    report.upload_folder = upload_folder()
    report.missing_files = missing_material_files(report.upload_folder)


def _load_table(
    table: sa.Table, rows: list[dict[str, Any]], deferred: list[sa.Column]
) -> list[dict[str, Any]]:
    """Insert *rows* in batches; return the deferred values to set afterwards."""
    decoders = [(column, _decoder(column)) for column in table.columns]
    primary_key = [column.name for column in table.primary_key.columns]
    updates: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    for number, raw in enumerate(rows, start=1):
        row = {}
        for column, decode in decoders:
            value = raw[column.name]
            if value is None:
                if not column.nullable:
                    raise BackupError(f"Table {table.name}, row {number}: {column.name} is empty.")
                row[column.name] = None
                continue
            try:
                row[column.name] = decode(value)
            except ValueError as exc:
                raise BackupError(
                    f"Table {table.name}, row {number}: {column.name}: {exc}."
                ) from None
        if any(row[column.name] is not None for column in deferred):
            update = {f"b_{name}": row[name] for name in primary_key}
            for column in deferred:
                update[f"b_{column.name}"], row[column.name] = row[column.name], None
            updates.append(update)
        batch.append(row)
        if len(batch) >= BATCH:
            _insert(table, batch)
            batch = []
    if batch:
        _insert(table, batch)
    return updates


def _insert(table: sa.Table, batch: list[dict[str, Any]]) -> None:
    try:
        db.session.execute(table.insert(), batch)
    except sa.exc.DBAPIError as exc:
        raise BackupError(
            f"Table {table.name}: the database refused the rows ({_reason(exc)})."
        ) from exc


def _reason(exc: sa.exc.DBAPIError) -> str:
    """The driver's message, first line only (no SQL, no parameters)."""
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _set_deferred(table: sa.Table, columns: list[sa.Column], updates: list[dict]) -> None:
    where = [column == sa.bindparam(f"b_{column.name}") for column in table.primary_key.columns]
    values: dict[str, Any] = {column.name: sa.bindparam(f"b_{column.name}") for column in columns}
    # keep "updated_at"-like columns as they were: this is a load, not a change
    values.update({c.name: c for c in table.columns if c.onupdate is not None})
    statement = table.update().where(*where).values(values)
    for start in range(0, len(updates), BATCH):
        try:
            db.session.execute(statement, updates[start : start + BATCH])
        except sa.exc.DBAPIError as exc:
            raise BackupError(
                f"Table {table.name}: the database refused ({_reason(exc)})."
            ) from exc


def _reset_sequences(tables: list[sa.Table]) -> None:
    """After explicit ids, the next id PostgreSQL gives must follow the largest loaded one."""
    preparer = db.engine.dialect.identifier_preparer
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        biggest = sa.func.max(column)
        db.session.execute(
            sa.select(
                sa.func.setval(
                    sa.func.pg_get_serial_sequence(preparer.format_table(table), column.name),
                    sa.func.coalesce(biggest, 1),
                    biggest.is_not(None),  # empty: the next id is 1
                )
            ).select_from(table)
        )


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
