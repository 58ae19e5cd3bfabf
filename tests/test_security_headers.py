"""Security headers on every kind of response, and cookie flags in production.

The GET addresses are generated from the URL map with the demo loaded, so a new route is
checked without adding it here: pages, the JSON API, feeds, exports, static files, redirects,
404s and the rest, each as an anonymous visitor and as an admin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

from exchange.db import db
from exchange.models import Agency, LearningSession, Person, Topic, User
from exchange.security_headers import parse_policy
from tests.conftest import built_app, login_as

EXPECTED_CSP = parse_policy(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
VIEWS_WITH_THEIR_OWN_CSP = {"materials.download"}  # a sandbox for uploaded files
# The admin's preview of an e-mail: mail HTML is styled inline (mail clients drop <style>) and
# its sandboxed frame, which inherits the page's policy, embeds Sarabun as data: URLs.
MAIL_PREVIEW = {"style-src": ["'self'", "'unsafe-inline'"], "font-src": ["'self'", "data:"]}
VIEWS_WITH_RELAXED_CSP = {"admin.outbox_message": MAIL_PREVIEW}


def assert_secure_headers(
    response, where: str = "", *, own_csp: bool = False, relaxed: dict | None = None
) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["X-Frame-Options"] == "DENY", where
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", where
    assert "camera=()" in headers["Permissions-Policy"], where
    assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer"), where
    assert "Strict-Transport-Security" not in headers, where  # plain http
    assert headers.getlist("Content-Security-Policy") == [headers["Content-Security-Policy"]]
    if own_csp:
        return
    policy = parse_policy(headers["Content-Security-Policy"])
    if relaxed:
        assert policy == EXPECTED_CSP | relaxed, where
        return
    for directive, sources in EXPECTED_CSP.items():
        if directive == "style-src":  # the charts' own <style> may add its hash
            assert policy[directive][0] == "'self'", where
            assert all(s.startswith("'sha256-") for s in policy[directive][1:]), where
        else:
            assert policy[directive] == sources, where
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"], where
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"], where


@pytest.fixture
def app(database_url: str, tmp_path) -> Iterator[Flask]:
    """This module's app: uploads in a temporary folder, and a route whose error is a 500."""
    with built_app(database_url, UPLOAD_FOLDER=str(tmp_path), PROPAGATE_EXCEPTIONS=False) as app:
        app.add_url_rule("/boom-for-test", "boom", _boom)
        yield app


def _boom() -> str:
    raise RuntimeError("an unexpected failure")


def _values(app: Flask) -> dict[str, str]:
    """Argument values that exist in the demo, by name (a wrong guess still answers: a 404)."""
    with app.app_context():
        first = lambda model: db.session.scalars(sa.select(model.slug).limit(1)).one()  # noqa: E731
        admin = db.session.scalar(sa.select(User).limit(1))
        return {
            "slug": first(LearningSession),
            "agency_slug": first(Agency),
            "topic_slug": first(Topic),
            "person_slug": first(Person),
            "token": admin.calendar_token if admin and admin.calendar_token else "unknown",
        }


def _url(rule: Rule, values: dict[str, str]) -> str:
    arguments = {}
    for name in rule.arguments:
        if name == "slug" and rule.rule.startswith("/agencies"):
            arguments[name] = values["agency_slug"]
        elif name == "slug" and rule.rule.startswith("/topics"):
            arguments[name] = values["topic_slug"]
        elif name == "slug" and rule.rule.startswith("/people"):
            arguments[name] = values["person_slug"]
        elif name == "slug":
            arguments[name] = values["slug"]
        elif name == "filename" and rule.endpoint == "static":
            arguments[name] = "css/app.css"
        elif name == "token":
            arguments[name] = values["token"]
        elif name in rule._converters and hasattr(rule._converters[name], "items"):
            arguments[name] = sorted(rule._converters[name].items)[0]  # any(xml, json) ...
        else:
            arguments[name] = "1" if "id" in name else "x"
    path = rule.rule
    for name, value in arguments.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
    return path


def _get_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "boom"]


def test_every_get_route_answers_with_the_headers(app, client, demo, make_user):
    values = _values(app)
    seen_types: set[str] = set()
    seen_statuses: set[int] = set()
    admin = make_user("admin-headers@agency.go.th", role="admin")
    for who in ("anonymous", "admin"):
        if who == "admin":
            login_as(client, admin)
        for rule in _get_rules(app):
            url = _url(rule, values)
            response = client.get(url)
            response.close()  # static files and downloads are streamed from open files
            where = f"{who} GET {url} -> {response.status_code}"
            own_csp = rule.endpoint in VIEWS_WITH_THEIR_OWN_CSP
            relaxed = VIEWS_WITH_RELAXED_CSP.get(rule.endpoint) if who == "admin" else None
            assert_secure_headers(response, where, own_csp=own_csp, relaxed=relaxed)
            seen_types.add(response.mimetype)
            seen_statuses.add(response.status_code)
    # the sample covers every kind of answer: pages, JSON, feeds, exports, static, redirects, 404s
    for kind in ("text/html", "application/json", "text/calendar", "application/atom+xml"):
        assert kind in seen_types
    assert {"text/css", "text/csv"} <= seen_types
    assert {200, 302, 404} <= seen_statuses


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/boom-for-test", 500),
        ("GET", "/no-such-page", 404),
        ("GET", "/api/v1/no-such-thing", 404),
        ("POST", "/sessions", 405),
        ("GET", "/static/js/copy-token.js", 200),
        ("GET", "/language/en", 302),
        ("HEAD", "/", 200),
        ("OPTIONS", "/", 200),
    ],
)
def test_errors_redirects_and_other_methods_carry_the_headers(client, method, path, status):
    response = client.open(path, method=method)
    response.close()
    assert response.status_code == status
    assert_secure_headers(response, f"{method} {path}")


def test_a_csrf_refusal_and_a_rate_limit_carry_the_headers(database_url):
    form = {"email": "a@b.go.th", "password": "x"}
    with built_app(database_url, WTF_CSRF_ENABLED=True) as app:
        refused = app.test_client().post("/auth/login", data=form)
        assert refused.status_code == 400
        assert_secure_headers(refused, "csrf")
    with built_app(database_url, LOGIN_RATE_LIMIT="1 per minute") as app:
        client = app.test_client()
        client.post("/auth/login", data=form)
        limited = client.post("/auth/login", data=form)
        assert limited.status_code == 429
        assert_secure_headers(limited, "429")


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://exchange.example.go.th")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert secure.headers["X-Frame-Options"] == "DENY"
    also = client.get("/static/css/app.css", environ_overrides={"wsgi.url_scheme": "https"})
    also.close()
    assert "max-age=" in also.headers["Strict-Transport-Security"]


def test_hsts_follows_the_forwarded_scheme_only_behind_a_trusted_proxy(database_url):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    with built_app(database_url) as app:  # TRUSTED_PROXIES = 0: a client may not claim https
        plain = app.test_client().get("/", headers=forwarded)
        assert "Strict-Transport-Security" not in plain.headers
    with built_app(database_url, TRUSTED_PROXIES=1) as app:
        # ProxyFix is applied by create_app; the header names the client's scheme
        response = app.test_client().get("/", headers=forwarded)
        assert "Strict-Transport-Security" in response.headers


def test_headers_come_from_the_configuration(database_url):
    policy = "default-src 'self'; frame-ancestors 'self'"
    with built_app(
        database_url,
        CONTENT_SECURITY_POLICY=policy,
        REFERRER_POLICY="same-origin",
        STRICT_TRANSPORT_SECURITY="",
        PERMISSIONS_POLICY=None,
    ) as app:
        response = app.test_client().get("/", base_url="https://exchange.example.go.th")
        assert response.headers["Content-Security-Policy"] == policy
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers
        assert "Permissions-Policy" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_stricter_no_referrer_of_secret_links_is_kept(app, client, make_user):
    user_id = make_user()
    login_as(client, user_id)
    assert client.get("/me").status_code == 200  # gives the account its feed token
    with app.app_context():
        token = db.session.get(User, user_id).calendar_token
    assert client.get(f"/me/calendar/{token}.ics").status_code == 200
    for url in (f"/me/calendar/{token}.ics", "/j/no-such-token"):
        response = client.get(url)
        assert response.headers["Referrer-Policy"] == "no-referrer", url
        assert_secure_headers(response, url)
    created = client.post("/me/tokens", data={"token-name": "intranet", "token-expires": "30"})
    assert created.status_code == 200
    assert created.headers["Referrer-Policy"] == "no-referrer"
    assert created.headers["Cache-Control"] == "no-store"
    assert_secure_headers(created, "token page")


def test_materials_keep_their_own_sandbox_policy(app, client, make_session, tmp_path):
    from exchange.models import Material

    session_id = make_session(slug="with-file")
    (tmp_path / "stored-1").write_bytes(b"%PDF-1.4\n%%EOF\n")
    with app.app_context():
        material = Material(
            session_id=session_id,
            title="Slides",
            filename="slides.pdf",
            stored_name="stored-1",
            content_type="application/pdf",
            size=15,
        )
        db.session.add(material)
        db.session.commit()
        material_id = material.id
    response = client.get(f"/sessions/with-file/materials/{material_id}/slides.pdf")
    response.close()
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert_secure_headers(response, "material", own_csp=True)


def test_only_the_mail_preview_allows_inline_style(app, client, make_user, outbox):
    """The preview frame shows the mail as sent; every other page keeps the strict policy."""
    client.post("/auth/reset", data={"email": "someone@agency.go.th"})
    make_user("someone@agency.go.th")
    client.post("/auth/reset", data={"email": "someone@agency.go.th"})
    assert len(outbox()) == 1
    login_as(client, make_user(role="admin"))
    with app.app_context():
        from exchange.models import OutboxMessage

        message_id = db.session.scalar(sa.select(OutboxMessage.id))
    preview = client.get(f"/manage/outbox/{message_id}")
    assert preview.status_code == 200
    assert "<iframe srcdoc=" in preview.get_data(as_text=True)
    assert_secure_headers(preview, "preview", relaxed=MAIL_PREVIEW)
    assert_secure_headers(client.get("/manage/outbox"), "outbox list")


def test_charts_are_styled_by_a_hashed_style_not_an_attribute(app, client, make_session, make_user):
    """The organiser dashboard's charts: the policy lets exactly their <style> through."""
    import base64
    import hashlib

    make_session(slug="charted")
    for n in range(2):
        login_as(client, make_user(f"p{n}@agency.go.th"))
        assert client.post("/sessions/charted/register").status_code == 302
    login_as(client, make_user(role="admin"))
    response = client.get("/manage/sessions/charted/dashboard")
    page = response.get_data(as_text=True)
    assert 'style="' not in page
    styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    assert styles, "the dashboard draws charts"
    policy = parse_policy(response.headers["Content-Security-Policy"])
    for css in styles:
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["style-src"]
    assert_secure_headers(response, "dashboard")


def test_no_page_template_has_inline_script_style_or_handlers():
    """Templates served as pages (not e-mails, not the certificate drawn for the PDF)."""
    from tests.conftest import PROJECT_ROOT

    templates = PROJECT_ROOT / "templates"
    offenders = []
    for path in templates.rglob("*.html"):
        relative = path.relative_to(templates).as_posix()
        if relative.startswith(("email/", "certificates/certificate.html")):
            continue
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        for pattern in (
            r"<script(?![^>]*\ssrc=)[^>]*>",  # a script without src
            r"<[a-z][^>]*\son[a-z]+\s*=",  # onclick=, onload= ...
            r"javascript:",
            r"<[a-z][^>]*\sstyle\s*=",
            r"<style",
        ):
            offenders += [f"{relative}: {m.group()}" for m in re.finditer(pattern, text, re.I)]
    assert offenders == []


def test_the_certificate_html_is_only_ever_made_into_a_pdf():
    """certificates/certificate.html holds a <style>; it must never be served as a page."""
    from tests.conftest import PROJECT_ROOT

    users = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "exchange").rglob("*.py")
        if "certificates/certificate.html" in path.read_text(encoding="utf-8")
    ]
    assert users == ["exchange/certificates/views.py"]
    source = (PROJECT_ROOT / "exchange/certificates/views.py").read_text(encoding="utf-8")
    assert "return render_pdf(html" in source


# --- cookies ------------------------------------------------------------------------------------


def _cookie_headers(app: Flask, user_id: int) -> list[str]:
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={"email": "cookie@agency.go.th", "password": "correct horse", "remember": "y"},
    )
    assert response.status_code == 302, user_id
    return response.headers.getlist("Set-Cookie")


def _production_app(database_url: str, **overrides: object):
    return built_app(database_url, TESTING=False, SECRET_KEY="production-secret", **overrides)


@pytest.mark.parametrize("production", [True, False])
def test_session_and_remember_cookies_flags(database_url, production):
    from exchange.services.accounts import create_user

    context = _production_app(database_url) if production else built_app(database_url)
    with context as app:
        with app.app_context():
            user_id = create_user("cookie@agency.go.th", "Cookie", password="correct horse").id
            db.session.commit()
        cookies = _cookie_headers(app, user_id)
    names = {cookie.split("=", 1)[0]: cookie for cookie in cookies}
    assert {"session", "remember_token"} <= set(names)
    for cookie in names.values():
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert ("secure" in flags) is production


def test_secure_cookies_can_be_switched_off_for_a_plain_http_intranet(database_url):
    with _production_app(
        database_url, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False
    ) as app:
        assert app.config["SESSION_COOKIE_SECURE"] is False
        assert app.config["REMEMBER_COOKIE_SECURE"] is False
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_the_environment_switch_reaches_the_config(monkeypatch, tmp_path):
    from exchange import create_app

    monkeypatch.setenv("SECRET_KEY", "production-secret")
    monkeypatch.setenv("EXCHANGE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "false")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_SECURE"] is True  # each switch on its own
    with app.app_context():
        db.engine.dispose()
