"""Materials and the recording: uploads checked by content, safe storage, who may download,
the headers that keep an upload inert, and the session page's Materials section."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from exchange.db import db
from exchange.models import (
    AgendaItem,
    AuditEntry,
    LearningSession,
    Material,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Visibility,
)
from exchange.services import materials as materials_service
from tests.conftest import built_app, login_as, make_test_app

MB = 1024 * 1024


@pytest.fixture
def csrf_on(request: pytest.FixtureRequest) -> bool:
    return getattr(request, "param", False)


@pytest.fixture
def app(database_url: str, tmp_path: Path, csrf_on: bool) -> Iterator[Flask]:
    """The usual test app, with uploads in a temporary folder and a 1 MB limit."""
    with built_app(
        database_url,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        MAX_UPLOAD_MB=1,
        WTF_CSRF_ENABLED=csrf_on,
    ) as app:
        yield app


# --- tiny real files ----------------------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48

OOXML = "application/vnd.openxmlformats-officedocument."
ODF = "application/vnd.oasis.opendocument."


def _ooxml(main: str) -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/ppt/presentation.xml" ContentType="{main}"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", "<Relationships/>")
    return buffer.getvalue()


def _odf(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", HTML)
    return buffer.getvalue()


ALLOWED = [
    ("slides.pdf", PDF, "application/pdf"),
    ("photo.png", _png(), "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("photo.JPEG", JPEG, "image/jpeg"),
    ("anim.gif", GIF, "image/gif"),
    ("pic.webp", WEBP, "image/webp"),
    (
        "deck.pptx",
        _ooxml(OOXML + "presentationml.presentation.main+xml"),
        OOXML + "presentationml.presentation",
    ),
    (
        "report.docx",
        _ooxml(OOXML + "wordprocessingml.document.main+xml"),
        OOXML + "wordprocessingml.document",
    ),
    ("sheet.xlsx", _ooxml(OOXML + "spreadsheetml.sheet.main+xml"), OOXML + "spreadsheetml.sheet"),
    ("talk.odp", _odf(ODF + "presentation"), ODF + "presentation"),
    ("text.odt", _odf(ODF + "text"), ODF + "text"),
    ("data.ods", _odf(ODF + "spreadsheet"), ODF + "spreadsheet"),
]

REFUSED = [
    ("page.html", HTML, "not accepted"),
    ("drawing.svg", SVG, "not accepted"),
    ("setup.exe", EXE, "not accepted"),
    ("notes.pdf", "นี่คือข้อความ ไม่ใช่ PDF".encode(), "not accepted"),
    ("slides.pdf", HTML, "not accepted"),
    ("photo.png", HTML, "not accepted"),
    ("logo.png", SVG, "not accepted"),
    ("archive.zip", _plain_zip(), "not accepted"),
    ("macro.pptm", _ooxml("application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"), ""),
    ("odd.odt", _odf("text/html"), "not accepted"),
    ("empty.pdf", b"", "empty"),
    ("slides.pdf", _png(), ".pdf but its content is a PNG image"),
    ("page.html", PDF, ".html but its content is a PDF document"),
]


# --- the world ----------------------------------------------------------------------------------


@pytest.fixture
def world(app, make_session, make_user) -> dict[str, object]:
    """A past published session of agency-1 with an agenda item; its organiser, an admin, an
    organiser of another agency and participants (confirmed, waitlisted, not registered)."""
    session_id = make_session(days=-1, slug="pmqa")
    make_session(slug="elsewhere")
    with app.app_context():
        s = db.session.get(LearningSession, session_id)
        s.agenda_items = [
            AgendaItem(
                title_th="เสวนา",
                title_en="Panel",
                position=1,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
            )
        ]
        db.session.commit()
        item_id, agency_id = s.agenda_items[0].id, s.organiser_id
        other_agency = db.session.scalar(
            select(LearningSession.organiser_id).filter_by(slug="elsewhere")
        )
    users = {
        "organiser": make_user(role="organiser", agency_id=agency_id, password=None),
        "admin": make_user(role="admin", password=None),
        "other_organiser": make_user(role="organiser", agency_id=other_agency, password=None),
        "confirmed": make_user(password=None),
        "waitlisted": make_user(password=None),
        "cancelled": make_user(password=None),
        "stranger": make_user(password=None),
    }
    with app.app_context():
        for key, status in (
            ("confirmed", RegistrationStatus.CONFIRMED),
            ("waitlisted", RegistrationStatus.WAITLISTED),
            ("cancelled", RegistrationStatus.CANCELLED),
        ):
            db.session.add(Registration(session_id=session_id, user_id=users[key], status=status))
        db.session.commit()
    return {"session_id": session_id, "item_id": item_id, "slug": "pmqa", **users}


def _upload(client, name: str, content: bytes, lang: str = "en", **fields: str):
    """POST the upload form; the body is built in memory (the test client would spool a large
    one to a temporary file that it leaves open when the app refuses it unread)."""
    data = {"title": "", "agenda_item": "", "visibility": "public", **fields}
    data["file"] = FileStorage(io.BytesIO(content), filename=name)
    boundary, body = encode_multipart(data)
    return client.post(
        f"/manage/sessions/pmqa/materials?lang={lang}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _materials(app) -> list[Material]:
    with app.app_context():
        rows = db.session.scalars(select(Material).order_by(Material.position)).all()
        db.session.expunge_all()
        return list(rows)


def _stored_files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _get(client, url: str, **kwargs):
    """A download, read and closed (send_file answers with an open file)."""
    return client.get(url, buffered=True, **kwargs)


def _url(material: Material) -> str:
    return f"/sessions/pmqa/materials/{material.id}/{quote(material.filename)}"


# --- uploads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), ALLOWED)
def test_each_allowed_type_is_stored_under_a_random_name(
    app, client, world, name, content, content_type
):
    login_as(client, world["organiser"])
    response = _upload(client, name, content, title="สไลด์ของวิทยากร")
    assert response.status_code == 302, response.get_data(as_text=True)
    (material,) = _materials(app)
    assert material.content_type == content_type
    assert material.size == len(content)
    stem, extension = name.rsplit(".", 1)
    assert material.filename == f"{stem}.{extension.lower()}"
    assert material.title == "สไลด์ของวิทยากร"
    assert name.split(".")[0] not in material.stored_name
    assert _stored_files(app) == [material.stored_name]
    stored = Path(app.config["UPLOAD_FOLDER"], material.stored_name).read_bytes()
    assert stored == content


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_refused_files_get_a_clear_message_and_leave_nothing_behind(
    app, client, world, name, content, message
):
    login_as(client, world["organiser"])
    response = _upload(client, name, content)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page
    assert message in page
    assert _materials(app) == []
    assert _stored_files(app) == []


def test_a_missing_file_is_a_form_error(client, world):
    login_as(client, world["organiser"])
    response = client.post(
        "/manage/sessions/pmqa/materials?lang=en",
        data={"title": "x", "agenda_item": "", "visibility": "public"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Choose a file to upload." in response.get_data(as_text=True)


def test_messages_are_in_thai_too(client, world):
    login_as(client, world["organiser"])
    response = _upload(client, "slides.pdf", HTML, lang="th")
    assert response.status_code == 400
    assert "ไม่รับไฟล์ประเภทนี้" in response.get_data(as_text=True)
    response = _upload(client, "big.pdf", PDF + b"0" * 3 * MB, lang="th")
    assert response.status_code == 413
    assert "ไฟล์ใหญ่เกินไป" in response.get_data(as_text=True)


@pytest.mark.parametrize("size", [MB + 1, 3 * MB])
def test_an_upload_over_the_limit_is_a_413_form_page(app, client, world, size):
    """Just over the limit: refused while copying; far over: refused by Flask before reading
    (MAX_CONTENT_LENGTH). Both answer the form page with the reason."""
    login_as(client, world["organiser"])
    response = _upload(client, "big.pdf", PDF + b"0" * size)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert "1 MB" in page
    assert 'class="field-error"' in page
    assert _materials(app) == []
    assert _stored_files(app) == []


def test_other_pages_still_answer_a_plain_413(client, world):
    login_as(client, world["organiser"])
    big = {"statement_th": "x" * 3 * MB}
    assert client.post("/manage/sessions/pmqa/takeaways", data=big).status_code == 413


def test_max_content_length_follows_max_upload_mb(database_url):
    app = make_test_app(database_url, MAX_UPLOAD_MB=5)
    assert app.config["MAX_CONTENT_LENGTH"] == 6 * MB
    app = make_test_app(database_url, MAX_CONTENT_LENGTH=123)
    assert app.config["MAX_CONTENT_LENGTH"] == 123


@pytest.mark.parametrize("csrf_on", [True], indirect=True)
def test_too_large_with_csrf_on_is_still_the_form_page(client, world):
    """With CSRF protection the body is first read by CSRFProtect; the page is the same."""
    login_as(client, world["organiser"])
    response = _upload(client, "big.pdf", PDF + b"0" * 3 * MB)
    assert response.status_code == 413
    assert 'enctype="multipart/form-data"' in response.get_data(as_text=True)
    assert "1 MB" in response.get_data(as_text=True)


def test_a_windows_path_keeps_only_the_name():
    kind = materials_service.KINDS["application/pdf"]
    name = materials_service.clean_filename("..\\..\\windows\\system32\\slides.pdf", kind)
    assert name == "slides.pdf"
    with pytest.raises(materials_service.MaterialError):
        materials_service.clean_filename("slides.pdf.exe", kind)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("/etc/slides.pdf", "slides.pdf"),
        ("สไลด์ การเปลี่ยนกรอบความคิด.pdf", "สไลด์ การเปลี่ยนกรอบความคิด.pdf"),
        ("a\x00b\u202egnp.pdf", "abgnp.pdf"),
        ("re<port>|1?*:.pdf", "report1.pdf"),
        ("...", "material.pdf"),
    ],
)
def test_path_tricks_in_the_name_are_cleaned(app, client, world, name, expected):
    login_as(client, world["organiser"])
    assert _upload(client, name, PDF).status_code == 302
    (material,) = _materials(app)
    assert material.filename == expected
    assert _stored_files(app) == [material.stored_name]
    assert not (Path(app.config["UPLOAD_FOLDER"]).parent / "etc").exists()


def test_thai_names_are_readable_in_the_download(app, client, world):
    login_as(client, world["organiser"])
    _upload(client, "สไลด์ ก.พ.ร..pdf", PDF)
    (material,) = _materials(app)
    response = _get(client, _url(material))
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="material-{material.id}.pdf"' in disposition
    assert "filename*=UTF-8''" + quote("สไลด์ ก.พ.ร.pdf") in disposition


def test_upload_to_an_agenda_item_and_registrants_only(app, client, world):
    login_as(client, world["organiser"])
    _upload(client, "a.pdf", PDF, agenda_item=str(world["item_id"]), visibility="registrants")
    (material,) = _materials(app)
    assert material.agenda_item_id == world["item_id"]
    assert material.visibility is Visibility.REGISTRANTS


def test_another_sessions_agenda_item_or_bad_visibility_is_refused(app, client, world):
    login_as(client, world["organiser"])
    assert _upload(client, "a.pdf", PDF, agenda_item="99999").status_code == 400
    assert _upload(client, "a.pdf", PDF, agenda_item="x").status_code == 400
    assert _upload(client, "a.pdf", PDF, visibility="everyone").status_code == 400
    assert _materials(app) == []
    assert _stored_files(app) == []


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 302), ("stranger", 403), ("confirmed", 403), ("other_organiser", 403)],
)
def test_only_those_who_manage_the_session_may_upload(client, world, app, who, status):
    if who:
        login_as(client, world[who])
    assert client.get("/manage/sessions/pmqa/materials").status_code == status
    assert _upload(client, "a.pdf", PDF).status_code == status
    assert _materials(app) == []


def test_the_admin_may_manage_materials(client, world):
    login_as(client, world["admin"])
    assert client.get("/manage/sessions/pmqa/materials").status_code == 200
    assert _upload(client, "a.pdf", PDF).status_code == 302


# --- the list: edit, move, remove ---------------------------------------------------------------


def test_edit_move_and_remove(app, client, world):
    login_as(client, world["organiser"])
    for name in ("one.pdf", "two.png", "three.gif"):
        _upload(client, name, {"pdf": PDF, "png": _png(), "gif": GIF}[name.split(".")[1]])
    one, two, three = _materials(app)
    page = client.get("/manage/sessions/pmqa/materials").get_data(as_text=True)
    assert page.index("one.pdf") < page.index("two.png") < page.index("three.gif")
    assert 'aria-current="page"' in page
    assert "/manage/sessions/pmqa/materials" in page

    response = client.post(
        f"/manage/sessions/pmqa/materials/{two.id}/edit",
        data={
            f"m{two.id}-title": "ภาพประกอบ",
            f"m{two.id}-agenda_item": str(world["item_id"]),
            f"m{two.id}-visibility": "registrants",
        },
    )
    assert response.status_code == 302
    client.post(f"/manage/sessions/pmqa/materials/{three.id}/move/up")
    assert [m.filename for m in _materials(app)] == ["one.pdf", "three.gif", "two.png"]
    edited = next(m for m in _materials(app) if m.id == two.id)
    assert (edited.title, edited.visibility) == ("ภาพประกอบ", Visibility.REGISTRANTS)
    assert edited.agenda_item_id == world["item_id"]

    assert client.post(f"/manage/sessions/pmqa/materials/{one.id}/delete").status_code == 302
    assert [m.id for m in _materials(app)] == [three.id, two.id]
    assert one.stored_name not in _stored_files(app)
    assert sorted(_stored_files(app)) == sorted([two.stored_name, three.stored_name])
    assert _get(client, _url(one)).status_code == 404
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert {"material.add", "material.edit", "material.remove"} <= set(actions)


def test_bad_edits_are_form_errors(app, client, world):
    login_as(client, world["organiser"])
    _upload(client, "one.pdf", PDF)
    (one,) = _materials(app)
    response = client.post(
        f"/manage/sessions/pmqa/materials/{one.id}/edit?lang=en",
        data={f"m{one.id}-title": "x" * 301, f"m{one.id}-visibility": "registrants"},
    )
    assert response.status_code == 400
    assert "300" in response.get_data(as_text=True)
    assert _materials(app)[0].title == "one.pdf"
    other = client.post(f"/manage/sessions/elsewhere/materials/{one.id}/delete")
    assert other.status_code == 403  # another agency's session
    assert client.post("/manage/sessions/pmqa/materials/99999/delete").status_code == 404
    assert client.post(f"/manage/sessions/pmqa/materials/{one.id}/move/sideways").status_code == 404


# --- downloads: who, and headers ----------------------------------------------------------------

VIEWERS = [
    # viewer, public file, registrants-only file
    (None, 200, 302),
    ("stranger", 200, 403),
    ("waitlisted", 200, 403),
    ("cancelled", 200, 403),
    ("confirmed", 200, 200),
    ("other_organiser", 200, 403),
    ("organiser", 200, 200),
    ("admin", 200, 200),
]


@pytest.fixture
def files(app, client, world) -> dict[str, Material]:
    login_as(client, world["organiser"])
    _upload(client, "public.pdf", PDF, title="Public slides")
    _upload(client, "secret.png", _png(), title="Registrants' picture", visibility="registrants")
    client.get("/auth/logout")
    with client.session_transaction() as session:
        session.clear()
    public, private = _materials(app)
    return {"public": public, "private": private}


def _check_headers(response, material: Material, *, private: bool) -> None:
    assert response.headers["Content-Type"] == material.content_type
    assert "html" not in response.headers["Content-Type"]
    assert "svg" not in response.headers["Content-Type"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    inline = material.content_type.startswith("image/")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline; " if inline else "attachment; ")
    cache = response.headers["Cache-Control"]
    assert cache.startswith("private") if private else cache.startswith("public")


@pytest.mark.parametrize(("who", "public_status", "private_status"), VIEWERS)
def test_who_may_download_what(client, world, files, who, public_status, private_status):
    if who:
        login_as(client, world[who])
    public = _get(client, _url(files["public"]))
    assert public.status_code == public_status
    _check_headers(public, files["public"], private=False)
    assert public.data == PDF
    private = _get(client, _url(files["private"]))
    assert private.status_code == private_status
    if private_status == 200:
        _check_headers(private, files["private"], private=True)
        assert private.data == _png()
    elif private_status == 302:
        assert "/auth/login" in private.headers["Location"]
    else:
        page = private.get_data(as_text=True)
        assert "<html" in page.lower()
        assert _png() not in private.data
        if who == "waitlisted":
            assert "waiting list" in page or "รอ" in page


def test_a_draft_sessions_files_are_for_its_organisers(app, client, world, files):
    with app.app_context():
        db.session.get(LearningSession, world["session_id"]).status = SessionStatus.DRAFT
        db.session.commit()
    assert _get(client, _url(files["public"])).status_code == 404
    login_as(client, world["confirmed"])
    assert _get(client, _url(files["public"])).status_code == 404
    login_as(client, world["organiser"])
    response = _get(client, _url(files["public"]))
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")


def test_wrong_session_or_id_is_404_and_the_name_does_not_matter(client, world, files):
    material = files["public"]
    elsewhere = f"/sessions/elsewhere/materials/{material.id}/public.pdf"
    assert _get(client, elsewhere).status_code == 404
    assert _get(client, "/sessions/pmqa/materials/99999/public.pdf").status_code == 404
    assert _get(client, f"/sessions/pmqa/materials/{material.id}/other.html").data == PDF
    tricky = _get(client, f"/sessions/pmqa/materials/{material.id}/..%2F..%2Fetc%2Fpasswd")
    assert tricky.status_code == 404


def test_a_missing_stored_file_is_404(app, client, world, files):
    Path(app.config["UPLOAD_FOLDER"], files["public"].stored_name).unlink()
    assert _get(client, _url(files["public"])).status_code == 404


def test_downloads_answer_conditional_requests(client, files):
    first = _get(client, _url(files["public"]))
    again = _get(client, _url(files["public"]), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- the recording ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "ftp://x.org/v", "nope"],
)
def test_the_recording_link_must_be_http(app, client, world, url):
    login_as(client, world["organiser"])
    response = client.post("/manage/sessions/pmqa/recording?lang=en", data={"recording_url": url})
    assert response.status_code == 400
    assert "https://" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(LearningSession, world["session_id"]).recording_url == ""


def test_the_recording_link_shows_once_the_session_has_ended(app, client, world):
    login_as(client, world["organiser"])
    url = "https://video.example.go.th/watch?v=pmqa&t=1"
    response = client.post("/manage/sessions/pmqa/recording", data={"recording_url": url})
    assert response.status_code == 302
    page = client.get("/sessions/pmqa").get_data(as_text=True)
    assert 'id="materials"' in page
    assert 'href="https://video.example.go.th/watch?v=pmqa&amp;t=1"' in page
    with app.app_context():
        s = db.session.get(LearningSession, world["session_id"])
        s.starts_at = datetime.now(UTC) + timedelta(days=1)
        s.ends_at = s.starts_at + timedelta(hours=1)
        db.session.commit()
    assert "video.example.go.th" not in client.get("/sessions/pmqa").get_data(as_text=True)
    client.post("/manage/sessions/pmqa/recording", data={"recording_url": ""})
    with app.app_context():
        assert db.session.get(LearningSession, world["session_id"]).recording_url == ""


# --- the session page ---------------------------------------------------------------------------


def test_the_session_page_lists_what_the_viewer_may_download(client, world, files, app):
    with app.app_context():
        db.session.get(Material, files["public"].id).agenda_item_id = world["item_id"]
        db.session.commit()
    page = client.get("/sessions/pmqa?lang=en").get_data(as_text=True)
    assert 'id="materials"' in page
    assert "Public slides" in page
    assert _url(files["public"]) in page
    assert "Registrants&#39; picture" not in page
    assert "Panel" in page  # grouped under its agenda item
    assert "1 more file is shared with registrants" in page
    login_as(client, world["confirmed"])
    page = client.get("/sessions/pmqa").get_data(as_text=True)
    assert "Registrants&#39; picture" in page
    assert _url(files["private"]) in page


def test_no_materials_no_section(client, world):
    assert 'id="materials"' not in client.get("/sessions/pmqa").get_data(as_text=True)


def test_session_page_queries_do_not_grow_with_materials(app, client, world, count_queries):
    login_as(client, world["organiser"])
    _upload(client, "a.pdf", PDF)
    login_as(client, world["confirmed"])
    client.get("/sessions/pmqa")  # a first visit may write once (the personal join token)
    few = count_queries(lambda: client.get("/sessions/pmqa"))
    login_as(client, world["organiser"])
    for n in range(12):
        _upload(client, f"f{n}.pdf", PDF, agenda_item=str(world["item_id"]) if n % 2 else "")
    login_as(client, world["confirmed"])
    assert count_queries(lambda: client.get("/sessions/pmqa")) == few
    login_as(client, world["organiser"])
    few_tab = count_queries(lambda: client.get("/manage/sessions/pmqa/materials"))
    _upload(client, "more.pdf", PDF)
    assert count_queries(lambda: client.get("/manage/sessions/pmqa/materials")) == few_tab
