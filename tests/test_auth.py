"""Accounts: sign-up, log-in, log-out, password reset, profile, roles, and their safety rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exchange.db import db, utcnow
from exchange.models import AuthToken, User, UserRole
from tests.conftest import login_as, make_test_app

SIGNUP = {
    "display_name": "สมหญิง ใจดี",
    "email": "Somying@Agency.go.th",
    "password": "a long enough secret",
    "confirm": "a long enough secret",
    "agency": "",
}


def users(app) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User)))


# Sign-up itself (confirmed by an e-mailed link): tests/test_signup.py


@pytest.mark.parametrize(
    ("change", "thai", "english"),
    [
        ({"email": "not-an-email"}, "อีเมลให้ถูกต้อง", "Enter a valid e-mail address"),
        ({"password": "short", "confirm": "short"}, "อย่างน้อย 10", "at least 10 characters"),
        ({"confirm": "something else entirely"}, "ไม่ตรงกัน", "The two passwords are not the same"),
        ({"display_name": ""}, "กรุณากรอกชื่อ", "Enter your name"),
    ],
)
def test_signup_bad_input_gets_a_message_in_both_languages(
    app, client, outbox, change, thai, english
):
    response = client.post("/auth/signup", data={**SIGNUP, **change})
    assert response.status_code == 200
    assert thai in response.get_data(as_text=True)
    response = client.post("/auth/signup?lang=en", data={**SIGNUP, **change})
    assert english in response.get_data(as_text=True)
    assert users(app) == []
    assert outbox() == []


def test_login_and_logout(client, make_user):
    make_user("a@agency.go.th")
    response = client.post(
        "/auth/login", data={"email": "A@agency.go.th", "password": "correct horse"}
    )
    assert response.status_code == 302
    assert client.get("/me").status_code == 200
    assert client.get("/auth/logout").status_code == 405  # log-out is a POST, never a link
    client.post("/auth/logout")
    assert client.get("/me").status_code == 302


def test_login_gives_the_same_answer_for_unknown_address_and_wrong_password(client, make_user):
    make_user("a@agency.go.th")
    wrong = client.post("/auth/login", data={"email": "a@agency.go.th", "password": "nope nope"})
    unknown = client.post("/auth/login", data={"email": "b@agency.go.th", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    message = "อีเมลหรือรหัสผ่านไม่ถูกต้อง"
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie(client, make_user):
    make_user("a@agency.go.th")
    response = client.post(
        "/auth/login",
        data={"email": "a@agency.go.th", "password": "correct horse", "remember": "y"},
    )
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_next_only_points_inside_the_site(client, make_user, target):
    make_user("a@agency.go.th")
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": "a@agency.go.th", "password": "correct horse"},
    )
    assert response.headers["Location"] == "/me"


def test_next_inside_the_site_is_followed(client, make_user):
    make_user("a@agency.go.th")
    response = client.post(
        "/auth/login?next=/sessions",
        data={"email": "a@agency.go.th", "password": "correct horse"},
    )
    assert response.headers["Location"] == "/sessions"


def test_forms_need_a_csrf_token(database_url):
    app = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
    try:
        client = app.test_client()
        response = client.post("/auth/login", data={"email": "a@b.go.th", "password": "x"})
        assert response.status_code == 400
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/auth/login", data={"email": "a@b.go.th", "password": "x", "csrf_token": token}
        )
        assert response.status_code == 200  # validated; the password is just wrong
    finally:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


def test_login_is_rate_limited(database_url):
    app = make_test_app(database_url, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        db.create_all()
    try:
        client = app.test_client()
        codes = [
            client.post("/auth/login", data={"email": "a@b.go.th", "password": "x"}).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
    finally:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


def test_session_cookie_is_httponly_samesite_and_secure_in_production(monkeypatch, tmp_path):
    from exchange import create_app

    monkeypatch.setenv("SECRET_KEY", "production-secret")
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    with app.app_context():
        db.engine.dispose()


def _reset_link(outbox) -> str:
    [(_, _, body)] = outbox()
    return re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)


def test_password_reset_gives_the_same_answer_and_mails_only_real_accounts(
    app, client, make_user, outbox
):
    make_user("a@agency.go.th")
    unknown = client.post(
        "/auth/reset", data={"email": "nobody@agency.go.th"}, follow_redirects=True
    )
    assert outbox() == []
    known = client.post("/auth/reset", data={"email": "a@agency.go.th"}, follow_redirects=True)
    message = "หากมีบัญชีที่ใช้อีเมลนี้"
    assert message in unknown.get_data(as_text=True)
    assert message in known.get_data(as_text=True)
    assert len(outbox()) == 1


def test_password_reset_link_sets_a_password_once(app, client, make_user, outbox):
    make_user("a@agency.go.th")
    client.post("/auth/reset", data={"email": "a@agency.go.th"})
    link = _reset_link(outbox)
    assert client.get(link).status_code == 200
    response = client.post(
        link, data={"password": "a brand new secret", "confirm": "a brand new secret"}
    )
    assert response.status_code == 302
    client.post("/auth/logout")
    assert (
        client.post(
            "/auth/login", data={"email": "a@agency.go.th", "password": "a brand new secret"}
        ).status_code
        == 302
    )
    again = client.post(link, data={"password": "another secret!!", "confirm": "another secret!!"})
    assert again.status_code == 400
    assert "ลิงก์นี้ถูกใช้ไปแล้ว" in again.get_data(as_text=True)


def test_expired_and_unknown_reset_links_say_so(app, client, make_user, outbox):
    make_user("a@agency.go.th")
    client.post("/auth/reset", data={"email": "a@agency.go.th"})
    link = _reset_link(outbox)
    with app.app_context():
        token = db.session.scalar(select(AuthToken))
        token.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get(link + "?lang=en")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    response = client.get("/auth/reset/not-a-token?lang=en")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_reset_short_password_is_refused(app, client, make_user, outbox):
    make_user("a@agency.go.th")
    client.post("/auth/reset", data={"email": "a@agency.go.th"})
    response = client.post(_reset_link(outbox), data={"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert "อย่างน้อย 10" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AuthToken)).used_at is None


def test_profile_changes_name_agency_and_language(app, client, make_user, make_session):
    user_id = make_user("a@agency.go.th")
    make_session()  # creates agency 1
    login_as(client, user_id)
    assert client.get("/me/profile").status_code == 200
    response = client.post(
        "/me/profile", data={"display_name": "New Name", "agency": "1", "locale": "en"}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.display_name, user.agency_id, user.locale) == ("New Name", 1, "en")
    assert '<html lang="en"' in client.get("/me").get_data(as_text=True)


def test_profile_refuses_an_unknown_agency(client, make_user):
    login_as(client, make_user())
    response = client.post(
        "/me/profile", data={"display_name": "X", "agency": "999", "locale": "th"}
    )
    assert response.status_code == 200
    assert "field-error" in response.get_data(as_text=True)


def test_password_change_needs_the_current_password(app, client, make_user):
    user_id = make_user("a@agency.go.th")
    login_as(client, user_id)
    form = {
        "pw-current_password": "wrong one",
        "pw-password": "new secret 123",
        "pw-confirm": "new secret 123",
    }
    response = client.post("/me/password", data=form)
    assert response.status_code == 400
    form["pw-current_password"] = "correct horse"
    assert client.post("/me/password", data=form).status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).check_password("new secret 123")


def test_me_pages_need_login(client):
    for url in ["/me", "/me/profile"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")


def test_create_admin_creates_and_promotes(app, runner, make_user):
    result = runner.invoke(
        args=["exchange", "create-admin", "Boss@OPDC.go.th", "--password", "long admin password"]
    )
    assert result.exit_code == 0, result.output
    user_id = make_user("someone@agency.go.th")
    result = runner.invoke(args=["exchange", "create-admin", "SOMEONE@agency.go.th"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        roles = dict(db.session.execute(select(User.email, User.role)).all())
        assert roles == {"boss@opdc.go.th": UserRole.ADMIN, "someone@agency.go.th": UserRole.ADMIN}
        assert db.session.get(User, user_id).role is UserRole.ADMIN


def test_create_admin_refuses_a_short_password_and_a_bad_address(app, runner):
    result = runner.invoke(args=["exchange", "create-admin", "a@b.go.th", "--password", "short"])
    assert result.exit_code != 0
    result = runner.invoke(
        args=["exchange", "create-admin", "nobody", "--password", "long enough pw"]
    )
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
