"""Sign-up confirmed by an e-mailed link: the form answers the same for a new address and for
one that has an account, and no account exists until the link's button is pressed."""

from __future__ import annotations

import json
import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from exchange.db import db
from exchange.models import Agency, OutboxMessage, Registration, RegistrationStatus, User
from tests.conftest import login_as, make_test_app

PASSWORD = "a long enough secret"
SIGNUP = {
    "display_name": "สมหญิง ใจดี",
    "email": "Somying@Agency.go.th",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "agency": "",
}
ADDRESS = "somying@agency.go.th"
SENT = {
    "th": "กรุณาตรวจสอบอีเมลของคุณ เราได้ส่งลิงก์ไปที่ {} แล้ว เพื่อดำเนินการสมัครสมาชิกให้เสร็จสมบูรณ์",
    "en": "Check your e-mail: we have sent a link to {} to finish signing up.",
}
LINK = re.compile(r"http://localhost(/auth/signup/confirm/[^\s?]+)\?lang=(th|en)")


def users(app) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User).order_by(User.id)))


def mails(app, address: str = ADDRESS) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).filter_by(to_address=address).order_by(OutboxMessage.id)
        return list(db.session.scalars(query))


def link(app, address: str = ADDRESS) -> str:
    """The path of the newest sign-up link e-mailed to *address*."""
    return LINK.search(mails(app, address)[-1].body_text).group(1)


def _payload(path: str) -> dict:
    """What a link carries: signed, not secret (its own key and salt, as the app signs)."""
    serializer = URLSafeTimedSerializer("test", salt="exchange.signup-confirm")
    return serializer.loads(path.rsplit("/", 1)[1])


def signup(client, lang: str = "th", query: str = "", **change: str):
    return client.post(f"/auth/signup?lang={lang}{query}", data={**SIGNUP, **change})


# --- a new address ---------------------------------------------------------------------------


def test_a_new_address_gets_a_link_and_no_account_until_the_button(app, client):
    response = signup(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/signup/sent"
    assert users(app) == []  # nothing in the user table yet
    [mail] = mails(app)
    assert (mail.language, mail.subject) == ("th", "ยืนยันการสมัครสมาชิก")
    assert PASSWORD not in mail.body_text + mail.body_html
    path = link(app)
    payload = _payload(path)
    assert PASSWORD not in json.dumps(payload)  # signed, readable: the hash, never the password
    assert payload["password_hash"].startswith("scrypt:")

    page = client.get(path)  # a mail scanner opening the link: a button, nothing written
    assert page.status_code == 200
    assert "สร้างบัญชีของฉัน" in page.get_data(as_text=True)
    assert users(app) == []

    response = client.post(path)
    assert response.headers["Location"] == "/me"
    [user] = users(app)
    assert (user.email, user.display_name, user.agency_id, user.locale) == (
        ADDRESS,
        "สมหญิง ใจดี",
        None,
        "th",
    )
    assert user.check_password(PASSWORD)
    me = client.get("/me")
    assert me.status_code == 200
    assert "ยินดีต้อนรับ บัญชีของคุณพร้อมใช้งานแล้ว" in me.get_data(as_text=True)
    client.post("/auth/logout")
    login = client.post("/auth/login", data={"email": ADDRESS, "password": PASSWORD})
    assert login.status_code == 302

    client.post("/auth/logout")
    again = client.post(path + "?lang=en")
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert len(users(app)) == 1


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_link_and_its_pages_speak_the_sign_up_language(app, client, lang):
    signup(client, lang)
    [mail] = mails(app)
    assert mail.language == lang
    found = LINK.search(mail.body_text)
    assert found.group(2) == lang  # the page opens in the same language, on any device
    other = client.application.test_client()
    page = other.get(found.group(0).removeprefix("http://localhost")).get_data(as_text=True)
    assert {"th": "สร้างบัญชีของฉัน", "en": "Create my account"}[lang] in page
    other.post(found.group(0).removeprefix("http://localhost"))
    assert users(app)[0].locale == lang


def test_the_sign_up_form_still_refuses_bad_input_and_sends_nothing(app, client):
    for change in ({"email": "not-an-email"}, {"password": "short", "confirm": "short"}, {}):
        response = signup(client, "en", **{**change, "display_name": "" if not change else "A"})
        assert response.status_code == 200
        assert 'class="field-error"' in response.get_data(as_text=True)
    assert mails(app) == []
    assert users(app) == []


def test_signing_up_from_a_session_registers_once_confirmed(app, client, make_session):
    session_id = make_session(slug="s")
    response = signup(client, query="&next=/sessions/s&register=s")
    assert response.headers["Location"] == "/auth/signup/sent"
    with app.app_context():
        assert db.session.scalar(select(Registration)) is None
    response = client.post(link(app))
    assert response.headers["Location"] == "/sessions/s"
    with app.app_context():
        registration = db.session.scalars(select(Registration)).one()
        assert (registration.session_id, registration.status) == (
            session_id,
            RegistrationStatus.CONFIRMED,
        )
        assert registration.user.email == ADDRESS


def test_without_next_the_register_slug_leads_back_to_the_session(app, client, make_session):
    make_session(slug="s")
    signup(client, query="&register=s&next=https://evil.example/")
    assert client.post(link(app)).headers["Location"] == "/sessions/s"  # never another host


def test_a_second_click_by_the_new_account_goes_on(app, client):
    signup(client)
    path = link(app)
    client.post(path)
    response = client.get(path)  # logged in as the account the link made
    assert response.headers["Location"] == "/me"


def test_the_address_taken_meanwhile_is_a_clear_400(app, client, make_user):
    signup(client)
    path = link(app)
    make_user(ADDRESS)  # e.g. a guest registration with the same address
    for response in (client.get(path + "?lang=en"), client.post(path + "?lang=en")):
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert "already been used, or the address has an account now" in body
        assert 'href="/auth/login"' in body
    assert len(users(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(User)).check_password("correct horse")


def test_a_racing_second_click_is_a_400_not_a_500(app, client, make_user, monkeypatch):
    """Two clicks at once both pass the look-up; the unique address stops the second."""
    import exchange.services.accounts as accounts

    signup(client)
    path = link(app)
    make_user(ADDRESS)
    monkeypatch.setattr(accounts, "find_user", lambda email: None)
    response = client.post(path + "?lang=en")
    assert response.status_code == 400
    assert "already been used" in response.get_data(as_text=True)
    assert len(users(app)) == 1


def test_an_agency_removed_meanwhile_is_left_empty(app, client):
    with app.app_context():
        agency = Agency(slug="gone", name_th="หน่วยงานที่ยุบ", name_en="Gone")
        db.session.add(agency)
        db.session.commit()
        agency_id = agency.id
    signup(client, agency=str(agency_id))
    with app.app_context():
        db.session.delete(db.session.get(Agency, agency_id))
        db.session.commit()
    assert client.post(link(app)).status_code == 302
    assert users(app)[0].agency_id is None


# --- links that cannot be used ---------------------------------------------------------------


def test_an_expired_link_says_so(app, client, monkeypatch):
    signup(client)
    path = link(app)
    later = int(time.time()) + 47 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert client.get(path).status_code == 200  # 47 hours: still fine
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later + 2 * 3600)
    for response in (client.get(path + "?lang=en"), client.post(path + "?lang=en")):
        assert response.status_code == 400
        assert "This link has expired" in response.get_data(as_text=True)
    assert users(app) == []


def test_tampered_and_foreign_links_are_not_valid(app, client):
    signup(client)
    signup(client, email="mallory@agency.go.th")
    path, other = link(app), link(app, "mallory@agency.go.th")
    # mallory's sign-up under somying's signature: body and signature no longer match
    forged = other.rsplit(".", 2)[0] + "." + ".".join(path.rsplit(".", 2)[1:])
    data = _payload(path)
    wrong_key = URLSafeTimedSerializer("another secret", salt="exchange.signup-confirm")
    wrong_shape = URLSafeTimedSerializer("test", salt="exchange.signup-confirm").dumps([1])
    wrong_fields = URLSafeTimedSerializer("test", salt="exchange.signup-confirm").dumps({"e": 1})
    for bad in (
        path[:-2] + ("AA" if not path.endswith("AA") else "BB"),
        forged,
        f"/auth/signup/confirm/{wrong_key.dumps(data)}",
        f"/auth/signup/confirm/{wrong_shape}",
        f"/auth/signup/confirm/{wrong_fields}",
        "/auth/signup/confirm/not-a-token",
    ):
        for response in (client.get(bad + "?lang=en"), client.post(bad + "?lang=en")):
            assert response.status_code == 400, bad
            assert "This link is not valid" in response.get_data(as_text=True)
    assert users(app) == []


def test_only_a_post_with_the_csrf_token_creates_the_account(database_url):
    app = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
    try:
        client = app.test_client()
        page = client.get("/auth/signup").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/auth/signup", data={**SIGNUP, "csrf_token": token})
        path = link(app)
        assert client.post(path).status_code == 400
        assert users(app) == []
        page = client.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post(path, data={"csrf_token": token}).status_code == 302
        assert len(users(app)) == 1
    finally:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


# --- an address that has an account: the same answer -----------------------------------------

COOKIE_ATTRIBUTES = re.compile(r";\s*([^;=]+)(?:=([^;]*))?")


def _answer(response) -> dict:
    """What a sender can see, with the parts that change between any two requests masked."""
    headers = {
        name: value
        for name, value in response.headers.items()
        if not name.lower().startswith(("set-cookie", "x-ratelimit", "retry-after", "date"))
    }
    cookies = [  # names and attributes; the value (a signed session) and its expiry date vary
        (
            cookie.split("=", 1)[0],
            [(key, "" if key.lower() == "expires" else value) for key, value in found],
        )
        for cookie in response.headers.getlist("Set-Cookie")
        if (found := COOKIE_ATTRIBUTES.findall(cookie))
    ]
    return {"status": response.status_code, "headers": headers, "cookies": cookies}


def _page(response, address: str) -> str:
    body = response.get_data(as_text=True).replace(address, "ADDRESS")
    return re.sub(r'name="csrf_token" value="[^"]+"', "CSRF", body)


@pytest.mark.parametrize("lang", ["th", "en"])
def test_a_known_address_gets_the_same_answer_and_the_holder_a_note(
    app, make_user, monkeypatch, lang
):
    holder_id = make_user("known@agency.go.th", locale="en" if lang == "th" else "th")
    import exchange.services.accounts as accounts

    hashed: list[str] = []
    real_hash = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda p: hashed.append(p) or real_hash(p))

    answers, pages = [], []
    for address in ("known@agency.go.th", "new@agency.go.th"):
        client = app.test_client()
        response = signup(client, lang, "&next=/sessions&register=x", email=address.upper())
        answers.append(_answer(response))
        followed = client.get(response.headers["Location"])
        pages.append((followed.status_code, _page(followed, address)))
        assert SENT[lang].format(address) in followed.get_data(as_text=True)
    assert answers[0] == answers[1]
    assert answers[0]["headers"]["Location"] == "/auth/signup/sent"
    assert pages[0] == pages[1]
    assert hashed == [PASSWORD, PASSWORD]  # the same work both ways: a hash and a mail

    all_users = users(app)
    assert [u.id for u in all_users] == [holder_id]  # no new user, not even the new address
    assert all_users[0].display_name != SIGNUP["display_name"]
    assert all_users[0].check_password("correct horse")  # the password did not change

    [note] = mails(app, "known@agency.go.th")
    holder_language = all_users[0].locale
    assert note.language == holder_language
    text = note.body_text
    if holder_language == "en":
        assert note.subject == "You already have an account"
        assert "Someone (maybe you) tried to sign up" in text
    else:
        assert note.subject == "คุณมีบัญชีผู้ใช้อยู่แล้ว"
        assert "มีผู้พยายามสมัครสมาชิก" in text
    login_link = f"http://localhost/auth/login?lang={holder_language}&next=/sessions&register=x"
    assert login_link in text  # log in, then register for the session the sign-up was for
    assert f"http://localhost/auth/reset?lang={holder_language}" in text
    assert "/auth/signup/confirm/" not in text
    assert len(mails(app, "new@agency.go.th")) == 1


def test_sign_up_stays_rate_limited(database_url):
    app = make_test_app(database_url, SIGNUP_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
    try:
        client = app.test_client()
        codes = [signup(client, email=f"n{i}@agency.go.th").status_code for i in range(3)]
        assert codes == [302, 302, 429]
        assert client.get("/auth/signup").status_code == 200
    finally:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


def test_logged_in_visitors_pass_the_sign_up_page(app, client, make_user):
    login_as(client, make_user())
    response = client.get("/auth/signup?next=/sessions")
    assert response.headers["Location"] == "/sessions"
