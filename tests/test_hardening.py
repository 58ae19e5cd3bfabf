"""Hardening: CSRF on every state change, rate limits, no account enumeration, no secret in
any log, uploads never active content.

The CSRF sweep is generated from the URL map, so a new form route is covered the day it is
added.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

from exchange.db import db
from exchange.models import LearningSession, Material, OutboxMessage, Registration, User
from tests.conftest import built_app, login_as
from tests.test_mail import smtp_server  # noqa: F401 -- a fixture: an SMTP server on loopback

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PASSWORD = "correct horse"  # make_user's
CSRF_REFUSED = "refused: no CSRF token"


def _fill(rule: Rule, slug: str) -> str:
    """The rule's address with plausible arguments: CSRF is checked before any lookup."""
    path = rule.rule
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if hasattr(converter, "items"):
            value = sorted(converter.items)[0]
        elif name == "slug":
            value = slug
        elif "id" in name:
            value = "1"
        else:
            value = "x"
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
    return path


# --- (a) CSRF ----------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(database_url: str) -> Iterator[Flask]:
    with built_app(database_url, WTF_CSRF_ENABLED=True) as app:
        from flask_wtf.csrf import CSRFError

        from exchange.services.demo import load_demo

        # Tell a CSRF refusal from any other 400 (a view's own abort(400) on a bad form).
        app.register_error_handler(CSRFError, lambda error: (CSRF_REFUSED, 400))

        with app.app_context():
            load_demo(now=datetime.now(UTC))
            db.session.commit()
        yield app


def test_every_state_change_outside_the_api_needs_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        slug = db.session.scalars(sa.select(LearningSession.slug).limit(1)).one()
        from exchange.models import UserRole
        from exchange.services.accounts import create_user

        admin_id = create_user(
            "admin@opdc.go.th", "Admin", password=PASSWORD, role=UserRole.ADMIN
        ).id
        db.session.commit()
    login_as(client, admin_id)
    checked = []
    for rule in csrf_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            continue
        for method in sorted(set(WRITE_METHODS) & rule.methods):
            url = _fill(rule, slug)
            response = client.open(url, method=method, data={"anything": "x"})
            assert response.status_code == 400, f"{method} {url}: {response.status_code}"
            assert response.get_data(as_text=True) == CSRF_REFUSED, f"{method} {url}"
            checked.append(f"{method} {rule.rule}")
    assert len(checked) >= 40  # the sweep did sweep
    assert any("/auth/login" in c for c in checked)
    assert any("/manage/sessions/<slug>/publish" in c for c in checked)
    # nothing changed: the admin is still logged in and no session was published or made
    assert client.get("/me").status_code == 200


def test_with_the_token_the_same_form_works(csrf_app):
    """The sweep's 400s are CSRF refusals, not broken routes: a real form with its token works."""
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post(
        "/auth/login", data={"csrf_token": token.group(1), "email": "x@y.go.th", "password": "z"}
    )
    assert response.status_code == 200  # the form again, with "not right": CSRF passed


def test_a_cookie_alone_cannot_write_to_the_api(app, client, make_user, make_session):
    """The API takes Bearer tokens only: a logged-in browser's cookie (what a CSRF attack
    rides on) is not a credential there, so the API needs no CSRF token."""
    make_session(slug="api-open")
    user_id = make_user()
    login_as(client, user_id)
    assert client.get("/me").status_code == 200  # the cookie is a valid log-in
    for method, url in [
        ("POST", "/api/v1/sessions/api-open/registration"),
        ("DELETE", "/api/v1/sessions/api-open/registration"),
        ("POST", "/api/v1/sessions"),
        ("PATCH", "/api/v1/sessions/api-open"),
        ("POST", "/api/v1/sessions/api-open/cancel"),
    ]:
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, f"{method} {url}"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


# --- (b) rate limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "url", "form"),
    [
        ("LOGIN_RATE_LIMIT", "/auth/login", {"email": "a@agency.go.th", "password": "nope"}),
        ("SIGNUP_RATE_LIMIT", "/auth/signup", {"email": "not-an-address"}),
        ("RESET_RATE_LIMIT", "/auth/reset", {"email": "a@agency.go.th"}),
        ("RESET_RATE_LIMIT", "/auth/reset/not-a-real-secret", {"password": "x"}),
        ("GUEST_REGISTRATION_RATE_LIMIT", "/sessions/limited/register/guest", {"email": "x"}),
    ],
)
def test_account_and_registration_forms_are_rate_limited(database_url, key, url, form):
    with built_app(database_url, **{key: "3 per minute"}) as app:
        from exchange.config import DefaultConfig

        assert getattr(DefaultConfig, key)  # limited out of the box, not only in this test
        client = app.test_client()
        statuses = [client.post(url, data=form).status_code for _ in range(4)]
        assert 429 not in statuses[:3]
        assert statuses[3] == 429
        assert client.get(url.replace("/register/guest", "")).status_code != 429  # reading


def test_registering_is_limited_per_account_not_per_address(database_url):
    """Colleagues behind one agency's NAT share an address: each account has its own budget,
    shared by register and cancel (each writes mail)."""
    from exchange.config import DefaultConfig
    from exchange.services.accounts import create_user

    assert DefaultConfig.REGISTRATION_RATE_LIMIT
    with built_app(database_url, REGISTRATION_RATE_LIMIT="3 per minute") as app:
        with app.app_context():
            ids = [create_user(f"u{n}@agency.go.th", f"U{n}").id for n in range(2)]
            db.session.commit()
        first, second = app.test_client(), app.test_client()
        login_as(first, ids[0])
        login_as(second, ids[1])
        url = "/sessions/no-such-session"
        statuses = [
            first.post(f"{url}/register").status_code,
            first.post(f"{url}/cancel").status_code,
            first.post(f"{url}/register").status_code,
            first.post(f"{url}/cancel").status_code,
        ]
        assert statuses == [404, 404, 404, 429]
        assert second.post(f"{url}/register").status_code == 404  # not limited by the first


# --- (c) no account enumeration ----------------------------------------------------------------


def _page(response) -> str:
    """The answer as a reader sees it, minus what differs on every request."""
    text = response.get_data(as_text=True)
    text = re.sub(r'name="csrf_token"[^>]*>', "", text)
    return re.sub(r'value="[^"]*@[^"]*"', 'value=""', text)  # the address typed, echoed


def test_login_answers_alike_for_an_unknown_address_and_a_wrong_password(client, make_user):
    make_user("known@agency.go.th")
    unknown = client.post("/auth/login", data={"email": "nobody@agency.go.th", "password": "x"})
    wrong = client.post("/auth/login", data={"email": "known@agency.go.th", "password": "x"})
    assert unknown.status_code == wrong.status_code == 200
    assert _page(unknown) == _page(wrong)


def test_login_with_an_unknown_address_costs_a_password_check(app, make_user):
    """Timing: a wrong address takes as long as a wrong password (a dummy hash is checked)."""
    from exchange.services.accounts import authenticate

    make_user("known@agency.go.th")

    def fastest(email: str) -> float:
        times = []
        with app.app_context():
            for _ in range(3):
                start = time.perf_counter()
                assert authenticate(email, "wrong password") is None
                times.append(time.perf_counter() - start)
        return min(times)

    wrong_password, unknown = fastest("known@agency.go.th"), fastest("nobody@agency.go.th")
    assert unknown > 0.5 * wrong_password, (unknown, wrong_password)


def test_reset_answers_alike_for_known_and_unknown_addresses(client, make_user, outbox):
    make_user("known@agency.go.th")
    answers = []
    for email in ("known@agency.go.th", "nobody@agency.go.th"):
        response = client.post("/auth/reset", data={"email": email})
        assert response.status_code == 302
        followed = client.get(response.headers["Location"])
        answers.append((response.headers["Location"], _page(followed)))
    assert answers[0] == answers[1]
    assert "If an account uses that address" in answers[0][1] or "หาก" in answers[0][1]
    assert [to for to, _, _ in outbox()] == ["known@agency.go.th"]


def test_reset_answers_as_late_for_known_and_unknown_addresses(client, make_user, monkeypatch):
    """Timing: mailing a link (token, mail rendered and written) takes longer than finding no
    account; both answers come RESET_ANSWER_SECONDS after the request arrived."""
    from exchange.auth import views

    make_user("known@agency.go.th")
    waits = {}
    for email in ("known@agency.go.th", "nobody@agency.go.th"):
        slept: list[float] = []
        monkeypatch.setattr(views.time, "sleep", slept.append)
        began = time.perf_counter()
        assert client.post("/auth/reset", data={"email": email}).status_code == 302
        took = time.perf_counter() - began
        assert len(slept) == 1, email  # it waited, and the wait filled the time up
        waits[email] = (slept[0], took)
        assert took + slept[0] >= 0.24, email  # the answer as late as configured
    known_wait, unknown_wait = waits["known@agency.go.th"][0], waits["nobody@agency.go.th"][0]
    assert 0 < known_wait < unknown_wait <= 0.25  # the unknown address waits longer


def _last_mail_body(app) -> str:
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage.body_text).order_by(OutboxMessage.id.desc())
        ).first()


# --- (d) secrets never logged ------------------------------------------------------------------


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("mail.log"):  # aiosmtpd's: the test's mail server, not ours
            return
        self.lines.append(f"{record.name}: {self.format(record)}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def all_logs() -> Iterator[_Everything]:
    """Every record of every logger at DEBUG: the app's, Werkzeug's, SMTP's, SQLAlchemy's.

    SQLAlchemy's engine is put at INFO, the level of SQLALCHEMY_ECHO (statements and their
    values, which a deployer switches on to debug). Its DEBUG level adds every result row:
    a dump of the data itself, password hashes and stored tokens included, by design.
    """
    handler = _Everything()
    root = logging.getLogger()
    names = ["sqlalchemy", "sqlalchemy.engine", *logging.root.manager.loggerDict]
    loggers = [root, *(logging.getLogger(name) for name in names)]
    old_levels = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    logging.getLogger("sqlalchemy.engine.Engine").setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in zip(loggers, old_levels, strict=True):
            logger.setLevel(level)


def test_no_secret_reaches_any_log(app, client, make_session, all_logs, smtp_server):  # noqa: F811
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server[0])
    secrets: list[str] = []
    make_session(slug="logged", join_url="https://meet.example.org/room-secret-42")
    secrets.append("room-secret-42")

    # sign-up and log-in
    password = "a very secret passphrase 1"
    secrets.append(password)
    signup = {
        "display_name": "Somchai",
        "email": "somchai@agency.go.th",
        "password": password,
        "confirm": password,
        "agency": "",
    }
    assert client.post("/auth/signup", data=signup).status_code == 302
    body = _last_mail_body(app)
    signup_secret = re.search(r"/auth/signup/confirm/([A-Za-z0-9_\-.]+)", body).group(1)
    secrets.append(signup_secret)
    assert client.post(f"/auth/signup/confirm/{signup_secret}").status_code == 302
    with app.app_context():
        secrets.append(db.session.scalar(sa.select(User.password_hash)))
    client.post("/auth/logout")
    login = {"email": "somchai@agency.go.th", "password": password}
    assert client.post("/auth/login", data=login).status_code == 302
    client.post("/auth/login", data={"email": "somchai@agency.go.th", "password": password + "x"})

    # registration, its join link, an API token
    assert client.post("/sessions/logged/register").status_code == 302
    with app.app_context():
        join_token = db.session.scalar(sa.select(Registration.join_token))
    assert join_token
    secrets.append(join_token)
    client.get(f"/j/{join_token}")
    created = client.post("/me/tokens", data={"token-name": "intranet", "token-expires": "30"})
    api_secret = re.search(r"lx_[A-Za-z0-9_\-]{20,}", created.get_data(as_text=True))
    assert api_secret, "the token page shows the new secret once"
    secrets.append(api_secret.group())
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_secret.group()}"})

    # password reset, by its e-mailed link, to a new password
    client.post("/auth/logout")
    assert client.post("/auth/reset", data={"email": "somchai@agency.go.th"}).status_code == 302
    body = _last_mail_body(app)
    reset_secret = re.search(r"/auth/reset/([A-Za-z0-9_\-]+)", body).group(1)
    secrets.append(reset_secret)
    new_password = "another secret passphrase 2"
    secrets.append(new_password)
    reset = {"password": new_password, "confirm": new_password}
    assert client.post(f"/auth/reset/{reset_secret}", data=reset).status_code == 302

    # a guest registration's confirmation link
    client.post("/auth/logout")
    guest = {"display_name": "Guest", "email": "guest@agency.go.th", "agency": ""}
    assert client.post("/sessions/logged/register/guest", data=guest).status_code == 302
    body = _last_mail_body(app)
    secrets.append(re.search(r"/auth/confirm/([A-Za-z0-9_\-]+)", body).group(1))

    # the mail, delivered over SMTP
    from exchange.services.mail import deliver_pending

    with app.app_context():
        report = deliver_pending()
    assert report
    assert smtp_server[1].received  # the reset and confirm links did go out, by mail

    logged = "\n".join(all_logs.lines)
    assert logged, "logging was captured"
    for secret in secrets:
        assert secret not in logged, f"{secret[:6]}… was logged"


# --- (e) uploads never active content ----------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "stored_type", "content"),
    [
        ("page.html", "text/html", b"<script>alert(document.cookie)</script>"),
        ("drawing.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'),
        ("note.xml", "application/xhtml+xml", b"<html xmlns='http://www.w3.org/1999/xhtml'/>"),
    ],
)
def test_a_stored_active_type_is_still_served_inert(
    app, client, make_session, tmp_path, filename, stored_type, content
):
    """Upload refuses HTML and SVG (tests/test_materials.py); a row that holds such a type
    anyway (a restored backup, an older rule) is still sent as opaque bytes to save."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    session_id = make_session(slug="with-file")
    (tmp_path / "stored-x").write_bytes(content)
    with app.app_context():
        material = Material(
            session_id=session_id,
            title="File",
            filename=filename,
            stored_name="stored-x",
            content_type=stored_type,
            size=len(content),
        )
        db.session.add(material)
        db.session.commit()
        material_id = material.id
    response = client.get(f"/sessions/with-file/materials/{material_id}/{filename}")
    response.close()
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_uploads_are_not_under_static(app):
    """The files live outside static/, so no address but the checked download reaches them."""
    from exchange.services.materials import upload_folder

    with app.app_context():
        folder = upload_folder().resolve()
    assert not folder.is_relative_to(Path(app.static_folder).resolve())


def test_limits_stay_on_after_an_app_was_built_with_them_off(database_url):
    """Flask-Limiter's one `limiter` object took its default from the last app it served: an
    app built with RATELIMIT_ENABLED=False (tests, benchmarks) disabled the next app's limits."""
    with built_app(database_url, RATELIMIT_ENABLED=False):
        pass
    with built_app(database_url, LOGIN_RATE_LIMIT="1 per minute") as app:
        client = app.test_client()
        form = {"email": "a@agency.go.th", "password": "nope"}
        statuses = [client.post("/auth/login", data=form).status_code for _ in range(2)]
        assert statuses[1] == 429
