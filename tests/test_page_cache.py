"""Public pages kept in memory for readers not logged in (exchange/page_cache.py): served only
at the current data version, never to someone logged in, never with another visitor's token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from exchange import page_cache
from exchange.db import db, engines, listening, utcnow
from exchange.models import (
    Agency,
    DataVersion,
    LearningSession,
    OutboxMessage,
    Person,
    SessionStatus,
    Topic,
)
from exchange.page_cache import KeptPage, PageStore
from tests.conftest import built_app, login_as


def version(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(DataVersion.value))


def rename(app, session_id: int, title: str) -> None:
    with app.app_context():
        db.session.get(LearningSession, session_id).title_th = title
        db.session.commit()


def test_a_second_visit_is_one_query_and_the_same_page(app, client, make_session):
    make_session(slug="s")
    first = client.get("/sessions/s")
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    record = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        second = client.get("/sessions/s")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    [query] = [s for s in statements if not s.startswith("BEGIN")]
    assert query == "SELECT value FROM data_version WHERE id = 1"
    assert second.get_data() == first.get_data()
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert "Content-Security-Policy" in second.headers  # headers still added after the view
    assert "Cookie" in second.headers["Vary"]  # as on the page made: proxies must not share it
    assert "Cookie" in first.headers["Vary"]


RENAMED = {  # what each page shows, and so what to rename to see it change
    "session": (LearningSession, "s", "title_th"),
    "agency": (Agency, "agency-1", "name_th"),
    "topic": (Topic, "topic-1", "name_th"),
    "person": (Person, "person-1-0", "name_th"),
}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("/", "session"),
        ("/sessions", "session"),
        ("/sessions/s", "session"),
        ("/sessions/s/compare", "agency"),
        ("/agencies", "agency"),
        ("/agencies/agency-1", "session"),
        ("/topics", "topic"),
        ("/topics/topic-1", "session"),
        ("/takeaways", "agency"),
        ("/people/person-1-0", "person"),
        ("/search?q=ประชุม", "session"),
    ],
)
def test_every_cached_page_changes_with_a_commit(app, client, make_session, url, shown):
    make_session(slug="s")
    model, slug, field = RENAMED[shown]
    assert client.get(url).status_code == 200
    assert "ชื่อใหม่เอี่ยม" not in client.get(url).get_data(as_text=True)
    with app.app_context():  # the search index follows in the same commit
        setattr(
            db.session.scalar(sa.select(model).filter_by(slug=slug)), field, "การประชุม ชื่อใหม่เอี่ยม"
        )
        db.session.commit()
    assert "ชื่อใหม่เอี่ยม" in client.get(url).get_data(as_text=True)


def test_an_orm_update_statement_raises_the_version(app, client, make_session):
    make_session(slug="s")
    client.get("/sessions/s")
    before = version(app)
    with app.app_context():
        db.session.execute(sa.update(LearningSession).values(title_th="ปรับทั้งตาราง"))
        db.session.commit()
    assert version(app) == before + 1
    assert "ปรับทั้งตาราง" in client.get("/sessions/s").get_data(as_text=True)


def test_a_write_around_the_session_says_so(app, client, make_session):
    session_id = make_session(slug="s")
    client.get("/sessions/s")
    with app.app_context():
        db.session.connection().execute(
            sa.text("UPDATE learning_session SET title_th = 'ผ่านการเชื่อมต่อ' WHERE id = :id"),
            {"id": session_id},
        )
        page_cache.data_changed()
        db.session.commit()
    assert "ผ่านการเชื่อมต่อ" in client.get("/sessions/s").get_data(as_text=True)


def test_rows_no_page_shows_and_rollbacks_leave_the_version(app, make_session):
    session_id = make_session(slug="s")
    before = version(app)
    with app.app_context():
        db.session.add(OutboxMessage(to_address="a@b.go.th", subject="s", body_text="t"))
        db.session.commit()
        db.session.get(LearningSession, session_id).title_th = "ไม่บันทึก"
        db.session.flush()
        db.session.rollback()
        db.session.get(LearningSession, session_id).title_th = "ไม่บันทึก"
        db.session.commit()  # a fresh transaction after a rollback still counts
    assert version(app) == before + 1


def test_a_savepoint_rolled_back_keeps_the_outer_change(app, make_session):
    session_id = make_session(slug="s")
    before = version(app)
    with app.app_context():
        db.session.get(LearningSession, session_id).title_th = "ชั้นนอก"
        db.session.flush()
        with db.session.begin_nested() as savepoint:
            db.session.get(LearningSession, session_id).capacity = 3
            db.session.flush()
            savepoint.rollback()
        db.session.commit()
    assert version(app) == before + 1


def test_never_served_to_someone_logged_in(app, client, make_session, make_user):
    make_session(slug="s")
    client.get("/sessions/s")
    client.get("/sessions/s")
    login_as(client, make_user())
    page = client.get("/sessions/s").get_data(as_text=True)
    assert "site-header--member" in page
    assert 'action="/sessions/s/register"' in page  # a member registers with one button
    assert store(app).hits == 1  # only the second anonymous visit


def test_each_language_is_its_own_page(client, make_session):
    make_session(slug="s")
    assert "การประชุม 1" in client.get("/sessions/s").get_data(as_text=True)
    english = client.get("/sessions/s?lang=en")
    assert "Session 1" in english.get_data(as_text=True)
    # the remembered choice, without ?lang=, is English too: not the Thai page kept first
    page = client.get("/sessions/s").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Session 1" in page


def test_a_kept_page_still_remembers_the_language_asked_for(app, make_session):
    make_session(slug="s")
    app.test_client().get("/sessions/s?lang=en")  # kept
    other = app.test_client()
    response = other.get("/sessions/s?lang=en")
    assert store(app).hits == 1
    assert "session=" in response.headers.get("Set-Cookie", "")
    assert 'lang="en"' in other.get("/").get_data(as_text=True)


def test_a_waiting_message_is_shown_and_not_kept(app, client, make_session):
    make_session(slug="s")
    client.get("/sessions/s")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "ข้อความรออยู่")]
    assert "ข้อความรออยู่" in client.get("/sessions/s").get_data(as_text=True)
    assert "ข้อความรออยู่" not in client.get("/sessions/s").get_data(as_text=True)


def test_the_guest_form_carries_each_visitors_own_token(database_url):
    with built_app(database_url, WTF_CSRF_ENABLED=True) as app:
        with app.app_context():
            start = utcnow() + timedelta(days=3)
            agency = Agency(slug="a", name_th="หน่วยงาน")
            db.session.add(
                LearningSession(
                    slug="s",
                    title_th="เปิดรับ",
                    organiser=agency,
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    status=SessionStatus.PUBLISHED,
                    capacity=10,
                )
            )
            db.session.commit()
        visitors = [app.test_client() for _ in range(3)]
        pages = [visitor.get("/sessions/s").get_data(as_text=True) for visitor in visitors]
        assert store(app).hits == 2
        pattern = r'name="csrf_token" type="hidden" value="([^"]+)"'
        tokens = [re.search(pattern, page).group(1) for page in pages]
        for number, (visitor, token) in enumerate(zip(visitors, tokens, strict=True)):
            response = visitor.post(
                "/sessions/s/register/guest",
                data={
                    "csrf_token": token,
                    "display_name": "แขก",
                    "email": f"g{number}@a.go.th",
                    "agency": "1",
                },
            )
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        # another visitor's token is refused
        stranger = app.test_client()
        stranger.get("/")
        response = stranger.post("/sessions/s/register/guest", data={"csrf_token": tokens[0]})
        assert response.status_code == 400
        assert len(set(tokens)) == 3
        assert all("\x00" not in page for page in pages)


def test_pages_expire_after_the_configured_seconds(app, client, make_session, monkeypatch):
    make_session(slug="s")
    client.get("/sessions/s")
    client.get("/sessions/s")
    assert store(app).hits == 1
    clock = page_cache.time.monotonic() + app.config["PAGE_CACHE_SECONDS"] + 1
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock)
    client.get("/sessions/s")
    assert store(app).hits == 1


def test_switched_off_with_zero_seconds(database_url, make_session):
    with built_app(database_url, PAGE_CACHE_SECONDS=0) as app:
        client = app.test_client()
        client.get("/")
        client.get("/")
        assert store(app).hits == store(app).misses == 0


def test_answers_that_are_not_200_are_not_kept(app, client):
    assert client.get("/sessions/missing").status_code == 404
    assert client.get("/sessions?topic=missing").status_code == 404
    assert client.get("/sessions?topic=missing").status_code == 404
    assert store(app).hits == 0
    assert store(app).size == 0


def test_the_store_drops_the_least_recently_used_past_its_bytes():
    def page(size: int) -> KeptPage:
        return KeptPage(1, page_cache.time.monotonic(), 200, (), b"x" * size, None, ())

    pages = PageStore(limit=4000)
    pages.put(("a",), page(700))
    pages.put(("b",), page(700))
    pages.put(("c",), page(700))
    assert pages.get(("a",), 1, 60) is not None  # a is now the most recent
    pages.put(("d",), page(700))  # 4 × 900 > 4000 - no: 3600; then e pushes out b
    pages.put(("e",), page(700))
    assert pages.get(("b",), 1, 60) is None
    assert pages.get(("a",), 1, 60) is not None
    assert pages.get(("a",), 2, 60) is None  # another version
    assert pages.size <= 4000
    pages.put(("huge",), page(2000))  # over a quarter of the store: never kept
    assert pages.get(("huge",), 1, 60) is None


def store(app) -> PageStore:
    return app.extensions["page_cache"]


def test_the_api_answers_from_the_store_with_its_etag(app, client, make_session):
    session_id = make_session(slug="s")
    first = client.get("/api/v1/sessions")
    second = client.get("/api/v1/sessions")
    assert store(app).hits == 1
    assert second.get_json() == first.get_json()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Access-Control-Allow-Origin"] == "*"
    etag = second.headers["ETag"]
    unchanged = client.get("/api/v1/sessions", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert store(app).hits == 2
    rename(app, session_id, "เปลี่ยนแล้ว")
    changed = client.get("/api/v1/sessions", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["data"][0]["title"]["th"] == "เปลี่ยนแล้ว"


def test_the_api_with_a_token_is_never_kept(app, client, make_session):
    make_session(slug="s")
    for _ in range(2):
        client.get("/api/v1/sessions", headers={"Authorization": "Bearer nothing"})
    assert store(app).hits == store(app).misses == 0


def test_a_feeds_version_is_remembered_until_the_data_changes(app, client, make_session):
    session_id = make_session(slug="s")
    first = client.get("/calendar.ics")
    etag = first.headers["ETag"]
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    assert store(app).values.hits == 1
    rename(app, session_id, "ปฏิทินเปลี่ยน")
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "ปฏิทินเปลี่ยน" in changed.get_data(as_text=True)


def test_each_host_is_its_own_answer(app, client, make_session):
    """The API's links are absolute, made from the request's host: an answer made for one
    Host header must never be given to a request for another (cache poisoning)."""
    make_session(slug="s")
    client.get("/api/v1/sessions", headers={"Host": "evil.example"})
    honest = client.get("/api/v1/sessions").get_data(as_text=True)
    assert "evil.example" not in honest
    assert "http://localhost/" in honest


@pytest.mark.parametrize(
    ("path", "args"),
    [("/sessions", {"when": "all"}), ("/takeaways", {}), ("/search", {"q": "ประชุม"})],
)
def test_the_agency_filter_is_made_once_per_language_and_version(
    app, client, make_session, make_user, path, args
):
    """Every agency as an <option> (2,000 of them on a large site) is rendered once per
    language while the data stands, for visitors logged in too; a rename shows at once."""
    make_session(slug="s")
    with app.app_context():
        agency = db.session.scalar(sa.select(Agency).filter_by(slug="agency-1"))
        agency.name_en = "Revenue Department"
        db.session.add(Agency(slug="a-b", name_th="กรม <ข>", name_en="A & B"))
        db.session.commit()
    login_as(client, make_user())  # pages made for each request: only the options are kept
    reads: list[str] = []

    def keep(conn, cursor, statement, *rest) -> None:
        if statement.startswith("SELECT agency.slug, agency.name_th, agency.name_en"):
            reads.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        thai = client.get(path, query_string={**args, "agency": "agency-1"}).get_data(as_text=True)
        assert len(reads) == 1
        english = client.get(path, query_string={**args, "lang": "en"}).get_data(as_text=True)
        again = client.get(path, query_string={**args, "lang": "en"}).get_data(as_text=True)
        assert len(reads) == 2  # once more for English, then kept
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    options = thai.split('id="filter-agency"')[1].split("</select>")[0]
    assert '<option value="agency-1" selected>หน่วยงาน 1</option>' in options
    assert options.count(" selected>") == 1
    assert '<option value="a-b">กรม &lt;ข&gt;</option>' in options
    assert '<option value="agency-1">Revenue Department</option>' in again
    assert '<option value="a-b">A &amp; B</option>' in english
    assert " selected>" not in again.split('id="filter-agency"')[1].split("</select>")[0]
    with app.app_context():
        db.session.scalar(sa.select(Agency).filter_by(slug="a-b")).name_en = "Renamed"
        db.session.commit()
    renamed = client.get(path, query_string={**args, "lang": "en"}).get_data(as_text=True)
    assert '<option value="a-b">Renamed</option>' in renamed


def test_the_takeaways_count_and_years_are_made_once_per_version(
    app, client, make_session, make_user
):
    """/takeaways and a topic's page count the published takeaways (and /takeaways the years
    they span) once while the data stands, for a reader logged in too, whose page is made for
    them: 34 and 37 ms of /takeaways on a large site. A new takeaway counts at once."""
    from exchange.models import TakeawayKind

    make_session(slug="s", shared=True)
    login_as(client, make_user())
    reads: list[str] = []

    def keep(conn, cursor, statement, *rest) -> None:
        counting = statement.startswith("SELECT count(*)") and "FROM takeaway" in statement
        if counting or "min(learning_session.starts_at)" in statement:
            reads.append(statement)

    def shown(path: str, **args: str) -> str:
        html = client.get(path, query_string={**args, "lang": "en"}).get_data(as_text=True)
        return re.search(r"(\d+) takeaways?", html)[1]

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        assert shown("/takeaways") == str(len(TakeawayKind))
        assert len(reads) == 2  # the count and the years
        assert shown("/takeaways") == str(len(TakeawayKind))
        assert shown("/takeaways", kind="initiative") == "1"
        assert len(reads) == 3  # the kind's own count; the years kept
        assert shown("/topics/topic-shared") == str(len(TakeawayKind))
        assert shown("/topics/topic-shared") == str(len(TakeawayKind))
        assert len(reads) == 4
        make_session(slug="t", shared=True)  # a commit: the data version moves on
        assert shown("/takeaways") == str(2 * len(TakeawayKind))
        assert shown("/topics/topic-shared") == str(2 * len(TakeawayKind))
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


def test_a_page_made_for_its_reader_reads_the_data_version_once(
    app, client, make_session, make_user
):
    """/takeaways keeps three values per data version (the years, the count, the agency
    filter): for a logged-in reader they are checked against one read of the version."""
    make_session(slug="s")
    login_as(client, make_user())
    reads: list[str] = []

    def keep(conn, cursor, statement, *rest) -> None:
        if statement == "SELECT value FROM data_version WHERE id = 1":
            reads.append(statement)

    with app.app_context():
        every = engines()
    with listening(every, "before_cursor_execute", keep):
        assert client.get("/takeaways").status_code == 200
    assert len(reads) == 1
