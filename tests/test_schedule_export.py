"""Schedules for conference apps (frab/pretalx schedule.xml and schedule.json), read back.

No maintained, independent reader of the format could be installed: c3voc-schedule-tools
(the one on PyPI) reads only the JSON and pins lxml<5, icalendar<6 and pytz<2023, older than
ours. So the XML is parsed with lxml and the JSON with json, and ``check_xml``/``check_json``
below hold them to what the c3voc XSD (validator/xsd/schedule.xml.xsd) and JSON schema
(validator/json/schema.json) require: every required element, attribute and key, no others
where the schema allows no others, the types and formats (dates, date-times with an offset,
HH:MM, UUIDs, slugs), unique ids, guids and slugs, and every event inside the day of its date.
The checks are ours, written from reading those schemas.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from lxml import etree

from exchange.db import db, utcnow
from exchange.models import (
    Agency,
    AgendaItem,
    Appearance,
    LearningSession,
    Person,
    Registration,
    RegistrationStatus,
    Role,
    SessionFormat,
    SessionStatus,
    Topic,
)
from exchange.schedule_export import frab
from exchange.services import schedule

BANGKOK = ZoneInfo("Asia/Bangkok")
WEBINAR_SLUG = "unlocking-success-organisation-4-0-2021"
DEMO_RANGE = "from=2021-12-01&to=2021-12-31"
JOIN = "https://meet.example.org/very-secret-room"
LONG_THAI = "การพัฒนาองค์การสู่การเป็นระบบราชการ 4.0 ผ่านการปรับเปลี่ยนกรอบความคิด 🙂 ไขกุญแจความสำเร็จ"

# --- What the schemas require, as regular expressions and checks --------------------------------

XSD_DATE = re.compile(r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}")
DATE_TIME_TZ = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                          r"(Z|[+-][0-9]{2}:[0-9]{2})")  # fmt: skip
XSD_START = re.compile(r"([0-2][0-9]:[0-5][0-9])|([0-2][0-9]:[0-5][0-9]:[0-5][0-9])")
XSD_DURATION = re.compile(r"([0-9]{1,2}:[0-9]{2})|([0-9]{1,2}:[0-9]{2}:[0-9]{1,2})")
JSON_DURATION = re.compile(r"[0-9]+:[0-9]{2}")
UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
HTTP_URI = re.compile(r"https?://\S+")
POSITIVE = re.compile(r"\+?0*[1-9][0-9]*")
ACRONYM = re.compile(r"[a-z0-9_-][a-z0-9_]{3,}(-2[0-9]{3}-[a-z]+)?")
SLUG = re.compile(r"[a-z0-9_-]+[a-z0-9]")
TIME_ZONE = re.compile(r"([A-Z][a-z]+/[A-Z][a-z]+)|UTC")
PERSON_CODE = re.compile(r"[A-Z0-9]+")

CONFERENCE_XML = {"title", "acronym", "start", "end", "days", "timeslot_duration", "base_url",
                  "time_zone_name"}  # fmt: skip
EVENT_XML_REQUIRED = {"room", "title", "subtitle", "type", "date", "start", "duration",
                      "abstract", "slug", "track"}  # fmt: skip
EVENT_XML_OPTIONAL = {"logo", "persons", "language", "description", "recording", "links",
                      "attachments", "video_download_url", "url"}  # fmt: skip
CONFERENCE_JSON_REQUIRED = {"title", "acronym", "days", "daysCount", "start", "end",
                            "timeslot_duration"}  # fmt: skip
CONFERENCE_JSON = CONFERENCE_JSON_REQUIRED | {
    "description", "time_zone_name", "logo", "colors", "keywords", "url", "tracks", "rooms", "meta"
}  # fmt: skip
DAY_JSON = {"index", "date", "day_start", "day_end", "rooms"}
EVENT_JSON_REQUIRED = {"abstract", "date", "duration", "guid", "id", "language", "links",
                       "persons", "room", "slug", "start", "subtitle", "title", "track", "type",
                       "url"}  # fmt: skip
EVENT_JSON = EVENT_JSON_REQUIRED | {"logo", "description", "recording_license", "do_not_record",
                                    "do_not_stream", "attachments", "answers"}  # fmt: skip


def _match(pattern: re.Pattern[str], value: object, what: str) -> str:
    assert isinstance(value, str), (what, value)
    assert pattern.fullmatch(value), (what, value)
    return value


def _date(value: object, what: str) -> date:
    return date.fromisoformat(_match(XSD_DATE, value, what))


def _moment(value: object, what: str) -> datetime:
    moment = datetime.fromisoformat(_match(DATE_TIME_TZ, value, what))
    assert moment.utcoffset() is not None, (what, value)
    return moment


def _text_only(element: etree._Element, attributes: set[str] = frozenset()) -> str:
    assert len(element) == 0, f"<{element.tag}> holds elements"
    assert set(element.attrib) <= attributes, (element.tag, dict(element.attrib))
    return element.text or ""


def check_xml(data: bytes) -> etree._Element:
    """Parse *data* as the XSD reads schedule.xml; return the root."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(data, parser)
    assert root.tag == "schedule"
    assert not root.attrib
    tags = [child.tag for child in root]
    # <xs:sequence>: generator?, version, conference, day+
    assert re.fullmatch(r"(generator,)?version,conference(,day)+", ",".join(tags)), tags
    if tags[0] == "generator":
        assert len(root[0]) == 0
        assert set(root[0].attrib) <= {"name", "version"}
    _text_only(root.find("version"))

    conference = root.find("conference")
    children = [child.tag for child in conference]
    assert len(children) == len(set(children)), children  # xs:all: each at most once
    assert set(children) <= CONFERENCE_XML, children
    assert {"title", "acronym"} <= set(children)
    values = {child.tag: _text_only(child) for child in conference}
    if "start" in values:
        _date(values["start"], "conference start")
    if "end" in values:
        _date(values["end"], "conference end")
    if "days" in values:
        assert re.fullmatch(r"[+-]?[0-9]+", values["days"]), values["days"]
    if "timeslot_duration" in values:
        _match(XSD_DURATION, values["timeslot_duration"], "timeslot_duration")
    if "base_url" in values:
        _match(HTTP_URI, values["base_url"], "base_url")

    guids, ids, slugs, indexes = [], [], [], []
    for day in root.iterfind("day"):
        assert set(day.attrib) <= {"date", "start", "end", "index"}, dict(day.attrib)
        day_date = _date(day.get("date"), "day date") if "date" in day.attrib else None
        day_start = _moment(day.get("start"), "day start") if "start" in day.attrib else None
        day_end = _moment(day.get("end"), "day end") if "end" in day.attrib else None
        if "index" in day.attrib:
            indexes.append(int(_match(POSITIVE, day.get("index"), "day index")))
        for room in day:
            assert room.tag == "room", room.tag
            assert set(room.attrib) <= {"name"}
            for event in room:
                assert event.tag == "event", event.tag
                assert set(event.attrib) == {"id", "guid"}, dict(event.attrib)
                ids.append(int(_match(POSITIVE, event.get("id"), "event id")))
                guids.append(_match(UUID, event.get("guid"), "event guid"))
                names = [child.tag for child in event]
                assert len(names) == len(set(names)), names
                assert set(names) >= EVENT_XML_REQUIRED, EVENT_XML_REQUIRED - set(names)
                assert set(names) <= EVENT_XML_REQUIRED | EVENT_XML_OPTIONAL, names
                texts = {
                    child.tag: _text_only(child)
                    for child in event
                    if child.tag not in {"persons", "links", "attachments", "recording"}
                }
                moment = _moment(texts["date"], "event date")
                _match(XSD_START, texts["start"], "event start")
                assert texts["start"] == moment.strftime("%H:%M")
                _match(XSD_DURATION, texts["duration"], "event duration")
                if "url" in texts:
                    _match(HTTP_URI, texts["url"], "event url")
                assert texts["room"] == room.get("name")
                slugs.append(texts["slug"])
                if day_date is not None:  # inside the day of its date
                    assert moment.date() == day_date, (moment, day_date)
                if day_start is not None:
                    assert day_start <= moment, (day_start, moment)
                if day_end is not None:
                    assert moment <= day_end, (moment, day_end)
                for person in event.iterfind("persons/*"):
                    assert person.tag == "person"
                    _text_only(person, {"id"})
                    if "id" in person.attrib:
                        _match(POSITIVE, person.get("id"), "person id")
                for link in event.iterfind("links/*"):
                    assert link.tag == "link"
                    _text_only(link, {"href"})
    for values_ in (guids, ids, slugs, indexes):  # xs:unique
        assert len(values_) == len(set(values_)), values_
    return root


def _is_frab_person(person: dict) -> bool:
    return isinstance(person.get("id"), int) and isinstance(person.get("public_name"), str)


def _is_pretalx_person(person: dict) -> bool:
    code = person.get("code")
    return isinstance(person.get("name"), str) and (
        code is None or (isinstance(code, str) and PERSON_CODE.fullmatch(code) is not None)
    )


def check_json(data: bytes) -> dict:
    """Parse *data* as the c3voc JSON schema reads schedule.json; return the document."""
    document = json.loads(data.decode("utf-8"))
    assert set(document) <= {"schedule", "$schema", "generator"}
    assert isinstance(document.get("$schema", ""), str)
    generator = document.get("generator", {})
    assert all(isinstance(generator.get(k, ""), str) for k in ("name", "version"))
    scheduled = document["schedule"]
    assert {"conference", "version"} <= set(scheduled)
    assert "rooms" not in scheduled  # "rooms": false at this level
    assert isinstance(scheduled["version"], str)
    if "base_url" in scheduled:
        _match(HTTP_URI, scheduled["base_url"], "base_url")

    conference = scheduled["conference"]
    assert set(conference) >= CONFERENCE_JSON_REQUIRED, CONFERENCE_JSON_REQUIRED - set(conference)
    assert set(conference) <= CONFERENCE_JSON, set(conference) - CONFERENCE_JSON
    _match(ACRONYM, conference["acronym"], "acronym")
    assert isinstance(conference["title"], str)
    _date(conference["start"], "conference start")
    _date(conference["end"], "conference end")
    assert type(conference["daysCount"]) is int
    assert isinstance(conference["timeslot_duration"], str)
    if "time_zone_name" in conference:
        _match(TIME_ZONE, conference["time_zone_name"], "time_zone_name")
    if "url" in conference:
        _match(HTTP_URI, conference["url"], "conference url")
    for room in conference.get("rooms", []):
        assert {"guid", "name"} <= set(room) <= {"name", "guid", "description", "capacity"}
        _match(UUID, room["guid"], "room guid")
        assert isinstance(room["name"], str)
    assert isinstance(conference["days"], list)

    guids, ids = [], []
    for day in conference["days"]:
        assert set(day) == DAY_JSON, set(day)
        assert type(day["index"]) is int
        day_date = _date(day["date"], "day date")
        day_start = _moment(day["day_start"], "day_start")
        day_end = _moment(day["day_end"], "day_end")
        assert isinstance(day["rooms"], dict)
        for room_name, events in day["rooms"].items():
            assert isinstance(events, list)
            for event in events:
                assert set(event) >= EVENT_JSON_REQUIRED, EVENT_JSON_REQUIRED - set(event)
                assert set(event) <= EVENT_JSON, set(event) - EVENT_JSON
                assert type(event["id"]) is int
                assert event["id"] >= 1
                ids.append(event["id"])
                guids.append(_match(UUID, event["guid"], "event guid"))
                moment = _moment(event["date"], "event date")
                # The schema annotates "start" as date-time, but pretalx and every reader use
                # the frab HH:MM here (the full date-time is "date"); we hold it to HH:MM.
                assert event["start"] == moment.strftime("%H:%M")
                _match(JSON_DURATION, event["duration"], "event duration")
                assert event["room"] == room_name
                _match(SLUG, event["slug"], "event slug")
                _match(HTTP_URI, event["url"], "event url")
                assert isinstance(event["title"], str)
                assert isinstance(event["type"], str)
                assert isinstance(event["language"], str)
                for key in ("subtitle", "track", "abstract", "description"):
                    assert event.get(key) is None or isinstance(event[key], str), key
                assert isinstance(event["links"], list)
                for person in event["persons"]:
                    assert isinstance(person, dict)
                    assert _is_frab_person(person) + _is_pretalx_person(person) == 1  # oneOf
                    if "guid" in person:
                        _match(UUID, person["guid"], "person guid")
                    if "id" in person:
                        assert type(person["id"]) is int
                assert moment.date() == day_date  # inside the day of its date
                assert day_start <= moment <= day_end
    assert len(ids) == len(set(ids))
    assert len(guids) == len(set(guids))
    assert conference["daysCount"] == len(conference["days"])
    return document


# --- Helpers ------------------------------------------------------------------------------------


def get_xml(client, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.data[:200])
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    return check_xml(response.data)


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.data[:200])
    assert response.headers["Content-Type"] == "application/json"
    return check_json(response.data)


def xml_events(root: etree._Element) -> dict[int, etree._Element]:
    return {int(e.get("id")): e for e in root.iterfind("day/room/event")}


def json_events(document: dict) -> dict[int, dict]:
    days = document["schedule"]["conference"]["days"]
    return {e["id"]: e for d in days for events in d["rooms"].values() for e in events}


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BANGKOK) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def both(client, path: str, query: str = "") -> tuple[dict[int, etree._Element], dict[int, dict]]:
    """The events of the XML and the JSON at *path*, which must name the same sessions."""
    suffix = f"?{query}" if query else ""
    xml = xml_events(get_xml(client, f"{path}.xml{suffix}"))
    doc = json_events(get_json(client, f"{path}.json{suffix}"))
    assert set(xml) == set(doc)
    return xml, doc


def add_session(app, **fields: object) -> int:
    """A published session with the given fields (starts_at/ends_at required)."""
    fields.setdefault("slug", f"s-{uuid.uuid4().hex[:8]}")
    fields.setdefault("title_th", "กิจกรรม")
    fields.setdefault("status", SessionStatus.PUBLISHED)
    with app.app_context():
        learning_session = LearningSession(**fields)
        db.session.add(learning_session)
        db.session.commit()
        return learning_session.id


# --- The demo, read back ------------------------------------------------------------------------


def test_demo_webinar_in_both_formats(client, demo):
    root = get_xml(client, f"/schedule.xml?{DEMO_RANGE}")
    document = get_json(client, f"/schedule.json?{DEMO_RANGE}")
    assert root.findtext("conference/title") == "เวทีแลกเปลี่ยนเรียนรู้: กิจกรรมทั้งหมด"
    assert root.findtext("conference/time_zone_name") == "Asia/Bangkok"
    assert root.findtext("conference/start") == root.findtext("conference/end") == "2021-12-13"
    assert root.findtext("conference/days") == "1"
    assert root.findtext("conference/base_url") == "http://localhost/"
    [event] = xml_events(root).values()
    assert event.findtext("date") == "2021-12-13T09:00:00+07:00"
    assert event.findtext("start") == "09:00"
    assert event.findtext("duration") == "03:00"
    assert event.findtext("title").startswith("ไขกุญแจความสำเร็จ")
    assert event.findtext("subtitle") == "สำนักงาน ก.พ.ร."
    assert event.findtext("track") == "PMQA 4.0"
    assert event.findtext("type") == "ออนไลน์"
    assert event.findtext("language") == "th"
    assert event.findtext("room") == "สื่ออิเล็กทรอนิกส์ (ออนไลน์)"
    assert event.findtext("url") == f"http://localhost/sessions/{WEBINAR_SLUG}"
    assert event.findtext("slug") == f"lx-1-{WEBINAR_SLUG}"
    assert event.get("guid") == frab.event_guid(1, "learning-exchange.local")
    persons = [p.text for p in event.iterfind("persons/person")]
    assert len(persons) == 7
    assert "พญ.อัมพร เบญจพลพิทักษ์" in persons
    description = event.findtext("description")
    assert "กำหนดการ:\n09:00–09:45 PMQA 4.0" in description
    assert "(นางอารีย์พันธ์ เจริญสุข)" in description
    assert "**" not in description
    assert "<" not in description
    assert 0 < len(event.findtext("abstract")) <= 301
    [same] = json_events(document).values()
    assert same["guid"] == event.get("guid")
    assert same["title"] == event.findtext("title")
    assert same["description"] == description
    assert [p["name"] for p in same["persons"]] == persons
    assert document["$schema"] == "https://c3voc.de/schedule/schema.json"
    assert document["schedule"]["version"] == root.findtext("version")
    assert document["schedule"]["conference"]["rooms"][0]["name"] == same["room"]


def test_english_on_request_with_thai_where_english_is_missing(app, client, demo):
    xml, _doc = both(client, "/schedule", f"{DEMO_RANGE}&lang=en")
    [event] = xml.values()
    assert event.findtext("title").startswith("Unlocking the Key to Success")
    assert event.findtext("language") == "en"
    assert event.findtext("type") == "Online"
    assert "Agenda:\n09:00–09:45" in event.findtext("description")
    assert event.findtext("url").endswith("?lang=en")
    with app.app_context():
        webinar = db.session.scalar(sa.select(LearningSession).filter_by(slug=WEBINAR_SLUG))
        webinar.title_en = ""
        webinar.updated_at = utcnow()
        db.session.commit()
    xml, _ = both(client, "/schedule", f"{DEMO_RANGE}&lang=en")
    [event] = xml.values()
    assert event.findtext("title").startswith("ไขกุญแจความสำเร็จ")  # Thai, not empty
    assert event.findtext("language") == "th"


def test_guid_never_changes_and_comes_from_the_uid_domain(app, client, make_session):
    session_id = make_session(shared=True)
    guids = {
        event.get("guid")
        for url in (
            "/schedule.xml",
            "/schedule.xml?lang=en",
            "/agencies/agency-shared/schedule.xml",
        )
        for event in get_xml(client, url).iterfind("day/room/event")
    }
    with app.test_request_context():
        schedule.update_session(
            db.session.get(LearningSession, session_id), utcnow(), title_th="ชื่อใหม่"
        )
        db.session.commit()
    guids |= {e["guid"] for e in json_events(get_json(client, "/schedule.json")).values()}
    assert guids == {frab.event_guid(session_id, "learning-exchange.local")}
    assert uuid.UUID(guids.pop()).version == 5
    app.config["ICS_UID_DOMAIN"] = "exchange.example.org"
    [event] = get_xml(client, "/schedule.xml").iterfind("day/room/event")
    assert event.get("guid") == frab.event_guid(session_id, "exchange.example.org")


# --- What is in, what never is ------------------------------------------------------------------


def test_only_published_sessions_and_never_a_join_link_or_registrant(
    app, client, make_session, make_user
):
    shown = make_session(slug="shown", join_url=JOIN, platform="Zoom")
    make_session(slug="draft", status=SessionStatus.DRAFT)
    make_session(slug="cancelled", status=SessionStatus.CANCELLED)
    user_id = make_user("registrant@agency.go.th", name="ผู้ลงทะเบียน ลับ")
    with app.app_context():
        db.session.add(
            Registration(
                session_id=shown,
                user_id=user_id,
                status=RegistrationStatus.CONFIRMED,
                join_token="tok-secret-123",
            )
        )
        db.session.commit()
    for url in ("/schedule.xml", "/schedule.json", "/schedule.json?lang=en"):
        data = client.get(url).get_data(as_text=True)
        for secret in (JOIN, "very-secret", "registrant@", "ผู้ลงทะเบียน ลับ", "tok-secret", "/j/"):
            assert secret not in data, (url, secret)
    xml, doc = both(client, "/schedule")
    assert set(xml) == {shown}
    assert xml[shown].findtext("room") == doc[shown]["room"] == "Zoom"


def test_hostile_text_stays_text_and_control_characters_go(app, client):
    title = '<script>alert("x")</script> & ]]> <![CDATA[ x ]]> \x01\x0b\x1f\ufffe ' + LONG_THAI
    start = datetime.now(UTC) + timedelta(days=2)
    with app.app_context():
        agency = Agency(slug="evil", name_th="<b>หน่วยงาน</b>\x07", name_en="")
        person = Person(slug="p", name_th='"><img src=x onerror=alert(1)>\x08', name_en="")
        topic = Topic(slug="t", name_th="หัวข้อ &amp; \x0c", name_en="")
        learning_session = LearningSession(
            slug="evil-session",
            title_th=title,
            description_th="<script>bad()</script>\n\n**ตัวหนา** \x1b[31m สี",
            venue="ห้อง <1> \x02\n ชั้น 2",
            format=SessionFormat.ONSITE,
            organiser=agency,
            topics=[topic],
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            status=SessionStatus.PUBLISHED,
        )
        learning_session.appearances = [Appearance(person=person, role=Role.SPEAKER)]
        learning_session.agenda_items = [
            AgendaItem(title_th="ช่วง </description>\x03", starts_at=start)
        ]
        db.session.add(learning_session)
        db.session.commit()
    response = client.get("/schedule.xml")
    assert b"<script" not in response.data
    assert b"<img" not in response.data
    assert b"<b>" not in response.data
    [event] = xml_events(check_xml(response.data)).values()
    clean_title = '<script>alert("x")</script> & ]]> <![CDATA[ x ]]> ' + LONG_THAI
    assert event.findtext("title") == clean_title  # the same text, escaped, read back
    assert event.findtext("subtitle") == "<b>หน่วยงาน</b>"
    assert event.findtext("track") == "หัวข้อ &amp;"
    assert event.findtext("room") == "ห้อง <1> ชั้น 2"
    assert event.findtext("persons/person") == '"><img src=x onerror=alert(1)>'
    assert "ช่วง </description>" in event.findtext("description")
    assert "\x1b" not in event.findtext("description")
    [same] = json_events(get_json(client, "/schedule.json")).values()
    assert same["title"] == clean_title
    assert same["persons"][0]["name"] == '"><img src=x onerror=alert(1)>'
    assert LONG_THAI in client.get("/schedule.json").get_data(as_text=True)  # not \u escapes


def test_days_follow_each_sessions_timezone_and_hold_their_events(app, client):
    day = date(2030, 3, 10)
    london = ZoneInfo("Europe/London")
    late = add_session(
        app,
        slug="london-evening",
        timezone="Europe/London",
        starts_at=at(day, 20, 0, london),  # 03:00 the next day in Bangkok
        ends_at=at(day, 21, 30, london),
    )
    morning = add_session(app, slug="bangkok-morning", starts_at=at(day, 9), ends_at=at(day, 12))
    next_day = add_session(
        app,
        slug="next",
        starts_at=at(day + timedelta(days=1), 13),
        ends_at=at(day, 23, 0) + timedelta(days=1),
    )
    root = get_xml(client, "/schedule.xml?from=2030-03-01&to=2030-03-31")
    days = root.findall("day")
    assert [d.get("date") for d in days] == ["2030-03-10", "2030-03-11"]
    assert [d.get("index") for d in days] == ["1", "2"]
    assert {int(e.get("id")) for e in days[0].iterfind("room/event")} == {late, morning}
    assert {int(e.get("id")) for e in days[1].iterfind("room/event")} == {next_day}
    assert days[0].get("start") == "2030-03-10T00:00:00+07:00"
    assert days[0].get("end") == "2030-03-11T04:30:00+07:00"  # widened to the London session
    assert xml_events(root)[late].findtext("date") == "2030-03-10T20:00:00+00:00"
    assert xml_events(root)[late].findtext("start") == "20:00"
    assert root.findtext("conference/start") == "2030-03-10"
    assert root.findtext("conference/end") == "2030-03-11"
    assert root.findtext("conference/days") == "2"
    document = get_json(client, "/schedule.json?from=2030-03-01&to=2030-03-31")
    assert document["schedule"]["conference"]["daysCount"] == 2


def test_an_empty_schedule_is_still_valid(client):
    root = get_xml(client, "/schedule.xml?from=2031-01-05&to=2031-01-09")
    [day] = root.findall("day")
    assert day.get("date") == "2031-01-05"
    assert len(day) == 0
    document = get_json(client, "/schedule.json?from=2031-01-05&to=2031-01-09")
    assert document["schedule"]["conference"]["days"][0]["rooms"] == {}


def test_a_very_long_session_keeps_to_the_duration_pattern(app, client):
    add_session(app, starts_at=at(date(2030, 5, 1), 9), ends_at=at(date(2030, 5, 6), 9))
    [event] = xml_events(get_xml(client, "/schedule.xml?from=2030-05-01&to=2030-05-02")).values()
    assert event.findtext("duration") == "99:59"


def test_online_room_without_a_platform_is_online_in_the_readers_language(app, client):
    session_id = add_session(
        app, format=SessionFormat.ONLINE, venue="ignored", starts_at=at(date(2030, 6, 1), 9),
        ends_at=at(date(2030, 6, 1), 10),
    )  # fmt: skip
    query = "from=2030-06-01&to=2030-06-01"
    assert both(client, "/schedule", query)[0][session_id].findtext("room") == "ออนไลน์"
    assert both(client, "/schedule", query + "&lang=en")[1][session_id]["room"] == "Online"


# --- Dates ------------------------------------------------------------------------------------


def test_from_and_to_are_inclusive_days_in_the_sites_timezone(app, client):
    day = date(2030, 3, 10)
    late = add_session(app, starts_at=at(day, 23, 30), ends_at=at(day, 23, 50))  # 16:30 UTC
    early = add_session(
        app, starts_at=at(day + timedelta(days=1), 0, 10), ends_at=at(day + timedelta(days=1), 1)
    )
    assert set(both(client, "/schedule", "from=2030-03-10&to=2030-03-10")[0]) == {late}
    assert set(both(client, "/schedule", "from=2030-03-11&to=2030-03-11")[0]) == {early}
    assert set(both(client, "/schedule", "from=2030-03-09&to=2030-03-12")[0]) == {late, early}
    assert set(both(client, "/schedule", "from=2030-03-11")[0]) == {early}  # no end


def test_the_default_is_from_thirty_days_ago_on(client, make_session):
    long_ago = make_session(days=-40)
    recent = make_session(days=-10)
    coming = make_session(days=200)
    assert set(both(client, "/schedule")[0]) == {recent, coming}
    assert long_ago not in both(client, "/schedule", "lang=en")[1]


@pytest.mark.parametrize(
    "query",
    [
        "from=2025-13-01",
        "from=2025-02-30",
        "from=10000-01-01",
        "to=10000-01-01",
        "from=2025-1-1",
        "from=25-01-01",
        "from=%D9%A2%D9%A0%D9%A2%D9%A5-01-01",  # Arabic-Indic digits
        "from=2025-01-01T00:00",
        "from=" + "9" * 100_000,
        "to=" + "2025-01-01" * 1000,
        "from=2025-03-02&to=2025-03-01",
        "from=2024-01-01&to=2025-01-01",  # 367 days
        "from=0001-01-01&to=9999-12-31",
        "from=2000-01-01",  # open-ended: at most 366 days of the past
    ],
)
@pytest.mark.parametrize("kind", ["xml", "json"])
def test_bad_dates_are_a_short_plain_400(client, query, kind):
    response = client.get(f"/schedule.{kind}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert len(response.data) < 200
    assert client.get(f"/topics/none/schedule.{kind}?{query}").status_code == 404


def test_bad_dates_are_explained(client):
    assert "YYYY-MM-DD" in client.get("/schedule.xml?from=x&lang=en").get_data(as_text=True)
    reversed_ = client.get("/schedule.json?from=2025-03-02&to=2025-03-01&lang=en")
    assert "before" in reversed_.get_data(as_text=True)
    too_long = client.get("/schedule.json?from=2024-01-01&to=2025-01-01&lang=en")
    assert "366" in too_long.get_data(as_text=True)
    open_ended = client.get("/schedule.json?from=2000-01-01&lang=en")
    assert "(to)" in open_ended.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "from=2024-01-01&to=2024-12-31",  # 366 days: a leap year is allowed
        "from=9999-12-31&to=9999-12-31",
        "from=9999-12-31",
        "from=0001-01-01&to=0001-01-02",
        "to=0001-01-01",
        "from=" + (date.today() - timedelta(days=300)).isoformat(),
        "from=",
    ],
)
def test_edge_dates_give_valid_schedules(client, query):
    get_xml(client, f"/schedule.xml?{query}")
    get_json(client, f"/schedule.json?{query}")


# --- Series -----------------------------------------------------------------------------------


def test_agency_and_topic_series(app, client):
    start = datetime.now(UTC) + timedelta(days=3)
    times = {"starts_at": start, "ends_at": start + timedelta(hours=1)}
    with app.app_context():
        host = Agency(slug="host", name_th="เจ้าภาพ", name_en="Host")
        guest = Agency(slug="guest", name_th="แขก", name_en="Guest")
        topic = Topic(slug="data", name_th="ข้อมูล", name_en="Data")
        other_topic = Topic(slug="other", name_th="อื่น ๆ", name_en="")
        person = Person(slug="speaker", name_th="วิทยากร", name_en="Speaker")
        organised = LearningSession(
            slug="organised", title_th="จัดเอง", organiser=host, topics=[topic],
            status=SessionStatus.PUBLISHED, **times,
        )  # fmt: skip
        appeared = LearningSession(
            slug="appeared", title_th="ไปร่วม", organiser=guest, topics=[other_topic],
            status=SessionStatus.PUBLISHED, **times,
        )  # fmt: skip
        appeared.appearances = [Appearance(person=person, role=Role.MODERATOR, agency=host)]
        unrelated = LearningSession(
            slug="unrelated", title_th="ไม่เกี่ยว", organiser=guest, topics=[topic],
            status=SessionStatus.DRAFT, **times,
        )  # fmt: skip
        db.session.add_all([organised, appeared, unrelated])
        db.session.commit()
        ids = {s.slug: s.id for s in (organised, appeared, unrelated)}
    xml, _doc = both(client, "/agencies/host/schedule")
    assert set(xml) == {ids["organised"], ids["appeared"]}
    assert set(both(client, "/agencies/guest/schedule")[0]) == {ids["appeared"]}
    assert set(both(client, "/topics/data/schedule")[0]) == {ids["organised"]}
    root = get_xml(client, "/agencies/host/schedule.xml?lang=en")
    assert root.findtext("conference/title") == "Host: sessions"
    assert root.findtext("conference/acronym") == "lx_agency_host"
    topic_doc = get_json(client, "/topics/data/schedule.json")
    assert topic_doc["schedule"]["conference"]["title"] == "ข้อมูล: กิจกรรม"
    assert topic_doc["schedule"]["conference"]["url"] == "http://localhost/topics/data"
    persons = json_events(get_json(client, "/agencies/host/schedule.json?lang=en"))
    assert persons[ids["appeared"]]["persons"][0]["name"] == "Speaker"
    assert xml[ids["appeared"]].findtext("subtitle") == "แขก"


@pytest.mark.parametrize(
    "url",
    [
        "/agencies/nobody/schedule.xml",
        "/agencies/nobody/schedule.json",
        "/topics/nothing/schedule.xml",
        "/topics/nothing/schedule.json",
        "/schedule.csv",
        "/agencies/x/schedule.yaml",
    ],
)
def test_unknown_series_and_kinds_are_404(client, url):
    assert client.get(url).status_code == 404


# --- HTTP ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/schedule.xml",
        "/schedule.json?lang=en",
        "/agencies/agency-shared/schedule.xml",
        "/topics/topic-shared/schedule.json",
    ],
)
def test_conditional_requests_get_304_until_a_session_changes(app, client, make_session, url):
    session_id = make_session(shared=True)
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in first.headers
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    version = _version(first.data)
    with app.test_request_context():
        schedule.update_session(
            db.session.get(LearningSession, session_id),
            utcnow(),
            title_th="ชื่อใหม่",
            title_en="New name",
        )
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert _version(changed.data) != version
    assert ("New name" if "lang=en" in url else "ชื่อใหม่") in changed.get_data(as_text=True)


def _version(data: bytes) -> str:
    if data.startswith(b"<?xml"):
        return check_xml(data).findtext("version")
    return check_json(data)["schedule"]["version"]


def test_the_version_is_shared_by_formats_and_languages(client, make_session):
    make_session()
    versions = {
        _version(client.get(url).data)
        for url in ("/schedule.xml", "/schedule.json", "/schedule.xml?lang=en")
    }
    assert len(versions) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/schedule.xml",
        "/schedule.json?lang=en",
        "/agencies/agency-shared/schedule.xml",
        "/topics/topic-shared/schedule.json",
    ],
)
def test_query_count_does_not_grow(client, make_session, count_queries, url):
    make_session(shared=True, people=1)
    few = count_queries(lambda: client.get(url))
    for n in range(10):
        make_session(shared=True, people=4, days=n - 5)
    assert count_queries(lambda: client.get(url)) == few
    assert len(xml_events(check_xml(client.get(url.replace(".json", ".xml")).data))) == 11


# --- Pages and purity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "schedule_path"),
    [
        ("/sessions", "/schedule"),
        ("/agencies/agency-shared", "/agencies/agency-shared/schedule"),
        ("/topics/topic-shared", "/topics/topic-shared/schedule"),
    ],
)
def test_pages_offer_the_schedule_to_conference_apps(client, make_session, page, schedule_path):
    make_session(shared=True)
    html = client.get(page).get_data(as_text=True)
    assert f'href="{schedule_path}.xml"' in html
    assert f'href="{schedule_path}.json"' in html
    english = client.get(page + "?lang=en").get_data(as_text=True)
    assert f'href="{schedule_path}.xml?lang=en"' in english
    assert "conference app" in english


def test_the_builder_is_pure():
    source = Path(__file__).resolve().parent.parent / "exchange" / "schedule_export" / "frab.py"
    text = source.read_text()
    imported = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0] if node.level == 0 else node.module)
    assert not imported & {"flask", "flask_babel", "flask_sqlalchemy", "sqlalchemy"}
    assert "db.session" not in text
    assert re.search(r"\bnow\(", text) is None
    assert "join_url" not in text
    assert "registrations" not in text


def test_identifiers_fit_the_schema():
    assert frab.acronym("lx_agency", "Krom-Sanphakon 4.0") == "lx_agency_krom_sanphakon_4_0"
    assert ACRONYM.fullmatch(frab.acronym("x"))
    assert ACRONYM.fullmatch(frab.acronym("ไทย"))
    assert frab.event_slug(7, "Open-Data--") == "lx-7-open-data"
    assert frab.clean("a\x00b\x0bc\td\ufffee") == "abc\tde"
