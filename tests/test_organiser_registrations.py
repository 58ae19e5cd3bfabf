"""The organiser workspace: registrations list, check-in, capacity and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exchange.db import db
from exchange.models import (
    Agency,
    LearningSession,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SessionStatus,
    User,
    UserRole,
)
from exchange.services.accounts import create_user
from exchange.services.registration import cancel, register

SLUG = "open-data"
LIST = f"/manage/sessions/{SLUG}/registrations"
CSV_URL = f"/manage/sessions/{SLUG}/registrations.csv"
CAPACITY = f"/manage/sessions/{SLUG}/capacity"


@dataclass
class World:
    session_id: int
    agency_id: int
    users: dict[str, int]  # participant, organiser, other_organiser, admin


@pytest.fixture
def world(app: Flask, make_session: Callable[..., int]) -> World:
    """A session with two seats, its organiser agency, and one user of each kind."""
    session_id = make_session(slug=SLUG, capacity=2)
    with app.app_context():
        agency_id = db.session.get(LearningSession, session_id).organiser_id
        other = Agency(slug="other-agency", name_th="หน่วยงานอื่น", name_en="Other agency")
        db.session.add(other)
        db.session.flush()
        users = {
            "participant": create_user("p@example.go.th", "Pat", agency_id=agency_id),
            "organiser": create_user(
                "o@example.go.th", "Olga", agency_id=agency_id, role=UserRole.ORGANISER
            ),
            "other_organiser": create_user(
                "x@example.go.th", "Xavier", agency_id=other.id, role=UserRole.ORGANISER
            ),
            "admin": create_user("a@example.go.th", "Ada", role=UserRole.ADMIN),
        }
        db.session.commit()
        return World(session_id, agency_id, {role: user.id for role, user in users.items()})


def login(client: FlaskClient, user_id: int, lang: str = "en") -> None:
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
        sess["lang"] = lang


def add_registrants(
    app: Flask,
    session_id: int,
    names: list[str],
    *,
    start: int = 0,
    pending: bool = False,
    agency_id: int | None = None,
) -> list[int]:
    """Make a user per name and register them in that order; returns the registration ids."""
    ids = []
    base = datetime.now(UTC) - timedelta(hours=1)
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        for n, name in enumerate(names, start=start):
            email = f"{re.sub(r'[^a-z0-9]+', '.', name.lower()).strip('.') or 'x'}.{n}@example.org"
            user = create_user(email, name, agency_id=agency_id)
            registration = register(
                learning_session, user, base + timedelta(minutes=n), pending=pending
            )
            ids.append(registration.id)
        db.session.commit()
    return ids


def cancel_registration(app: Flask, registration_id: int) -> None:
    with app.test_request_context():
        cancel(db.session.get(Registration, registration_id), datetime.now(UTC))
        db.session.commit()


def row_names(html: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]*)</th>', html)


def stats(html: str) -> dict[str, str]:
    pairs = re.findall(r"<dt>([^<]*)</dt>\s*<dd>(?:<a [^>]*>)?(?:<span [^>]*>)?([^<]*)<", html)
    return dict(pairs)


def registration(app: Flask, registration_id: int) -> Registration:
    with app.app_context():  # a fresh context: proves what the view committed
        found = db.session.get(Registration, registration_id)
        db.session.expunge(found)
        return found


@pytest.fixture
def lineup(app: Flask, world: World) -> dict[str, int]:
    """Two confirmed, two waitlisted, one pending and one cancelled registration."""
    ids = add_registrants(app, world.session_id, ["Alice", "Bob", "Carol", "Dave"])
    ids += add_registrants(app, world.session_id, ["Erin"], start=4, pending=True)
    ids += add_registrants(app, world.session_id, ["Frank"], start=5)  # waitlisted, then
    cancel_registration(app, ids[-1])
    return dict(zip(["Alice", "Bob", "Carol", "Dave", "Erin", "Frank"], ids, strict=True))


# -- who may see what -------------------------------------------------------------------------


def _routes(lineup: dict[str, int]) -> list[tuple[str, str, dict]]:
    check_in = f"{LIST}/{lineup['Alice']}/check-in"
    return [
        ("get", LIST, {}),
        ("get", CSV_URL, {}),
        ("post", check_in, {}),
        ("post", CAPACITY, {"capacity": "5"}),
    ]


def test_anonymous_is_sent_to_log_in(client, lineup):
    for method, url, data in _routes(lineup):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/login"), url


@pytest.mark.parametrize("role", ["participant", "other_organiser"])
def test_others_are_forbidden_and_change_nothing(app, client, world, lineup, role):
    login(client, world.users[role])
    for method, url, data in _routes(lineup):
        assert getattr(client, method)(url, data=data).status_code == 403, url
    assert registration(app, lineup["Alice"]).checked_in_at is None
    with app.app_context():
        assert db.session.get(LearningSession, world.session_id).capacity == 2


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_organiser_of_the_agency_and_admin_may_manage(client, world, lineup, role):
    login(client, world.users[role])
    assert client.get(LIST).status_code == 200
    assert client.get(CSV_URL).status_code == 200
    response = client.post(f"{LIST}/{lineup['Alice']}/check-in")
    assert response.status_code == 302
    assert client.post(CAPACITY, data={"capacity": "2"}).status_code == 302


def test_draft_sessions_are_manageable(app, client, world, make_session):
    make_session(slug="draft-one", status=SessionStatus.DRAFT)
    with app.app_context():
        draft = db.session.scalar(select(LearningSession).filter_by(slug="draft-one"))
        draft.organiser_id = world.agency_id
        db.session.commit()
    login(client, world.users["organiser"])
    response = client.get("/manage/sessions/draft-one/registrations")
    assert response.status_code == 200
    assert "Draft" in response.text
    assert "/sessions/draft-one" not in response.text.replace("/manage/sessions/draft-one", "")


def test_unknown_session_or_registration_is_404(app, client, world, lineup, make_session):
    login(client, world.users["admin"])
    for url in ("/manage/sessions/nope/registrations", "/manage/sessions/nope/registrations.csv"):
        assert client.get(url).status_code == 404
    assert client.post("/manage/sessions/nope/capacity", data={"capacity": "1"}).status_code == 404
    assert client.post(f"{LIST}/999999/check-in").status_code == 404
    other_id = make_session(slug="other-session")
    [elsewhere] = add_registrants(app, other_id, ["Zed"], start=20)
    assert client.post(f"{LIST}/{elsewhere}/check-in").status_code == 404
    assert registration(app, elsewhere).checked_in_at is None


# -- the list ---------------------------------------------------------------------------------


def test_list_shows_title_counts_and_order(client, world, lineup):
    login(client, world.users["organiser"])
    response = client.get(LIST)
    html = response.text
    assert "Session 1" in html
    assert response.headers["Cache-Control"] == "private, no-store"
    assert row_names(html) == ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank"]
    assert stats(html) == {
        "Confirmed": "2",
        "On the waitlist": "2",
        "Awaiting e-mail confirmation": "1",
        "Cancelled": "1",
        "Checked in": "0",
        "Joined online": "0",
        "Seats left": "0",
    }
    assert "No. 1 in line" in html
    assert "No. 2 in line" in html
    assert "Pat" not in row_names(html)


def test_list_shows_the_agency_registered_with(app, client, world):
    with app.app_context():
        agency = Agency(slug="dmh", name_th="กรมสุขภาพจิต", name_en="Department of Mental Health")
        db.session.add(agency)
        db.session.commit()
        agency_id = agency.id
    add_registrants(app, world.session_id, ["Mali"], agency_id=agency_id)
    login(client, world.users["organiser"], lang="th")
    assert "กรมสุขภาพจิต" in client.get(LIST).text
    login(client, world.users["organiser"], lang="en")
    assert "Department of Mental Health" in client.get(LIST).text


def test_status_filter(client, world, lineup):
    login(client, world.users["organiser"])
    assert row_names(client.get(f"{LIST}?status=waitlisted").text) == ["Carol", "Dave"]
    assert row_names(client.get(f"{LIST}?status=cancelled").text) == ["Frank"]
    assert row_names(client.get(f"{LIST}?status=pending").text) == ["Erin"]
    assert client.get(f"{LIST}?status=bogus").status_code == 404


def test_search_by_name_or_email_ignores_case_and_wildcards(client, world, lineup):
    login(client, world.users["organiser"])
    assert row_names(client.get(f"{LIST}?q=ALI").text) == ["Alice"]
    assert row_names(client.get(f"{LIST}?q=dave.3%40EXAMPLE").text) == ["Dave"]
    assert row_names(client.get(f"{LIST}?q=%25").text) == []  # a literal %, not "anything"
    assert row_names(client.get(f"{LIST}?q=_").text) == []
    html = client.get(f"{LIST}?q=zzz").text
    assert "No registrations match." in html


def test_search_finds_thai_names(app, client, world):
    add_registrants(app, world.session_id, ["สมชาย ใจดี", "สมหญิง รักเรียน"])
    login(client, world.users["organiser"])
    assert row_names(client.get(LIST, query_string={"q": "ใจดี"}).text) == ["สมชาย ใจดี"]


def test_list_is_paginated(app, client, world, lineup):
    app.config["REGISTRANTS_PER_PAGE"] = 4
    login(client, world.users["organiser"])
    assert row_names(client.get(LIST).text) == ["Alice", "Bob", "Carol", "Dave"]
    page_two = client.get(f"{LIST}?page=2").text
    assert row_names(page_two) == ["Erin", "Frank"]
    assert client.get(f"{LIST}?page=3").status_code == 404
    assert client.get(f"{LIST}?page=x").status_code == 404


def test_empty_list(client, world):
    login(client, world.users["organiser"])
    response = client.get(LIST)
    assert response.status_code == 200
    assert "Nobody has registered yet." in response.text


def test_list_query_count_does_not_grow(app, client, world, count_queries):
    login(client, world.users["organiser"])
    add_registrants(app, world.session_id, [f"Early {n}" for n in range(3)])
    few = count_queries(lambda: client.get(LIST))
    add_registrants(app, world.session_id, [f"Late {n}" for n in range(27)], start=3)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 30
    assert count_queries(lambda: client.get(LIST)) == few


def test_page_is_thai_by_default(client, world, lineup):
    login(client, world.users["organiser"], lang="th")
    html = client.get(LIST).text
    assert "ผู้ลงทะเบียน" in html
    assert "พ.ศ." in html


# -- check-in ---------------------------------------------------------------------------------


def test_check_in_and_undo(app, client, world, lineup):
    login(client, world.users["organiser"])
    url = f"{LIST}/{lineup['Bob']}/check-in"
    back = f"{LIST}?status=confirmed&q=bo&page=1"
    response = client.post(url, data={"next": back})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{back}#registration-{lineup['Bob']}"
    checked = registration(app, lineup["Bob"]).checked_in_at
    assert checked is not None
    client.post(url)  # a second check-in keeps the first time
    assert registration(app, lineup["Bob"]).checked_in_at == checked
    html = client.get(LIST).text
    assert "Checked in: Bob" in html
    assert stats(html)["Checked in"] == "1"
    response = client.post(url, data={"undo": "1", "next": back})
    assert response.headers["Location"] == f"{back}#registration-{lineup['Bob']}"
    assert registration(app, lineup["Bob"]).checked_in_at is None


def test_check_in_of_waitlisted_person_is_refused(app, client, world, lineup):
    login(client, world.users["organiser"])
    response = client.post(f"{LIST}/{lineup['Carol']}/check-in", follow_redirects=True)
    assert "Only confirmed participants can be checked in." in response.text
    assert registration(app, lineup["Carol"]).checked_in_at is None


def test_check_in_redirect_stays_on_the_site(client, world, lineup):
    login(client, world.users["organiser"])
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(f"{LIST}/{lineup['Alice']}/check-in", data={"next": evil})
        assert response.headers["Location"] == f"{LIST}#registration-{lineup['Alice']}"


def test_check_in_needs_csrf_token(app, world, lineup):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login(client, world.users["organiser"])
    assert client.post(f"{LIST}/{lineup['Alice']}/check-in").status_code == 400
    assert registration(app, lineup["Alice"]).checked_in_at is None


# -- capacity ---------------------------------------------------------------------------------


def _capacity(app: Flask, world: World) -> int | None:
    with app.app_context():
        return db.session.get(LearningSession, world.session_id).capacity


def test_capacity_below_confirmed_is_refused(app, client, world, lineup):
    login(client, world.users["organiser"])
    response = client.post(f"{CAPACITY}?status=waitlisted", data={"capacity": "1"})
    assert response.status_code == 400
    assert "2 people already have a seat: capacity cannot be lower." in response.text
    assert 'class="field-error"' in response.text
    assert row_names(response.text) == ["Carol", "Dave"]  # the list keeps its filter
    assert _capacity(app, world) == 2


@pytest.mark.parametrize("value", ["abc", "-1", "2.5", "1000001"])
def test_capacity_must_be_a_whole_number(app, client, world, value):
    login(client, world.users["organiser"])
    response = client.post(CAPACITY, data={"capacity": value})
    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert _capacity(app, world) == 2


def test_more_capacity_promotes_the_first_in_line(app, client, world, lineup):
    login(client, world.users["organiser"])
    response = client.post(CAPACITY, data={"capacity": "3"}, follow_redirects=True)
    assert "Capacity saved: 3 seats." in response.text
    assert "1 person moved up from the waitlist and will be e-mailed." in response.text
    assert _capacity(app, world) == 3
    assert registration(app, lineup["Carol"]).status is RegistrationStatus.CONFIRMED
    assert registration(app, lineup["Dave"]).status is RegistrationStatus.WAITLISTED
    with app.app_context():
        carol = db.session.get(User, db.session.get(Registration, lineup["Carol"]).user_id)
        mails = db.session.scalars(select(OutboxMessage).filter_by(to_address=carol.email)).all()
        assert len(mails) == 2  # "you are on the waitlist", then "a seat is yours"


def test_empty_capacity_means_unlimited(app, client, world, lineup):
    login(client, world.users["organiser"])
    response = client.post(CAPACITY, data={"capacity": ""}, follow_redirects=True)
    assert "Capacity saved: unlimited seats." in response.text
    assert _capacity(app, world) is None
    assert registration(app, lineup["Dave"]).status is RegistrationStatus.CONFIRMED
    assert stats(response.text)["Seats left"] == "Unlimited"


# -- CSV --------------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_export(app, client, world, lineup):
    with app.app_context():
        agency = Agency(slug="rd", name_th="กรมสรรพากร", name_en="Revenue Department")
        db.session.add(agency)
        db.session.commit()
        agency_id = agency.id
    [thai] = add_registrants(app, world.session_id, ["สมชาย ใจดี"], start=9, agency_id=agency_id)
    login(client, world.users["organiser"])
    client.post(f"{LIST}/{lineup['Alice']}/check-in")
    response = client.get(CSV_URL)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{SLUG}-registrations.csv"'
    )
    rows = _csv_rows(response)
    assert rows[0] == [
        "Name",
        "E-mail",
        "Agency (Thai)",
        "Agency (English)",
        "Status",
        "Place in line",
        "Registered at",
        "Confirmed at",
        "Checked in at",
        "Joined online at",
        "Last joined online at",
        "Times joined online",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == [
        "Alice", "Bob", "Carol", "Dave", "สมชาย ใจดี", "Erin", "Frank"
    ]  # fmt: skip
    assert by_name["สมชาย ใจดี"][2:6] == ["กรมสรรพากร", "Revenue Department", "Waitlisted", "3"]
    assert by_name["Carol"][5] == "1"
    assert by_name["Alice"][4] == "Confirmed"
    assert by_name["Alice"][1] == "alice.0@example.org"
    # ISO 8601 in the session's timezone (Asia/Bangkok)
    checked_in = datetime.fromisoformat(by_name["Alice"][8])
    assert checked_in.utcoffset() == timedelta(hours=7)
    assert by_name["Alice"][7].endswith("+07:00")
    assert by_name["Bob"][8] == ""
    assert by_name["Alice"][9:] == ["", "", "0"]  # came to the door, did not join online
    assert by_name["Frank"][4] == "Cancelled"
    assert thai


def test_csv_header_in_thai(client, world, lineup):
    login(client, world.users["organiser"], lang="th")
    rows = _csv_rows(client.get(CSV_URL))
    assert rows[0][0] == "ชื่อ"
    assert len(rows) == 7


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x.example","click")', "+1+1", "-2+3", "@SUM(A1)", "＝1+1"]
)
def test_csv_neutralises_formulas(app, client, world, name):
    add_registrants(app, world.session_id, [name])
    login(client, world.users["organiser"])
    [_, row] = _csv_rows(client.get(CSV_URL))
    assert row[0] == "'" + name


def test_csv_neutralises_cells_starting_with_tab_or_return(app, client, world):
    # Names are trimmed when accounts are made; agency names are stored as given.
    with app.app_context():
        agency = Agency(slug="odd", name_th="\t=1+1", name_en="\r=cmd|' /C calc'!A0")
        db.session.add(agency)
        db.session.commit()
        agency_id = agency.id
    add_registrants(app, world.session_id, ["Olive"], agency_id=agency_id)
    login(client, world.users["organiser"])
    [_, row] = _csv_rows(client.get(CSV_URL))
    assert row[2:4] == ["'\t=1+1", "'\r=cmd|' /C calc'!A0"]


def test_capacity_and_check_in_are_in_the_audit_log(app, client, make_user, make_session):
    from sqlalchemy import select

    from exchange.db import db
    from exchange.models import AuditEntry, LearningSession, Registration
    from tests.conftest import login_as

    session_id = make_session(slug="audited", capacity=5)
    with app.app_context():
        agency_id = db.session.get(LearningSession, session_id).organiser_id
    participant = make_user()
    login_as(client, participant)
    client.post("/sessions/audited/register")
    login_as(client, make_user(role="organiser", agency_id=agency_id))
    client.post("/manage/sessions/audited/capacity", data={"capacity": "7"})
    with app.app_context():
        registration_id = db.session.scalar(select(Registration.id))
    client.post(f"/manage/sessions/audited/registrations/{registration_id}/check-in")
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.entity_type) for e in entries] == [
            ("update", "session"),
            ("check_in", "registration"),
        ]
        assert entries[0].changes == {"capacity": [5, 7]}
    login_as(client, make_user(role="admin"))
    page = client.get("/manage/audit")
    assert page.status_code == 200
    assert "audited" in page.get_data(as_text=True) or "การประชุม" in page.get_data(as_text=True)
