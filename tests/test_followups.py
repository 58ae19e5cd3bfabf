"""Reminders before a session and follow-ups after it: each message at its time, once.

Every test passes its own clock (*now*); the session is on Sunday 10 March 2030, 09:00–11:00 in
Bangkok. The worker's race runs two workers at once on SQLite (a file) and on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from exchange.db import db
from exchange.models import (
    AttendanceBasis,
    ContentStatus,
    FeedbackQuestion,
    LearningSession,
    Note,
    Notice,
    NoticeKind,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SessionFormat,
    SessionReminder,
    SessionStatus,
)
from exchange.services import authoring
from exchange.services.accounts import create_user
from exchange.services.followups import queue_due, run_round
from exchange.services.reminders import default_reminders
from tests.conftest import login_as, make_test_app

START = datetime(2030, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok
END = START + timedelta(hours=2)
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
JOIN_LINK = re.compile(r"https?://exchange\.test/j/[\w-]+")


@pytest.fixture(autouse=True)
def _server_name(app: Flask) -> None:
    app.config["SERVER_NAME"] = "exchange.test"  # the worker builds full links without a request


@pytest.fixture
def webinar(make_session: Callable[..., int]) -> int:
    return make_session(
        starts_at=START,
        ends_at=END,
        format=SessionFormat.ONLINE,
        platform="Zoom",
        join_url="https://zoom.example/j/123",
        recording_url="https://video.example/recording/1",
        reminders=default_reminders(),
    )


@pytest.fixture
def register(app: Flask, make_user: Callable[..., int]) -> Callable[..., int]:
    """Factory: a user registered for the session (a seat 3 days before); returns the
    registration's id."""

    def _register(
        session_id: int,
        *,
        status: RegistrationStatus = RegistrationStatus.CONFIRMED,
        seated: datetime = START - 3 * DAY,
        locale: str = "th",
        email: str | None = None,
        **fields: object,
    ) -> int:
        user_id = make_user(email, locale=locale)
        with app.app_context():
            registration = Registration(
                session_id=session_id,
                user_id=user_id,
                status=status,
                created_at=seated,
                queued_at=seated,
                confirmed_at=seated if status is RegistrationStatus.CONFIRMED else None,
                **fields,
            )
            db.session.add(registration)
            db.session.commit()
            return registration.id

    return _register


def due(app: Flask, now: datetime, **kwargs: object):
    """What the worker would queue at *now*, committed."""
    with app.app_context():
        report = queue_due(now, **kwargs)  # type: ignore[arg-type]
        db.session.commit()
        return report


def mails(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(rows)


def update(app: Flask, model: type, row_id: int, **values: object) -> None:
    with app.app_context():
        row = db.session.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


# --- Reminders ---------------------------------------------------------------------------------


def test_reminders_go_one_day_and_one_hour_before(app, webinar, register):
    register(webinar)

    assert due(app, START - DAY - MINUTE).queued == 0
    assert due(app, START - DAY).reminders == 1
    assert due(app, START - DAY + HOUR).queued == 0  # sent already
    assert due(app, START - HOUR - MINUTE).queued == 0
    assert due(app, START - HOUR + MINUTE).reminders == 1
    assert due(app, START - 40 * MINUTE).queued == 0

    assert [m.subject for m in mails(app)] == ["เตือนความจำ: การประชุม 1"] * 2


def test_no_reminder_after_the_start_or_long_after_its_time(app, webinar, register):
    register(webinar)

    assert due(app, START - 11 * HOUR).queued == 0  # the day-before one is over half a day late
    assert due(app, START - 20 * MINUTE).queued == 0  # the hour-before one: over half an hour
    assert due(app, START + MINUTE).queued == 0
    assert mails(app) == []


def test_a_late_reminder_goes_while_still_useful(app, webinar, register):
    register(webinar)

    assert due(app, START - 13 * HOUR).reminders == 1  # the worker was down for 11 hours
    assert due(app, START - 35 * MINUTE).reminders == 1


def test_a_nearer_reminder_closes_the_window_of_the_one_before(app, make_session, register):
    session_id = make_session(
        starts_at=START,
        ends_at=END,
        reminders=[SessionReminder(minutes_before=60), SessionReminder(minutes_before=50)],
    )
    register(session_id)

    assert due(app, START - 49 * MINUTE).reminders == 1  # the 50-minute one only
    with app.app_context():
        keys = db.session.scalars(sa.select(Notice.key)).all()
    assert keys == ["50"]


def test_who_registered_after_a_reminders_time_does_not_get_it(app, webinar, register):
    late = register(webinar, seated=START - 5 * HOUR)
    last_minute = register(webinar, seated=START - 10 * MINUTE)

    assert due(app, START - 4 * HOUR).queued == 0  # the day-before one is moot for both
    assert due(app, START - HOUR).reminders == 1
    assert due(app, START - 9 * MINUTE).queued == 0
    with app.app_context():
        got = db.session.scalars(sa.select(Notice.registration_id)).all()
    assert got == [late]
    assert last_minute not in got


def test_reminders_only_for_confirmed_seats(app, webinar, register):
    for status in (
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.CANCELLED,
        RegistrationStatus.PENDING,
    ):
        register(webinar, status=status)

    assert due(app, START - DAY).queued == 0


def test_reminder_in_the_registrants_language_with_personal_link_and_invite(app, webinar, register):
    thai = register(webinar, locale="th", email="somchai@agency.go.th")
    english = register(webinar, locale="en", email="jane@agency.go.th")

    assert due(app, START - DAY).reminders == 2

    by_address = {m.to_address: m for m in mails(app)}
    th, en = by_address["somchai@agency.go.th"], by_address["jane@agency.go.th"]
    assert th.language == "th"
    assert th.subject == "เตือนความจำ: การประชุม 1"
    assert "อาทิตย์ที่ 10 มีนาคม พ.ศ. 2573" in th.body_text
    assert "09:00" in th.body_text
    assert en.language == "en"
    assert en.subject == "Reminder: Session 1"
    assert "Sunday 10 March 2030" in en.body_text
    assert "09:00–11:00 Thailand Time" in en.body_text
    with app.app_context():
        tokens = {
            r.id: r.join_token
            for r in db.session.scalars(
                sa.select(Registration).where(Registration.id.in_([thai, english]))
            )
        }
    for message, registration_id in ((th, thai), (en, english)):
        assert f"http://exchange.test/j/{tokens[registration_id]}" in message.body_text
        assert f"/j/{tokens[registration_id]}" in message.body_html
        assert "zoom.example" not in message.body_text  # the personal link, not the platform's
        assert message.ics_method == "REQUEST"
        assert "METHOD:REQUEST" in message.ics
        assert tokens[registration_id] in message.ics.replace("\r\n ", "")


def test_onsite_reminder_has_no_join_link(app, make_session, register):
    session_id = make_session(
        starts_at=START,
        ends_at=END,
        format=SessionFormat.ONSITE,
        venue="ห้องประชุม 1",
        reminders=default_reminders(),
    )
    register(session_id)

    due(app, START - HOUR)

    (message,) = mails(app)
    assert not JOIN_LINK.search(message.body_text)
    assert "ห้องประชุม 1" in message.body_text


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.DRAFT])
def test_cancelled_or_draft_session_sends_nothing(app, make_session, register, status):
    session_id = make_session(
        starts_at=START, ends_at=END, status=status, reminders=default_reminders()
    )
    registration = register(session_id)
    update(app, Registration, registration, checked_in_at=START)

    for now in (START - DAY, START - HOUR, END + HOUR, END + DAY):
        assert due(app, now).queued == 0
    assert mails(app) == []


# --- After the session -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "thanked"),
    [
        (AttendanceBasis.EITHER, {"door", "online"}),
        (AttendanceBasis.CHECK_IN, {"door"}),
        (AttendanceBasis.ONLINE, {"online"}),
    ],
)
def test_thank_you_or_missed_you_by_the_attendance_basis(app, webinar, register, basis, thanked):
    update(app, LearningSession, webinar, attendance_basis=basis)
    register(webinar, email="door@agency.go.th", checked_in_at=START + MINUTE)
    register(webinar, email="online@agency.go.th", joined_online_at=START + 5 * MINUTE)
    register(webinar, email="neither@agency.go.th")
    register(webinar, email="waiting@agency.go.th", status=RegistrationStatus.WAITLISTED)

    report = due(app, END + HOUR)

    assert report.thank_you == len(thanked)
    assert report.missed_you == 3 - len(thanked)
    subjects = {m.to_address.split("@")[0]: m.subject for m in mails(app)}
    assert set(subjects) == {"door", "online", "neither"}
    for name, subject in subjects.items():
        expected = "ขอบคุณ" if name in thanked else "เสียดาย"
        assert subject.startswith(expected), subject


def test_follow_up_waits_after_the_end_and_is_not_sent_weeks_later(
    app, webinar, make_session, register
):
    register(webinar)
    old = make_session(starts_at=START - 8 * DAY, ends_at=START - 8 * DAY + HOUR)
    register(old)

    assert due(app, END - MINUTE).queued == 0
    assert due(app, END + 10 * MINUTE).queued == 0  # door check-ins may still be typed in
    report = due(app, END + 30 * MINUTE)
    assert report.missed_you == 1  # only this session's: the old one ended 8 days before
    assert due(app, END + DAY).queued == 0


def test_follow_up_has_recording_materials_summary_and_takeaways(app, webinar, register):
    register(webinar, locale="en", checked_in_at=START)
    with app.app_context():
        db.session.add(
            Note(
                session_id=webinar,
                language="en",
                title="What we learned about mindset",
                status=ContentStatus.PUBLISHED,
                published_at=END,
            )
        )
        db.session.commit()

    due(app, END + HOUR)

    (message,) = mails(app)
    assert message.subject == "Thank you for joining: Session 1"
    for body in (message.body_text, message.body_html):
        assert "https://video.example/recording/1" in body
        assert "http://exchange.test/sessions/session-1#materials" in body
        assert "What we learned about mindset" in body
        assert "http://exchange.test/sessions/session-1#summary" in body
        assert "บทเรียน 1" in body  # the takeaways (Thai only: their English is empty)
    assert "/feedback" not in message.body_text  # no questions, no invitation


def test_thank_you_invites_feedback_when_there_are_questions(app, webinar, register):
    register(webinar, email="came@agency.go.th", checked_in_at=START)
    register(webinar, email="away@agency.go.th")
    with app.app_context():
        db.session.add(FeedbackQuestion(session_id=webinar, text_th="พึงพอใจเพียงใด"))
        db.session.commit()

    due(app, END + HOUR)

    bodies = {m.to_address: m.body_text for m in mails(app)}
    if "feedback.respond" in app.view_functions:
        assert "http://exchange.test/sessions/session-1/feedback" in bodies["came@agency.go.th"]
    assert "/feedback" not in bodies["away@agency.go.th"]


def test_no_summary_yet_says_it_will_follow(app, webinar, register):
    register(webinar, locale="en")

    due(app, END + HOUR)

    (message,) = mails(app)
    assert message.subject == "Sorry we missed you: Session 1"
    assert "once it is published" in message.body_text


def test_summary_published_later_is_told_once(app, webinar, make_session, register):
    first = register(webinar, checked_in_at=START)
    second = register(webinar)
    register(webinar, status=RegistrationStatus.CANCELLED)
    assert due(app, END + HOUR).queued == 2
    with app.app_context():
        note = Note(
            session_id=webinar, language="th", title="สรุปสาระสำคัญ", status=ContentStatus.DRAFT
        )
        db.session.add(note)
        db.session.commit()
        note_id = note.id

    assert due(app, END + DAY).queued == 0  # a draft is not news
    update(app, Note, note_id, status=ContentStatus.PUBLISHED, published_at=END + 2 * DAY)
    report = due(app, END + 2 * DAY + MINUTE)
    assert report.summaries == 2
    assert due(app, END + 3 * DAY).queued == 0
    update(app, Note, note_id, status=ContentStatus.DRAFT)
    update(app, Note, note_id, status=ContentStatus.PUBLISHED)
    assert due(app, END + 4 * DAY).queued == 0  # published again: still told only once

    with app.app_context():
        told = db.session.scalars(
            sa.select(Notice.registration_id).where(Notice.kind == NoticeKind.SUMMARY_PUBLISHED)
        ).all()
    assert sorted(told) == [first, second]
    summary_mails = [m for m in mails(app) if m.subject.startswith("เผยแพร่สรุป")]
    assert len(summary_mails) == 2
    assert "สรุปสาระสำคัญ" in summary_mails[0].body_text


def test_summary_published_before_the_follow_up_is_not_told_again(app, webinar, register):
    register(webinar)
    with app.app_context():
        db.session.add(
            Note(
                session_id=webinar,
                language="th",
                title="สรุป",
                status=ContentStatus.PUBLISHED,
                published_at=END + 10 * MINUTE,
            )
        )
        db.session.commit()

    assert due(app, END + HOUR).missed_you == 1
    assert due(app, END + DAY).queued == 0
    (message,) = mails(app)
    assert "สรุป" in message.body_text


# --- The worker --------------------------------------------------------------------------------


def test_running_the_worker_twice_sends_nothing_twice(app, webinar, register):
    for _ in range(3):
        register(webinar)
    with app.app_context():
        first = run_round(START - DAY + MINUTE, limit=2)  # batches of two
        second = run_round(START - DAY + MINUTE, limit=2)
    assert first.due.reminders == 3
    assert second.due.queued == 0
    assert len(mails(app)) == 3


def test_worker_command_once(app, webinar, register):
    register(webinar, seated=_now_plus(days=-1))
    update(app, LearningSession, webinar, starts_at=_now_plus(hours=1), ends_at=_now_plus(hours=3))

    result = app.test_cli_runner().invoke(args=["exchange", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "reminders 1" in result.output
    assert "MAIL_SERVER is not set" in result.output
    result = app.test_cli_runner().invoke(args=["exchange", "worker", "--once"])
    assert "reminders 0" in result.output
    assert len(mails(app)) == 1


def test_worker_command_needs_the_site_address(app):
    app.config["SERVER_NAME"] = None

    result = app.test_cli_runner().invoke(args=["exchange", "worker", "--once"])

    assert result.exit_code == 2
    assert "FLASK_SERVER_NAME" in result.output


def test_worker_command_refuses_a_bad_interval(app):
    result = app.test_cli_runner().invoke(args=["exchange", "worker", "--interval", "0"])
    assert result.exit_code == 2


def _now_plus(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def test_two_workers_at_once_send_each_message_once(database_url, tmp_path):
    url = database_url if database_url != "sqlite://" else f"sqlite:///{tmp_path / 'race.sqlite'}"
    app = make_test_app(url, SERVER_NAME="exchange.test")
    with app.app_context():
        db.drop_all()
        db.create_all()
        learning_session = LearningSession(
            slug="race",
            title_th="การประชุม",
            starts_at=START,
            ends_at=END,
            status=SessionStatus.PUBLISHED,
            reminders=default_reminders(),
        )
        db.session.add(learning_session)
        for n in range(30):
            user = create_user(f"person{n}@agency.go.th", f"คน {n}", password=None)
            db.session.add(
                Registration(
                    learning_session=learning_session,
                    user=user,
                    status=RegistrationStatus.CONFIRMED,
                    confirmed_at=START - 3 * DAY,
                    checked_in_at=START if n % 2 else None,
                )
            )
        db.session.commit()
    reports = []
    errors: list[BaseException] = []

    def work(now: datetime, start: threading.Barrier) -> None:
        try:
            with app.app_context():
                start.wait()
                reports.append(run_round(now, limit=7))
                db.session.remove()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    try:
        for now in (START - DAY, END + HOUR):  # the reminders, then the follow-ups
            start = threading.Barrier(2)
            threads = [threading.Thread(target=work, args=(now, start)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        assert errors == []
        assert sum(r.due.reminders for r in reports) == 30
        assert sum(r.due.thank_you for r in reports) == 15
        assert sum(r.due.missed_you for r in reports) == 15
        with app.app_context():
            per_person = db.session.execute(
                sa.select(OutboxMessage.to_address, sa.func.count()).group_by(
                    OutboxMessage.to_address
                )
            ).all()
            assert len(per_person) == 30
            assert {count for _address, count in per_person} == {2}  # a reminder, a follow-up
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 60
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


# --- Sessions get the default reminders ---------------------------------------------------------


def test_new_and_duplicated_sessions_get_reminders(app, demo):
    with app.app_context():
        admin = create_user("admin@opdc.go.th", "Admin", password=None)
        db.session.flush()
        created = authoring.create_session(
            {"title_th": "ใหม่", "starts_at": START, "ends_at": END}, [], user_id=admin.id
        )
        assert sorted(r.minutes_before for r in created.reminders) == [60, 1440]
        created.reminders.append(SessionReminder(minutes_before=15))
        db.session.flush()
        copy = authoring.duplicate_session(created, START + 7 * DAY, user_id=admin.id)
        assert sorted(r.minutes_before for r in copy.reminders) == [15, 60, 1440]
        demo_sessions = db.session.scalars(sa.select(LearningSession)).all()
        for learning_session in demo_sessions:
            if learning_session.slug not in (created.slug, copy.slug):
                assert sorted(r.minutes_before for r in learning_session.reminders) == [60, 1440]


# --- The Reminders tab -------------------------------------------------------------------------


@pytest.fixture
def organiser(app: Flask, make_user: Callable[..., int], webinar: int) -> int:
    with app.app_context():
        agency_id = db.session.get(LearningSession, webinar).organiser_id
    return make_user("org@agency.go.th", role="organiser", agency_id=agency_id, locale="en")


def _login(client: FlaskClient, user_id: int, language: str = "en") -> None:
    login_as(client, user_id)
    with client.session_transaction() as session:
        session["lang"] = language


def _minutes(app: Flask, session_id: int) -> list[int]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                sa.select(SessionReminder.minutes_before).filter_by(session_id=session_id)
            )
        )


def test_reminders_tab_lists_the_defaults(app, client: FlaskClient, webinar, organiser):
    _login(client, organiser)

    page = client.get("/manage/sessions/session-1/reminders")

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    assert "1 day before" in html
    assert "1 hour before" in html
    assert 'aria-current="page">Reminders<' in html


def test_add_a_reminder(app, client, webinar, organiser):
    _login(client, organiser)

    response = client.post(
        "/manage/sessions/session-1/reminders", data={"amount": "2", "unit": "days"}
    )

    assert response.status_code == 302
    assert _minutes(app, webinar) == [60, 1440, 2880]
    assert "2 days before" in client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize(
    ("amount", "unit", "message"),
    [
        ("0", "hours", "enter 1 or more"),
        ("-3", "hours", "enter 1 or more"),
        ("abc", "hours", "Enter a whole number"),
        ("1.5", "hours", "Enter a whole number"),
        ("", "hours", "Enter a whole number"),
        ("31", "days", "at most 30 days"),
        ("99999999999999999999", "minutes", "Enter a whole number"),
        ("24", "hours", "already has that reminder"),
        ("1", "weeks", "Choose minutes, hours or days"),
    ],
)
def test_bad_reminders_are_refused_with_a_message(
    app, client, webinar, organiser, amount, unit, message
):
    _login(client, organiser)

    response = client.post(
        "/manage/sessions/session-1/reminders", data={"amount": amount, "unit": unit}
    )

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _minutes(app, webinar) == [60, 1440]


def test_at_most_ten_reminders(app, client, webinar, organiser):
    _login(client, organiser)
    for n in range(2, 10):
        assert (
            client.post(
                "/manage/sessions/session-1/reminders", data={"amount": str(n), "unit": "minutes"}
            ).status_code
            == 302
        )

    response = client.post(
        "/manage/sessions/session-1/reminders", data={"amount": "11", "unit": "minutes"}
    )

    assert response.status_code == 400
    assert "at most 10 reminders" in response.get_data(as_text=True)


def test_remove_a_reminder(app, client, webinar, organiser, make_session):
    _login(client, organiser)
    other = make_session(reminders=default_reminders())
    with app.app_context():
        hour = db.session.scalar(
            sa.select(SessionReminder.id).filter_by(session_id=webinar, minutes_before=60)
        )
        elsewhere = db.session.scalar(sa.select(SessionReminder.id).filter_by(session_id=other))

    response = client.post(f"/manage/sessions/session-1/reminders/{hour}/delete")
    assert response.status_code == 302
    assert _minutes(app, webinar) == [1440]
    assert client.post(f"/manage/sessions/session-1/reminders/{hour}/delete").status_code == 404
    assert (
        client.post(f"/manage/sessions/session-1/reminders/{elsewhere}/delete").status_code == 404
    )
    assert _minutes(app, other) == [60, 1440]


def test_reminders_tab_permissions(app, client, webinar, make_user, make_session):
    assert client.get("/manage/sessions/session-1/reminders").status_code == 302  # log in first
    participant = make_user()
    login_as(client, participant)
    assert client.get("/manage/sessions/session-1/reminders").status_code == 403
    assert (
        client.post(
            "/manage/sessions/session-1/reminders", data={"amount": "2", "unit": "hours"}
        ).status_code
        == 403
    )
    assert client.post("/manage/sessions/session-1/reminders/1/delete").status_code == 403
    stranger = make_user(role="organiser", agency_id=None)
    login_as(client, stranger)
    assert client.get("/manage/sessions/session-1/reminders").status_code == 403
    login_as(client, make_user(role="admin"))
    assert client.get("/manage/sessions/no-such-session/reminders").status_code == 404
    assert client.get("/manage/sessions/session-1/reminders").status_code == 200
    assert _minutes(app, webinar) == [60, 1440]


def test_note_taker_cannot_change_reminders(app, client, webinar, make_user):
    from exchange.models import NoteTaker

    taker = make_user()
    with app.app_context():
        db.session.add(NoteTaker(session_id=webinar, user_id=taker))
        db.session.commit()
    login_as(client, taker)

    assert client.get("/manage/sessions/session-1/notes").status_code == 200
    assert client.get("/manage/sessions/session-1/reminders").status_code == 403


def test_reminders_tab_shows_how_many_got_each(app, client, webinar, organiser, register):
    _login(client, organiser)
    for _ in range(3):
        register(webinar)
    due(app, START - DAY)

    html = client.get("/manage/sessions/session-1/reminders").get_data(as_text=True)

    assert "Sent to 3 registrants" in html


def test_reminders_tab_queries_do_not_grow(
    app, client, webinar, organiser, register, count_queries
):
    _login(client, organiser)
    register(webinar)
    few = count_queries(lambda: client.get("/manage/sessions/session-1/reminders"))
    for n in range(2, 10):
        client.post(
            "/manage/sessions/session-1/reminders", data={"amount": str(n), "unit": "hours"}
        )
    for _ in range(5):
        register(webinar)
    due(app, START - DAY)
    many = count_queries(lambda: client.get("/manage/sessions/session-1/reminders"))
    assert many == few


def test_thai_reminders_tab(app, client, webinar, make_user):
    with app.app_context():
        agency_id = db.session.get(LearningSession, webinar).organiser_id
    _login(client, make_user(role="organiser", agency_id=agency_id), "th")

    html = client.get("/manage/sessions/session-1/reminders").get_data(as_text=True)

    assert "1 วันก่อน" in html
    assert "การแจ้งเตือน" in html
