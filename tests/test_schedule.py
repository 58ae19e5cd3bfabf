"""Rescheduling, moving and cancelling a session: sequence, invites and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from exchange.db import db, utcnow
from exchange.models import (
    LearningSession,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SessionStatus,
    User,
)
from exchange.services import registration as registration_service
from exchange.services import schedule
from tests.conftest import login_as
from tests.ical_check import agree, check

JOIN = "https://meet.example.org/room-42"
START = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok


@pytest.fixture
def booked(app, client, make_session, make_user):
    """A session with a Thai and an English seat holder, one waitlisted, one pending guest,
    and one who cancelled; returns (session id, {name: user id})."""
    session_id = make_session(
        slug="s",
        capacity=2,
        join_url=JOIN,
        platform="Zoom",
        starts_at=START,
        ends_at=START + timedelta(hours=3),
    )
    people = {
        "thai": make_user("thai@agency.go.th", locale="th"),
        "english": make_user("english@agency.go.th", locale="en"),
        "waiting": make_user("waiting@agency.go.th"),
        "pending": make_user("pending@agency.go.th"),
        "gone": make_user("gone@agency.go.th"),
    }
    for name in ("gone", "thai", "waiting", "english"):
        login_as(client, people[name])
        client.post("/sessions/s/register")
    login_as(client, people["gone"])
    client.post("/sessions/s/cancel")  # "waiting" moves up into the freed seat
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        guest = db.session.get(User, people["pending"])
        registration_service.register(learning_session, guest, utcnow(), pending=True)
        db.session.commit()
    statuses = _statuses(app, session_id)
    assert statuses == {
        people["thai"]: RegistrationStatus.CONFIRMED,
        people["waiting"]: RegistrationStatus.CONFIRMED,
        people["english"]: RegistrationStatus.WAITLISTED,
        people["pending"]: RegistrationStatus.PENDING,
        people["gone"]: RegistrationStatus.CANCELLED,
    }
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
    return session_id, people


def _statuses(app, session_id: int) -> dict[int, RegistrationStatus]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Registration.user_id, Registration.status).filter_by(session_id=session_id)
        )
        return dict(rows.all())


def _messages(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def _session(app, session_id: int) -> LearningSession:
    with app.app_context():
        found = db.session.get(LearningSession, session_id)
        db.session.expunge(found)
        return found


def _update(app, session_id: int, **fields) -> set[str]:
    with app.test_request_context():
        changed = schedule.update_session(
            db.session.get(LearningSession, session_id), utcnow(), **fields
        )
        db.session.commit()
        return changed


def test_rescheduling_sends_every_seat_holder_an_update_with_a_higher_sequence(
    app, client, booked, tmp_path
):
    session_id, _ = booked
    original = check(client.get("/sessions/s.ics").data)["events"]
    later = START + timedelta(days=7, hours=1)  # 10:00 in Bangkok, a week later
    changed = _update(app, session_id, starts_at=later, ends_at=later + timedelta(hours=2))
    assert changed == {"starts_at", "ends_at"}
    assert _session(app, session_id).ical_sequence == 1  # once, for both fields
    messages = _messages(app)
    assert sorted(m.to_address for m in messages) == ["thai@agency.go.th", "waiting@agency.go.th"]
    for message in messages:
        assert message.ics_method == "REQUEST"
        parsed = agree(message.ics.encode(), tmp_path)
        [event] = parsed["events"].values()
        assert parsed["events"].keys() == original.keys()  # same UID: moved, not duplicated
        assert event["sequence"] == 1
        assert event["start"] == int(later.timestamp())
        assert event["end"] == int((later + timedelta(hours=2)).timestamp())
        assert "/j/" in event["description"]  # the personal join link ...
        assert JOIN not in message.ics.replace("\r\n ", "")  # ... not the platform's own
    thai = next(m for m in messages if m.to_address == "thai@agency.go.th")
    assert thai.subject.startswith("เปลี่ยนแปลง")  # in the recipient's language
    assert "วันหรือเวลา" in thai.body_text
    local = START.astimezone(ZoneInfo("Asia/Bangkok"))
    assert f"{local.hour:02d}:00" in thai.body_text  # the time before the change
    [after] = check(client.get("/sessions/s.ics").data)["events"].values()
    assert after["sequence"] == 1


def test_english_seat_holders_get_english_updates(app, client, booked):
    session_id, people = booked
    login_as(client, people["thai"])
    client.post("/sessions/s/cancel")  # the English participant moves up into the seat
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
    assert _update(app, session_id, venue="Room 5", format="hybrid") == {"venue", "format"}
    english = next(m for m in _messages(app) if m.to_address == "english@agency.go.th")
    assert english.subject == "Updated: Session 1"
    assert "the place or the way to join" in english.body_text
    [event] = check(english.ics.encode())["events"].values()
    assert event["summary"] == "Session 1"
    assert event["location"] == "Room 5 · Online: Zoom"


def test_a_title_change_is_a_calendar_change(app, booked):
    session_id, _ = booked
    assert _update(app, session_id, title_en="A better title") == {"title_en"}
    assert _session(app, session_id).ical_sequence == 1
    assert len(_messages(app)) == 2


def test_changes_calendars_do_not_show_send_nothing(app, booked):
    session_id, _ = booked
    assert _update(app, session_id, description_th="รายละเอียดใหม่", capacity=5) == {
        "description_th",
        "capacity",
    }
    assert _update(app, session_id, platform="Zoom") == set()  # the same value: no change
    assert _session(app, session_id).ical_sequence == 0
    assert _messages(app) == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ends_at": START}, "ends_before_start"),
        ({"ends_at": START - timedelta(hours=1)}, "ends_before_start"),
        ({"starts_at": START + timedelta(hours=5)}, "ends_before_start"),
        ({"ends_at": None}, "time_missing"),
        ({"starts_at": datetime(2030, 3, 4, 9)}, "time_not_aware"),
        ({"timezone": "Asia/Bangkok_City"}, "unknown_timezone"),
        ({"timezone": "localtime"}, "unknown_timezone"),
        ({"title_th": "  "}, "title_missing"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(app, booked, fields, code):
    session_id, _ = booked
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        with pytest.raises(schedule.ScheduleError) as caught:
            schedule.update_session(learning_session, utcnow(), venue="elsewhere", **fields)
        assert caught.value.code == code
        assert str(caught.value)  # a message safe to show
        db.session.rollback()
    found = _session(app, session_id)
    assert (found.venue, found.ical_sequence, found.ends_at) == ("", 0, START + timedelta(hours=3))
    assert _messages(app) == []


def test_fields_it_does_not_own_are_refused(app, booked):
    session_id, _ = booked
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        for field in ("status", "ical_sequence", "updated_at", "nonsense"):
            with pytest.raises(TypeError):
                schedule.update_session(learning_session, utcnow(), **{field: None})


def test_services_flush_and_never_commit(app, booked):
    session_id, _ = booked
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        schedule.update_session(learning_session, utcnow(), venue="Somewhere")
        schedule.cancel_session(learning_session, utcnow(), message="ขออภัย")
        db.session.rollback()
    found = _session(app, session_id)
    assert (found.status, found.venue, found.ical_sequence) == (SessionStatus.PUBLISHED, "", 0)
    assert _messages(app) == []


def test_both_take_the_sessions_row_lock(app, booked, monkeypatch):
    session_id, _ = booked
    locked = []

    def spy(session_id: int) -> LearningSession:
        locked.append(session_id)
        return registration_service.lock_session(session_id)

    monkeypatch.setattr(schedule, "lock_session", spy)
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        schedule.update_session(learning_session, utcnow(), venue="Here")
        schedule.cancel_session(learning_session, utcnow())
        db.session.rollback()
    assert locked == [session_id, session_id]


def test_cancelling_sends_cancel_to_seats_and_a_message_to_everyone_waiting(
    app, client, booked, tmp_path
):
    session_id, people = booked
    uid = next(iter(check(client.get("/sessions/s.ics").data)["events"]))
    with app.test_request_context():
        schedule.cancel_session(
            db.session.get(LearningSession, session_id),
            utcnow(),
            message="ขออภัย วิทยากรติดภารกิจด่วน\nจะแจ้งวันใหม่ให้ทราบ",
        )
        db.session.commit()
    found = _session(app, session_id)
    assert (found.status, found.ical_sequence) == (SessionStatus.CANCELLED, 1)
    messages = {m.to_address: m for m in _messages(app)}
    assert set(messages) == {
        "thai@agency.go.th",
        "waiting@agency.go.th",
        "english@agency.go.th",
        "pending@agency.go.th",
    }  # not the person who had already cancelled
    for address in ("thai@agency.go.th", "waiting@agency.go.th"):
        message = messages[address]
        assert message.ics_method == "CANCEL"
        parsed = agree(message.ics.encode(), tmp_path)
        assert parsed["method"] == "CANCEL"
        [event] = parsed["events"].values()
        assert event["uid"] == uid
        assert event["sequence"] == 1
        assert event["status"] == "CANCELLED"
        assert JOIN not in message.ics
        assert "/j/" not in message.ics  # nor a personal link to a cancelled session
        assert "วิทยากรติดภารกิจด่วน" in message.body_text
    for address in ("english@agency.go.th", "pending@agency.go.th"):
        assert (messages[address].ics, messages[address].ics_method) == ("", "")
        assert "วิทยากรติดภารกิจด่วน" in messages[address].body_text
    assert messages["english@agency.go.th"].subject == "Cancelled: Session 1"
    assert JOIN not in messages["thai@agency.go.th"].body_text
    # The registrations stay as they were; the feeds keep the session, cancelled.
    assert _statuses(app, session_id)[people["thai"]] is RegistrationStatus.CONFIRMED
    [event] = check(client.get("/calendar.ics").data)["events"].values()
    assert (event["uid"], event["status"], event["sequence"]) == (uid, "CANCELLED", 1)
    page = client.get("/sessions/s").get_data(as_text=True)
    assert "/sessions/s.ics" in page
    assert "action=TEMPLATE" not in page


def test_cancelling_twice_changes_nothing_and_drafts_cannot_be_cancelled(app, booked, make_session):
    session_id, _ = booked
    draft = make_session(slug="draft", status=SessionStatus.DRAFT)
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        schedule.cancel_session(learning_session, utcnow())
        schedule.cancel_session(learning_session, utcnow())
        db.session.commit()
        with pytest.raises(schedule.ScheduleError):
            schedule.cancel_session(db.session.get(LearningSession, draft), utcnow())
    assert _session(app, session_id).ical_sequence == 1
    assert len(_messages(app)) == 4


def test_a_past_session_cannot_be_cancelled(app, make_session):
    past = make_session(slug="old", days=-2)
    with app.test_request_context(), pytest.raises(schedule.ScheduleError):
        schedule.cancel_session(db.session.get(LearningSession, past), utcnow())
