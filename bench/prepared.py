"""Keeping the benchmark dataset between runs: build its search index, mark it, reuse it.

A one-row table `bench_dataset` records what bench/dataset.py generated; `prepare` reuses a
database whose marker matches (after `flask db upgrade`, as a deployment would, and after
re-creating the search index's generated columns if the models changed them), and regenerates
it otherwise or when asked to.
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import lru_cache

import sqlalchemy as sa
from dataset import COUNTS, VERSION, generate

from exchange.db import db


def build_index() -> tuple[dict, float]:
    """`exchange.search.index.rebuild` with the Thai tokeniser memoised per clause (pure
    function, same output); in the app context's session; returns counts and seconds."""
    from exchange.search import thai
    from exchange.search.index import rebuild

    original = thai._syllables
    thai._syllables = lru_cache(maxsize=None)(original)
    began = time.perf_counter()
    try:
        counts = rebuild(db.session)
        db.session.commit()
    finally:
        thai._syllables = original
    return {k.value: v for k, v in counts.items()}, time.perf_counter() - began


def marker(engine: sa.Engine) -> dict | None:
    if "bench_dataset" not in sa.inspect(engine).get_table_names():
        return None
    with engine.connect() as connection:
        value = connection.execute(sa.text("SELECT spec FROM bench_dataset")).scalar()
    return json.loads(value) if value else None


def wanted_spec() -> dict:
    """What the dataset must match to be reused: the generator and the counts (a new
    migration is applied to it, as a deployment does, see `prepare`)."""
    return {"version": VERSION, "counts": COUNTS}


def search_ddl() -> str:
    """The full-text columns and indexes the models create outside the migrations' tables."""
    from exchange.models.search import POSTGRESQL_CREATE

    return hashlib.sha256("\n".join(POSTGRESQL_CREATE).encode()).hexdigest()


def sync_search_ddl(engine: sa.Engine) -> str:
    """Re-create the generated full-text columns and their indexes if the models changed
    them since the dataset was built: they are computed from the stored search units, so
    nothing is tokenised again (a few seconds, not the minutes of a rebuild)."""
    from exchange.models.search import POSTGRESQL_CREATE, POSTGRESQL_DROP

    with engine.begin() as connection:
        connection.execute(
            sa.text("ALTER TABLE bench_dataset ADD COLUMN IF NOT EXISTS search_ddl text")
        )
        if connection.execute(sa.text("SELECT search_ddl FROM bench_dataset")).scalar() == (
            wanted := search_ddl()
        ):
            return ""
        for statement in (*POSTGRESQL_DROP, *POSTGRESQL_CREATE, "ANALYZE search_document"):
            connection.execute(sa.text(statement))
        connection.execute(sa.text("UPDATE bench_dataset SET search_ddl = :d"), {"d": wanted})
    return "; the search index's generated columns were re-created (the models changed them)"


def write_marker(connection: sa.Connection, written: dict, index: dict) -> None:
    connection.execute(
        sa.text("CREATE TABLE bench_dataset (spec text, written text, at timestamp)")
    )
    connection.execute(
        sa.text("INSERT INTO bench_dataset VALUES (:spec, :written, now())"),
        {"spec": json.dumps(wanted_spec()), "written": json.dumps({**written, "index": index})},
    )


def prepare(url: str, env: dict[str, str], fresh: bool) -> str:
    """Make *url* hold the dataset: reuse it when its marker matches (unless *fresh*), after
    `flask db upgrade`; else drop everything, migrate, write the rows, build the index,
    ANALYZE. Returns a line saying what happened."""
    from registrations import build_schema

    from exchange import create_app

    engine = sa.create_engine(url)
    try:
        if not fresh and marker(engine) == wanted_spec():
            with engine.connect() as connection:
                row = connection.execute(sa.text("SELECT written, at FROM bench_dataset")).one()
            build_schema(env, False, url)  # `flask db upgrade`: new migrations, on this data
            synced = sync_search_ddl(engine)
            return (
                f"reused the dataset generated {row.at:%Y-%m-%d %H:%M} UTC: {row.written}{synced}"
            )
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    finally:
        engine.dispose()
    build_schema(env, False, url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        began = time.perf_counter()
        with db.engine.begin() as connection:
            written = generate(connection)
        rows = time.perf_counter() - began
        index, indexing = build_index()
        with db.engine.begin() as connection:
            write_marker(connection, written, index)
        sync_search_ddl(db.engine)  # records the DDL the index was built with
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return (
        f"generated {written} in {rows:.0f} s; search index {index} "
        f"built in {indexing:.0f} s (rebuild, tokeniser memoised per clause)"
    )
