"""Friendly 404 and 500 pages in both languages; bad addresses never give a 500."""

from __future__ import annotations

import pytest

from exchange import create_app
from tests.conftest import make_test_app


@pytest.mark.parametrize(
    "url",
    [
        "/no-such-page",
        "/sessions/no-such-session",
        "/agencies/no-such-agency",
        "/people/no-such-person",
        "/topics/no-such-topic",
        "/sessions?page=0",
        "/sessions?page=abc",
        "/sessions?page=-1",
        "/sessions?page=99999999999999999999",
        "/sessions?page=%D9%A3",
        "/sessions?page=99",
        "/takeaways?page=99",
        "/sessions?when=tomorrow",
    ],
)
def test_unknown_addresses_are_friendly_404s(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "ไม่พบหน้าที่คุณต้องการ" in response.get_data(as_text=True)


def test_404_in_english(client):
    client.get("/language/en?next=/")
    response = client.get("/sessions/no-such-session")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/sessions?topic=nope",
        "/sessions?agency=nope",
        "/takeaways?agency=nope",
        "/takeaways?topic=nope",
        "/takeaways?kind=nope",
    ],
)
def test_unknown_filter_values_say_so(client, url):
    response = client.get(url)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<select" in page  # the filters stay, so the reader can pick again
    assert "ไม่พบ" in page


def test_draft_sessions_are_not_public(client, make_session):
    make_session(slug="draft-one", status="draft")
    assert client.get("/sessions/draft-one").status_code == 404
    assert "draft-one" not in client.get("/sessions").get_data(as_text=True)


def test_server_errors_get_a_friendly_page_in_both_languages(database_url):
    app = make_test_app(database_url, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    client = app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert "ขออภัย" in response.get_data(as_text=True)
    response = client.get("/boom?lang=en")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    with app.app_context():
        from exchange.db import db

        db.engine.dispose()


def test_refuses_the_development_secret_outside_development(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_reads_secret_and_database_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@127.0.0.1:5432/db")
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@127.0.0.1:5432/db"


def test_sqlite_in_instance_folder_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'exchange.sqlite'}"
    from exchange.db import db

    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()
