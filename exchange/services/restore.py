"""Restoring a backup (``exchange.services.backup``'s file): check it, then load it.

``read_export`` checks a file before anything is written; ``import_database`` loads it into an
empty database at the head revision (or, with ``replace``, empties the database first, in the
same transaction), then resets PostgreSQL's sequences and rebuilds the search index. A file
from an older revision goes through ``import_older``: the empty database is taken down to that
revision, loaded, and migrated up again — the one place that commits, because Alembic's
migrations run in transactions of their own. Otherwise the caller commits or rolls back.
"""

from __future__ import annotations

import json
from typing import IO, Any

import sqlalchemy as sa

from exchange.db import db
from exchange.page_cache import data_changed, uncounted
from exchange.services.backup import (
    BATCH,
    DERIVED_TABLES,
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    Export,
    ImportReport,
    database_revision,
    decoder,
    deferred_columns,
    exported_tables,
    head_revision,
    missing_material_files,
    require_head,
    script_directory,
    upload_folder,
)

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
    scripts = script_directory()
    known = {script.revision for script in scripts.walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"{name} comes from a newer schema (revision {revision}, unknown to this"
            " installation's migrations): upgrade Learning Exchange here (new code, then"
            " `flask db upgrade`), then import again."
        )
    head = head_revision(scripts)
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
    head = require_head(script_directory())
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

    require_head(script_directory())
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
        uncounted()  # no data_version at that revision; _after_load raises it at the head
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
    deferred = deferred_columns(tables)
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
    data_changed()  # rows went in around the ORM: every kept page is out of date
    db.session.flush()
    db.session.expire_all()
    report.upload_folder = upload_folder()
    report.missing_files = missing_material_files(report.upload_folder)


def _load_table(
    table: sa.Table, rows: list[dict[str, Any]], deferred: list[sa.Column]
) -> list[dict[str, Any]]:
    """Insert *rows* in batches; return the deferred values to set afterwards."""
    decoders = [(column, decoder(column)) for column in table.columns]
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
