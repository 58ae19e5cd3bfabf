"""The organiser workspace: create, edit, publish, duplicate, cancel; the agenda and people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exchange.db import db, utcnow
from exchange.models import (
    Agency,
    AgendaItem,
    Appearance,
    AuditEntry,
    LearningSession,
    OutboxMessage,
    Person,
    SessionStatus,
)
from exchange.services import registration as registration_service
from tests.conftest import login_as


@pytest.fixture
def agency_id(app) -> int:
    with app.app_context():
        agency = Agency(slug="opdc", name_th="สำนักงาน ก.พ.ร.", name_en="OPDC")
        db.session.add(agency)
        db.session.commit()
        return agency.id


@pytest.fixture
def organiser(make_user, agency_id) -> int:
    return make_user("org@opdc.go.th", role="organiser", agency_id=agency_id)


def form(agency_id: int, **changes: str) -> dict[str, str]:
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    data = {
        "title_th": "แลกเปลี่ยนเรียนรู้ครั้งใหม่",
        "title_en": "A new exchange",
        "description_th": "**สาระ**",
        "description_en": "",
        "organiser": str(agency_id),
        "format": "online",
        "platform": "Zoom",
        "venue": "",
        "join_url": "https://meet.example.org/room",
        "timezone": "Asia/Bangkok",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T12:00",
        "capacity": "50",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "slug": "",
    }
    data.update(changes)
    return data


def count_sessions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LearningSession))


def create(client, agency_id: int, **changes: str) -> str:
    response = client.post("/manage/sessions/new", data=form(agency_id, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].split("/")[-2]


def test_roles_on_the_workspace(client, make_user, organiser, agency_id):
    assert client.get("/manage/sessions/new").status_code == 302  # anonymous: log in
    login_as(client, make_user())
    assert client.get("/manage/sessions/new").status_code == 403
    assert client.get("/manage/sessions").status_code == 403
    login_as(client, organiser)
    assert client.get("/manage/sessions/new").status_code == 200
    slug = create(client, agency_id)
    other = make_user("other@agency.go.th", role="organiser", agency_id=None)
    login_as(client, other)
    for url in ["edit", "agenda", "people", "preview"]:
        assert client.get(f"/manage/sessions/{slug}/{url}").status_code == 403
    login_as(client, make_user(role="admin"))
    for url in ["edit", "agenda", "people", "preview"]:
        assert client.get(f"/manage/sessions/{slug}/{url}").status_code == 200
    assert client.get("/manage/sessions/nope/edit").status_code == 404


def test_create_makes_a_draft_with_a_readable_slug_and_an_audit_entry(
    app, client, organiser, agency_id
):
    login_as(client, organiser)
    slug = create(client, agency_id)
    assert slug.startswith("a-new-exchange-")
    with app.app_context():
        s = db.session.scalar(select(LearningSession).filter_by(slug=slug))
        assert s.status is SessionStatus.DRAFT
        assert (s.starts_at.hour, s.ends_at.hour) == (2, 5)  # 09:00–12:00 Bangkok in UTC
        assert s.capacity == 50
        assert db.session.scalar(select(AuditEntry.action)) == "create"
    assert client.get(f"/sessions/{slug}").status_code == 404  # drafts are not public
    assert client.get(f"/manage/sessions/{slug}/preview").status_code == 200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"ends_at": "2030-01-01T08:00", "starts_at": "2030-01-01T09:00"},
            "The end must be after the start",
        ),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"join_url": "javascript:alert(1)"}, "https://"),
        ({"join_url": "ftp://files.example.org/x"}, "https://"),
        (
            {
                "registration_closes_at": "2030-01-01T10:00",
                "starts_at": "2030-01-01T09:00",
                "ends_at": "2030-01-01T12:00",
            },
            "Registration must close by the time the session starts",
        ),
        ({"slug": "Not A Slug!"}, "Use only a–z"),
        ({"capacity": "-3"}, "whole number"),
        ({"title_th": ""}, "Enter a title"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(
    app, client, organiser, agency_id, changes, message
):
    login_as(client, organiser)
    response = client.post("/manage/sessions/new?lang=en", data=form(agency_id, **changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert count_sessions(app) == 0
    for field, value in changes.items():  # what was typed is kept (a select cannot keep junk)
        if value and field != "timezone":
            assert value in page or value.replace("&", "&amp;") in page


def test_taken_slug_is_refused(app, client, organiser, agency_id):
    login_as(client, organiser)
    create(client, agency_id, slug="taken")
    response = client.post("/manage/sessions/new?lang=en", data=form(agency_id, slug="taken"))
    assert "Another session already uses this address" in response.get_data(as_text=True)
    assert count_sessions(app) == 1


def test_organisers_create_only_for_their_own_agency(app, client, organiser, agency_id):
    with app.app_context():
        other = Agency(slug="other", name_th="อื่น")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    login_as(client, organiser)
    response = client.post(
        "/manage/sessions/new?lang=en", data=form(agency_id, organiser=str(other_id))
    )
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert count_sessions(app) == 0


def test_publish_then_unpublish(app, client, organiser, agency_id):
    login_as(client, organiser)
    slug = create(client, agency_id)
    client.post(f"/manage/sessions/{slug}/publish")
    assert client.get(f"/sessions/{slug}").status_code == 200
    client.post(f"/manage/sessions/{slug}/unpublish")
    assert client.get(f"/sessions/{slug}").status_code == 404


def test_unpublish_refused_once_people_are_registered(app, client, organiser, agency_id, make_user):
    login_as(client, organiser)
    slug = create(client, agency_id)
    client.post(f"/manage/sessions/{slug}/publish")
    login_as(client, make_user())
    client.post(f"/sessions/{slug}/register")
    login_as(client, organiser)
    response = client.post(f"/manage/sessions/{slug}/unpublish?lang=en", follow_redirects=True)
    assert "cancel the session instead" in response.get_data(as_text=True)
    assert client.get(f"/sessions/{slug}").status_code == 200


def test_editing_a_published_session_time_updates_calendars(
    app, client, organiser, agency_id, make_user
):
    login_as(client, organiser)
    slug = create(client, agency_id)
    client.post(f"/manage/sessions/{slug}/publish")
    login_as(client, make_user("p@agency.go.th"))
    client.post(f"/sessions/{slug}/register")
    login_as(client, organiser)
    data = form(agency_id, slug=slug)
    data["starts_at"] = data["starts_at"].replace("T09:00", "T10:00")
    response = client.post(f"/manage/sessions/{slug}/edit", data=data)
    assert response.status_code == 302
    with app.app_context():
        s = db.session.scalar(select(LearningSession).filter_by(slug=slug))
        assert s.starts_at.hour == 3
        assert s.ical_sequence == 1
        invites = db.session.scalars(
            select(OutboxMessage).filter_by(to_address="p@agency.go.th", ics_method="REQUEST")
        ).all()
        assert len(invites) == 2  # the first confirmation, then the update
        assert "SEQUENCE:1" in invites[-1].ics
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEntry).filter_by(action="update")
            )
            == 1
        )


def test_capacity_below_confirmed_is_refused_on_edit(app, client, organiser, agency_id, make_user):
    login_as(client, organiser)
    slug = create(client, agency_id, capacity="5")
    client.post(f"/manage/sessions/{slug}/publish")
    for _ in range(2):
        login_as(client, make_user())
        client.post(f"/sessions/{slug}/register")
    login_as(client, organiser)
    response = client.post(
        f"/manage/sessions/{slug}/edit?lang=en",
        data=form(agency_id, slug=slug, capacity="1", title_th="เปลี่ยนชื่อ"),
    )
    assert response.status_code == 400
    assert "capacity cannot be lower" in response.get_data(as_text=True)
    with app.app_context():
        s = db.session.scalar(select(LearningSession).filter_by(slug=slug))
        assert (s.capacity, s.title_th) == (5, "แลกเปลี่ยนเรียนรู้ครั้งใหม่")  # nothing half-saved


def test_cancel_tells_everyone(app, client, organiser, agency_id, make_user):
    login_as(client, organiser)
    slug = create(client, agency_id, capacity="1")
    client.post(f"/manage/sessions/{slug}/publish")
    for email in ["a@agency.go.th", "b@agency.go.th"]:
        login_as(client, make_user(email))
        client.post(f"/sessions/{slug}/register")
    login_as(client, organiser)
    client.post(f"/manage/sessions/{slug}/cancel", data={"message": "ขออภัย เลื่อนไปปีหน้า"})
    with app.app_context():
        s = db.session.scalar(select(LearningSession).filter_by(slug=slug))
        assert s.status is SessionStatus.CANCELLED
        cancels = db.session.scalars(select(OutboxMessage).filter_by(ics_method="CANCEL")).all()
        assert [m.to_address for m in cancels] == ["a@agency.go.th"]  # the one with a seat
        later = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == "b@agency.go.th")
        ).all()
        assert any("ขออภัย เลื่อนไปปีหน้า" in m.body_text for m in later)


def _add_agenda(client, slug: str, title: str, start: str, end: str, **kw):
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    return client.post(
        f"/manage/sessions/{slug}/agenda?lang=en",
        data={
            "title_th": title,
            "title_en": "",
            "description_th": "",
            "description_en": "",
            "starts_at": f"{day}T{start}",
            "ends_at": f"{day}T{end}" if end else "",
        },
        **kw,
    )


def test_agenda_items_inside_the_session_ordered_and_removable(app, client, organiser, agency_id):
    login_as(client, organiser)
    slug = create(client, agency_id)
    assert _add_agenda(client, slug, "เปิดงาน", "09:00", "09:30").status_code == 302
    assert _add_agenda(client, slug, "เสวนา", "09:30", "12:00").status_code == 302
    outside = _add_agenda(client, slug, "นอกเวลา", "13:00", "14:00")
    assert outside.status_code == 400
    assert "must start during the session" in outside.get_data(as_text=True)
    too_long = _add_agenda(client, slug, "ยาวไป", "11:00", "12:30")
    assert "by the end of the session" in too_long.get_data(as_text=True)
    with app.app_context():
        items = db.session.scalars(select(AgendaItem).order_by(AgendaItem.position)).all()
        assert [i.title_th for i in items] == ["เปิดงาน", "เสวนา"]
        second = items[1].id
    client.post(f"/manage/sessions/{slug}/agenda/{second}/move/up")
    with app.app_context():
        items = db.session.scalars(select(AgendaItem).order_by(AgendaItem.position)).all()
        assert [i.title_th for i in items] == ["เสวนา", "เปิดงาน"]
    client.post(f"/manage/sessions/{slug}/agenda/{second}/delete")
    with app.app_context():
        assert db.session.scalars(select(AgendaItem.title_th)).all() == ["เปิดงาน"]
    assert client.post(f"/manage/sessions/{slug}/agenda/99999/delete").status_code == 404


def test_people_in_roles(app, client, organiser, agency_id):
    login_as(client, organiser)
    slug = create(client, agency_id)
    base = {
        "person": "new",
        "new_prefix_th": "นาย",
        "new_name_th": "ปิ่นสาย สุรัสวดี",
        "new_prefix_en": "Mr.",
        "new_name_en": "Pinsai Surasawadee",
        "role": "panellist",
        "position_title_th": "ที่ปรึกษา",
        "position_title_en": "Adviser",
        "agency": str(agency_id),
        "agenda_item": "",
    }
    assert client.post(f"/manage/sessions/{slug}/people", data=base).status_code == 302
    with app.app_context():
        person_id = db.session.scalar(select(Person.id))
    again = client.post(
        f"/manage/sessions/{slug}/people?lang=en", data={**base, "person": str(person_id)}
    )
    assert again.status_code == 400
    assert "already has this role" in again.get_data(as_text=True)
    moderator = {**base, "person": str(person_id), "role": "moderator"}
    assert client.post(f"/manage/sessions/{slug}/people", data=moderator).status_code == 302
    missing = client.post(
        f"/manage/sessions/{slug}/people?lang=en", data={**base, "new_name_th": ""}
    )
    assert missing.status_code == 400
    with app.app_context():
        appearances = db.session.scalars(select(Appearance).order_by(Appearance.sort_order)).all()
        assert [a.role.value for a in appearances] == ["panellist", "moderator"]
        assert appearances[0].position_title_th == "ที่ปรึกษา"
        first = appearances[0].id
    client.post(f"/manage/sessions/{slug}/people/{first}/move/down")
    with app.app_context():
        roles = db.session.scalars(select(Appearance.role).order_by(Appearance.sort_order)).all()
        assert [r.value for r in roles] == ["moderator", "panellist"]
    client.post(f"/manage/sessions/{slug}/people/{first}/delete")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Appearance)) == 1


def test_duplicate_copies_agenda_and_people_to_the_new_date(app, client, organiser, agency_id):
    login_as(client, organiser)
    slug = create(client, agency_id)
    _add_agenda(client, slug, "เปิดงาน", "09:00", "09:30")
    client.post(
        f"/manage/sessions/{slug}/people",
        data={
            "person": "new",
            "new_prefix_th": "",
            "new_name_th": "คนหนึ่ง",
            "new_prefix_en": "",
            "new_name_en": "",
            "role": "speaker",
            "position_title_th": "",
            "position_title_en": "",
            "agency": "",
            "agenda_item": "",
        },
    )
    next_day = (utcnow() + timedelta(days=40)).date().isoformat()
    response = client.post(
        f"/manage/sessions/{slug}/duplicate", data={"starts_at": f"{next_day}T09:00"}
    )
    new_slug = response.headers["Location"].split("/")[-2]
    assert new_slug != slug
    with app.app_context():
        copy = db.session.scalar(select(LearningSession).filter_by(slug=new_slug))
        assert copy.status is SessionStatus.DRAFT
        assert copy.starts_at.date().isoformat() == next_day
        assert len(copy.agenda_items) == 1
        assert copy.agenda_items[0].starts_at == copy.starts_at
        assert len(copy.appearances) == 1
        assert registration_service.counts(copy.id).confirmed == 0


@pytest.mark.parametrize(
    "path",
    [
        "publish",
        "unpublish",
        "cancel",
        "duplicate",
        "agenda",
        "agenda/1/move/up",
        "agenda/1/delete",
        "people",
        "people/1/move/down",
        "people/1/delete",
    ],
)
def test_every_post_route_checks_the_role(
    app, client, make_user, organiser, agency_id, make_session, path
):
    login_as(client, organiser)
    slug = create(client, agency_id)
    url = f"/manage/sessions/{slug}/{path}"
    client.post("/auth/logout")
    anonymous = client.post(url)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/auth/login")
    login_as(client, make_user())
    assert client.post(url).status_code == 403
    login_as(client, make_user(role="organiser", agency_id=None))
    assert client.post(url).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(LearningSession.status).filter_by(slug=slug)) is (
            SessionStatus.DRAFT
        )


def test_saving_the_edit_form_unchanged_changes_nothing(app, client, organiser, agency_id):
    """The form shows local times, the session's topics and organiser: sent back as it is,
    it must not move the session by the timezone's offset or drop its topics."""
    import re

    from exchange.models import Topic

    with app.app_context():
        db.session.add(Topic(slug="mindset", name_th="กรอบความคิด"))
        db.session.commit()
        topic_id = db.session.scalar(select(Topic.id))
    login_as(client, organiser)
    slug = create(client, agency_id, topics=str(topic_id))
    client.post(f"/manage/sessions/{slug}/publish")
    page = client.get(f"/manage/sessions/{slug}/edit").get_data(as_text=True)
    assert 'value="' + form(agency_id)["starts_at"] + '"' in page  # 09:00 local, not 02:00
    data = {
        name: value
        for name, value in re.findall(
            r'<(?:input|textarea)[^>]*name="([a-z_]+)"[^>]*?(?:value="([^"]*)")?[^>]*>', page
        )
    }
    data.update(form(agency_id, slug=slug))  # textareas and selects as the browser sends them
    data["topics"] = str(topic_id)
    assert client.post(f"/manage/sessions/{slug}/edit", data=data).status_code == 302
    with app.app_context():
        s = db.session.scalar(select(LearningSession).filter_by(slug=slug))
        assert s.starts_at.hour == 2
        assert s.ical_sequence == 0
        assert [t.id for t in s.topics] == [topic_id]
        checked = re.search(rf'value="{topic_id}"[^>]*checked|checked[^>]*value="{topic_id}"', page)
        assert checked


def test_move_buttons_only_where_a_move_is_possible(app, client, organiser, agency_id):
    login_as(client, organiser)
    slug = create(client, agency_id)
    _add_agenda(client, slug, "เปิดงาน", "09:00", "09:30")
    _add_agenda(client, slug, "เสวนา", "09:30", "12:00")
    page = client.get(f"/manage/sessions/{slug}/agenda").get_data(as_text=True)
    assert page.count("/move/up") == 1  # not on the first item
    assert page.count("/move/down") == 1  # not on the last item
    assert client.post(f"/manage/sessions/{slug}/agenda/1/move/sideways").status_code == 404


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_dates_far_outside_any_calendar_are_refused(app, client, organiser, agency_id, year):
    login_as(client, organiser)
    response = client.post(
        "/manage/sessions/new?lang=en",
        data=form(agency_id, starts_at=f"{year}-01-01T09:00", ends_at=f"{year}-01-01T10:00"),
    )
    assert "Enter a year between 1990 and 2200" in response.get_data(as_text=True)
    assert count_sessions(app) == 0
    slug = create(client, agency_id)
    response = client.post(
        f"/manage/sessions/{slug}/duplicate?lang=en",
        data={"starts_at": f"{year}-12-31T23:59"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Enter a year between 1990 and 2200" in response.get_data(as_text=True)
    assert count_sessions(app) == 1


def test_cancelling_a_draft_is_refused_with_a_message_not_a_500(app, client, organiser, agency_id):
    login_as(client, organiser)
    slug = create(client, agency_id)
    response = client.post(f"/manage/sessions/{slug}/cancel?lang=en", follow_redirects=True)
    assert response.status_code == 200
    assert "A draft cannot be cancelled" in response.get_data(as_text=True)
    with app.app_context():
        s = db.session.scalar(select(LearningSession).filter_by(slug=slug))
        assert s.status is SessionStatus.DRAFT


def test_a_slug_with_a_trailing_newline_is_refused(app, client, organiser, agency_id):
    login_as(client, organiser)
    before = count_sessions(app)
    response = client.post("/manage/sessions/new", data=form(agency_id, slug="open-data\n"))
    assert response.status_code == 200  # the form again, with the message
    assert count_sessions(app) == before
