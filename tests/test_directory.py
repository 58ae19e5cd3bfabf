"""Agencies, people and topics under /manage: roles, forms, merges, deletes and the audit log."""

from __future__ import annotations

import re
import threading
import time
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
    AgencyKind,
    Appearance,
    AuditEntry,
    LearningSession,
    Note,
    NoteSection,
    Person,
    Registration,
    RegistrationStatus,
    Role,
    Takeaway,
    TakeawayKind,
    Topic,
    User,
    UserRole,
    session_topic,
    takeaway_agency,
    takeaway_topic,
)
from exchange.services import directory
from exchange.services.accounts import create_user
from tests.conftest import login_as, make_test_app

# --- fixtures and helpers --------------------------------------------------------------------


@dataclass
class Users:
    participant: int
    organiser: int
    admin: int


@pytest.fixture
def users(app: Flask, make_user: Callable[..., int]) -> Users:
    return Users(
        participant=make_user(role="participant"),
        organiser=make_user(role="organiser"),
        admin=make_user(role="admin"),
    )


@pytest.fixture
def organiser(client: FlaskClient, users: Users) -> int:
    """Logged in as an organiser, reading English (one test checks the Thai messages)."""
    login_as(client, users.organiser)
    client.get("/language/en?next=/")
    return users.organiser


def add(app: Flask, *objects: object) -> list[int]:
    """Save *objects* in one commit; their ids."""
    with app.app_context():
        db.session.add_all(objects)
        db.session.commit()
        return [o.id for o in objects]  # type: ignore[attr-defined]


def agency(**fields: object) -> Agency:
    fields.setdefault("name_th", f"หน่วยงาน {fields['slug']}")
    return Agency(**fields)


def count(app: Flask, what: object, *where: object) -> int:
    """Rows in a fresh app context (proves the view committed, or did not)."""
    with app.app_context():
        query = select(func.count()).select_from(what)  # type: ignore[arg-type]
        return db.session.scalar(query.where(*where) if where else query) or 0


def audit_entries(app: Flask, entity_type: str) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).filter_by(entity_type=entity_type).order_by(AuditEntry.id)
        entries = list(db.session.scalars(query))
        db.session.expunge_all()
        return entries


def error_for(page: str, field_id: str) -> str:
    """The message shown next to a field (render_field's <small id="<field>-error">)."""
    found = re.search(rf'<small id="{field_id}-error" class="field-error">(.*?)</small>', page)
    return found.group(1) if found else ""


def session_at(n: int, **fields: object) -> LearningSession:
    start = datetime.now(UTC) + timedelta(days=n)
    fields.setdefault("title_th", f"การประชุม {n}")
    return LearningSession(
        slug=f"s-{n}", starts_at=start, ends_at=start + timedelta(hours=2), **fields
    )


AGENCY_FORM = {
    "name_th": "กรมใหม่",
    "name_en": "New Department",
    "abbr_th": "",
    "abbr_en": "",
    "kind": "department",
    "parent_id": "",
    "website": "",
    "slug": "",
}

# --- who may do what -------------------------------------------------------------------------

PAGES = [
    "/manage/agencies",
    "/manage/agencies/new",
    "/manage/agencies/{agency}/edit",
    "/manage/agencies/{agency}/merge",
    "/manage/people",
    "/manage/people/new",
    "/manage/people/{person}/edit",
    "/manage/people/{person}/merge",
    "/manage/topics",
    "/manage/topics/new",
    "/manage/topics/{topic}/edit",
    "/manage/topics/{topic}/merge",
]
POSTS = [
    "/manage/agencies/new",
    "/manage/agencies/{agency}/edit",
    "/manage/agencies/{agency}/merge",
    "/manage/agencies/{agency}/delete",
    "/manage/people/new",
    "/manage/people/{person}/edit",
    "/manage/people/{person}/merge",
    "/manage/people/{person}/delete",
    "/manage/topics/new",
    "/manage/topics/{topic}/edit",
    "/manage/topics/{topic}/merge",
    "/manage/topics/{topic}/delete",
]


@pytest.fixture
def records(app: Flask) -> dict[str, int]:
    agency_id, person_id, topic_id = add(
        app,
        agency(slug="opdc"),
        Person(slug="somchai", name_th="สมชาย"),
        Topic(slug="pmqa", name_th="PMQA 4.0"),
    )
    return {"agency": agency_id, "person": person_id, "topic": topic_id}


def test_anonymous_visitors_are_sent_to_log_in(client, records):
    for url in PAGES:
        response = client.get(url.format(**records))
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"]
    for url in POSTS:
        assert client.post(url.format(**records)).status_code == 302, url


def test_participants_are_forbidden(app, client, users, records):
    login_as(client, users.participant)
    for url in PAGES:
        assert client.get(url.format(**records)).status_code == 403, url
    for url in POSTS:
        assert client.post(url.format(**records), data=AGENCY_FORM).status_code == 403, url
    assert count(app, Agency) == 1
    assert count(app, AuditEntry) == 0


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_organisers_and_admins_open_every_page(client, users, records, role):
    login_as(client, getattr(users, role))
    for url in PAGES:
        assert client.get(url.format(**records)).status_code == 200, url


def test_only_admins_see_the_users_and_audit_tabs(client, users):
    login_as(client, users.organiser)
    assert 'href="/manage/users"' not in client.get("/manage/agencies").get_data(as_text=True)
    login_as(client, users.admin)
    page = client.get("/manage/agencies").get_data(as_text=True)
    assert 'href="/manage/users"' in page
    assert 'href="/manage/audit"' in page


# --- agencies: create and edit ---------------------------------------------------------------


def test_create_agency_makes_a_slug_and_an_audit_entry(app, client, organiser):
    ministry_id, _ = add(app, agency(slug="mof", kind=AgencyKind.MINISTRY), agency(slug="x"))
    form = {
        **AGENCY_FORM,
        "name_th": "กรมสรรพากร",
        "name_en": "Revenue Department",
        "abbr_en": "RD",
        "parent_id": str(ministry_id),
        "website": "https://www.rd.go.th",
    }
    response = client.post("/manage/agencies/new", data=form)
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(Agency).filter_by(slug="revenue-department"))
        assert created is not None
        assert (created.parent_id, created.kind, created.abbr_en) == (
            ministry_id,
            AgencyKind.DEPARTMENT,
            "RD",
        )
        created_id = created.id
    [entry] = audit_entries(app, "agency")
    assert (entry.action, entry.entity_id, entry.user_id) == ("create", created_id, organiser)
    assert entry.changes["name_th"] == [None, "กรมสรรพากร"]
    assert entry.changes["slug"] == [None, "revenue-department"]
    assert entry.changes["kind"] == [None, "department"]


def test_generated_slugs_never_collide(app, client, organiser):
    add(app, agency(slug="new-department"))
    assert client.post("/manage/agencies/new", data=AGENCY_FORM).status_code == 302
    assert count(app, Agency, Agency.slug == "new-department-2") == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name_th": "   "}, "name_th", "Enter the name in Thai."),
        ({"website": "ftp://files.rd.go.th"}, "website", "starts with http:// or https://"),
        ({"website": "javascript:alert(1)"}, "website", "starts with http:// or https://"),
        ({"website": "https://"}, "website", "starts with http:// or https://"),
        ({"slug": "taken"}, "slug", "already used"),
        ({"slug": "Not A Slug"}, "slug", "lower-case letters"),
        ({"parent_id": "999999"}, "parent_id", "Choose an entry from the list."),
        ({"parent_id": "abc"}, "parent_id", "Choose an entry from the list."),
        ({"kind": "galaxy"}, "kind", "Choose an entry from the list."),
        ({"name_en": "x" * 301}, "name_en", "at most 300 characters"),
    ],
)
def test_create_agency_refuses_bad_input(app, client, organiser, changes, field, message):
    add(app, agency(slug="taken"))
    form = {**AGENCY_FORM, "name_en": "Typed English name", **changes}
    response = client.post("/manage/agencies/new", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in error_for(page, field)
    assert 'value="Typed English name"' in page or field == "name_en"  # what was typed stays
    assert count(app, Agency) == 1
    assert count(app, AuditEntry) == 0


def test_messages_are_in_the_readers_language(app, client, organiser):
    client.get("/language/th?next=/")
    page = client.post("/manage/agencies/new", data={**AGENCY_FORM, "name_th": ""}).get_data(
        as_text=True
    )
    assert "ภาษาไทย" in error_for(page, "name_th")
    client.get("/language/en?next=/")
    page = client.post("/manage/agencies/new", data={**AGENCY_FORM, "name_th": ""}).get_data(
        as_text=True
    )
    assert error_for(page, "name_th") == "Enter the name in Thai."


def _edit_form(app: Flask, agency_id: int, **changes: str) -> dict[str, str]:
    with app.app_context():
        a = db.session.get(Agency, agency_id)
        form = {
            "name_th": a.name_th,
            "name_en": a.name_en,
            "abbr_th": a.abbr_th,
            "abbr_en": a.abbr_en,
            "kind": a.kind.value,
            "parent_id": str(a.parent_id or ""),
            "website": a.website,
            "slug": a.slug,
        }
    return {**form, **changes}


def test_edit_agency_records_before_and_after(app, client, organiser):
    ministry_id, agency_id = add(app, agency(slug="moj"), agency(slug="ops", name_en="Old"))
    form = _edit_form(app, agency_id, name_en="Office of the Permanent Secretary")
    form["parent_id"] = str(ministry_id)
    response = client.post(f"/manage/agencies/{agency_id}/edit", data=form)
    assert response.status_code == 302
    [entry] = audit_entries(app, "agency")
    assert entry.action == "update"
    assert entry.changes == {
        "name_en": ["Old", "Office of the Permanent Secretary"],
        "parent_id": [None, ministry_id],
    }
    # saving again without a change records nothing
    client.post(f"/manage/agencies/{agency_id}/edit", data=form)
    assert len(audit_entries(app, "agency")) == 1


def test_edit_agency_refuses_a_cycle(app, client, organiser):
    (top_id,) = add(app, agency(slug="top"))
    (middle_id,) = add(app, agency(slug="middle", parent_id=top_id))
    (bottom_id,) = add(app, agency(slug="bottom", parent_id=middle_id))
    for parent in (bottom_id, middle_id, top_id):  # below itself, or itself
        form = _edit_form(app, top_id, parent_id=str(parent), name_en="Changed")
        response = client.post(f"/manage/agencies/{top_id}/edit", data=form)
        assert response.status_code == 200
        assert "cannot be placed under itself" in error_for(
            response.get_data(as_text=True), "parent_id"
        )
    with app.app_context():
        assert db.session.get(Agency, top_id).parent_id is None
        assert db.session.get(Agency, top_id).name_en == ""
    assert count(app, AuditEntry) == 0


def test_edit_agency_parent_choices_leave_out_itself_and_its_subtree(app, client, organiser):
    top_id, other_id = add(app, agency(slug="top"), agency(slug="other"))
    (child_id,) = add(app, agency(slug="child", parent_id=top_id))
    page = client.get(f"/manage/agencies/{top_id}/edit").get_data(as_text=True)
    select_html = page[
        page.index('id="parent_id"') : page.index("</select>", page.index('id="parent_id"'))
    ]
    assert f'value="{other_id}"' in select_html
    assert f'value="{child_id}"' not in select_html
    assert f'value="{top_id}"' not in select_html


def test_edit_agency_refuses_a_taken_slug_and_changes_nothing(app, client, organiser):
    _first_id, second_id = add(app, agency(slug="first"), agency(slug="second"))
    form = _edit_form(app, second_id, slug="first", name_th="ชื่อใหม่")
    response = client.post(f"/manage/agencies/{second_id}/edit", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "already used" in error_for(page, "slug")
    assert 'value="ชื่อใหม่"' in page
    with app.app_context():
        second = db.session.get(Agency, second_id)
        assert (second.slug, second.name_th) == ("second", "หน่วยงาน second")
    assert count(app, AuditEntry) == 0


def test_edit_agency_needs_a_slug(app, client, organiser):
    (agency_id,) = add(app, agency(slug="keep-me"))
    response = client.post(
        f"/manage/agencies/{agency_id}/edit", data=_edit_form(app, agency_id, slug="")
    )
    assert "Enter the web address name." in error_for(response.get_data(as_text=True), "slug")


def test_unknown_record_is_404(client, organiser):
    for url in ("/manage/agencies/999/edit", "/manage/people/999/merge", "/manage/topics/999/edit"):
        assert client.get(url).status_code == 404
    assert client.post("/manage/agencies/999/delete").status_code == 404


# --- agencies: merge -------------------------------------------------------------------------


@dataclass
class Linked:
    duplicate: int
    keep: int
    child: int
    session: int
    shared_takeaway: int  # linked to both agencies before the merge
    own_takeaway: int  # linked only to the duplicate
    user: int


@pytest.fixture
def linked(app: Flask) -> Linked:
    """An agency entered twice, with one link of every kind on the duplicate."""
    with app.app_context():
        duplicate = agency(slug="opdc-dup", name_th="สำนักงาน ก.พ.ร. (ซ้ำ)")
        keep = agency(slug="opdc", name_th="สำนักงาน ก.พ.ร.")
        child = agency(slug="child", parent=duplicate)
        person = Person(slug="p", name_th="คนหนึ่ง")
        learning_session = session_at(1, organiser=duplicate)
        learning_session.appearances = [
            Appearance(person=person, role=Role.SPEAKER, agency=duplicate)
        ]
        shared = Takeaway(
            kind=TakeawayKind.CONCLUSION, statement_th="ร่วม", agencies=[duplicate, keep]
        )
        own = Takeaway(kind=TakeawayKind.PRACTICE, statement_th="ของตัวเอง", agencies=[duplicate])
        learning_session.takeaways = [shared, own]
        note = Note(learning_session=learning_session, sections=[NoteSection(agency=duplicate)])
        user = create_user("someone@opdc.go.th", "คนของ ก.พ.ร.")
        user.agency = duplicate
        db.session.add_all([keep, child, learning_session, note])
        db.session.flush()
        db.session.add(
            Registration(
                session_id=learning_session.id,
                user_id=user.id,
                agency_id=duplicate.id,
                status=RegistrationStatus.CONFIRMED,
            )
        )
        db.session.commit()
        return Linked(
            duplicate.id, keep.id, child.id, learning_session.id, shared.id, own.id, user.id
        )


def test_merge_moves_every_link_and_deletes_the_duplicate(app, client, users, linked):
    # the duplicate organises a session: an admin's merge (organisers are refused, see
    # tests/test_authorisation_matrix.py)
    organiser = users.admin
    login_as(client, organiser)
    response = client.post(
        f"/manage/agencies/{linked.duplicate}/merge", data={"target": str(linked.keep)}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/agencies/{linked.keep}/edit"
    keep, gone = linked.keep, linked.duplicate
    assert count(app, Agency, Agency.id == gone) == 0
    assert count(app, LearningSession, LearningSession.organiser_id == keep) == 1
    assert count(app, Appearance, Appearance.agency_id == keep) == 1
    assert count(app, NoteSection, NoteSection.agency_id == keep) == 1
    assert count(app, Registration, Registration.agency_id == keep) == 1
    assert count(app, User, User.agency_id == keep) == 1
    assert count(app, Agency, Agency.parent_id == keep) == 1
    # both takeaways now name the kept agency once each: no duplicate pair, none lost
    assert count(app, takeaway_agency) == 2
    assert count(app, takeaway_agency, takeaway_agency.c.agency_id == keep) == 2
    merge, delete = audit_entries(app, "agency")
    assert (merge.action, merge.entity_id, merge.user_id) == ("merge", keep, organiser)
    assert merge.changes["merged_from"] == [None, "สำนักงาน ก.พ.ร. (ซ้ำ) (opdc-dup)"]
    assert merge.changes["takeaways"] == [1, 2]
    assert merge.changes["sessions"] == [0, 1]
    assert merge.changes["children"] == [0, 1]
    assert (delete.action, delete.entity_id) == ("delete", gone)
    assert delete.changes["slug"] == ["opdc-dup", None]


def test_merge_refuses_itself_and_changes_nothing(app, client, organiser, linked):
    response = client.post(
        f"/manage/agencies/{linked.duplicate}/merge", data={"target": str(linked.duplicate)}
    )
    assert response.status_code == 200
    assert "cannot be merged into itself" in error_for(response.get_data(as_text=True), "target")
    assert count(app, Agency, Agency.id == linked.duplicate) == 1
    assert count(app, takeaway_agency, takeaway_agency.c.agency_id == linked.duplicate) == 2
    assert count(app, AuditEntry) == 0


def test_merge_refuses_an_agency_below_it(app, client, organiser, linked):
    response = client.post(
        f"/manage/agencies/{linked.duplicate}/merge", data={"target": str(linked.child)}
    )
    assert response.status_code == 200
    assert "is under the agency being merged" in error_for(
        response.get_data(as_text=True), "target"
    )
    assert count(app, Agency) == 3


@pytest.mark.parametrize("target", ["", "999999", "x"])
def test_merge_needs_a_target_from_the_list(app, client, organiser, linked, target):
    response = client.post(f"/manage/agencies/{linked.duplicate}/merge", data={"target": target})
    assert response.status_code == 200
    assert error_for(response.get_data(as_text=True), "target")
    assert count(app, Agency) == 3


def test_merge_page_says_what_moves(client, organiser, linked):
    page = client.get(f"/manage/agencies/{linked.duplicate}/merge?lang=en").get_data(as_text=True)
    assert "1 session, 1 appearance in a session, 2 takeaways" in page
    assert f'value="{linked.keep}"' in page
    assert f'value="{linked.child}"' not in page  # not into its own subtree


# --- agencies: delete ------------------------------------------------------------------------


def test_delete_is_refused_while_the_agency_is_used(app, client, organiser, linked):
    response = client.post(f"/manage/agencies/{linked.duplicate}/delete", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert (
        "1 session, 1 appearance in a session, 2 takeaways, 1 section of a summary, "
        "1 registration, 1 user account, 1 agency under it"
    ) in page
    assert count(app, Agency, Agency.id == linked.duplicate) == 1
    assert count(app, AuditEntry) == 0


def test_delete_removes_an_unused_agency(app, client, organiser):
    (agency_id,) = add(app, agency(slug="unused", name_en="Unused"))
    response = client.post(f"/manage/agencies/{agency_id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/agencies"
    assert count(app, Agency) == 0
    [entry] = audit_entries(app, "agency")
    assert (entry.action, entry.entity_id) == ("delete", agency_id)
    assert entry.changes["name_en"] == ["Unused", None]


def test_delete_needs_a_post_with_a_csrf_token(database_url):
    csrf_app = make_test_app(database_url, WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        db.create_all()
        unused = agency(slug="unused")
        user = create_user("o@opdc.go.th", "ผู้จัด", role=UserRole.ORGANISER)
        db.session.add(unused)
        db.session.commit()
        agency_id, user_id = unused.id, user.id
    try:
        client = csrf_app.test_client()
        login_as(client, user_id)
        assert client.get(f"/manage/agencies/{agency_id}/delete").status_code == 405
        assert client.post(f"/manage/agencies/{agency_id}/delete").status_code == 400
        page = client.get(f"/manage/agencies/{agency_id}/edit").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(f"/manage/agencies/{agency_id}/delete", data={"csrf_token": token})
        assert response.status_code == 302
    finally:
        with csrf_app.app_context():
            db.drop_all()
            db.engine.dispose()


# --- agencies: the list ----------------------------------------------------------------------


def test_agency_list_is_a_tree_and_search_keeps_the_ministry(app, client, organiser):
    (ministry_id,) = add(app, agency(slug="moj", name_th="กระทรวงยุติธรรม", kind=AgencyKind.MINISTRY))
    add(
        app,
        agency(slug="ops", name_th="สำนักงานปลัดกระทรวงยุติธรรม", parent_id=ministry_id),
        agency(slug="rd", name_th="กรมสรรพากร", abbr_en="RD"),
    )
    page = client.get("/manage/agencies").get_data(as_text=True)
    assert page.index("กระทรวงยุติธรรม") < page.index("สำนักงานปลัดกระทรวงยุติธรรม")
    page = client.get("/manage/agencies?q=ปลัด").get_data(as_text=True)
    assert "สำนักงานปลัดกระทรวงยุติธรรม" in page
    assert "directory-tree__context" in page  # the ministry, shown for context
    assert "กรมสรรพากร" not in page
    page = client.get("/manage/agencies?q=rd").get_data(as_text=True)
    assert "กรมสรรพากร" in page
    assert "สำนักงานปลัดกระทรวงยุติธรรม" not in page


@pytest.mark.parametrize("url", ["/manage/agencies", "/manage/people", "/manage/topics"])
def test_list_pages_do_not_grow_with_the_data(client, organiser, make_session, count_queries, url):
    make_session(people=2, shared=True)
    make_session(people=2)
    few = count_queries(lambda: client.get(url))
    for _ in range(8):
        make_session(people=3)
    assert client.get(url).status_code == 200
    assert count_queries(lambda: client.get(url)) == few


# --- people ----------------------------------------------------------------------------------

PERSON_FORM = {
    "prefix_th": "นาย",
    "name_th": "สมชาย ใจดี",
    "prefix_en": "Mr.",
    "name_en": "Somchai Jaidee",
    "slug": "",
}


def test_create_person_and_search(app, client, organiser):
    response = client.post("/manage/people/new", data=PERSON_FORM)
    assert response.status_code == 302
    with app.app_context():
        person = db.session.scalar(select(Person).filter_by(slug="somchai-jaidee"))
        assert (person.prefix_th, person.name_th) == ("นาย", "สมชาย ใจดี")
    [entry] = audit_entries(app, "person")
    assert entry.changes["name_en"] == [None, "Somchai Jaidee"]
    assert "นายสมชาย ใจดี" in client.get("/manage/people?q=ใจดี").get_data(as_text=True)
    assert "นายสมชาย ใจดี" not in client.get("/manage/people?q=nobody").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name_th": ""}, "name_th", "Enter the name in Thai."),
        ({"slug": "taken"}, "slug", "already used"),
        ({"prefix_th": "ก" * 61}, "prefix_th", "at most 60 characters"),
    ],
)
def test_create_person_refuses_bad_input(app, client, organiser, changes, field, message):
    add(app, Person(slug="taken", name_th="มีแล้ว"))
    response = client.post("/manage/people/new", data={**PERSON_FORM, **changes})
    assert response.status_code == 200
    assert message in error_for(response.get_data(as_text=True), field)
    assert count(app, Person) == 1


def test_edit_person_taken_slug_and_audit(app, client, organiser):
    _first_id, second_id = add(
        app, Person(slug="first", name_th="หนึ่ง"), Person(slug="second", name_th="สอง")
    )
    form = {"prefix_th": "", "name_th": "สอง", "prefix_en": "", "name_en": "", "slug": "first"}
    response = client.post(f"/manage/people/{second_id}/edit", data=form)
    assert "already used" in error_for(response.get_data(as_text=True), "slug")
    response = client.post(
        f"/manage/people/{second_id}/edit", data={**form, "slug": "second", "prefix_th": "ดร."}
    )
    assert response.status_code == 302
    [entry] = audit_entries(app, "person")
    assert (entry.action, entry.changes) == ("update", {"prefix_th": ["", "ดร."]})


def _people_in_sessions(app: Flask, *, same_role: bool) -> tuple[int, int, int]:
    with app.app_context():
        duplicate = Person(slug="dup", name_th="ซ้ำ")
        keep = Person(slug="keep", name_th="ตัวจริง")
        shared = session_at(1)
        shared.appearances = [
            Appearance(person=duplicate, role=Role.PANELLIST),
            Appearance(person=keep, role=Role.PANELLIST if same_role else Role.MODERATOR),
        ]
        other = session_at(2)
        other.appearances = [Appearance(person=duplicate, role=Role.SPEAKER)]
        db.session.add_all([shared, other])
        db.session.commit()
        return duplicate.id, keep.id, shared.id


def test_merge_people_moves_appearances(app, client, organiser):
    duplicate_id, keep_id, _ = _people_in_sessions(app, same_role=False)
    response = client.post(f"/manage/people/{duplicate_id}/merge", data={"target": str(keep_id)})
    assert response.status_code == 302
    assert count(app, Person) == 1
    assert count(app, Appearance, Appearance.person_id == keep_id) == 3
    merge, delete = audit_entries(app, "person")
    assert merge.changes["appearances"] == [1, 3]
    assert (delete.action, delete.entity_id) == ("delete", duplicate_id)


def test_merge_people_refuses_the_same_role_in_the_same_session(app, client, organiser):
    duplicate_id, keep_id, _ = _people_in_sessions(app, same_role=True)
    response = client.post(f"/manage/people/{duplicate_id}/merge", data={"target": str(keep_id)})
    assert response.status_code == 200
    message = error_for(response.get_data(as_text=True), "target")
    assert "Both people appear in the same session in the same role" in message
    assert "การประชุม 1" in message  # which session
    assert "Panellist" in message
    assert count(app, Person) == 2
    assert count(app, Appearance, Appearance.person_id == duplicate_id) == 2
    assert count(app, AuditEntry) == 0


def test_merge_people_refuses_themselves(app, client, organiser):
    (person_id,) = add(app, Person(slug="one", name_th="หนึ่ง"))
    response = client.post(f"/manage/people/{person_id}/merge", data={"target": str(person_id)})
    assert "cannot be merged into themselves" in error_for(
        response.get_data(as_text=True), "target"
    )


def test_delete_person_only_when_unused(app, client, organiser):
    _duplicate_id, keep_id, _ = _people_in_sessions(app, same_role=False)
    (unused_id,) = add(app, Person(slug="unused", name_th="ไม่มีใครใช้"))
    page = client.post(f"/manage/people/{keep_id}/delete", follow_redirects=True).get_data(
        as_text=True
    )
    assert "This person cannot be deleted because it is still used: 1 appearance" in page
    assert count(app, Person, Person.id == keep_id) == 1
    assert client.post(f"/manage/people/{unused_id}/delete").status_code == 302
    assert count(app, Person, Person.id == unused_id) == 0


# --- topics ----------------------------------------------------------------------------------


def test_create_and_edit_topic(app, client, organiser):
    form = {
        "name_th": "การเปลี่ยนแปลงกรอบความคิด",
        "name_en": "Mindset change",
        "description_th": "",
        "description_en": "",
        "slug": "",
    }
    assert client.post("/manage/topics/new", data=form).status_code == 302
    with app.app_context():
        topic_id = db.session.scalar(select(Topic.id).filter_by(slug="mindset-change"))
    response = client.post(
        f"/manage/topics/{topic_id}/edit", data={**form, "slug": "mindset", "name_th": ""}
    )
    assert "Enter the name in Thai." in error_for(response.get_data(as_text=True), "name_th")
    response = client.post(f"/manage/topics/{topic_id}/edit", data={**form, "slug": "mindset"})
    assert response.status_code == 302
    _create, update = audit_entries(app, "topic")
    assert update.changes == {"slug": ["mindset-change", "mindset"]}


def test_merge_topics_moves_sessions_and_takeaways_without_duplicate_pairs(app, client, organiser):
    with app.app_context():
        duplicate = Topic(slug="dup", name_th="ซ้ำ")
        keep = Topic(slug="keep", name_th="ตัวจริง")
        both = session_at(1, topics=[duplicate, keep])
        only = session_at(2, topics=[duplicate])
        both.takeaways = [
            Takeaway(kind=TakeawayKind.PRACTICE, statement_th="ก", topics=[duplicate, keep]),
            Takeaway(kind=TakeawayKind.PRACTICE, statement_th="ข", topics=[duplicate]),
        ]
        db.session.add_all([both, only])
        db.session.commit()
        duplicate_id, keep_id = duplicate.id, keep.id
    response = client.post(f"/manage/topics/{duplicate_id}/merge", data={"target": str(keep_id)})
    assert response.status_code == 302
    assert count(app, Topic) == 1
    assert count(app, session_topic) == 2
    assert count(app, session_topic, session_topic.c.topic_id == keep_id) == 2
    assert count(app, takeaway_topic) == 2
    assert count(app, takeaway_topic, takeaway_topic.c.topic_id == keep_id) == 2
    merge, _ = audit_entries(app, "topic")
    assert merge.changes["sessions"] == [1, 2]
    assert merge.changes["takeaways"] == [1, 2]


def test_merge_topic_refuses_itself(app, client, organiser):
    (topic_id,) = add(app, Topic(slug="t", name_th="หัวข้อ"))
    response = client.post(f"/manage/topics/{topic_id}/merge", data={"target": str(topic_id)})
    assert "cannot be merged into itself" in error_for(response.get_data(as_text=True), "target")
    assert count(app, Topic) == 1


def test_delete_topic_only_when_unused(app, client, organiser, make_session):
    make_session(shared=True)
    (unused_id,) = add(app, Topic(slug="unused", name_th="ไม่มีใครใช้"))
    with app.app_context():
        used_id = db.session.scalar(select(Topic.id).filter_by(slug="topic-shared"))
    page = client.post(f"/manage/topics/{used_id}/delete", follow_redirects=True).get_data(
        as_text=True
    )
    assert "This topic cannot be deleted because it is still used: 1 session, 4 takeaways" in page
    assert count(app, Topic) == 2
    assert client.post(f"/manage/topics/{unused_id}/delete").status_code == 302
    assert count(app, Topic) == 1


# --- the service on its own ------------------------------------------------------------------


def test_services_flush_and_never_commit(app):
    with app.app_context():
        created = directory.create_agency(directory.AgencyData(name_th="กรม"), user_id=None)
        assert created.id is not None
        db.session.rollback()
    assert count(app, Agency) == 0
    assert count(app, AuditEntry) == 0


def test_descendants_survive_a_cycle_already_in_the_data(app):
    with app.app_context():
        a, b = agency(slug="a"), agency(slug="b")
        db.session.add_all([a, b])
        db.session.flush()
        a.parent_id, b.parent_id = b.id, a.id
        db.session.flush()
        assert directory.descendant_ids(a.id) == {a.id, b.id}


def test_two_edits_cannot_close_a_loop_between_them(app, database_url):
    """A under B and, at the same moment, B under A: the second waits, then is refused."""
    if database_url.startswith("sqlite"):
        pytest.skip("needs two connections at once (PostgreSQL)")
    a_id, b_id = add(app, agency(slug="a"), agency(slug="b"))
    first_saved_but_not_committed = threading.Event()
    outcome: dict[str, object] = {}

    def move(agency_id: int, parent_id: int) -> None:
        with app.test_request_context(method="POST"):  # messages are translated per request
            moving = db.session.get(Agency, agency_id)
            data = directory.AgencyData(
                name_th=moving.name_th, slug=moving.slug, parent_id=parent_id
            )
            try:
                directory.update_agency(moving, data, user_id=None)
            except directory.DirectoryError as exc:
                db.session.rollback()
                outcome[moving.slug] = exc.field
                return
            if moving.slug == "a":
                first_saved_but_not_committed.set()
                time.sleep(0.5)  # the other edit is now waiting for our row locks
            db.session.commit()
            outcome[moving.slug] = "saved"

    first = threading.Thread(target=move, args=(a_id, b_id))
    first.start()
    assert first_saved_but_not_committed.wait(10)
    second = threading.Thread(target=move, args=(b_id, a_id))
    second.start()
    first.join(10)
    second.join(10)
    assert outcome == {"a": "saved", "b": "parent_id"}
    with app.app_context():
        assert db.session.get(Agency, b_id).parent_id is None
