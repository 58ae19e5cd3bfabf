"""The write side of /api/v1: tokens and roles on every endpoint, registering and cancelling,
organising sessions, conflicts, validation through the web's form, the same outcome and e-mails
as the website, and the per-token rate limit."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exchange.db import db, utcnow
from exchange.models import (
    Agency,
    ApiToken,
    LearningSession,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Topic,
    User,
)
from exchange.services import api_tokens
from tests.conftest import built_app, login_as

START = datetime(2031, 3, 4, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok, far ahead


# --- the world: two agencies, their sessions, one user of each role with a token --------------


def make_token(app: Flask, user_id: int, name: str = "script") -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        _token, secret = api_tokens.create_token(user, name, utcnow())
        db.session.commit()
        return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class World:
    agency_id: int  # organises "open-data" (published) and "draft-plan" (a draft)
    other_agency_id: int  # organises "other-agency"
    users: dict[str, int]  # participant, organiser, other_organiser, admin
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])


@pytest.fixture
def world(app: Flask, make_user: Callable[..., int], make_session: Callable[..., int]) -> World:
    open_id = make_session(shared=True, slug="open-data", capacity=10)
    make_session(shared=True, slug="draft-plan", status=SessionStatus.DRAFT)
    other_id = make_session(slug="other-agency")
    with app.app_context():
        agency_id = db.session.get(LearningSession, open_id).organiser_id
        other_agency_id = db.session.get(LearningSession, other_id).organiser_id
    users = {  # no passwords: tokens only (and hashing one is slow)
        "participant": make_user("participant@agency.go.th", password=None),
        "organiser": make_user(
            "organiser@agency.go.th", role="organiser", agency_id=agency_id, password=None
        ),
        "other_organiser": make_user(
            "other@agency.go.th", role="organiser", agency_id=other_agency_id, password=None
        ),
        "admin": make_user("admin@agency.go.th", role="admin", password=None),
    }
    tokens = {role: make_token(app, user_id) for role, user_id in users.items()}
    return World(agency_id, other_agency_id, users, tokens)


def new_session(agency_id: int | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title_th": "แลกเปลี่ยนเรียนรู้ผ่าน API",
        "title_en": "An exchange made through the API",
        "description_th": "**สาระ**",
        "platform": "Zoom",
        "join_url": "https://meet.example.org/room",
        "starts_at": "2031-03-04T09:00",
        "ends_at": "2031-03-04T12:00",
        "capacity": 30,
    }
    if agency_id is not None:
        body["organiser"] = agency_id
    body.update(changes)
    return body


def snapshot(app: Flask) -> tuple:
    """Everything a write could change, to prove that a refused request changed nothing."""
    with app.app_context():
        sessions = db.session.execute(
            select(
                LearningSession.slug,
                LearningSession.status,
                LearningSession.title_en,
                LearningSession.capacity,
                LearningSession.ical_sequence,
            ).order_by(LearningSession.slug)
        ).all()
        registrations = db.session.execute(
            select(Registration.session_id, Registration.user_id, Registration.status).order_by(
                Registration.id
            )
        ).all()
        mails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        return sessions, registrations, mails


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def session_row(app: Flask, slug: str) -> LearningSession:
    with app.app_context():
        row = db.session.scalar(select(LearningSession).filter_by(slug=slug))
        db.session.expunge(row)
        return row


def registration_of(app: Flask, slug: str, user_id: int) -> Registration | None:
    with app.app_context():
        return db.session.scalar(
            select(Registration)
            .join(Registration.learning_session)
            .where(LearningSession.slug == slug, Registration.user_id == user_id)
        )


def error_of(response) -> dict[str, Any]:
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:500]
    return response.get_json()["error"]


# --- every token case on every endpoint that needs one ----------------------------------------

WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/v1/sessions/open-data/registration", None),
    ("DELETE", "/api/v1/sessions/open-data/registration", None),
    ("POST", "/api/v1/sessions", new_session()),
    ("PATCH", "/api/v1/sessions/open-data", {"title_en": "Changed"}),
    ("POST", "/api/v1/sessions/draft-plan/publish", None),
    ("POST", "/api/v1/sessions/open-data/unpublish", None),
    ("POST", "/api/v1/sessions/open-data/cancel", {"message": "ขออภัย"}),
]
READS = ["/api/v1/me", "/api/v1/me/registrations", "/api/v1/me/sessions"]
ENDPOINT_IDS = [f"{method} {path}" for method, path, _ in WRITES]


def call(client: FlaskClient, method: str, path: str, body: Any, headers: dict[str, str]):
    return client.open(path, method=method, json=body, headers=headers)


def bad_token_headers(app: Flask, world: World, case: str) -> dict[str, str]:
    """Authorization headers that must all be refused with a 401."""
    if case == "none":
        return {}
    if case == "malformed":
        return {"Authorization": "Bearer"}
    if case == "not_bearer":
        return {"Authorization": "Basic " + world.tokens["admin"]}
    if case == "unknown":
        return bearer("lx_" + secrets.token_urlsafe(32))
    user_id = world.users["admin"]
    secret = make_token(app, user_id, name=case)
    with app.app_context():
        token = db.session.scalar(
            select(ApiToken).filter_by(token_hash=api_tokens.hash_secret(secret))
        )
        if case == "revoked":
            api_tokens.revoke(token, utcnow(), user_id=user_id)
        elif case == "expired":
            token.expires_at = utcnow() - timedelta(minutes=1)
        elif case == "inactive_user":
            db.session.get(User, user_id).active = False
        db.session.commit()
    return bearer(secret)


BAD_TOKENS = ["none", "malformed", "not_bearer", "unknown", "revoked", "expired", "inactive_user"]


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_without_a_valid_token_every_endpoint_is_401_and_nothing_changes(app, client, world, case):
    headers = bad_token_headers(app, world, case)
    before = snapshot(app)
    for method, path, body in [*WRITES, *(("GET", path, None) for path in READS)]:
        response = call(client, method, path, body, headers)
        assert response.status_code == 401, (method, path)
        assert error_of(response)["code"] in ("unauthorized", "invalid_token"), (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
    assert snapshot(app) == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=ENDPOINT_IDS)
def test_a_valid_token_is_accepted(app, client, world, method, path, body):
    if method == "DELETE":
        client.post("/api/v1/sessions/open-data/registration", headers=world.auth("organiser"))
    if path == "/api/v1/sessions":
        body = new_session(world.agency_id)
    response = call(client, method, path, body, world.auth("organiser"))
    assert response.status_code in (200, 201), response.get_json()


def test_a_token_notes_when_it_was_last_used(app, client, world):
    client.get("/api/v1/me", headers=world.auth("participant"))
    with app.app_context():
        token = db.session.scalar(select(ApiToken).filter_by(user_id=world.users["participant"]))
        assert token.last_used_at is not None


# --- every role on every write -----------------------------------------------------------------

# In this order every step is allowed for the session's organisers (cancel the draft that was
# just published: a draft cannot be cancelled).
ORGANISING = [
    ("POST", "/api/v1/sessions", 201),
    ("PATCH", "/api/v1/sessions/open-data", 200),
    ("POST", "/api/v1/sessions/draft-plan/publish", 200),
    ("POST", "/api/v1/sessions/open-data/unpublish", 200),
    ("POST", "/api/v1/sessions/draft-plan/cancel", 200),
]
ROLES = {"participant": 403, "other_organiser": 403, "organiser": None, "admin": None}


def body_for(method: str, path: str, world: World) -> dict[str, Any] | None:
    if path == "/api/v1/sessions":
        return new_session(world.agency_id)  # the organiser's agency, not the other's
    if method == "PATCH":
        return {"title_en": "Changed", "capacity": 12}
    if path.endswith("/cancel"):
        return {"message": "ขออภัย"}
    return None


@pytest.mark.parametrize("role", list(ROLES))
def test_organising_needs_the_right_role_and_agency(app, client, world, role):
    before = snapshot(app)
    for method, path, ok in ORGANISING:
        response = call(client, method, path, body_for(method, path, world), world.auth(role))
        expected = ROLES[role] or ok
        assert response.status_code == expected, (method, path, response.get_json())
        if expected == 403:
            assert error_of(response)["code"] == "forbidden"
    if ROLES[role] == 403:
        assert snapshot(app) == before
    else:
        assert session_row(app, "draft-plan").status is SessionStatus.CANCELLED
        assert session_row(app, "open-data").title_en == "Changed"


@pytest.mark.parametrize("role", list(ROLES))
def test_anyone_with_a_token_registers_and_cancels(app, client, world, role):
    path = "/api/v1/sessions/open-data/registration"
    assert client.post(path, headers=world.auth(role)).status_code == 201
    assert client.delete(path, headers=world.auth(role)).status_code == 200
    registration = registration_of(app, "open-data", world.users[role])
    assert registration.status is RegistrationStatus.CANCELLED


def test_an_organiser_cannot_create_for_another_agency(app, client, world):
    body = new_session(world.other_agency_id)
    response = client.post("/api/v1/sessions", json=body, headers=world.auth("organiser"))
    assert response.status_code == 403
    assert count(app, LearningSession) == 3


def test_an_admin_creates_for_any_agency_and_must_name_it(app, client, world):
    headers = world.auth("admin")
    response = client.post("/api/v1/sessions", json=new_session(), headers=headers)
    assert response.status_code == 400  # an admin has no agency of their own here
    assert "organiser" in error_of(response)["fields"]
    body = new_session(world.other_agency_id)
    assert client.post("/api/v1/sessions", json=body, headers=headers).status_code == 201


def test_an_organiser_cannot_move_a_session_to_another_agency(app, client, world):
    body = {"organiser": world.other_agency_id}
    response = client.patch(
        "/api/v1/sessions/open-data", json=body, headers=world.auth("organiser")
    )
    assert response.status_code == 403
    assert session_row(app, "open-data").organiser_id == world.agency_id


def test_unknown_session_is_404_for_organisers_and_403_for_participants(client, world):
    path = "/api/v1/sessions/no-such-session/publish"
    assert client.post(path, headers=world.auth("organiser")).status_code == 404
    assert client.post(path, headers=world.auth("participant")).status_code == 403


# --- who I am, my registrations, my sessions ---------------------------------------------------


def test_me_is_the_tokens_user(client, world):
    response = client.get("/api/v1/me", headers=world.auth("organiser"))
    assert response.status_code == 200
    me = response.get_json()
    assert me["id"] == world.users["organiser"]
    assert me["role"] == "organiser"
    assert me["agency"]["slug"] == "agency-shared"
    assert "private" in response.headers["Cache-Control"]
    assert "Authorization" in response.headers["Vary"]


def test_my_registrations_are_mine_only_with_waitlist_places(app, client, world, make_session):
    make_session(slug="tiny", capacity=1)
    for role in ("admin", "participant"):
        client.post("/api/v1/sessions/tiny/registration", headers=world.auth(role))
    client.post("/api/v1/sessions/open-data/registration", headers=world.auth("participant"))
    client.post("/api/v1/sessions/open-data/registration", headers=world.auth("organiser"))
    response = client.get("/api/v1/me/registrations", headers=world.auth("participant"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"]["total"] == 2
    by_slug = {r["session"]["slug"]: r for r in body["data"]}
    assert by_slug["tiny"]["status"] == "waitlisted"
    assert by_slug["tiny"]["waitlist_place"] == 1
    assert by_slug["open-data"]["status"] == "confirmed"
    assert by_slug["open-data"]["waitlist_place"] is None
    assert by_slug["open-data"]["checked_in"] is False
    assert by_slug["open-data"]["registered_at"].endswith("+07:00")


def test_my_registrations_are_paged(client, world, make_session):
    for n in range(3):
        make_session(slug=f"paged-{n}")
        client.post(f"/api/v1/sessions/paged-{n}/registration", headers=world.auth("participant"))
    response = client.get(
        "/api/v1/me/registrations?per_page=2&page=2", headers=world.auth("participant")
    )
    body = response.get_json()
    assert (len(body["data"]), body["meta"]["pages"], body["links"]["next"]) == (1, 2, None)


def test_my_registrations_query_count_does_not_grow(
    app, client, world, make_session, count_queries
):
    headers = world.auth("participant")
    make_session(slug="first", capacity=0)
    client.post("/api/v1/sessions/first/registration", headers=headers)  # waitlisted
    few = count_queries(lambda: client.get("/api/v1/me/registrations", headers=headers))
    for n in range(6):
        make_session(slug=f"more-{n}", capacity=0 if n % 2 else None)
        client.post(f"/api/v1/sessions/more-{n}/registration", headers=headers)
    assert count_queries(lambda: client.get("/api/v1/me/registrations", headers=headers)) == few


def test_my_sessions_are_my_agencys_with_drafts_and_counts(client, world):
    client.post("/api/v1/sessions/open-data/registration", headers=world.auth("participant"))
    response = client.get("/api/v1/me/sessions", headers=world.auth("organiser"))
    assert response.status_code == 200
    data = {s["slug"]: s for s in response.get_json()["data"]}
    assert set(data) == {"open-data", "draft-plan"}
    assert data["draft-plan"]["status"] == "draft"
    assert data["open-data"]["registrations"]["confirmed"] == 1
    admin = client.get("/api/v1/me/sessions", headers=world.auth("admin")).get_json()
    assert admin["meta"]["total"] == 3
    participant = client.get("/api/v1/me/sessions", headers=world.auth("participant"))
    assert participant.status_code == 403


def test_my_sessions_query_count_does_not_grow(app, client, world, make_session, count_queries):
    headers = world.auth("admin")
    client.get("/api/v1/me/sessions", headers=headers)  # notes the token's first use
    few = count_queries(lambda: client.get("/api/v1/me/sessions", headers=headers))
    for n in range(5):
        make_session(slug=f"more-{n}")
        client.post(f"/api/v1/sessions/more-{n}/registration", headers=world.auth("participant"))
    assert count_queries(lambda: client.get("/api/v1/me/sessions", headers=headers)) == few


def test_a_managed_session_shows_the_join_link_and_counts(app, client, world):
    with app.app_context():
        db.session.scalar(
            select(LearningSession).filter_by(slug="draft-plan")
        ).join_url = "https://meet.example.org/secret"
        db.session.commit()
    response = client.get("/api/v1/me/sessions/draft-plan", headers=world.auth("organiser"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["join_url"] == "https://meet.example.org/secret"
    assert body["status"] == "draft"
    assert body["registrations"] == {
        "confirmed": 0, "waitlisted": 0, "pending": 0, "cancelled": 0, "checked_in": 0
    }  # fmt: skip
    other = client.get("/api/v1/me/sessions/draft-plan", headers=world.auth("other_organiser"))
    assert other.status_code == 403


# --- registering -------------------------------------------------------------------------------


def test_registering_is_201_then_200_with_one_row_and_one_email(app, client, world, outbox):
    path = "/api/v1/sessions/open-data/registration"
    first = client.post(path, headers=world.auth("participant"))
    assert first.status_code == 201
    assert first.get_json()["status"] == "confirmed"
    assert first.get_json()["session"]["slug"] == "open-data"
    again = client.post(path, headers=world.auth("participant"))
    assert again.status_code == 200
    assert again.get_json()["status"] == "confirmed"
    assert count(app, Registration) == 1
    assert [to for to, _subject, _body in outbox()] == ["participant@agency.go.th"]


def test_a_full_session_with_waitlist_false_is_409_and_stores_nothing(
    app, client, world, make_session, make_user, outbox
):
    make_session(slug="full", capacity=1)
    client.post("/api/v1/sessions/full/registration", headers=world.auth("admin"))
    before = snapshot(app)
    response = client.post(
        "/api/v1/sessions/full/registration",
        json={"waitlist": False},
        headers=world.auth("participant"),
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "session_full"
    assert snapshot(app) == before
    assert registration_of(app, "full", world.users["participant"]) is None
    waitlisted = client.post(
        "/api/v1/sessions/full/registration", headers=world.auth("participant")
    )
    assert waitlisted.status_code == 201
    assert (waitlisted.get_json()["status"], waitlisted.get_json()["waitlist_place"]) == (
        "waitlisted",
        1,
    )


def test_a_seat_with_waitlist_false_is_taken(client, world):
    response = client.post(
        "/api/v1/sessions/open-data/registration",
        json={"waitlist": False},
        headers=world.auth("participant"),
    )
    assert response.status_code == 201
    assert response.get_json()["status"] == "confirmed"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": SessionStatus.CANCELLED}, "registration_cancelled"),
        ({"days": -1}, "registration_finished"),
        ({"registration_closes_at": datetime.now(UTC) - timedelta(hours=1)}, "registration_closed"),
        (
            {"registration_opens_at": datetime.now(UTC) + timedelta(hours=3)},
            "registration_not_open_yet",
        ),
    ],
)
def test_registering_when_closed_is_409_with_the_services_code(
    app, client, world, make_session, fields, code
):
    make_session(slug="closed", **fields)
    response = client.post(
        "/api/v1/sessions/closed/registration", headers=world.auth("participant")
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == code
    assert count(app, Registration) == 0


def test_registering_for_a_draft_or_unknown_session_is_404(client, world):
    for slug in ("draft-plan", "no-such-session"):
        response = client.post(
            f"/api/v1/sessions/{slug}/registration", headers=world.auth("participant")
        )
        assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"waitlist": "no"}, "waitlist"), ({"seat": True}, "seat"), ({"waitlist": None}, "waitlist")],
)
def test_a_bad_registration_body_is_400(app, client, world, body, field):
    response = client.post(
        "/api/v1/sessions/open-data/registration", json=body, headers=world.auth("participant")
    )
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert count(app, Registration) == 0


def test_cancelling_promotes_the_waitlist_and_tells_both(app, client, world, make_session, outbox):
    make_session(slug="one-seat", capacity=1)
    path = "/api/v1/sessions/one-seat/registration"
    client.post(path, headers=world.auth("participant"))
    client.post(path, headers=world.auth("admin"))  # waitlisted
    sent = len(outbox())
    response = client.delete(path, headers=world.auth("participant"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert registration_of(app, "one-seat", world.users["admin"]).status is (
        RegistrationStatus.CONFIRMED
    )
    told = sorted(to for to, _s, _b in outbox()[sent:])
    assert told == ["admin@agency.go.th", "participant@agency.go.th"]


def test_cancelling_without_a_registration_is_404(client, world):
    response = client.delete(
        "/api/v1/sessions/open-data/registration", headers=world.auth("participant")
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_registered"


def test_cancelling_after_the_session_is_409(app, client, world, make_session):
    session_id = make_session(slug="past", days=-1)
    with app.app_context():
        db.session.add(
            Registration(
                session_id=session_id,
                user_id=world.users["participant"],
                status=RegistrationStatus.CONFIRMED,
            )
        )
        db.session.commit()
    response = client.delete(
        "/api/v1/sessions/past/registration", headers=world.auth("participant")
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "registration_finished"
    assert registration_of(app, "past", world.users["participant"]).status is (
        RegistrationStatus.CONFIRMED
    )


# --- creating a session ------------------------------------------------------------------------


def test_creating_a_session_stores_a_draft_and_answers_201_with_location(app, client, world):
    with app.app_context():
        topic_id = db.session.scalar(select(Topic.id).filter_by(slug="topic-shared"))
    body = new_session(
        slug="api-made",
        topics=[topic_id],
        ends_at="2031-03-04T12:30:00+07:00",
        registration_closes_at="2031-03-04T01:00:00Z",
    )
    response = client.post("/api/v1/sessions", json=body, headers=world.auth("organiser"))
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"] == "http://localhost/api/v1/me/sessions/api-made"
    document = response.get_json()
    assert (document["slug"], document["status"]) == ("api-made", "draft")
    assert document["join_url"] == "https://meet.example.org/room"
    assert document["starts_at"] == "2031-03-04T09:00:00+07:00"
    assert document["registration"]["closes_at"] == "2031-03-04T08:00:00+07:00"
    assert [t["slug"] for t in document["topics"]] == ["topic-shared"]
    row = session_row(app, "api-made")
    assert row.status is SessionStatus.DRAFT
    assert row.organiser_id == world.agency_id
    assert (row.starts_at, row.ends_at) == (START, START + timedelta(hours=3, minutes=30))
    assert row.capacity == 30
    assert client.get("/api/v1/sessions/api-made").status_code == 404  # not public yet


def test_a_session_without_a_slug_gets_one_from_its_title(app, client, world):
    response = client.post("/api/v1/sessions", json=new_session(), headers=world.auth("organiser"))
    assert response.status_code == 201
    assert response.get_json()["slug"] == "an-exchange-made-through-the-api-2031"


def test_rfc3339_times_are_read_in_the_sessions_timezone(app, client, world):
    body = new_session(
        slug="tokyo",
        timezone="Asia/Tokyo",
        starts_at="2031-03-04T02:00:00Z",
        ends_at="2031-03-04T13:00",
    )
    response = client.post("/api/v1/sessions", json=body, headers=world.auth("organiser"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["starts_at"] == "2031-03-04T11:00:00+09:00"
    assert session_row(app, "tokyo").ends_at == datetime(2031, 3, 4, 4, 0, tzinfo=UTC)


def test_a_taken_slug_is_409_and_stores_nothing(app, client, world):
    body = new_session(slug="open-data")
    response = client.post("/api/v1/sessions", json=body, headers=world.auth("organiser"))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "slug_taken"
    assert "slug" in error["fields"]
    assert count(app, LearningSession) == 3


MISSING = object()
INVALID = [
    ("missing_title", {"title_th": MISSING}, "title_th"),
    ("null_title", {"title_th": None}, "title_th"),
    ("empty_title", {"title_th": ""}, "title_th"),
    ("end_before_start", {"ends_at": "2031-03-04T08:00"}, "ends_at"),
    ("end_before_start_rfc3339", {"ends_at": "2031-03-04T01:00:00+07:00"}, "ends_at"),
    ("bad_timezone", {"timezone": "Mars/Olympus"}, "timezone"),
    ("not_a_place", {"timezone": "Factory"}, "timezone"),
    ("bad_url", {"join_url": "ftp://files.example.org"}, "join_url"),
    ("unknown_topic", {"topics": [999999]}, "topics"),
    ("huge_topic_id", {"topics": [2**40]}, "topics"),
    ("title_not_text", {"title_th": 5}, "title_th"),
    ("capacity_text", {"capacity": "ten"}, "capacity"),
    ("capacity_bool", {"capacity": True}, "capacity"),
    ("capacity_negative", {"capacity": -1}, "capacity"),
    ("capacity_float", {"capacity": 2.5}, "capacity"),
    ("topics_not_list", {"topics": "1"}, "topics"),
    ("organiser_text", {"organiser": "opdc"}, "organiser"),
    ("format_unknown", {"format": "telepathy"}, "format"),
    ("time_format", {"starts_at": "4 March 2031 09:00"}, "starts_at"),
    ("time_impossible", {"starts_at": "2031-02-30T09:00"}, "starts_at"),
    ("time_far_past", {"starts_at": "1066-10-14T09:00"}, "starts_at"),
    ("slug_format", {"slug": "Not A Slug"}, "slug"),
    ("slug_newline", {"slug": "open-data-2031\n"}, "slug"),
    ("thai_digits", {"starts_at": "๒๐๓๑-03-04T09:00"}, "starts_at"),
    ("time_no_offset_seconds", {"starts_at": "2031-03-04T09:00:00"}, "starts_at"),
    ("title_too_long", {"title_th": "ก" * 401}, "title_th"),
    ("nul_in_text", {"venue": "room\x00"}, "venue"),
    (
        "closes_after_start",
        {"registration_closes_at": "2031-03-04T10:00"},
        "registration_closes_at",
    ),
    ("unknown_field", {"colour": "blue"}, "colour"),
]


def test_invalid_input_is_400_naming_the_field_and_stores_nothing(app, client, world):
    headers = world.auth("organiser")
    for case, change, field in INVALID:
        body = {**new_session(), **change}
        body = {name: value for name, value in body.items() if value is not MISSING}
        response = client.post("/api/v1/sessions?lang=en", json=body, headers=headers)
        assert response.status_code == 400, (case, response.get_json())
        error = error_of(response)
        assert error["code"] == "invalid_input", case
        assert field in error["fields"], (case, error)
        assert all(isinstance(m, str) and m for m in error["fields"][field]), case
    assert count(app, LearningSession) == 3


def test_form_messages_are_the_web_forms_in_the_asked_language(client, world):
    body = new_session(ends_at="2031-03-04T08:00", join_url="ftp://x.example")
    english = client.post("/api/v1/sessions?lang=en", json=body, headers=world.auth("organiser"))
    thai = client.post("/api/v1/sessions?lang=th", json=body, headers=world.auth("organiser"))
    assert error_of(english)["fields"]["ends_at"] == ["The end must be after the start."]
    assert error_of(english)["fields"]["join_url"] == [
        "Use a web address that starts with https:// or http://."
    ]
    assert error_of(thai)["fields"]["ends_at"] != error_of(english)["fields"]["ends_at"]


def test_every_bad_field_is_named_at_once(client, world):
    body = new_session(title_th="", timezone="Nowhere", capacity="many")
    response = client.post("/api/v1/sessions", json=body, headers=world.auth("organiser"))
    assert set(error_of(response)["fields"]) == {"title_th", "timezone", "capacity"}


NOT_A_JSON_OBJECT = [
    ("title_th=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ('{"title_th": "x"}', "text/plain", 415, "unsupported_media_type"),
    ("", None, 415, "unsupported_media_type"),
    ('{"title_th": ', "application/json", 400, "invalid_json"),
    ("", "application/json", 400, "invalid_json"),
    ("[1, 2]", "application/json", 400, "invalid_json"),
    ('{"capacity": NaN}', "application/json", 400, "invalid_json"),
    (b'{"title_th": "\xff"}', "application/json", 400, "invalid_json"),
    ("[" * 100_000, "application/json", 400, "invalid_json"),
]


def test_a_body_that_is_not_a_json_object_is_refused(app, client, world):
    headers = world.auth("organiser")
    for data, content_type, status, code in NOT_A_JSON_OBJECT:
        response = client.post(
            "/api/v1/sessions", data=data, content_type=content_type, headers=headers
        )
        assert response.status_code == status, (data[:20], content_type)
        assert error_of(response)["code"] == code, (data[:20], content_type)
    assert count(app, LearningSession) == 3


def test_an_unknown_query_argument_is_400(client, world):
    response = client.get("/api/v1/me?colour=blue", headers=world.auth("participant"))
    assert response.status_code == 400
    assert "colour" in error_of(response)["fields"]


# --- changing, publishing, cancelling a session -----------------------------------------------


def test_patch_changes_only_the_given_fields(app, client, world):
    before = session_row(app, "open-data")
    response = client.patch(
        "/api/v1/sessions/open-data",
        json={"venue": "ห้องประชุม 1", "format": "hybrid"},
        headers=world.auth("organiser"),
    )
    assert response.status_code == 200, response.get_json()
    after = session_row(app, "open-data")
    assert (after.venue, after.format.value) == ("ห้องประชุม 1", "hybrid")
    assert (after.title_th, after.starts_at, after.capacity) == (
        before.title_th,
        before.starts_at,
        before.capacity,
    )
    assert response.get_json()["venue"] == "ห้องประชุม 1"


def test_patch_can_rename_the_address(app, client, world):
    response = client.patch(
        "/api/v1/sessions/open-data", json={"slug": "open-data-2031"}, headers=world.auth("admin")
    )
    assert response.status_code == 200
    assert response.get_json()["manage_api_url"].endswith("/me/sessions/open-data-2031")
    assert session_row(app, "open-data-2031") is not None


def test_patch_to_a_taken_slug_is_409(app, client, world):
    response = client.patch(
        "/api/v1/sessions/open-data",
        json={"slug": "draft-plan", "title_en": "Half"},
        headers=world.auth("organiser"),
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "slug_taken"
    assert session_row(app, "open-data").title_en == "Session 1"


def test_patch_capacity_below_confirmed_is_409_and_changes_nothing(app, client, world):
    for role in ("participant", "admin"):
        client.post("/api/v1/sessions/open-data/registration", headers=world.auth(role))
    response = client.patch(
        "/api/v1/sessions/open-data",
        json={"capacity": 1, "title_en": "Smaller"},
        headers=world.auth("organiser"),
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "capacity_below_confirmed"
    row = session_row(app, "open-data")
    assert (row.capacity, row.title_en) == (10, "Session 1")


def test_patch_validates_through_the_form(app, client, world):
    before = snapshot(app)
    response = client.patch(
        "/api/v1/sessions/open-data",
        json={"ends_at": "2000-01-01T00:00"},
        headers=world.auth("organiser"),
    )
    assert response.status_code == 400
    assert "ends_at" in error_of(response)["fields"]
    assert snapshot(app) == before


@pytest.mark.parametrize("body", [{}, None])
def test_patch_needs_a_json_object(client, world, body):
    headers = world.auth("organiser")
    if body is None:
        response = client.patch("/api/v1/sessions/open-data", headers=headers)
        assert response.status_code == 415
    else:
        response = client.patch("/api/v1/sessions/open-data", json=body, headers=headers)
        assert response.status_code == 200  # nothing to change is no error


def test_publish_and_unpublish(app, client, world):
    headers = world.auth("organiser")
    response = client.post("/api/v1/sessions/draft-plan/publish", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "published"
    assert client.get("/api/v1/sessions/draft-plan").status_code == 200
    response = client.post("/api/v1/sessions/draft-plan/unpublish", headers=headers)
    assert response.get_json()["status"] == "draft"
    assert session_row(app, "draft-plan").status is SessionStatus.DRAFT


def test_unpublish_with_confirmed_registrants_is_409(app, client, world):
    client.post("/api/v1/sessions/open-data/registration", headers=world.auth("participant"))
    response = client.post("/api/v1/sessions/open-data/unpublish", headers=world.auth("organiser"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "has_registrants"
    assert session_row(app, "open-data").status is SessionStatus.PUBLISHED


def test_publishing_a_cancelled_session_is_409(app, client, world):
    client.post("/api/v1/sessions/open-data/cancel", headers=world.auth("organiser"))
    response = client.post("/api/v1/sessions/open-data/publish", headers=world.auth("organiser"))
    assert response.status_code == 409
    assert session_row(app, "open-data").status is SessionStatus.CANCELLED


def test_cancel_tells_everyone_and_twice_is_409(app, client, world, outbox):
    client.post("/api/v1/sessions/open-data/registration", headers=world.auth("participant"))
    sent = len(outbox())
    response = client.post(
        "/api/v1/sessions/open-data/cancel",
        json={"message": "วิทยากรติดภารกิจ"},
        headers=world.auth("organiser"),
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    [(to, _subject, body)] = outbox()[sent:]
    assert to == "participant@agency.go.th"
    assert "วิทยากรติดภารกิจ" in body
    again = client.post("/api/v1/sessions/open-data/cancel", headers=world.auth("organiser"))
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_cancelled"
    assert len(outbox()) == sent + 1


@pytest.mark.parametrize("message", [5, "x" * 2001, "nul\x00"])
def test_a_bad_cancel_message_is_400(app, client, world, message):
    response = client.post(
        "/api/v1/sessions/open-data/cancel",
        json={"message": message},
        headers=world.auth("organiser"),
    )
    assert response.status_code == 400
    assert "message" in error_of(response)["fields"]
    assert session_row(app, "open-data").status is SessionStatus.PUBLISHED


# --- the API and the website: one code path, the same outcome and e-mails ----------------------

TOKEN_IN_LINK = re.compile(r"/j/[A-Za-z0-9_-]+")


def twins(app: Flask, make_session: Callable[..., int], make_user: Callable[..., int]):
    """Two identical sessions (but for the slug) and two identical participants."""
    for slug in ("web-twin", "api-twin"):
        make_session(
            shared=True,
            slug=slug,
            title_th="การประชุมแฝด",
            title_en="Twin session",
            starts_at=START,
            ends_at=START + timedelta(hours=2),
            capacity=1,
            join_url="https://meet.example.org/twin",
        )
    web_user = make_user("web@agency.go.th", name="สมชาย ใจดี")
    api_user = make_user("api@agency.go.th", name="สมชาย ใจดี")
    return web_user, api_user


def mails(app: Flask, since: int, slug: str, address: str) -> list[tuple[str, ...]]:
    """E-mails after *since*, with what differs between twins (slug, address, tokens) masked."""

    def mask(text: str) -> str:
        text = TOKEN_IN_LINK.sub("/j/TOKEN", text.replace(slug, "SLUG"))
        return text.replace(address, "ADDRESS")

    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > since).order_by(OutboxMessage.id)
        )
        return [
            (mask(m.to_address), m.subject, mask(m.body_text), m.ics_method, m.language)
            for m in rows
        ]


def last_mail_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(OutboxMessage.id))) or 0


def test_registering_and_cancelling_match_the_website(app, client, make_session, make_user):
    web_user, api_user = twins(app, make_session, make_user)
    headers = bearer(make_token(app, api_user))
    since = last_mail_id(app)
    login_as(client, web_user)
    client.post("/sessions/web-twin/register")
    web_mails = mails(app, since, "web-twin", "web@agency.go.th")
    since = last_mail_id(app)
    assert client.post("/api/v1/sessions/api-twin/registration", headers=headers).status_code == 201
    api_mails = mails(app, since, "api-twin", "api@agency.go.th")
    assert web_mails == api_mails
    assert len(api_mails) == 1
    assert registration_of(app, "web-twin", web_user).status is (
        registration_of(app, "api-twin", api_user).status
    )

    since = last_mail_id(app)
    client.post("/sessions/web-twin/cancel")
    web_mails = mails(app, since, "web-twin", "web@agency.go.th")
    since = last_mail_id(app)
    assert client.delete("/api/v1/sessions/api-twin/registration", headers=headers).status_code == (
        200
    )
    assert mails(app, since, "api-twin", "api@agency.go.th") == web_mails
    assert len(web_mails) == 1


def web_form(app: Flask, slug: str, **changes: str) -> dict[str, Any]:
    from exchange.forms.sessions import form_data

    with app.app_context():
        data = form_data(db.session.scalar(select(LearningSession).filter_by(slug=slug)))
    values: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, datetime):
            values[name] = value.strftime("%Y-%m-%dT%H:%M")
        elif name == "topics":
            values[name] = [str(v) for v in value]
        else:
            values[name] = "" if value is None else str(value)
    values.update(changes)
    return values


def test_updating_and_cancelling_a_session_match_the_website(app, client, make_session, make_user):
    web_user, api_user = twins(app, make_session, make_user)
    with app.app_context():
        agency_id = db.session.scalar(select(Agency.id).filter_by(slug="agency-shared"))
    organiser = make_user("org@agency.go.th", role="organiser", agency_id=agency_id)
    headers = bearer(make_token(app, organiser))
    for user_id, slug in ((web_user, "web-twin"), (api_user, "api-twin")):
        login_as(client, user_id)
        client.post(f"/sessions/{slug}/register")
    login_as(client, organiser)

    since = last_mail_id(app)
    change = {"starts_at": "2031-03-04T10:00", "ends_at": "2031-03-04T12:30", "venue": "ห้อง 2"}
    response = client.post(
        "/manage/sessions/web-twin/edit", data=web_form(app, "web-twin", **change)
    )
    assert response.status_code == 302
    web_mails = mails(app, since, "web-twin", "web@agency.go.th")
    since = last_mail_id(app)
    response = client.patch("/api/v1/sessions/api-twin", json=change, headers=headers)
    assert response.status_code == 200
    assert mails(app, since, "api-twin", "api@agency.go.th") == web_mails
    assert [m[3] for m in web_mails] == ["REQUEST"]
    web_row, api_row = session_row(app, "web-twin"), session_row(app, "api-twin")
    for name in ("starts_at", "ends_at", "venue", "ical_sequence", "capacity", "title_th"):
        assert getattr(web_row, name) == getattr(api_row, name), name
    assert response.get_json()["ical_sequence"] == api_row.ical_sequence == 1

    since = last_mail_id(app)
    note = {"message": "ขออภัย วิทยากรติดภารกิจ"}
    client.post("/manage/sessions/web-twin/cancel", data=note)
    web_mails = mails(app, since, "web-twin", "web@agency.go.th")
    since = last_mail_id(app)
    response = client.post("/api/v1/sessions/api-twin/cancel", json=note, headers=headers)
    assert response.status_code == 200
    assert mails(app, since, "api-twin", "api@agency.go.th") == web_mails
    assert [m[3] for m in web_mails] == ["CANCEL"]
    assert session_row(app, "web-twin").status is session_row(app, "api-twin").status


def test_creating_matches_the_website(app, client, world):
    body = new_session(world.agency_id, slug="api-made", topics=[])
    form = web_form_for_new(body)
    login_as(client, world.users["organiser"])
    assert client.post("/manage/sessions/new", data={**form, "slug": "web-made"}).status_code == 302
    response = client.post("/api/v1/sessions", json=body, headers=world.auth("organiser"))
    assert response.status_code == 201
    web_row, api_row = session_row(app, "web-made"), session_row(app, "api-made")
    for name in ("title_th", "title_en", "starts_at", "ends_at", "capacity", "join_url", "status",
                 "organiser_id", "timezone", "format", "description_th"):  # fmt: skip
        assert getattr(web_row, name) == getattr(api_row, name), name


def web_form_for_new(body: dict[str, Any]) -> dict[str, str]:
    form = {name: str(value) for name, value in body.items() if name != "topics"}
    return {"timezone": "Asia/Bangkok", "format": "online", **form}


# --- the rate limit ---------------------------------------------------------------------------


@pytest.fixture
def limited_app(database_url: str) -> Iterator[Flask]:
    with built_app(database_url, API_WRITE_RATE_LIMIT="2 per minute") as app:
        yield app


def test_writes_are_rate_limited_per_token_with_a_json_429(limited_app: Flask) -> None:
    from exchange.services.accounts import create_user

    with limited_app.app_context():
        db.session.add(
            LearningSession(
                slug="busy",
                title_th="กิจกรรมยอดนิยม",
                status=SessionStatus.PUBLISHED,
                starts_at=START,
                ends_at=START + timedelta(hours=1),
            )
        )
        ids = [create_user(f"u{n}@agency.go.th", "ผู้ใช้", password=None).id for n in range(2)]
        db.session.commit()
    first, second = (bearer(make_token(limited_app, user_id)) for user_id in ids)
    client = limited_app.test_client()
    path = "/api/v1/sessions/busy/registration"
    assert client.post(path, headers=first).status_code == 201
    assert client.post(path, headers=first).status_code == 200
    limited = client.post(path, headers=first)
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/me", headers=first).status_code == 200  # reads are not limited
    assert client.post(path, headers=second).status_code == 201  # another token has its own
