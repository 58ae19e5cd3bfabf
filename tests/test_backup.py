"""`flask exchange export` / `import`: every table in one JSON file, the same bytes from SQLite
and PostgreSQL, loaded into an empty (or --replace'd) database in one transaction; refusals
of non-empty targets, newer or older schemas and bad files change nothing; sequences, the
search index and the material files after a load."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import func, select

from exchange.db import db
from exchange.models import (
    Agency,
    AgencyKind,
    ApiToken,
    AuditEntry,
    AuthToken,
    Certificate,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    LearningSession,
    Material,
    NoteTaker,
    Notice,
    NoticeKind,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    SearchDocument,
    TokenPurpose,
    User,
    UserRole,
    Visibility,
)
from exchange.services import audit, backup
from exchange.services.accounts import create_user
from exchange.services.demo import load_demo
from exchange.services.search import search
from tests.conftest import make_test_app

PG_URL = os.environ.get("TEST_DATABASE_URL")
ODD_TEXT = 'ครั้งที่ ๑ "quoted" \\ back\nslash\ttab 🙂 e\u0301'
AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)  # no microseconds: still written with them
# The revision before the api_token table: a file from it is the head file without that table.
# (Update these tests if a later migration changes tables that a file from it would hold.)
BEFORE_API_TOKENS = "9e2a4c6b8d01"


# --- data and databases ------------------------------------------------------------------------


def fill(now: datetime) -> None:
    """The demo and a row in every table, with Thai text, odd characters and NULLs."""
    load_demo(now=now)
    webinar, upcoming = db.session.scalars(select(LearningSession).order_by(LearningSession.id))
    # a child agency whose parent has a larger id
    child = Agency(slug="child-unit", name_th="กองย่อย", kind=AgencyKind.OFFICE)
    db.session.add(child)
    db.session.flush()
    parent = Agency(slug="parent-ministry", name_th="กระทรวงแม่", name_en=ODD_TEXT)
    db.session.add(parent)
    db.session.flush()
    child.parent_id = parent.id
    admin = create_user("admin@agency.go.th", "ผู้ดูแล", password="correct horse", role=UserRole.ADMIN)
    admin.agency_id = child.id
    bare = User(email="bare@agency.go.th", display_name="", active=False)  # NULL-heavy
    people = [create_user(f"p{n}@agency.go.th", f"ผู้ใช้ {n}", password=None) for n in range(3)]
    db.session.add(bare)
    draft = LearningSession(  # NULL-heavy: no organiser, capacity, registration window
        slug="bare-draft", title_th="ร่าง", starts_at=AT, ends_at=AT + timedelta(hours=1)
    )
    db.session.add(draft)
    db.session.flush()
    confirmed, waitlisted, cancelled = (
        Registration(session_id=webinar.id, user_id=user.id, status=status, agency_id=child.id)
        for user, status in zip(
            people,
            (
                RegistrationStatus.CONFIRMED,
                RegistrationStatus.WAITLISTED,
                RegistrationStatus.CANCELLED,
            ),
            strict=True,
        )
    )
    confirmed.confirmed_at, confirmed.checked_in_at, confirmed.join_token = now, now, "j" * 40
    confirmed.joined_online_at = confirmed.last_joined_at = AT
    confirmed.join_count = 3
    cancelled.cancelled_at = now
    pending = Registration(session_id=upcoming.id, user_id=bare.id)  # NULLs
    db.session.add_all([confirmed, waitlisted, cancelled, pending])
    db.session.flush()
    question = FeedbackQuestion(session_id=webinar.id, text_th="ความพึงพอใจ", position=1)
    response = FeedbackResponse(
        session_id=webinar.id, registration_id=confirmed.id, comment=ODD_TEXT
    )
    db.session.add_all([question, response])
    db.session.flush()
    db.session.add_all(
        [
            FeedbackAnswer(response_id=response.id, question_id=question.id, score=5),
            Certificate(code="LX-TEST-0001", registration_id=confirmed.id, holder_name="นายก ข"),
            Notice(registration_id=confirmed.id, kind=NoticeKind.THANK_YOU),
            Notice(registration_id=confirmed.id, kind=NoticeKind.REMINDER, key="60"),
            NoteTaker(session_id=webinar.id, user_id=people[0].id, granted_by_id=admin.id),
            ApiToken(
                user_id=admin.id,
                name="แดชบอร์ด",
                token_hash="a" * 64,
                prefix="lx_aaaa",
                last_used_at=now,
            ),
            AuthToken(
                token_hash="b" * 64,
                purpose=TokenPurpose.PASSWORD_RESET,
                user_id=people[1].id,
                expires_at=now + timedelta(hours=1),
            ),
            OutboxMessage(
                to_address="p0@agency.go.th",
                to_name="ผู้ใช้ 0",
                subject="ยืนยันการลงทะเบียน",
                body_text=ODD_TEXT,
                status=OutboxStatus.SENT,
                attempts=1,
                sent_at=now,
            ),
            OutboxMessage(to_address="x@y.go.th", subject="s", body_text="b"),
            AuditEntry(
                user_id=None,
                action="merge",
                entity_type="agency",
                entity_id=child.id,
                changes={"z": {"b": [1, 2.5, None, True], "a": "ไทย"}, "a": []},
            ),
            Material(
                session_id=webinar.id,
                title="สไลด์",
                filename="slides.pdf",
                stored_name="present.pdf",
                content_type="application/pdf",
                size=4,
                uploaded_by_id=admin.id,
            ),
            Material(
                session_id=webinar.id,
                title="รูป",
                filename="photo.png",
                stored_name="missing.png",
                content_type="image/png",
                size=4,
                visibility=Visibility.REGISTRANTS,
                position=1,
            ),
        ]
    )
    audit.record(
        "update",
        webinar,
        user_id=admin.id,
        changes={"title_th": ("เก่า", "ใหม่"), "capacity": (None, 40), "when": (AT, now)},
        summary="การประชุม",
    )
    db.session.flush()


@contextmanager
def migrated_app(url: str, **config: object) -> Iterator[Flask]:
    """An app whose database is built by the migrations (and dropped again at the end)."""
    app = make_test_app(url, **config)
    with app.app_context():
        flask_migrate.upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()


@contextmanager
def target_database(tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """PostgreSQL when TEST_DATABASE_URL is set, in a schema of its own (the suite's tables in
    the same database are left alone); else a second SQLite file."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'target.sqlite'}", {}
        return
    schema = f"backup_test_{os.getpid()}"
    engine = sa.create_engine(PG_URL)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
        yield PG_URL, {"SQLALCHEMY_ENGINE_OPTIONS": options}
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def invoke(app: Flask, *args: str, input: bytes | None = None):
    return app.test_cli_runner().invoke(args=["exchange", *args], input=input)


@pytest.fixture(scope="module")
def source_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export of a filled SQLite database built by the migrations."""
    folder = tmp_path_factory.mktemp("source")
    uploads = folder / "uploads"
    uploads.mkdir()
    (uploads / "present.pdf").write_bytes(b"%PDF")
    url = f"sqlite:///{folder / 'source.sqlite'}"
    with migrated_app(url, UPLOAD_FOLDER=str(uploads)) as app:
        with app.app_context():
            fill(datetime.now(UTC))
            db.session.commit()
        result = invoke(app, "export", str(folder / "export.json"))
        assert result.exit_code == 0, result.output
        assert f"2 uploaded material files in {uploads}" in result.stdout
        assert "1 material files are missing" in result.stderr  # missing.png, already
    return folder / "export.json"


@pytest.fixture
def stamped(app: Flask, tmp_path: Path) -> Flask:
    """The test database (made by create_all) marked as being at the head revision."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with app.app_context():
        flask_migrate.stamp()
    return app


def export_bytes(app: Flask) -> bytes:
    result = invoke(app, "export", "-")
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def row_count(app: Flask) -> int:
    with app.app_context():
        return sum(
            db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name != "data_version"  # the change counter: always one row
        )


# --- the round trip ----------------------------------------------------------------------------


def test_sqlite_to_other_database_and_back_gives_the_same_bytes(source_file, tmp_path):
    original = source_file.read_bytes()
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "present.pdf").write_bytes(b"%PDF")
    with (
        target_database(tmp_path) as (url, config),
        migrated_app(url, UPLOAD_FOLDER=str(uploads), **config) as target,
    ):
        result = invoke(target, "import", str(source_file))
        assert result.exit_code == 0, result.output
        assert "agency: 15" in result.stdout
        assert "search index rebuilt" in result.stdout
        assert "1 material files are missing" in result.stderr
        assert "missing.png" in result.stderr
        assert "present.pdf" not in result.stderr

        exported = tmp_path / "again.json"
        result = invoke(target, "export", str(exported))
        assert result.exit_code == 0, result.output
        assert exported.read_bytes() == original
        assert f"2 uploaded material files in {uploads}" in result.stdout
        assert export_bytes(target) == original  # `-`: the same bytes on standard output

        with target.app_context():
            child = db.session.scalar(select(Agency).filter_by(slug="child-unit"))
            assert child.parent.slug == "parent-ministry"
            assert child.parent.name_en == ODD_TEXT
            admin = db.session.scalar(select(User).filter_by(email="admin@agency.go.th"))
            assert admin.check_password("correct horse")  # the hash, as stored
            entry = db.session.scalar(select(AuditEntry).filter_by(action="merge"))
            assert entry.changes == {"a": [], "z": {"a": "ไทย", "b": [1, 2.5, None, True]}}
            registration = db.session.scalar(select(Registration).filter_by(join_count=3))
            assert registration.joined_online_at == AT
            assert (
                db.session.scalar(select(LearningSession).filter_by(slug="bare-draft")).capacity
                is None
            )


def test_file_layout(source_file):
    text = source_file.read_text("utf-8")
    data = json.loads(text)
    assert list(data) == ["format", "format_version", "schema_revision", "tables"]
    assert data["format"] == "learning-exchange-export"
    assert data["format_version"] == 1
    with make_test_app("sqlite://").app_context():
        assert data["schema_revision"] == backup.head_revision(backup.script_directory())
        names = [table.name for table in backup.exported_tables()]
        db.engine.dispose()
    assert list(data["tables"]) == names
    assert set(backup.DERIVED_TABLES).isdisjoint(names)
    assert "alembic_version" not in names
    users = data["tables"]["user"]
    assert [user["id"] for user in users] == sorted(user["id"] for user in users)
    assert all(list(row) == sorted(row) for rows in data["tables"].values() for row in rows)
    bare = next(user for user in users if user["email"] == "bare@agency.go.th")
    assert bare["password_hash"] is None
    assert bare["active"] is False
    assert next(u for u in users if u["role"] == "admin")["password_hash"].startswith("scrypt:")
    registration = next(r for r in data["tables"]["registration"] if r["join_count"] == 3)
    assert registration["joined_online_at"] == "2030-01-02T03:04:05.000000+00:00"
    assert registration["status"] == "confirmed"
    assert "ครั้งที่ ๑" in text  # Thai as it is, not \u escapes
    assert len(data["tables"]["api_token"]) == 1
    assert [name for name, rows in data["tables"].items() if not rows] == []  # all filled


# --- on the test database (SQLite and PostgreSQL) ---------------------------------------------


def test_import_into_empty_database_then_search_and_new_rows(stamped, source_file):
    app = stamped
    result = invoke(app, "import", str(source_file))
    assert result.exit_code == 0, result.output
    assert export_bytes(app) == source_file.read_bytes()
    with app.app_context():  # the index was rebuilt: Thai words inside sentences are found
        assert db.session.scalar(select(func.count()).select_from(SearchDocument)) > 20
        hits = search("องค์การ")
        assert {hit.kind.value for group in hits.groups for hit in group.hits} >= {"takeaway"}
        assert search("กระทรวงแม่").groups  # an agency added beside the demo
    with app.app_context():  # the next ids follow the loaded ones (sequences reset)
        biggest = {
            model: db.session.scalar(select(func.max(model.id)))
            for model in (Agency, User, Registration, AuditEntry, OutboxMessage, ApiToken)
        }
        agency = Agency(slug="after-import", name_th="หลังนำเข้า")
        user = create_user("new@agency.go.th", "ใหม่", password=None)
        db.session.add(agency)
        db.session.flush()
        session_id = db.session.scalar(select(func.min(LearningSession.id)))
        registration = Registration(session_id=session_id, user_id=user.id)
        message = OutboxMessage(to_address="n@agency.go.th", subject="s", body_text="b")
        token = ApiToken(user_id=user.id, name="n", token_hash="c" * 64, prefix="lx_c")
        db.session.add_all([registration, message, token])
        db.session.flush()
        entry = audit.record("create", agency, user_id=user.id)
        db.session.commit()
        created = {
            Agency: agency.id,
            User: user.id,
            Registration: registration.id,
            AuditEntry: entry.id,
            OutboxMessage: message.id,
            ApiToken: token.id,
        }
        assert created == {model: biggest[model] + 1 for model in created}
        if db.engine.dialect.name == "postgresql":  # every sequence, not only these
            for table in backup.exported_tables():
                column = table.autoincrement_column
                if column is None:
                    continue
                sequence = db.session.scalar(
                    select(func.pg_get_serial_sequence(f'"{table.name}"', column.name))
                )
                last = db.session.scalar(sa.text(f"SELECT last_value FROM {sequence}"))  # noqa: S608
                assert last == db.session.scalar(select(func.max(column))) or (table.name, last)


def test_non_empty_database_is_refused_and_kept(stamped, make_user, source_file):
    app = stamped
    make_user("kept@agency.go.th")
    before = export_bytes(app)
    result = invoke(app, "import", str(source_file))
    assert result.exit_code == 1
    assert "not empty" in result.stderr
    assert "--replace" in result.stderr
    assert "Traceback" not in result.output
    assert export_bytes(app) == before


def test_replace_empties_then_loads(stamped, demo, make_user, source_file):
    app = stamped
    make_user("gone@agency.go.th")
    result = invoke(app, "import", "--replace", str(source_file))
    assert result.exit_code == 0, result.output
    assert "after deleting what was there" in result.stdout
    assert export_bytes(app) == source_file.read_bytes()
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(email="gone@agency.go.th")) is None


def test_export_and_import_through_standard_streams(stamped, source_file):
    app = stamped
    result = invoke(app, "import", "-", input=source_file.read_bytes())
    assert result.exit_code == 0, result.output
    result = invoke(app, "export", "-")
    assert result.stdout_bytes == source_file.read_bytes()
    assert "Exported" in result.stderr
    assert "material files" in result.stderr


def _edited(source: Path, target: Path, edit) -> Path:
    data = json.loads(source.read_text("utf-8"))
    edit(data)
    target.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return target


def _table(name):
    return lambda data: data["tables"][name]


BAD_EDITS = {
    "newer schema": (lambda d: d.update(schema_revision="ffffffffffff"), "newer schema"),
    "older schema": (
        lambda d: d.update(schema_revision=BEFORE_API_TOKENS),
        "loaded only into an empty database",
    ),
    "newer format": (lambda d: d.update(format_version=2), "newer Learning Exchange"),
    "format as text": (lambda d: d.update(format_version="1"), "format_version"),
    "other format": (lambda d: d.update(format="something-else"), "not a Learning Exchange"),
    "no tables": (lambda d: d.pop("tables"), "tables missing"),
    "table missing": (lambda d: d["tables"].pop("user"), "missing: user"),
    "table unknown": (lambda d: d["tables"].update(extra=[]), "unexpected: extra"),
    "column unknown": (lambda d: d["tables"]["user"][0].update(shoe_size=42), "shoe_size"),
    "column missing": (lambda d: d["tables"]["user"][0].pop("email"), "missing: email"),
    "row not object": (lambda d: d["tables"]["user"].append([1]), "expected an object"),
    "bad datetime": (
        lambda d: d["tables"]["user"][0].update(created_at="yesterday"),
        "not an ISO date",
    ),
    "naive datetime": (
        lambda d: d["tables"]["user"][0].update(created_at="2030-01-01T00:00:00"),
        "no UTC offset",
    ),
    "bad enum": (lambda d: d["tables"]["user"][0].update(role="king"), "not one of"),
    "enum not text": (lambda d: d["tables"]["user"][0].update(role=["admin"]), "not one of"),
    "text too long": (lambda d: d["tables"]["user"][0].update(locale="x" * 9), "longer than 8"),
    "int as text": (lambda d: d["tables"]["user"][0].update(id="1"), "expected an integer"),
    "bool as int": (lambda d: d["tables"]["user"][0].update(active=1), "true or false"),
    "null in not null": (lambda d: d["tables"]["user"][0].update(email=None), "email is empty"),
    "dangling reference": (
        lambda d: d["tables"]["registration"][0].update(user_id=99999),
        "the database refused",
    ),
    "duplicate row": (
        lambda d: d["tables"]["topic"].append(d["tables"]["topic"][0]),
        "the database refused",
    ),
}


@pytest.mark.parametrize("case", list(BAD_EDITS))
def test_bad_file_is_refused_and_nothing_changes_even_with_replace(
    stamped, demo, source_file, tmp_path, case
):
    app = stamped
    edit, message = BAD_EDITS[case]
    bad = _edited(source_file, tmp_path / "bad.json", edit)
    before = export_bytes(app)
    result = invoke(app, "import", "--replace", str(bad))
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Nothing was changed" in result.stderr
    assert "Traceback" not in result.output
    assert export_bytes(app) == before


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b'{"format": "learning-exchange-export", "format_', b"\xff\xfe\x00", b"[]"],
    ids=["empty", "text", "cut short", "binary", "array"],
)
def test_not_an_export_is_refused(stamped, tmp_path, content):
    app = stamped
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = invoke(app, "import", str(path))
    assert result.exit_code == 1
    assert "is not a Learning Exchange export" in result.stderr
    assert "Traceback" not in result.output
    assert row_count(app) == 0


def test_missing_file_and_unmigrated_database_are_refused(app, source_file, tmp_path):
    result = invoke(app, "import", str(tmp_path / "nowhere.json"))
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    result = invoke(app, "import", str(source_file))  # made by create_all: no alembic_version
    assert result.exit_code == 1
    assert "flask db upgrade" in result.stderr
    assert row_count(app) == 0
    result = invoke(app, "export", str(tmp_path / "out.json"))
    assert result.exit_code == 1
    assert "flask db upgrade" in result.stderr
    assert not (tmp_path / "out.json").exists()
    assert not (tmp_path / "out.json.partial").exists()


def test_database_behind_the_head_revision_is_refused(app, source_file):
    with app.app_context():
        flask_migrate.stamp(revision="f8fd48af6943")
    result = invoke(app, "import", str(source_file))
    assert result.exit_code == 1
    assert "not the latest" in result.stderr
    assert "flask db upgrade" in result.stderr
    assert row_count(app) == 0


def test_every_column_type_has_one_representation():
    """A column type added to the models without a codec fails here, not in a backup."""
    with make_test_app("sqlite://").app_context():
        for table in backup.exported_tables():
            for column in table.columns:
                backup.encoder(column)
                backup.decoder(column)
        db.engine.dispose()


def test_self_reference_loads_whatever_the_id_order(source_file):
    data = json.loads(source_file.read_text("utf-8"))
    agencies = {row["slug"]: row for row in data["tables"]["agency"]}
    assert agencies["child-unit"]["id"] < agencies["parent-ministry"]["id"]
    assert agencies["child-unit"]["parent_id"] == agencies["parent-ministry"]["id"]


def test_export_failure_leaves_no_partial_file(stamped, tmp_path, monkeypatch):
    app = stamped
    target = tmp_path / "backup.json"
    target.write_bytes(b"the previous backup")

    def broken(table):
        raise backup.BackupError("broken on purpose.")

    monkeypatch.setattr(backup, "_rows", broken)
    result = invoke(app, "export", str(target))
    assert result.exit_code == 1
    assert "broken on purpose" in result.stderr
    assert target.read_bytes() == b"the previous backup"
    assert not (tmp_path / "backup.json.partial").exists()


# --- a file from an older schema ---------------------------------------------------------------


def _older_file(source: Path, target: Path, edit=None) -> Path:
    def _to_older(data):
        data["schema_revision"] = BEFORE_API_TOKENS
        del data["tables"]["api_token"]
        if edit:
            edit(data)

    return _edited(source, target, _to_older)


def test_older_file_is_loaded_then_migrated(stamped, source_file, tmp_path):
    app = stamped
    older = _older_file(source_file, tmp_path / "older.json")
    result = invoke(app, "import", str(older))
    assert result.exit_code == 0, result.output
    assert "search index rebuilt" in result.stdout
    with app.app_context():
        head = backup.head_revision(backup.script_directory())
        assert backup.database_revision() == head
    assert f"schema revision {BEFORE_API_TOKENS}, then migrated to {head}" in result.stdout
    expected = json.loads(source_file.read_text("utf-8"))
    expected["tables"]["api_token"] = []  # the older schema had none
    assert json.loads(export_bytes(app)) == expected
    with app.app_context():
        assert search("กระทรวงแม่").groups
        agency = Agency(slug="after-older", name_th="ใหม่")  # the sequences were reset
        db.session.add(agency)
        db.session.commit()
        assert agency.id == max(row["id"] for row in expected["tables"]["agency"]) + 1


def test_older_file_that_fails_leaves_the_database_empty_at_head(stamped, source_file, tmp_path):
    app = stamped
    cases = {
        "column unknown": (lambda d: d["tables"]["user"][0].update(shoe_size=1), "shoe_size"),
        "dangling reference": (
            lambda d: d["tables"]["registration"][0].update(user_id=99999),
            "the database refused",
        ),
    }
    for case, (edit, message) in cases.items():
        older = _older_file(source_file, tmp_path / f"{case}.json", edit)
        result = invoke(app, "import", str(older))
        assert result.exit_code == 1, case
        assert message in result.stderr
        assert "Nothing was changed" in result.stderr
        assert row_count(app) == 0
        with app.app_context():
            assert backup.database_revision() == backup.head_revision(backup.script_directory())
            assert "api_token" in sa.inspect(db.engine).get_table_names()
