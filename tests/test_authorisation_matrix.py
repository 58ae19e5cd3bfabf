"""Every route × every role: the answer each one gets, against `tests/authorisation_matrix.py`.

One app and database per database kind, seeded once with agency A's published, past and draft
sessions (registrations, notes, takeaways, materials, feedback, reminders …), agency B for the
other organiser, and the secrets a participant holds. CSRF is off in tests, so a refusal here
is the authorisation rule, not a missing token. After a request that wrote to the database,
every seeded row is put back, so one cell never breaks the next.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from exchange.db import db
from exchange.models import Agency, LearningSession, User
from tests.authorisation_matrix import (
    DEFAULT_ARGS,
    IMPLICIT_METHODS,
    LOGIN,
    MATRIX,
    OK,
    PDF,
    ROLES,
    SKIPPED_ENDPOINTS,
    STORED_FILES,
    Row,
    seed,
)
from tests.conftest import DATABASES, built_app, login_as, make_test_app

ALLOWED = {200, 201, 204, 302, 303, 304, 400, 409, 413, 422}
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([a-z_]+)>")


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in SKIPPED_ENDPOINTS
        for method in (rule.methods or set()) - IMPLICIT_METHODS
    }


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    app = make_test_app("sqlite://")
    routes = _routes(app)
    assert sorted(routes - MATRIX.keys()) == [], "routes nobody has decided who may use"
    assert sorted(MATRIX.keys() - routes) == [], "rows for routes the app no longer has"


def test_every_url_argument_has_a_fixture() -> None:
    app = make_test_app("sqlite://")
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in (rule.methods or set()) - IMPLICIT_METHODS:
            row = MATRIX[rule.endpoint, method]
            missing = set(rule.arguments) - set(row.args) - set(DEFAULT_ARGS)
            assert not missing, f"{rule.rule}: no fixture for {missing}"


# --- the seeded world ------------------------------------------------------------------------


@dataclass
class World:
    """The app, the seed's values, and a copy of every row to put back after a write.

    Putting rows back with plain INSERTs (same ids, no ORM events) takes a few milliseconds
    where seeding again through the services took a quarter of a second.
    """

    app: Flask
    folder: Path
    values: dict[str, object] = field(default_factory=dict)
    rows: list[tuple[sa.Table, list[dict[str, object]]]] = field(default_factory=list)

    def seed(self) -> None:
        with self.app.app_context():
            self.values = seed(self.folder)
            with db.engine.connect() as connection:
                self.rows = [
                    (table, [dict(row._mapping) for row in connection.execute(table.select())])
                    for table in db.metadata.sorted_tables
                ]

    def restore(self) -> None:
        with self.app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                for table, _rows in reversed(self.rows):
                    connection.execute(table.delete())
                for table, rows in self.rows:
                    if rows:
                        connection.execute(table.insert(), rows)
        for name in STORED_FILES:  # a removed material takes its file with it
            (self.folder / name).write_bytes(PDF)


@pytest.fixture(scope="module", params=list(DATABASES))
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    folder = tmp_path_factory.mktemp("uploads")
    overrides = {"RATELIMIT_ENABLED": False, "UPLOAD_FOLDER": str(folder)}
    with built_app(DATABASES[request.param], **overrides) as app:
        world = World(app, folder)
        world.seed()
        yield world


# --- one cell --------------------------------------------------------------------------------


def _urls(world: World, endpoint: str, method: str, row: Row, draft: bool) -> list[str]:
    """The endpoint's addresses that answer *method* (two for the notes editor)."""
    names = {**DEFAULT_ARGS, **row.args}
    if draft:  # the draft session, and its own child rows where it has them
        names = {
            arg: "draft_session" if arg == "slug" else f"draft_{key}" for arg, key in names.items()
        }

    def value(match: re.Match[str]) -> str:
        key = names[match.group(1)]  # the draft's own row, else the one everybody shares
        return str(world.values[key if key in world.values else key.removeprefix("draft_")])

    return [
        _ARGUMENT.sub(value, rule.rule)
        for rule in world.app.url_map.iter_rules(endpoint)
        if method in (rule.methods or set())
    ]


def _send(world: World, role: str, method: str, url: str, api: bool) -> TestResponse:
    client = world.app.test_client()
    headers = {}
    if role != "anonymous":
        if api:
            headers["Authorization"] = f"Bearer {world.values[f'{role}_api_token']}"
        else:
            login_as(client, int(world.values[role]))  # type: ignore[call-overload]
    body = {"json": {}} if api and method != "GET" else {"data": {}}
    response = client.open(url, method=method, headers=headers, **body)
    response.close()  # a file download holds its file open until then
    return response


def _to_login(response: TestResponse) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    return location.path == "/auth/login" and "next=" in location.query


def _verdict(expected: str | int, response: TestResponse) -> bool:
    if expected == LOGIN:
        return _to_login(response)
    if expected == OK:
        return response.status_code in ALLOWED and not _to_login(response)
    return response.status_code == expected


def _cells() -> Iterator[object]:
    for (endpoint, method), row in MATRIX.items():
        for variant, expect in (("published", row.expect), ("draft", row.draft)):
            if expect is None:
                continue
            for role, expected in zip(ROLES, expect, strict=True):
                cell_id = f"{endpoint}-{method}-{role}" + ("-draft" if variant == "draft" else "")
                yield pytest.param(endpoint, method, role, variant, expected, id=cell_id)


@contextmanager
def _watching_writes(app: Flask) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements sent inside the block."""
    with app.app_context():
        engine = db.engine
    writes: list[str] = []

    def record(conn, cursor, statement: str, *args: object) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield writes
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(("endpoint", "method", "role", "variant", "expected"), list(_cells()))
def test_cell(
    world: World, endpoint: str, method: str, role: str, variant: str, expected: str | int
) -> None:
    row = MATRIX[endpoint, method]
    for url in _urls(world, endpoint, method, row, draft=variant == "draft"):
        with _watching_writes(world.app) as writes:
            response = _send(world, role, method, url, row.api)
        if writes:
            world.restore()  # the next cell starts from the same world
        where = response.headers.get("Location", "")
        assert _verdict(expected, response), (
            f"{method} {url} as {role}: expected {expected}, got {response.status_code} {where}"
        )


# --- ids of another session's rows ----------------------------------------------------------

CHILD_ARGS = {"material_id", "takeaway_id", "question_id", "reminder_id", "row_id"}
FOREIGN = {"registration": "past_registration"}  # the draft has no registration


def _child_rows() -> Iterator[object]:
    app = make_test_app("sqlite://")
    for rule in app.url_map.iter_rules():
        if "slug" in rule.arguments and (CHILD_ARGS | {"registration_id"}) & rule.arguments:
            for method in sorted((rule.methods or set()) - IMPLICIT_METHODS):
                yield pytest.param(rule.endpoint, method, id=f"{rule.endpoint}-{method}")


@pytest.mark.parametrize(("endpoint", "method"), list(_child_rows()))
def test_another_sessions_rows_are_not_found(world: World, endpoint: str, method: str) -> None:
    """The upcoming session's address with the draft's (or past one's) row: its manager, who
    manages both, still gets a 404, so no id reaches across sessions."""
    row = MATRIX[endpoint, method]
    keys = {**DEFAULT_ARGS, **row.args}
    foreign = Row(
        row.expect,
        args={
            arg: FOREIGN.get(keys[arg], f"draft_{keys[arg]}")
            for arg in (*CHILD_ARGS, "registration_id")
            if arg in keys
        },
    )
    for url in _urls(world, endpoint, method, foreign, draft=False):
        with _watching_writes(world.app) as writes:
            response = _send(world, "organiser", method, url, api=False)
        if writes:
            world.restore()
        assert (response.status_code, writes) == (404, []), f"{method} {url}"


# --- holes the matrix led to: changing hands by another road --------------------------------


def _agency_id(world: World, slug: str) -> int:
    with world.app.app_context():
        return db.session.scalars(sa.select(Agency.id).filter_by(slug=slug)).one()


def _organiser_id_of(world: World, session_slug: str) -> int | None:
    with world.app.app_context():
        query = sa.select(LearningSession.organiser_id).filter_by(slug=session_slug)
        return db.session.scalar(query)


def _agency_of(world: World, role: str) -> int | None:
    with world.app.app_context():
        return db.session.get(User, int(world.values[role])).agency_id


def _client_as(world: World, role: str):
    client = world.app.test_client()
    login_as(client, int(world.values[role]))  # type: ignore[call-overload]
    return client


def test_an_organiser_cannot_move_to_another_agency_on_their_profile(world: World) -> None:
    """An organiser's agency decides whose sessions they manage: only an admin sets it."""
    client = _client_as(world, "other_organiser")
    form = {"display_name": "ผู้จัด ข", "agency": str(_agency_id(world, "agency-a"))}
    try:
        page = client.post("/me/profile?lang=en", data={**form, "locale": "en"})
        assert "ask an administrator to change it" in page.get_data(as_text=True)
        assert client.get("/manage/sessions/upcoming/registrations").status_code == 403
    finally:
        world.restore()


def test_a_participant_still_chooses_their_agency(world: World) -> None:
    client = _client_as(world, "participant")
    form = {"display_name": "ผู้เข้าร่วม", "agency": str(world.values["agency"]), "locale": "th"}
    try:
        assert client.post("/me/profile", data=form).status_code == 302
    finally:
        world.restore()


def test_another_agencys_organiser_cannot_take_its_sessions_by_a_merge(world: World) -> None:
    """Merging agency A into B would hand A's sessions to B's organisers; merging B into A
    would make B's organisers A's."""
    a, b = _agency_id(world, "agency-a"), _agency_id(world, "agency-b")
    client = _client_as(world, "other_organiser")
    try:
        for duplicate, keep in ((a, b), (b, a)):
            page = client.post(f"/manage/agencies/{duplicate}/merge?lang=en", data={"target": keep})
            assert "only an administrator can merge it" in page.get_data(as_text=True)
        assert _organiser_id_of(world, "upcoming") == a
        assert client.get("/manage/sessions/upcoming/registrations").status_code == 403
    finally:
        world.restore()


def test_an_admin_may_merge_agencies_that_organise_sessions(world: World) -> None:
    a, b = _agency_id(world, "agency-a"), _agency_id(world, "agency-b")
    client = _client_as(world, "admin")
    try:
        response = client.post(f"/manage/agencies/{a}/merge", data={"target": str(b)})
        assert response.status_code == 302
        assert _organiser_id_of(world, "upcoming") == b
    finally:
        world.restore()
