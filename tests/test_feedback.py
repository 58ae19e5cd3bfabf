"""Feedback after a session: the organiser's questions, who may answer and when, once per
person (also under a double POST on each database), the results, the CSV export."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from exchange.db import db
from exchange.models import (
    Agency,
    AttendanceBasis,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
    TokenPurpose,
    User,
)
from exchange.services import feedback as feedback_service
from exchange.services import feedback_results
from tests.conftest import _drop_everything, make_test_app

SLUG = "pmqa-feedback"
FORM = f"/sessions/{SLUG}/feedback"
TAB = f"/manage/sessions/{SLUG}/feedback"


def login(client: FlaskClient, user_id: int, lang: str = "en") -> None:
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
        sess["lang"] = lang


def add_session(
    ended_hours_ago: float = 1, status: SessionStatus = SessionStatus.PUBLISHED, **fields
) -> LearningSession:
    """A two-hour session (call inside an app context; flushes)."""
    end = datetime.now(UTC) - timedelta(hours=ended_hours_ago)
    agency = db.session.scalar(sa.select(Agency).filter_by(slug="opdc")) or Agency(
        slug="opdc", name_th="สำนักงาน ก.พ.ร.", name_en="OPDC"
    )
    fields.setdefault("slug", SLUG)
    learning_session = LearningSession(
        title_th="ไขกุญแจความสำเร็จ",
        title_en="Unlocking success",
        organiser=agency,
        status=status,
        starts_at=end - timedelta(hours=2),
        ends_at=end,
        **fields,
    )
    db.session.add(learning_session)
    db.session.flush()
    return learning_session


def add_registration(session_id: int, user_id: int, status=RegistrationStatus.CONFIRMED, **kw):
    registration = Registration(session_id=session_id, user_id=user_id, status=status, **kw)
    db.session.add(registration)
    db.session.flush()
    return registration


def add_questions(session_id: int, n: int = 2) -> list[int]:
    rows = [
        FeedbackQuestion(
            session_id=session_id, position=i, text_th=f"ข้อ {i + 1}", text_en=f"Q{i + 1}"
        )
        for i in range(n)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return [row.id for row in rows]


@pytest.fixture
def world(app: Flask, make_user) -> dict:
    """A session that ended an hour ago with two questions; an organiser of its agency and a
    confirmed registrant who checked in."""
    with app.app_context():
        learning_session = add_session()
        session_id, agency_id = learning_session.id, learning_session.organiser_id
        questions = add_questions(session_id)
        db.session.commit()
    organiser = make_user("org@opdc.go.th", role="organiser", agency_id=agency_id)
    attendee = make_user("att@agency.go.th")
    with app.app_context():
        add_registration(session_id, attendee, checked_in_at=datetime.now(UTC))
        db.session.commit()
    return {
        "session_id": session_id,
        "questions": questions,
        "organiser": organiser,
        "attendee": attendee,
        "agency_id": agency_id,
    }


def answers(questions: list[int], *scores: object, comment: str = "") -> dict[str, object]:
    data = {f"q{qid}": score for qid, score in zip(questions, scores, strict=False)}
    data["comment"] = comment
    return data


def response_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackResponse))


# --- the organiser's questions -----------------------------------------------------------------


def test_organiser_adds_a_question_in_thai_and_english(app, client, world):
    login(client, world["organiser"])
    response = client.post(TAB, data={"text_th": "  ได้ความรู้ใหม่  ", "text_en": "I learned"})
    assert response.status_code == 302
    with app.app_context():
        rows = feedback_service.questions(world["session_id"])
        assert [(q.text_th, q.text_en, q.position) for q in rows][-1] == (
            "ได้ความรู้ใหม่",
            "I learned",
            2,
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text_th": "", "text_en": "Only English"}, "Write the statement in Thai."),
        ({"text_th": "   ", "text_en": ""}, "Write the statement in Thai."),
        ({"text_th": "ก" * 301, "text_en": ""}, "Keep each statement to 300 characters."),
        ({"text_th": "ดี", "text_en": "x" * 301}, "Keep each statement to 300 characters."),
    ],
)
def test_a_bad_question_is_refused_with_a_message(app, client, world, data, message):
    login(client, world["organiser"])
    response = client.post(TAB, data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert len(feedback_service.questions(world["session_id"])) == 2


def test_at_most_twenty_questions(app, client, world):
    with app.app_context():
        add_questions(world["session_id"], feedback_service.MAX_QUESTIONS - 2)
        db.session.commit()
    login(client, world["organiser"])
    response = client.post(TAB, data={"text_th": "อีกข้อ"})
    assert response.status_code == 400
    assert "at most 20 questions" in response.get_data(as_text=True)


def test_suggested_questions_in_one_click_only_when_there_are_none(app, client, world):
    with app.app_context():
        empty = add_session(slug="empty").id
        db.session.commit()
    login(client, world["organiser"])
    assert client.post("/manage/sessions/empty/feedback/defaults").status_code == 302
    with app.app_context():
        rows = feedback_service.questions(empty)
    assert [(q.text_th, q.text_en) for q in rows] == list(feedback_service.DEFAULT_QUESTIONS)
    assert [q.position for q in rows] == [0, 1, 2, 3]
    client.post("/manage/sessions/empty/feedback/defaults")  # again: refused, nothing added
    with app.app_context():
        assert len(feedback_service.questions(empty)) == 4
    page = client.get("/manage/sessions/empty/feedback").get_data(as_text=True)
    assert "This session has questions already." in page


def test_edit_move_and_remove_a_question(app, client, world):
    first, second = world["questions"]
    login(client, world["organiser"])
    edit = f"{TAB}/questions/{first}/edit"
    assert client.get(edit).status_code == 200
    assert client.post(edit, data={"text_th": "ใหม่", "text_en": ""}).status_code == 302
    assert client.post(edit, data={"text_th": ""}).status_code == 400
    assert client.post(f"{TAB}/questions/{second}/move/up").status_code == 302
    with app.app_context():
        rows = feedback_service.questions(world["session_id"])
        assert [(q.id, q.text_th, q.text_en) for q in rows] == [
            (second, "ข้อ 2", "Q2"),
            (first, "ใหม่", ""),
        ]
    assert client.post(f"{TAB}/questions/{second}/delete").status_code == 302
    with app.app_context():
        rows = feedback_service.questions(world["session_id"])
        assert [(q.id, q.position) for q in rows] == [(first, 0)]


def test_a_question_with_answers_cannot_be_removed_but_can_be_reworded(app, client, world):
    first, _second = world["questions"]
    login(client, world["attendee"])
    client.post(FORM, data=answers(world["questions"], 4, 5))
    login(client, world["organiser"])
    response = client.post(f"{TAB}/questions/{first}/delete", follow_redirects=True)
    assert "1 person has answered this question, so it stays" in response.get_data(as_text=True)
    edit = client.get(f"{TAB}/questions/{first}/edit").get_data(as_text=True)
    assert "1 person has answered this question. Change only its wording" in edit
    assert client.post(f"{TAB}/questions/{first}/edit", data={"text_th": "ใหม่"}).status_code == 302
    with app.app_context():
        assert len(feedback_service.questions(world["session_id"])) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer)) == 2


def test_another_sessions_question_is_404(app, client, world):
    with app.app_context():
        [other] = add_questions(add_session(slug="other").id, 1)
        db.session.commit()
    login(client, world["organiser"])
    assert client.get(f"{TAB}/questions/{other}/edit").status_code == 404
    assert client.post(f"{TAB}/questions/{other}/delete").status_code == 404
    assert client.post(f"{TAB}/questions/{other}/move/up").status_code == 404


def test_only_the_sessions_organisers_see_the_tab(app, client, world, make_user):
    assert client.get(TAB).status_code == 302  # anonymous: log in
    login(client, world["attendee"])
    assert client.get(TAB).status_code == 403
    assert client.get(f"{TAB}.csv").status_code == 403
    assert client.post(TAB, data={"text_th": "x"}).status_code == 403
    with app.app_context():
        elsewhere = Agency(slug="rd", name_th="กรมสรรพากร")
        db.session.add(elsewhere)
        db.session.commit()
        elsewhere_id = elsewhere.id
    login(client, make_user("org@rd.go.th", role="organiser", agency_id=elsewhere_id))
    assert client.get(TAB).status_code == 403
    login(client, world["organiser"])
    page = client.get(TAB)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"


# --- who may answer, and when ------------------------------------------------------------------


def _viewer(app: Flask, world: dict, make_user, kind: str) -> int | None:
    if kind == "anonymous":
        return None
    if kind == "attendee":
        return world["attendee"]
    user = make_user(f"{kind}@agency.go.th")
    status = {
        "waitlisted": RegistrationStatus.WAITLISTED,
        "cancelled": RegistrationStatus.CANCELLED,
        "pending": RegistrationStatus.PENDING,
    }.get(kind, RegistrationStatus.CONFIRMED)
    if kind != "not_registered":
        with app.app_context():
            add_registration(world["session_id"], user, status)
            db.session.commit()
    return user


@pytest.mark.parametrize(
    ("kind", "status", "text"),
    [
        ("not_registered", 403, "Only registrants with a confirmed seat"),
        ("waitlisted", 403, "Only registrants with a confirmed seat"),
        ("cancelled", 403, "Only registrants with a confirmed seat"),
        ("pending", 403, "Only registrants with a confirmed seat"),
        ("confirmed", 200, "Send my feedback"),  # confirmed but not recorded as attending
        ("attendee", 200, "Send my feedback"),
    ],
)
def test_who_may_answer(app, client, world, make_user, kind, status, text):
    login(client, _viewer(app, world, make_user, kind))
    response = client.get(FORM)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    posted = client.post(FORM, data=answers(world["questions"], 5, 5))
    assert posted.status_code == (302 if status == 200 else status)


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(FORM)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert client.post(FORM, data=answers(world["questions"], 5, 5)).status_code == 302


def test_a_guest_without_a_password_sets_one_and_answers(app, client, world, make_user):
    """The e-mailed link leads to log in; "never set one?" leads to a reset, then the form."""
    from exchange.services import accounts

    guest = make_user("guest@agency.go.th", password=None)
    with app.app_context():
        add_registration(world["session_id"], guest)
        db.session.commit()
    login_page = client.get(client.get(FORM).headers["Location"])
    assert "/auth/reset" in login_page.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, guest)
        secret = accounts.issue_token(user, TokenPurpose.PASSWORD_RESET, datetime.now(UTC), hours=2)
        db.session.commit()
    new = {"password": "a long new password", "confirm": "a long new password"}
    assert client.post(f"/auth/reset/{secret}", data=new).status_code == 302
    assert client.get(FORM).status_code == 200
    assert client.post(FORM, data=answers(world["questions"], 3, 4)).status_code == 302


@pytest.mark.parametrize(
    ("start_hours", "open_days", "status", "text"),
    [
        (5, 30, 403, "Feedback opens when the session starts"),  # before the start
        (-1, 30, 200, "Send my feedback"),  # during the session (the host asks at the end)
        (-24 * 31, 30, 403, "Feedback on this session closed on"),  # after the window
        (-24 * 31, 40, 200, "Send my feedback"),  # FEEDBACK_OPEN_DAYS makes it longer
    ],
)
def test_the_form_is_open_from_the_start_until_days_after_the_end(
    app, client, world, start_hours, open_days, status, text
):
    app.config["FEEDBACK_OPEN_DAYS"] = open_days
    with app.app_context():
        learning_session = db.session.get(LearningSession, world["session_id"])
        learning_session.starts_at = datetime.now(UTC) + timedelta(hours=start_hours)
        learning_session.ends_at = learning_session.starts_at + timedelta(hours=2)
        db.session.commit()
    login(client, world["attendee"])
    response = client.get(FORM)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_no_questions_no_form(app, client, world):
    with app.app_context():
        db.session.execute(sa.delete(FeedbackQuestion))
        db.session.commit()
    login(client, world["attendee"])
    response = client.get(FORM)
    assert response.status_code == 403
    assert "have not prepared the questions yet" in response.get_data(as_text=True)


def test_draft_and_cancelled_sessions(app, client, world):
    login(client, world["attendee"])
    with app.app_context():
        db.session.get(LearningSession, world["session_id"]).status = SessionStatus.CANCELLED
        db.session.commit()
    response = client.get(FORM)
    assert response.status_code == 403
    assert "This session was cancelled" in response.get_data(as_text=True)
    with app.app_context():
        db.session.get(LearningSession, world["session_id"]).status = SessionStatus.DRAFT
        db.session.commit()
    assert client.get(FORM).status_code == 404
    assert client.get("/sessions/nope/feedback").status_code == 404


def test_the_session_page_invites_only_those_who_may_answer(app, client, world, make_user):
    link = f'href="{FORM}"'
    assert link not in client.get(f"/sessions/{SLUG}").get_data(as_text=True)
    login(client, _viewer(app, world, make_user, "waitlisted"))
    assert link not in client.get(f"/sessions/{SLUG}").get_data(as_text=True)
    login(client, world["attendee"])
    assert link in client.get(f"/sessions/{SLUG}").get_data(as_text=True)
    app.config["FEEDBACK_OPEN_DAYS"] = 0
    assert link not in client.get(f"/sessions/{SLUG}").get_data(as_text=True)


# --- answering ---------------------------------------------------------------------------------


def test_an_answer_is_stored_and_thanked(app, client, world):
    login(client, world["attendee"])
    response = client.post(FORM, data=answers(world["questions"], 4, 5, comment=" ดีมาก "))
    assert response.headers["Location"] == f"{FORM}/thanks"
    assert "Thank you for your feedback!" in client.get(f"{FORM}/thanks").get_data(as_text=True)
    with app.app_context():  # a fresh context: the view committed
        response_row = db.session.scalars(sa.select(FeedbackResponse)).one()
        assert response_row.comment == "ดีมาก"
        assert {a.question_id: a.score for a in response_row.answers} == dict(
            zip(world["questions"], [4, 5], strict=True)
        )


def test_the_form_is_an_accessible_radio_group_per_question(client, world):
    login(client, world["attendee"])
    page = client.get(FORM).get_data(as_text=True)
    first = world["questions"][0]
    assert page.count('type="radio"') == 10
    assert f'<fieldset class="score" id="q{first}">' in page
    assert "<legend" in page
    assert "lowest" in page
    assert "highest" in page
    assert 'maxlength="2000"' in page


def test_thanks_before_answering_goes_to_the_form(client, world):
    login(client, world["attendee"])
    assert client.get(f"{FORM}/thanks").headers["Location"] == FORM


@pytest.mark.parametrize(
    ("scores", "comment"),
    [
        ((5,), ""),  # the second statement is not answered
        ((), ""),
        ((0, 5), ""),
        ((6, 5), ""),
        (("x", 5), ""),
        ((5, "5.0"), ""),
        ((5, 5), "ก" * 2001),
    ],
)
def test_bad_answers_are_refused_with_a_message(app, client, world, scores, comment):
    login(client, world["attendee"])
    response = client.post(FORM, data=answers(world["questions"], *scores, comment=comment))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was sent" in page
    assert "Choose a score from 1 to 5." in page or "Keep the comment to 2000" in page
    assert response_count(app) == 0


def test_a_forged_question_id_does_not_count(app, client, world):
    with app.app_context():
        [other] = add_questions(add_session(slug="other").id, 1)
        db.session.commit()
    login(client, world["attendee"])
    data = {f"q{other}": 5, f"q{world['questions'][0]}": 5, "q999999": 5, "comment": ""}
    response = client.post(FORM, data=data)
    assert response.status_code == 400
    assert response_count(app) == 0
    with app.test_request_context("/?lang=en"):  # messages are translated
        learning_session = db.session.get(LearningSession, world["session_id"])
        registration = db.session.scalars(sa.select(Registration)).first()
        with pytest.raises(feedback_service.FeedbackError, match="questions have changed"):
            feedback_service.submit(
                learning_session, registration, {other: 5}, "", datetime.now(UTC)
            )


def test_answering_twice_is_refused_with_409(app, client, world):
    login(client, world["attendee"])
    assert client.post(FORM, data=answers(world["questions"], 4, 4)).status_code == 302
    again = client.post(FORM, data=answers(world["questions"], 1, 1))
    assert again.status_code == 409
    assert "already given your feedback" in again.get_data(as_text=True)
    seen = client.get(FORM)
    assert seen.status_code == 200
    assert "already given your feedback" in seen.get_data(as_text=True)
    assert response_count(app) == 1


def test_the_unique_registration_refuses_a_second_response_in_the_service(app, world):
    """Past the page's check (a double POST): the database says no, as AlreadyAnswered."""
    with app.test_request_context("/?lang=en"):  # messages are translated
        learning_session = db.session.get(LearningSession, world["session_id"])
        registration = db.session.scalars(sa.select(Registration)).one()
        scores = dict.fromkeys(world["questions"], 3)
        feedback_service.submit(learning_session, registration, scores, "", datetime.now(UTC))
        with pytest.raises(feedback_service.AlreadyAnswered):
            feedback_service.submit(learning_session, registration, scores, "", datetime.now(UTC))
        db.session.commit()
    assert response_count(app) == 1


def test_a_double_post_at_the_same_instant_stores_one_response(database_url, tmp_path):
    """Two requests of one person at once, on each database: one 302, one 409, never a 500."""
    url = database_url
    if sa.make_url(url).get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp_path / 'double.sqlite'}"  # threads need a real file
    app = make_test_app(url)
    try:
        with app.app_context():
            _drop_everything()
            db.create_all()
            learning_session = add_session()
            questions = add_questions(learning_session.id)
            user = User(email="double@agency.go.th", display_name="สองครั้ง")
            db.session.add(user)
            db.session.flush()
            add_registration(learning_session.id, user.id)
            user_id = user.id
            db.session.commit()
        for _round in range(3):
            with app.app_context():
                db.session.execute(sa.delete(FeedbackResponse))
                db.session.commit()
            statuses = _post_at_once(app, user_id, answers(questions, 5, 4), 2)
            assert sorted(statuses) == [302, 409]
            assert response_count(app) == 1
    finally:
        with app.app_context():
            db.session.remove()
            _drop_everything()
            db.engine.dispose()


def _post_at_once(app: Flask, user_id: int, data: dict, n: int) -> list[int]:
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    clients = [app.test_client() for _ in range(n)]
    for client in clients:
        login(client, user_id)

    def post(client: FlaskClient) -> None:
        barrier.wait()
        statuses.append(client.post(FORM, data=data).status_code)

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


# --- results and export ------------------------------------------------------------------------


@pytest.fixture
def answered(app: Flask, world: dict, make_user) -> dict:
    """Six confirmed (four attended: door, online, both, door), one waitlisted; five answered:
    first question 5,4,4,2 + one who answered before the second question existed."""
    session_id = world["session_id"]
    first, second = world["questions"]
    now = datetime.now(UTC)
    people = [
        # (attended by door, online, scores, comment)
        (True, False, {first: 5, second: 3}, '=HYPERLINK("http://x")'),  # the world's attendee
        (False, True, {first: 4, second: 4}, "ชอบมาก"),
        (True, True, {first: 4, second: 5}, ""),
        (False, False, {first: 2, second: 1}, "เสียงไม่ชัด"),  # confirmed, not recorded
        (True, False, None, ""),  # attended, did not answer
    ]
    users = [make_user(f"p{n}@agency.go.th") for n in range(1, len(people))]
    waitlisted = make_user("w@agency.go.th")
    with app.app_context():
        regs = [db.session.scalars(sa.select(Registration)).one()]
        regs += [add_registration(session_id, user) for user in users]
        add_registration(session_id, waitlisted, RegistrationStatus.WAITLISTED)
        for minutes, (registration, (door, online, scores, comment)) in enumerate(
            zip(regs, people, strict=True)
        ):
            registration.checked_in_at = now if door else None
            registration.joined_online_at = now if online else None
            if scores is not None:
                db.session.add(
                    FeedbackResponse(
                        session_id=session_id,
                        registration_id=registration.id,
                        comment=comment,
                        created_at=now + timedelta(minutes=minutes),
                        answers=[FeedbackAnswer(question_id=q, score=s) for q, s in scores.items()],
                    )
                )
        db.session.commit()
    return world


def test_results_numbers_on_a_known_set(app, answered):
    with app.app_context():
        learning_session = db.session.get(LearningSession, answered["session_id"])
        rows = feedback_service.questions(learning_session.id)
        result = feedback_results.results(learning_session, rows)
    assert (result.confirmed, result.attended, result.responses) == (5, 4, 4)
    assert (result.from_confirmed, result.from_attendees, result.comment_count) == (4, 3, 3)
    assert result.rate_attended == pytest.approx(3 / 4)
    assert result.rate_confirmed == pytest.approx(4 / 5)
    first, second = result.questions
    assert first.counts == (0, 1, 0, 2, 1)
    assert first.average == pytest.approx(15 / 4)
    assert second.counts == (1, 0, 1, 1, 1)
    assert second.average == pytest.approx(13 / 4)
    assert [c.text for c in result.comments] == ["เสียงไม่ชัด", "ชอบมาก", '=HYPERLINK("http://x")']
    assert [c.attended for c in result.comments] == [False, True, True]


def test_attendance_follows_the_sessions_basis(app, answered):
    with app.app_context():
        learning_session = db.session.get(LearningSession, answered["session_id"])
        learning_session.attendance_basis = AttendanceBasis.ONLINE
        result = feedback_results.results(learning_session, [])
    assert (result.attended, result.from_attendees) == (2, 2)


def test_results_page_shows_rates_charts_and_comments(client, answered):
    login(client, answered["organiser"])
    page = client.get(TAB).get_data(as_text=True)
    assert "75%" in page  # 3 of 4 attendees
    assert "80%" in page  # 4 of 5 confirmed
    assert "Average 3.8 of 5 from 4 answers." in page
    assert 'id="question-chart-' in page
    assert "<svg" in page
    assert "ชอบมาก" in page
    assert "can be reworded, not removed" in page
    assert "p1@agency.go.th" not in page  # anonymous
    assert "<script" not in page.split("</header>", 1)[1].split("</main>")[0]


def test_csv_export_without_names_and_with_formulas_neutralised(client, answered):
    login(client, answered["organiser"])
    response = client.get(f"{TAB}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SLUG}-feedback.csv"'
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Answered on", "Attended", "1. Q1", "2. Q2", "Comment"]
    assert [row[1:] for row in rows[1:]] == [
        ["yes", "5", "3", '\'=HYPERLINK("http://x")'],
        ["yes", "4", "4", "ชอบมาก"],
        ["yes", "4", "5", ""],
        ["no", "2", "1", "เสียงไม่ชัด"],
    ]
    assert "agency.go.th" not in response.get_data(as_text=True)


def test_csv_in_thai(client, answered):
    login(client, answered["organiser"], lang="th")
    rows = list(csv.reader(io.StringIO(client.get(f"{TAB}.csv").data.decode("utf-8-sig"))))
    assert rows[0][2:4] == ["1. ข้อ 1", "2. ข้อ 2"]


def test_no_responses_yet_shows_the_address_to_share(client, world):
    login(client, world["organiser"])
    page = client.get(TAB).get_data(as_text=True)
    assert "No responses yet." in page
    assert f"http://localhost{FORM}" in page


# --- queries do not grow -----------------------------------------------------------------------


def test_results_page_queries_do_not_grow(app, client, answered, make_user, count_queries):
    login(client, answered["organiser"])
    few = count_queries(lambda: client.get(TAB))
    users = [make_user(f"more{n}@agency.go.th") for n in range(10)]
    with app.app_context():
        session_id = answered["session_id"]
        more = add_questions(session_id, 3)
        questions = feedback_service.questions(session_id)
        for n, user in enumerate(users):
            registration = add_registration(session_id, user)
            db.session.add(
                FeedbackResponse(
                    session_id=session_id,
                    registration_id=registration.id,
                    comment=f"ความเห็น {n}",
                    answers=[FeedbackAnswer(question_id=q.id, score=1 + n % 5) for q in questions],
                )
            )
        db.session.commit()
    assert more
    assert count_queries(lambda: client.get(TAB)) == few


def _add_responses(app: Flask, session_id: int, n: int, start: int) -> None:
    with app.app_context():
        questions = feedback_service.questions(session_id)
        for k in range(start, start + n):
            user = User(email=f"x{k}@agency.go.th", display_name="x")
            db.session.add(user)
            db.session.flush()
            registration = add_registration(session_id, user.id)
            db.session.add(
                FeedbackResponse(
                    session_id=session_id,
                    registration_id=registration.id,
                    answers=[FeedbackAnswer(question_id=q.id, score=3) for q in questions],
                )
            )
        db.session.commit()


def test_form_and_export_queries_do_not_grow(app, client, world, count_queries):
    login(client, world["attendee"])
    few = count_queries(lambda: client.get(FORM))
    with app.app_context():
        add_questions(world["session_id"], 8)
        db.session.commit()
    assert count_queries(lambda: client.get(FORM)) == few
    login(client, world["organiser"])
    _add_responses(app, world["session_id"], 1, 0)
    export = count_queries(lambda: client.get(f"{TAB}.csv"))
    _add_responses(app, world["session_id"], 10, 1)
    assert count_queries(lambda: client.get(f"{TAB}.csv")) == export
