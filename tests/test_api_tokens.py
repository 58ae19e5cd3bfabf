"""Personal API tokens on the profile page: listed, made (the secret shown once, only its hash
stored), revoked (then refused by the API), in Thai and English."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from exchange.db import db, utcnow
from exchange.models import ApiToken, AuditEntry, User
from exchange.services import api_tokens
from tests.conftest import built_app, login_as

SECRET = re.compile(r"lx_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def user_id(make_user) -> int:
    return make_user("somchai@agency.go.th", password=None, name="สมชาย ใจดี")


def make(client, name: str = "แดชบอร์ดอินทราเน็ต", expires: str = "90", **extra: str):
    return client.post("/me/tokens", data={"token-name": name, "token-expires": expires, **extra})


def tokens(app: Flask) -> list[ApiToken]:
    with app.app_context():
        rows = list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.mark.parametrize(
    ("lang", "heading", "empty"),
    [
        ("en", "API tokens", "You have no API tokens yet."),
        ("th", "โทเคน API", "คุณยังไม่มีโทเคน API"),
    ],
    ids=["en", "th"],
)
def test_the_profile_has_an_empty_token_section_in_both_languages(
    client, user_id, lang, heading, empty
):
    login_as(client, user_id)
    response = client.get(f"/me/profile?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in page
    assert 'id="api-tokens"' in page
    assert 'href="/api"' in page  # the explanation links to the API page
    assert 'action="/me/tokens#api-tokens"' in page
    assert "token-list__item" not in page
    assert heading in page
    assert empty in page


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_profile_lists_tokens_with_their_state(app, client, user_id, lang):
    now = utcnow()
    with app.app_context():
        user = db.session.get(User, user_id)
        used, _secret = api_tokens.create_token(user, "ใช้อยู่", now)
        used.last_used_at = now
        gone, _secret = api_tokens.create_token(user, "เลิกใช้", now)
        api_tokens.revoke(gone, now, user_id=user_id)
        old, _secret = api_tokens.create_token(user, "หมดอายุ", now, expires_at=now + timedelta(1))
        old.expires_at = now - timedelta(days=1)
        db.session.commit()
        prefixes = [t.prefix for t in (used, gone, old)]
    login_as(client, user_id)
    page = client.get(f"/me/profile?lang={lang}").get_data(as_text=True)
    for name, prefix in zip(("ใช้อยู่", "เลิกใช้", "หมดอายุ"), prefixes, strict=True):
        assert name in page
        assert f"{prefix}…" in page
    assert page.count("token-list__item--active") == 1
    assert page.count("token-list__item--revoked") == 1
    assert page.count("token-list__item--expired") == 1
    assert page.count("/revoke") == 1  # only the active one can be revoked
    year = str(now.year + 543) if lang == "th" else str(now.year)
    assert year in page  # Buddhist Era in Thai, Gregorian in English
    assert SECRET.search(page) is None


def test_making_a_token_shows_the_secret_once_and_stores_only_its_hash(app, client, user_id):
    login_as(client, user_id)
    response = make(client, expires="30")
    assert response.status_code == 200
    assert response.request.path == "/me/tokens"  # no redirect: the secret is in no address
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    [secret] = set(SECRET.findall(page))
    assert secret not in response.headers.get("Set-Cookie", "")
    assert "data-copy-button" in page
    assert "js/copy-token.js" in page
    assert f'value="{secret}"' in page
    assert "readonly" in page
    [token] = tokens(app)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix)
    assert len(token.prefix) < 12
    assert secret not in repr(vars(token))
    assert token.name == "แดชบอร์ดอินทราเน็ต"
    assert timedelta(days=29, hours=23) < token.expires_at - token.created_at <= timedelta(days=30)
    with client.session_transaction() as cookie_session:
        assert secret not in repr(dict(cookie_session))  # not in a flash message either
    profile = client.get("/me/profile").get_data(as_text=True)
    assert secret not in profile
    assert f"{token.prefix}…" in profile


def test_the_secret_works_against_the_api(client, user_id):
    login_as(client, user_id)
    [secret] = set(SECRET.findall(make(client).get_data(as_text=True)))
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["id"] == user_id


def test_a_token_that_never_expires(app, client, user_id):
    login_as(client, user_id)
    make(client, expires="never")
    [token] = tokens(app)
    assert token.expires_at is None


@pytest.mark.parametrize(
    ("name", "expires"),
    [("", "90"), ("   ", "90"), ("x" * 101, "90"), ("ok", "forever"), ("ok", "")],
)
def test_a_bad_token_form_is_400_and_stores_nothing(app, client, user_id, name, expires):
    login_as(client, user_id)
    response = make(client, name=name, expires=expires)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "field-error" in page
    assert SECRET.search(page) is None
    assert tokens(app) == []


def test_revoking_stops_the_token_at_once(app, client, user_id):
    login_as(client, user_id)
    [secret] = set(SECRET.findall(make(client).get_data(as_text=True)))
    [token] = tokens(app)
    response = client.post(f"/me/tokens/{token.id}/revoke?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/profile#api-tokens")
    [token] = tokens(app)
    assert token.revoked_at is not None
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    page = client.get("/me/profile").get_data(as_text=True)
    assert "token-list__item--revoked" in page
    assert "is revoked" in page  # the flash message
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["api_token_create", "api_token_revoke"]


def test_nobody_revokes_another_users_token(app, client, user_id, make_user):
    login_as(client, user_id)
    make(client)
    [token] = tokens(app)
    login_as(client, make_user(password=None))
    assert client.post(f"/me/tokens/{token.id}/revoke").status_code == 404
    assert client.post("/me/tokens/999999/revoke").status_code == 404
    [token] = tokens(app)
    assert token.revoked_at is None


def test_revoking_is_a_post(app, client, user_id):
    login_as(client, user_id)
    make(client)
    [token] = tokens(app)
    assert client.get(f"/me/tokens/{token.id}/revoke").status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    assert client.post("/me/tokens", data={"token-name": "x"}).status_code == 302
    assert client.post("/me/tokens/1/revoke").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


@pytest.fixture
def csrf_app(database_url: str) -> Iterator[Flask]:
    with built_app(database_url, WTF_CSRF_ENABLED=True) as app:
        yield app


def test_making_and_revoking_need_the_csrf_token(csrf_app: Flask) -> None:
    from exchange.services.accounts import create_user

    with csrf_app.app_context():
        user = create_user("csrf@agency.go.th", "ทดสอบ", password=None)
        db.session.flush()
        token, _secret = api_tokens.create_token(user, "เดิม", utcnow())
        db.session.commit()
        user_id, token_id = user.id, token.id
    client = csrf_app.test_client()
    login_as(client, user_id)
    assert make(client).status_code == 400
    assert client.post(f"/me/tokens/{token_id}/revoke").status_code == 400
    page = client.get("/me/profile").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert make(client, csrf_token=csrf).status_code == 200
    response = client.post(f"/me/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 302
    with csrf_app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 2


def test_the_token_page_explains_how_to_use_it_in_both_languages(client, user_id):
    login_as(client, user_id)
    for lang in ("en", "th"):
        client.get(f"/me/profile?lang={lang}")  # the web remembers the choice
        page = make(client).get_data(as_text=True)
        assert f'<html lang="{lang}"' in page
        assert "Authorization: Bearer" in page
        assert 'href="/api"' in page
        assert 'href="/me/profile#api-tokens"' in page
