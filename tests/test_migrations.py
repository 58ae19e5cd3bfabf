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
            flask_migrate.downgrade(revision="base")
            assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
            flask_migrate.upgrade()
        finally:
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()
