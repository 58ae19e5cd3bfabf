"""The Alembic migrations build the same schema as the models, and go down and up again."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa

from exchange.db import db
from tests.conftest import make_test_app


def test_migrations_upgrade_downgrade_and_match_models(database_url, tmp_path):
    url = database_url if database_url != "sqlite://" else f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = make_test_app(url)
    with app.app_context():
        db.drop_all()  # start empty (the PostgreSQL test database is shared)
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        try:
            flask_migrate.upgrade()
            flask_migrate.check()  # SystemExit(1) if the models drifted from the migrations
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {"learning_session", "agency", "takeaway", "outbox_message"} <= tables
            migrated = _search_index(db.engine)
            flask_migrate.downgrade(revision="base")
            assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
            flask_migrate.upgrade()
            db.drop_all()
            db.create_all()
            assert _search_index(db.engine) == migrated
        finally:
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()


def _search_index(engine: sa.Engine) -> dict[str, str]:
    """The full-text objects made outside the models (which check() does not compare): the
    search table's indexes, columns and triggers as the database describes them."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.execute(
                sa.text(
                    "SELECT indexname, indexdef FROM pg_indexes"
                    " WHERE tablename = 'search_document'"
                    " UNION ALL SELECT column_name, generation_expression"
                    " FROM information_schema.columns"
                    " WHERE table_name = 'search_document' AND is_generated = 'ALWAYS'"
                )
            )
        else:
            rows = connection.execute(
                sa.text(
                    "SELECT name, sql FROM sqlite_master"
                    " WHERE tbl_name IN ('search_document', 'search_fts') AND sql IS NOT NULL"
                    " AND name != 'search_document'"  # the table itself: check() compares it
                )
            )
        found = {name: " ".join(sql.split()) for name, sql in rows}
    assert "ix_search_document_kind_id" in found
    return found


def test_upgrade_keeps_existing_rows(database_url, tmp_path):
    """Rows written under the first schema survive later migrations with their meaning."""
    url = database_url if database_url != "sqlite://" else f"sqlite:///{tmp_path / 'd.sqlite'}"
    app = make_test_app(url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        try:
            flask_migrate.upgrade(revision="f8fd48af6943")
            with db.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO learning_session (id, slug, title_th, title_en,"
                        " description_th, description_en, format, venue, platform, join_url,"
                        " starts_at, ends_at,"
                        " timezone, status, ical_sequence, created_at, updated_at) VALUES (1, 's',"
                        " 't', '', '', '', 'online', '', '', '', '2030-01-01 02:00:00',"
                        " '2030-01-01 04:00:00', 'Asia/Bangkok', 'published', 0,"
                        " '2029-01-01 00:00:00', '2029-01-01 00:00:00')"
                    )
                )
                connection.execute(
                    sa.text(
                        'INSERT INTO "user" (id, email, display_name, role, locale, is_active,'
                        " created_at) VALUES (1, 'a@b.go.th', 'A', 'participant', 'th', false,"
                        " '2029-01-01 00:00:00')"
                    )
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO registration (id, session_id, user_id, status, created_at)"
                        " VALUES (1, 1, 1, 'waitlisted', '2029-06-01 00:00:00')"
                    )
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO outbox_message (id, to_address, subject, body_text, body_html,"
                        " ics, ics_method, status, attempts, last_error, next_attempt_at,"
                        " created_at) VALUES (1, 'a@b.go.th', 's', 'b', '', '', '', 'pending', 0,"
                        " '', '2029-01-01 00:00:00', '2029-01-01 00:00:00')"
                    )
                )
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                queued = connection.execute(sa.text("SELECT queued_at FROM registration")).scalar()
                active = connection.execute(sa.text('SELECT active FROM "user"')).scalar()
                language = connection.execute(sa.text("SELECT language FROM outbox_message"))
                assert str(queued).startswith("2029-06-01"), queued
                assert not active  # the value moved with the renamed column
                assert language.scalar() == "th"
            flask_migrate.downgrade(revision="f8fd48af6943")
            with db.engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT count(*) FROM registration"))
                assert rows.scalar() == 1
        finally:
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()
