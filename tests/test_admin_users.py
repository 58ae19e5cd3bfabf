"""Admin pages: users and their roles, and the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exchange.db import db
from exchange.models import Agency, AuditEntry, Topic, User, UserRole
from exchange.services import audit
from tests.conftest import login_as


@pytest.fixture
def agency_id(app: Flask) -> int:
    with app.app_context():
        agency = Agency(slug="opdc", name_th="สำนักงาน ก.พ.ร.", name_en="OPDC")
        db.session.add(agency)
        db.session.commit()
        return agency.id


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., int]) -> int:
    user_id = make_user("admin@opdc.go.th", role="admin", name="ผู้ดูแล")
    login_as(client, user_id)
    client.get("/language/en?next=/")
    return user_id


def user(app: Flask, user_id: int) -> User:
    with app.app_context():
        found = db.session.get(User, user_id)
        db.session.expunge(found)
        return found


def entries(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        db.session.expunge_all()
        return found


def error_for(page: str, field_id: str) -> str:
    found = re.search(rf'<small id="{field_id}-error" class="field-error">(.*?)</small>', page)
    return found.group(1) if found else ""


def form(role: str, agency: int | None = None, active: bool = True) -> dict[str, str]:
    data = {"role": role, "agency_id": str(agency or "")}
    if active:
        data["active"] = "y"
    return data


# --- who may do what -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, make_user):
    user_id = make_user()
    for url in ("/manage/users", f"/manage/users/{user_id}/edit", "/manage/audit"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    assert client.post(f"/manage/users/{user_id}/edit", data=form("admin")).status_code == 302


@pytest.mark.parametrize("role", ["participant", "organiser"])
def test_participants_and_organisers_are_forbidden(app, client, make_user, role):
    target = make_user()
    login_as(client, make_user(role=role))
    for url in ("/manage/users", f"/manage/users/{target}/edit", "/manage/audit"):
        assert client.get(url).status_code == 403
    response = client.post(f"/manage/users/{target}/edit", data=form("admin"))
    assert response.status_code == 403
    assert user(app, target).role is UserRole.PARTICIPANT


# --- the list --------------------------------------------------------------------------------


def test_list_searches_and_filters_by_role(client, admin, make_user):
    make_user("pat@rd.go.th", name="Pat Participant")
    make_user("olga@rd.go.th", name="Olga Organiser", role="organiser")
    page = client.get("/manage/users").get_data(as_text=True)
    assert "Pat Participant" in page
    assert "Olga Organiser" in page
    page = client.get("/manage/users?role=organiser").get_data(as_text=True)
    assert "Olga Organiser" in page
    assert "Pat Participant" not in page
    page = client.get("/manage/users?q=PAT@RD").get_data(as_text=True)
    assert "Pat Participant" in page
    assert "Olga Organiser" not in page
    assert "No accounts match." in client.get("/manage/users?q=nobody").get_data(as_text=True)


def test_list_is_paginated(app, client, admin, make_user):
    app.config["USERS_PER_PAGE"] = 2
    for n in range(4):
        make_user(name=f"คน {n}")
    page = client.get("/manage/users?role=participant").get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert "/manage/users?page=2&amp;role=participant" in page
    assert client.get("/manage/users?page=2").status_code == 200
    assert client.get("/manage/users?page=9").status_code == 404


def test_users_and_audit_pages_do_not_grow_with_the_data(
    app, client, admin, make_user, count_queries, agency_id
):
    def add_changes(n: int) -> None:
        with app.app_context():
            for i in range(n):
                topic = Topic(slug=f"t-{n}-{i}", name_th="หัวข้อ")
                db.session.add(topic)
                db.session.flush()
                audit.record("create", topic, user_id=admin, changes={"slug": (None, topic.slug)})
                audit.record("update", db.session.get(Agency, agency_id), user_id=admin)
            db.session.commit()

    make_user(agency_id=agency_id)
    add_changes(1)
    few = {
        url: count_queries(lambda url=url: client.get(url))
        for url in ("/manage/users", "/manage/audit")
    }
    for _ in range(6):
        make_user(agency_id=agency_id, role="organiser")
    add_changes(6)
    for url, queries in few.items():
        assert client.get(url).status_code == 200
        assert count_queries(lambda url=url: client.get(url)) == queries, url


# --- changing a user -------------------------------------------------------------------------


def test_admin_changes_role_and_agency(app, client, admin, make_user, agency_id):
    target = make_user(name="Olga")
    response = client.post(f"/manage/users/{target}/edit", data=form("organiser", agency_id))
    assert response.status_code == 302
    changed = user(app, target)
    assert (changed.role, changed.agency_id, changed.active) == (
        UserRole.ORGANISER,
        agency_id,
        True,
    )
    [entry] = entries(app)
    assert (entry.action, entry.entity_type, entry.entity_id, entry.user_id) == (
        "update",
        "user",
        target,
        admin,
    )
    assert entry.changes == {"role": ["participant", "organiser"], "agency_id": [None, agency_id]}


def test_admin_deactivates_and_reactivates_an_account(app, client, admin, make_user):
    target = make_user("pat@rd.go.th")
    client.post(f"/manage/users/{target}/edit", data=form("participant", active=False))
    assert user(app, target).active is False
    # a deactivated account cannot log in
    other = app.test_client()
    other.post("/auth/login", data={"email": "pat@rd.go.th", "password": "correct horse"})
    assert other.get("/me").status_code == 302
    client.post(f"/manage/users/{target}/edit", data=form("participant"))
    assert user(app, target).active is True
    first, second = entries(app)
    assert first.changes == {"active": [True, False]}
    assert second.changes == {"active": [False, True]}


def test_saving_without_a_change_records_nothing(app, client, admin, make_user):
    target = make_user()
    response = client.post(f"/manage/users/{target}/edit", data=form("participant"))
    assert response.status_code == 302
    assert entries(app) == []


def test_admin_cannot_remove_their_own_admin_role(app, client, admin, agency_id):
    response = client.post(f"/manage/users/{admin}/edit", data=form("organiser", agency_id))
    assert response.status_code == 200
    assert "cannot remove your own administrator role" in error_for(
        response.get_data(as_text=True), "role"
    )
    assert user(app, admin).role is UserRole.ADMIN
    assert user(app, admin).agency_id is None  # nothing saved, not even the agency
    assert entries(app) == []


def test_both_refusals_are_shown_at_once(app, client, admin):
    response = client.post(f"/manage/users/{admin}/edit", data=form("participant", active=False))
    page = response.get_data(as_text=True)
    assert "cannot remove your own administrator role" in error_for(page, "role")
    assert "cannot deactivate your own account" in error_for(page, "active")


def test_admin_cannot_deactivate_themselves(app, client, admin):
    response = client.post(f"/manage/users/{admin}/edit", data=form("admin", active=False))
    assert response.status_code == 200
    assert "cannot deactivate your own account" in error_for(
        response.get_data(as_text=True), "active"
    )
    assert user(app, admin).active is True


def test_admin_may_change_their_own_agency(app, client, admin, agency_id):
    response = client.post(f"/manage/users/{admin}/edit", data=form("admin", agency_id))
    assert response.status_code == 302
    assert user(app, admin).agency_id == agency_id


def test_another_admin_can_be_demoted(app, client, admin, make_user):
    other = make_user(role="admin")
    assert client.post(f"/manage/users/{other}/edit", data=form("participant")).status_code == 302
    assert user(app, other).role is UserRole.PARTICIPANT


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": "emperor", "agency_id": ""}, "role"),
        ({"role": "organiser", "agency_id": "999999"}, "agency_id"),
        ({"role": "organiser", "agency_id": "abc"}, "agency_id"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(app, client, admin, make_user, data, field):
    target = make_user()
    response = client.post(f"/manage/users/{target}/edit", data=data)
    assert response.status_code == 200
    assert error_for(response.get_data(as_text=True), field)
    assert user(app, target).role is UserRole.PARTICIPANT


# --- the audit log ---------------------------------------------------------------------------


def test_audit_log_shows_who_when_what_and_before_after(app, client, admin, agency_id):
    client.post(
        "/manage/topics/new",
        data={"name_th": "หัวข้อ", "name_en": "Mindset", "slug": "mindset"},
        follow_redirects=True,  # the flash is shown there, not on the audit page
    )
    client.post(
        f"/manage/agencies/{agency_id}/edit",
        data={
            "name_th": "สำนักงาน ก.พ.ร.",
            "name_en": "OPDC Office",
            "kind": "office",
            "slug": "opdc",
        },
        follow_redirects=True,
    )
    page = client.get("/manage/audit").get_data(as_text=True)
    assert page.index("OPDC Office") < page.index("Mindset")  # newest first
    assert "ผู้ดูแล" in page  # who
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT", page)  # when
    assert "Changed" in page
    assert "Created" in page
    assert f'href="/manage/agencies/{agency_id}/edit"' in page  # the record, linked
    assert "Name in English" in page
    assert re.search(r"OPDC</td>\s*<td class=\"audit-changes__after\">.*OPDC Office", page, re.S)
    # the kind in words (other → office), not as stored
    assert re.search(r"Kind</th>\s*<td[^>]*>Agency</td>\s*<td[^>]*>.*?Office</td>", page, re.S)


def test_audit_log_filters_by_kind_and_user(app, client, admin, make_user, agency_id):
    other_admin = make_user(role="admin", name="อีกคน")
    with app.app_context():
        topic = Topic(slug="t", name_th="หัวข้อทดสอบ")
        db.session.add(topic)
        db.session.flush()
        audit.record("create", topic, user_id=other_admin, summary="หัวข้อทดสอบ")
        audit.record("update", db.session.get(Agency, agency_id), user_id=admin, summary="แก้ไข")
        db.session.commit()
    page = client.get("/manage/audit?entity=topic").get_data(as_text=True)
    assert "หัวข้อทดสอบ" in page
    assert "แก้ไข" not in page
    page = client.get(f"/manage/audit?user={admin}").get_data(as_text=True)
    assert "แก้ไข" in page
    assert "หัวข้อทดสอบ" not in page
    assert "No changes match." in client.get("/manage/audit?entity=nothing").get_data(as_text=True)
    assert client.get("/manage/audit?user=abc").status_code == 404


def test_audit_log_says_when_a_record_is_gone(app, client, admin):
    with app.app_context():
        topic = Topic(slug="gone", name_th="หัวข้อที่ลบ")
        db.session.add(topic)
        db.session.commit()
        topic_id = topic.id
    client.post(f"/manage/topics/{topic_id}/delete")
    page = client.get("/manage/audit").get_data(as_text=True)
    assert "Deleted" in page
    assert "no longer exists" in page
    assert f'href="/manage/topics/{topic_id}/edit"' not in page


def test_user_changes_appear_in_the_audit_log_with_links(app, client, admin, make_user):
    target = make_user(name="Olga")
    client.post(f"/manage/users/{target}/edit", data=form("organiser"))
    page = client.get("/manage/audit?entity=user").get_data(as_text=True)
    assert f'href="/manage/users/{target}/edit"' in page
    assert "Participant" in page
    assert "Session organiser" in page


def test_every_audited_action_has_a_readable_label(app):
    """Each action name a service records (audit.record("name", …)) reads as words in the log."""
    import re
    from pathlib import Path

    from exchange.admin.audit import action_label

    source = "\n".join(p.read_text() for p in Path("exchange").rglob("*.py"))
    actions = set(re.findall(r'audit\.record\(\s*"([a-z_]+)"', source))
    assert {"duplicate", "takeaway_add", "note_taker_grant"} <= actions
    actions |= {"create", "update", "publish", "unpublish", "check_in"}  # in a variable
    with app.test_request_context():
        unlabelled = sorted(a for a in actions if action_label(a) == a)
    assert unlabelled == []
