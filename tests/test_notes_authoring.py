"""Writing what was learned: the note editor, takeaways, note-takers, and sanitised output."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from exchange.db import db
from exchange.models import (
    Agency,
    Appearance,
    AuditEntry,
    ContentStatus,
    LearningSession,
    Note,
    NoteTaker,
    Person,
    Role,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    Topic,
)
from tests.conftest import login_as, make_test_app

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '"><script>',
    "สรุป <script>alert('ไทย')</script> [ลิงก์](javascript:alert(1)) **ตัวหนา**",
]


@pytest.fixture
def world(app) -> dict[str, object]:
    """A published past session of agency A with a panellist from agency B, a draft session,
    a third agency C and two topics; returns ids and slugs."""
    start = datetime.now(UTC) - timedelta(days=3)
    with app.app_context():
        a = Agency(slug="opdc", name_th="สำนักงาน ก.พ.ร.", name_en="OPDC")
        b = Agency(slug="rd", name_th="กรมสรรพากร", name_en="Revenue Department")
        c = Agency(slug="dmh", name_th="กรมสุขภาพจิต", name_en="Department of Mental Health")
        mindset = Topic(slug="mindset", name_th="การเปลี่ยนกรอบความคิด", name_en="Mindset")
        digital = Topic(slug="digital", name_th="รัฐบาลดิจิทัล", name_en="Digital government")
        s = LearningSession(
            slug="pmqa-40",
            title_th="ไขกุญแจความสำเร็จ องค์การ 4.0",
            title_en="Unlocking success: Organisation 4.0",
            organiser=a,
            status=SessionStatus.PUBLISHED,
            starts_at=start,
            ends_at=start + timedelta(hours=3),
        )
        s.appearances = [
            Appearance(person=Person(slug="p1", name_th="คน หนึ่ง"), role=Role.PANELLIST, agency=b)
        ]
        other = LearningSession(
            slug="other",
            title_th="อีกครั้ง",
            organiser=a,
            status=SessionStatus.DRAFT,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        db.session.add_all([s, other, c, mindset, digital])
        db.session.commit()
        return {
            "slug": s.slug,
            "session_id": s.id,
            "other_slug": other.slug,
            "a": a.id,
            "b": b.id,
            "c": c.id,
            "mindset": mindset.id,
            "digital": digital.id,
        }


@pytest.fixture
def organiser(make_user, world) -> int:
    return make_user("org@opdc.go.th", role="organiser", agency_id=world["a"])


def note_form(**changes: str) -> dict[str, str]:
    data = {
        "title": "สรุปการแลกเปลี่ยน",
        "body": "**บทนำ** ของการแลกเปลี่ยน",
        "conclusion": "ทุกหน่วยงานเห็นตรงกัน: เปลี่ยน *mindset*",
        "source_name": "สำนักงาน ก.พ.ร.",
        "source_url": "https://www.opdc.go.th",
    }
    data.update(changes)
    return data


def section(n: int, heading: str, body: str, agency: object = "", section_id: object = ""):
    return {
        f"sections-{n}-section_id": str(section_id),
        f"sections-{n}-heading": heading,
        f"sections-{n}-body": body,
        f"sections-{n}-agency": str(agency),
    }


def load_note(app, language: str = "th") -> Note | None:
    with app.app_context():
        note = db.session.scalar(select(Note).filter_by(language=language))
        if note is not None:
            _ = [(s.heading, s.agency_id) for s in note.sections]
            db.session.expunge_all()
        return note


def save(client, slug: str, language: str = "th", **data: str):
    path = "notes" if language == "th" else f"notes/{language}"  # /notes/th redirects to /notes
    return client.post(f"/manage/sessions/{slug}/{path}?lang=en", data=data)


# --- permissions ------------------------------------------------------------------------------

WRITING = ["notes", "notes/en", "takeaways"]
MANAGING = ["note-takers", "edit", "agenda", "people", "registrations"]


def grant(app, session_id: int, user_id: int) -> None:
    with app.app_context():
        db.session.add(NoteTaker(session_id=session_id, user_id=user_id))
        db.session.commit()


def test_permission_matrix(app, client, make_user, world, organiser):
    slug, other_slug = world["slug"], world["other_slug"]
    taker = make_user("taker@agency.go.th")
    grant(app, world["session_id"], taker)
    elsewhere = make_user("elsewhere@agency.go.th")
    grant(app, world["session_id"] + 1, elsewhere)  # note-taker of the other session only
    stranger = make_user("stranger@agency.go.th", role="organiser", agency_id=world["c"])
    cases = {
        None: (302, 302),
        make_user(): (403, 403),  # a participant without a grant
        taker: (200, 403),
        elsewhere: (403, 403),
        stranger: (403, 403),
        organiser: (200, 200),
        make_user(role="admin"): (200, 200),
    }
    for user, (writing, managing) in cases.items():
        client.delete_cookie("session")
        if user is not None:
            login_as(client, user)
        for part in WRITING:
            response = client.get(f"/manage/sessions/{slug}/{part}")
            assert response.status_code == writing, (user, part)
        for part in MANAGING:
            assert client.get(f"/manage/sessions/{slug}/{part}").status_code == managing
        preview = client.post(f"/manage/sessions/{slug}/notes/preview", data={"text": "x"})
        assert preview.status_code == writing
        if writing == 302:
            assert "/auth/login" in preview.headers["Location"]
    login_as(client, elsewhere)
    assert client.get(f"/manage/sessions/{other_slug}/notes").status_code == 200
    assert client.get("/manage/sessions/nope/notes").status_code == 404


def test_note_taker_sees_only_the_writing_tabs_and_finds_them_from_me(
    app, client, make_user, world
):
    taker = make_user("taker@agency.go.th")
    login_as(client, taker)
    assert "Sessions you take notes for" not in client.get("/me?lang=en").get_data(as_text=True)
    grant(app, world["session_id"], taker)
    me = client.get("/me?lang=en").get_data(as_text=True)
    assert "Sessions you take notes for" in me
    assert f"/manage/sessions/{world['slug']}/notes" in me
    assert f"/manage/sessions/{world['slug']}/takeaways" in me
    page = client.get(f"/manage/sessions/{world['slug']}/takeaways?lang=en").get_data(as_text=True)
    tabs = page.split('class="tabs"')[1].split("</nav>")[0]
    assert "/notes" in tabs
    assert "/takeaways" in tabs
    assert "/edit" not in tabs
    assert "/registrations" not in tabs
    assert "/note-takers" not in tabs


# --- the note ---------------------------------------------------------------------------------


def test_create_edit_publish_and_unpublish_a_note_in_both_languages(app, client, world, organiser):
    slug = world["slug"]
    login_as(client, organiser)
    response = save(client, slug, **note_form(), **section(0, "กรมสรรพากร", "Hackatax", world["b"]))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/sessions/{slug}/notes")
    note = load_note(app)
    assert (note.title, note.status, note.published_at) == (
        "สรุปการแลกเปลี่ยน",
        ContentStatus.DRAFT,
        None,
    )
    assert [(s.heading, s.agency_id) for s in note.sections] == [("กรมสรรพากร", world["b"])]
    public = client.get(f"/sessions/{slug}").get_data(as_text=True)
    assert "Hackatax" not in public  # a draft is not shown

    sid = note.sections[0].id
    data = note_form(body="บทนำใหม่") | section(0, "กรมสรรพากร", "Hackatax", world["b"], sid)
    assert save(client, slug, action="publish", **data).status_code == 302
    note = load_note(app)
    first_published = note.published_at
    assert note.status is ContentStatus.PUBLISHED
    assert first_published is not None
    assert note.body == "บทนำใหม่"
    public = client.get(f"/sessions/{slug}").get_data(as_text=True)
    assert "Hackatax" in public
    assert "<strong>" not in public.split("บทนำใหม่")[0][-20:]

    assert save(client, slug, action="unpublish", **data).status_code == 302
    assert load_note(app).status is ContentStatus.DRAFT
    assert "Hackatax" not in client.get(f"/sessions/{slug}").get_data(as_text=True)
    assert save(client, slug, action="publish", **data).status_code == 302
    assert load_note(app).published_at == first_published  # set the first time only

    english = note_form(title="Summary", body="The **English** translation", source_url="")
    assert save(client, slug, "en", action="publish", **english).status_code == 302
    assert load_note(app, "en").body == "The **English** translation"
    assert load_note(app, "th").body == "บทนำใหม่"  # the Thai original is untouched
    page = client.get(f"/sessions/{slug}?lang=en").get_data(as_text=True)
    assert "The <strong>English</strong> translation" in page
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [
        "note_create",
        "note_update",
        "note_publish",
        "note_unpublish",
        "note_publish",
        "note_create",
        "note_publish",
    ]


def test_publishing_an_empty_note_is_refused(app, client, world, organiser):
    login_as(client, organiser)
    response = save(client, world["slug"], action="publish", title="Only a title")
    assert response.status_code == 400
    assert "before publishing" in response.get_data(as_text=True)
    assert load_note(app) is None  # the whole change was rolled back


def test_sections_are_added_reordered_and_removed(app, client, world, organiser):
    slug = world["slug"]
    login_as(client, organiser)
    data = note_form() | section(0, "หนึ่ง", "a") | section(1, "สอง", "b", world["b"])
    data |= section(2, "สาม", "c", world["c"]) | section(3, "", "")  # the empty new one
    assert save(client, slug, **data).status_code == 302
    ids = [s.id for s in load_note(app).sections]
    assert [s.heading for s in load_note(app).sections] == ["หนึ่ง", "สอง", "สาม"]

    rows = [("หนึ่ง", "a", "", ids[0]), ("สอง", "b", world["b"], ids[1]), ("สาม", "c2", "", ids[2])]
    data = note_form()
    for n, (heading, body, agency, sid) in enumerate(rows):
        data |= section(n, heading, body, agency, sid)
    response = save(client, slug, action="up-2", **data)
    assert response.headers["Location"].endswith("#section-1")
    note = load_note(app)
    assert [s.heading for s in note.sections] == ["หนึ่ง", "สาม", "สอง"]
    assert [s.body for s in note.sections] == ["a", "c2", "b"]  # the edit is saved too
    assert [s.agency_id for s in note.sections] == [None, None, world["b"]]

    data = note_form() | section(0, "หนึ่ง", "a", "", ids[0]) | section(1, "สาม", "c2", "", ids[2])
    data |= section(2, "สอง", "b", world["b"], ids[1]) | section(3, "สี่", "d")
    assert save(client, slug, action="remove-0", **data).status_code == 302
    note = load_note(app)
    assert [s.heading for s in note.sections] == ["สาม", "สอง", "สี่"]
    assert [s.position for s in note.sections] == [0, 1, 2]
    assert ids[0] not in [s.id for s in note.sections]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source_url": "javascript:alert(1)"}, "https://"),
        ({"source_url": "ftp://files.example.org/x"}, "https://"),
        ({"source_url": "data:text/html;base64,PHNjcmlwdD4="}, "https://"),
        ({"title": "ก" * 401}, "Keep it to 400 characters"),
        (section(0, "x", "y", agency="999"), "Choose an agency from the list"),
        (section(0, "x", "y", agency="abc"), "Choose an agency from the list"),
        (section(0, "x", "y", section_id="999"), "reload the page"),
        (section(0, "", "", section_id="abc"), "reload the page"),
    ],
)
def test_note_validation_errors(app, client, world, organiser, changes, message):
    login_as(client, organiser)
    response = save(client, world["slug"], **(note_form() | changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert load_note(app) is None


def test_preview_button_renders_without_saving(app, client, world, organiser):
    login_as(client, organiser)
    data = note_form(body="**ตัวหนา**") | section(0, "หัวข้อ", "- ข้อหนึ่ง")
    response = save(client, world["slug"], action="preview", **data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>ตัวหนา</strong>" in page
    assert "<li>ข้อหนึ่ง</li>" in page
    assert load_note(app) is None


def test_preview_endpoint_returns_sanitised_html(client, world, organiser):
    login_as(client, organiser)
    url = f"/manage/sessions/{world['slug']}/notes/preview"
    answer = client.post(url, data={"text": "**ตัวหนา** [OPDC](https://www.opdc.go.th)"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-store"
    html = answer.get_json()["html"]
    assert "<strong>ตัวหนา</strong>" in html
    assert 'href="https://www.opdc.go.th"' in html
    assert 'rel="noopener noreferrer"' in html
    for payload in PAYLOADS:
        assert_safe(client.post(url, data={"text": payload}).get_json()["html"])
    assert client.post(url, data={"text": "x" * 50_001}).status_code == 413


def test_preview_endpoint_needs_the_csrf_token_the_page_carries(database_url, make_user):
    app = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        start = datetime.now(UTC)
        agency = Agency(slug="a", name_th="ก", name_en="A")
        db.session.add(
            LearningSession(
                slug="s", title_th="ท", organiser=agency, starts_at=start,
                ends_at=start + timedelta(hours=1),
            )
        )  # fmt: skip
        db.session.commit()
        from exchange.services.accounts import create_user

        user = create_user("o@a.go.th", "O", password="correct horse", agency_id=agency.id)
        user.role = "organiser"
        db.session.commit()
        user_id = user.id
    try:
        client = app.test_client()
        login_as(client, user_id)
        page = client.get("/manage/sessions/s/notes").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert 'src="/static/js/markdown-preview.js"' in page
        assert "<script>" not in page
        url = "/manage/sessions/s/notes/preview"
        assert client.post(url, data={"text": "*x*"}).status_code == 400
        answer = client.post(url, data={"text": "*x*"}, headers={"X-CSRFToken": token})
        assert answer.get_json() == {"html": "<p><em>x</em></p>\n"}
        for path in ("takeaways", "note-takers"):
            assert 'name="csrf_token"' in client.get(f"/manage/sessions/s/{path}").get_data(
                as_text=True
            )
    finally:
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


# --- sanitising: every rendered field ---------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_safe(html: str) -> None:
    """No script element (but our own files), no event handler, no javascript:/data: link."""
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        values = dict(attrs)
        if tag == "script":
            assert (values.get("src") or "").startswith("/static/"), html
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                scheme = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (tag, value)
    lowered = html.lower()
    assert "<script>" not in lowered


def test_xss_payloads_through_every_field_are_neutralised(app, client, world, organiser):
    slug = world["slug"]
    login_as(client, organiser)
    url = f"/manage/sessions/{slug}/takeaways?lang=en"
    for n, payload in enumerate(PAYLOADS):
        data = note_form(
            title=payload,
            body=payload,
            conclusion=payload,
            source_name=payload,
            source_url=f"https://example.org/{n}?q=%22%3E%3Cscript%3E",
        )
        data |= section(0, payload, payload, world["b"]) | section(1, payload, payload)
        for language in ("th", "en"):
            assert save(client, slug, language, action="publish", **data).status_code == 302
        kinds = (TakeawayKind.CONCLUSION.value, TakeawayKind.INITIATIVE.value)
        for kind in kinds:
            takeaway = {"statement_th": payload, "statement_en": payload, "kind": kind}
            takeaway |= {"agencies": str(world["b"]), "status": "published"}
            assert client.post(url, data=takeaway).status_code == 302
        for language in ("th", "en"):
            public = client.get(f"/sessions/{slug}?lang={language}").get_data(as_text=True)
            assert "ตัวหนา" not in public or "<strong>ตัวหนา</strong>" in public
            assert_safe(public)
        for page in ("notes", "notes/en", "takeaways"):
            assert_safe(client.get(f"/manage/sessions/{slug}/{page}").get_data(as_text=True))
        preview = save(client, slug, action="preview", **data)
        assert preview.status_code == 200
        assert_safe(preview.get_data(as_text=True))
    public = client.get(f"/sessions/{slug}").get_data(as_text=True)
    assert "&lt;script&gt;" in public  # shown as text, not run
    assert "<strong>ตัวหนา</strong>" in public  # and ordinary Markdown still works


def test_a_stored_javascript_source_url_is_not_linked(app, client, world):
    with app.app_context():
        db.session.add(
            Note(
                session_id=world["session_id"],
                language="th",
                body="สรุป",
                source_name="แหล่งที่มา",
                source_url="javascript:alert(1)",
                status=ContentStatus.PUBLISHED,
                published_at=datetime.now(UTC),
            )
        )
        db.session.commit()
    page = client.get(f"/sessions/{world['slug']}").get_data(as_text=True)
    assert "แหล่งที่มา" in page
    assert_safe(page)


# --- takeaways --------------------------------------------------------------------------------


def takeaway_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "statement_th": "Hackatax: แข่งขันพัฒนานวัตกรรมภาษี",
        "statement_en": "Hackatax: a tax innovation contest",
        "kind": "initiative",
        "status": "published",
        "agencies": [],
        "topics": [],
    }
    data.update(changes)
    return data


def load_takeaways(app) -> list[tuple[str, str, list[int], list[int], str, int]]:
    with app.app_context():
        rows = db.session.scalars(select(Takeaway).order_by(Takeaway.position))
        return [
            (
                t.statement_th,
                t.kind.value,
                sorted(a.id for a in t.agencies),
                sorted(x.id for x in t.topics),
                t.status.value,
                t.id,
            )
            for t in rows
        ]


def test_takeaways_are_added_edited_moved_and_removed(app, client, world, organiser):
    slug = world["slug"]
    base = f"/manage/sessions/{slug}/takeaways"
    login_as(client, organiser)
    first = takeaway_form(agencies=[str(world["b"])], topics=[str(world["digital"])])
    assert client.post(base, data=first).status_code == 302
    conclusion = takeaway_form(
        statement_th="เปลี่ยน mindset ของบุคลากร",
        statement_en="",
        kind="conclusion",
        all_session_agencies="y",
        topics=[str(world["mindset"])],
        status="draft",
    )
    assert client.post(base, data=conclusion).status_code == 302
    rows = load_takeaways(app)
    assert [r[:5] for r in rows] == [
        ("Hackatax: แข่งขันพัฒนานวัตกรรมภาษี", "initiative", [world["b"]], [world["digital"]],
         "published"),
        ("เปลี่ยน mindset ของบุคลากร", "conclusion", sorted([world["a"], world["b"]]),
         [world["mindset"]], "draft"),
    ]  # fmt: skip
    first_id, second_id = rows[0][5], rows[1][5]

    public = client.get(f"/sessions/{slug}").get_data(as_text=True)
    assert "Hackatax" in public
    assert "เปลี่ยน mindset" not in public
    page = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert "1 takeaway is a draft." in page
    assert client.post(f"{base}/publish").status_code == 302
    assert "เปลี่ยน mindset" in client.get(f"/sessions/{slug}").get_data(as_text=True)

    edit = f"{base}/{first_id}/edit"
    form_page = client.get(edit).get_data(as_text=True)
    assert "Hackatax: a tax innovation contest" in form_page
    assert f'value="{world["b"]}" checked' in form_page or "checked" in form_page
    changed = takeaway_form(statement_th="Tax sandbox", kind="practice", agencies=[world["c"]])
    assert client.post(edit, data=changed).status_code == 302
    assert load_takeaways(app)[0][:4] == ("Tax sandbox", "practice", [world["c"]], [])

    assert client.post(f"{base}/{second_id}/move/up").status_code == 302
    assert [r[5] for r in load_takeaways(app)] == [second_id, first_id]
    assert client.post(f"{base}/{second_id}/move/up").status_code == 302  # already first
    assert client.post(f"{base}/{second_id}/move/down").status_code == 302
    assert [r[5] for r in load_takeaways(app)] == [first_id, second_id]
    assert client.post(f"{base}/{first_id}/delete").status_code == 302
    assert [(r[5], r[0]) for r in load_takeaways(app)] == [(second_id, "เปลี่ยน mindset ของบุคลากร")]
    with app.app_context():
        assert db.session.get(Takeaway, second_id).position == 0
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [
        "takeaway_add",
        "takeaway_add",
        "takeaway_publish",
        "takeaway_update",
        "takeaway_move",
        "takeaway_move",
        "takeaway_move",
        "takeaway_remove",
    ]
    assert client.post(f"{base}/999/delete").status_code == 404


def test_a_takeaway_of_another_session_is_not_found(app, client, world, organiser):
    login_as(client, organiser)
    url = f"/manage/sessions/{world['slug']}/takeaways"
    client.post(url, data=takeaway_form(agencies=[str(world["b"])]))
    takeaway_id = load_takeaways(app)[0][5]
    other = f"/manage/sessions/{world['other_slug']}/takeaways/{takeaway_id}"
    assert client.get(f"{other}/edit").status_code == 404
    assert client.post(f"{other}/delete").status_code == 404
    assert len(load_takeaways(app)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"statement_th": ""}, "Write the statement in Thai"),
        ({"statement_th": "   ", "kind": "conclusion"}, "Write the statement in Thai"),
        ({"statement_th": "ก" * 1001}, "Keep it to 1000 characters"),
        ({"statement_en": "a" * 1001}, "Keep it to 1000 characters"),
        ({"agencies": ["999"]}, "Choose agencies from the list"),
        ({"agencies": ["abc"]}, "Choose agencies from the list"),
        ({"topics": ["999"], "kind": "conclusion"}, "Choose topics from the list"),
        ({"kind": "initiative"}, "Choose the agency it comes from"),
        ({"kind": "practice"}, "Choose the agency it comes from"),
        ({"kind": "success_factor"}, "Choose the agency it comes from"),
        ({"kind": "rumour", "agencies": ["1"]}, "Choose a kind from the list"),
    ],
)
def test_takeaway_validation_errors(app, client, world, organiser, changes, message):
    login_as(client, organiser)
    url = f"/manage/sessions/{world['slug']}/takeaways?lang=en"
    response = client.post(url, data=takeaway_form(**changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert load_takeaways(app) == []


def test_a_conclusion_may_have_no_agency(app, client, world, organiser):
    login_as(client, organiser)
    url = f"/manage/sessions/{world['slug']}/takeaways"
    assert client.post(url, data=takeaway_form(kind="conclusion")).status_code == 302
    assert load_takeaways(app)[0][1:3] == ("conclusion", [])


# --- note-takers ------------------------------------------------------------------------------


def test_note_takers_are_granted_by_email_and_revoked(app, client, make_user, world, organiser):
    slug = world["slug"]
    url = f"/manage/sessions/{slug}/note-takers?lang=en"
    taker = make_user("taker@agency.go.th", name="ผู้จดบันทึก")
    login_as(client, organiser)
    response = client.post(url, data={"email": "nobody@agency.go.th"})
    assert response.status_code == 400
    assert "No account uses this e-mail address" in response.get_data(as_text=True)
    assert client.post(url, data={"email": "not an email"}).status_code == 400
    assert client.post(url, data={"email": " Taker@Agency.go.th "}).status_code == 302
    assert client.post(url, data={"email": "taker@agency.go.th"}).status_code == 302  # harmless
    page = client.get(url).get_data(as_text=True)
    assert "ผู้จดบันทึก" in page
    assert "taker@agency.go.th" in page

    login_as(client, taker)
    assert client.get(f"/manage/sessions/{slug}/notes").status_code == 200
    takeaway = takeaway_form(agencies=[str(world["b"])])
    assert client.post(f"/manage/sessions/{slug}/takeaways", data=takeaway).status_code == 302
    assert save(client, slug, **note_form()).status_code == 302
    assert client.post(f"/manage/sessions/{slug}/note-takers/{taker}/revoke").status_code == 403

    login_as(client, organiser)
    assert client.post(f"/manage/sessions/{slug}/note-takers/{taker}/revoke").status_code == 302
    assert client.post(f"/manage/sessions/{slug}/note-takers/{taker}/revoke").status_code == 302
    login_as(client, taker)
    assert client.get(f"/manage/sessions/{slug}/notes").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NoteTaker)) == 0
        entries = db.session.execute(
            select(AuditEntry.action, AuditEntry.user_id).order_by(AuditEntry.id)
        ).all()
    assert [tuple(e) for e in entries] == [
        ("note_taker_grant", organiser),
        ("takeaway_add", taker),
        ("note_create", taker),
        ("note_taker_revoke", organiser),
    ]


# --- query counts -----------------------------------------------------------------------------


def _grow(app, session_id: int, agency_id: int, topic_id: int, n: int) -> None:
    with app.app_context():
        agency, topic = db.session.get(Agency, agency_id), db.session.get(Topic, topic_id)
        note = db.session.scalar(select(Note).filter_by(session_id=session_id, language="th"))
        if note is None:
            note = Note(session_id=session_id, language="th", body="x")
            db.session.add(note)
        start = len(note.sections)
        for i in range(start, start + n):
            note.sections.append(_section(i, agency))
            db.session.add(
                Takeaway(
                    session_id=session_id,
                    kind=TakeawayKind.PRACTICE,
                    statement_th=f"บทเรียน {i}",
                    agencies=[agency],
                    topics=[topic],
                    position=i,
                )
            )
        db.session.commit()


def _section(i: int, agency: Agency):
    from exchange.models import NoteSection

    return NoteSection(position=i, heading=f"หัวข้อ {i}", body=f"เนื้อหา {i}", agency=agency)


def test_editor_pages_query_count_does_not_grow(app, client, count_queries, world, organiser):
    login_as(client, organiser)
    slug = world["slug"]
    pages = [f"/manage/sessions/{slug}/notes", f"/manage/sessions/{slug}/takeaways"]
    _grow(app, world["session_id"], world["b"], world["digital"], 2)
    few = [count_queries(lambda url=url: client.get(url)) for url in pages]
    _grow(app, world["session_id"], world["c"], world["mindset"], 12)
    many = [count_queries(lambda url=url: client.get(url)) for url in pages]
    assert few == many
    body = client.get(pages[0]).get_data(as_text=True)
    assert "หัวข้อ 13" in body
    assert "บทเรียน 13" in client.get(pages[1]).get_data(as_text=True)
