"""Personal join links (/j/<token>): where each case leads, online attendance, and the places
that give a registrant their link instead of the platform's."""

from __future__ import annotations

import csv
import io
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from exchange.db import db, utcnow
from exchange.models import (
    LearningSession,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SessionStatus,
    User,
    UserRole,
)
from exchange.services import schedule
from exchange.services.accounts import create_user
from exchange.services.registration import register as register_service
from tests.conftest import DATABASES, built_app, login_as

JOIN = "https://meet.example.org/room-7"
NEW_JOIN = "https://meet.example.org/room-8"
NO_STORE = "private, no-store"


def register(client, user_id: int, slug: str) -> None:
    login_as(client, user_id)
    client.post(f"/sessions/{slug}/register")
    client.post("/auth/logout")


def registration_of(app: Flask, user_id: int) -> Registration:
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration).filter_by(user_id=user_id))
        db.session.expunge(registration)
        return registration


def move(app: Flask, session_id: int, starts_in: timedelta, hours: float = 2) -> None:
    """Put the session's start *starts_in* from now (negative: it has begun)."""
    with app.app_context():
        learning_session = db.session.get(LearningSession, session_id)
        learning_session.starts_at = utcnow() + starts_in
        learning_session.ends_at = learning_session.starts_at + timedelta(hours=hours)
        db.session.commit()


@pytest.fixture
def seat(app, client, make_session, make_user):
    """A confirmed registrant of an online session tomorrow; returns (session id, user id,
    the path of their personal link)."""
    session_id = make_session(slug="s", join_url=JOIN, platform="Zoom", capacity=1)
    user_id = make_user("seat@agency.go.th", locale="en")
    register(client, user_id, "s")
    token = registration_of(app, user_id).join_token
    assert token
    return session_id, user_id, f"/j/{token}"


def attendance(app: Flask, user_id: int) -> tuple[datetime | None, datetime | None, int]:
    registration = registration_of(app, user_id)
    return registration.joined_online_at, registration.last_joined_at, registration.join_count


def assert_private(response) -> None:
    assert response.headers["Cache-Control"] == NO_STORE
    assert response.headers["Referrer-Policy"] == "no-referrer"


# -- where the link leads -----------------------------------------------------------------------


def test_before_the_window_it_redirects_but_records_nothing(app, client, seat):
    _, user_id, link = seat  # the session starts tomorrow
    response = client.get(link)
    assert response.status_code == 303
    assert response.headers["Location"] == JOIN
    assert_private(response)
    assert attendance(app, user_id) == (None, None, 0)


def test_during_the_window_it_redirects_and_records_attendance(app, client, seat):
    session_id, user_id, link = seat
    move(app, session_id, timedelta(minutes=-30))  # began half an hour ago
    before = utcnow()
    response = client.get(link)
    assert response.status_code == 303
    assert response.headers["Location"] == JOIN
    assert_private(response)
    first, last, count = attendance(app, user_id)
    assert first is not None
    assert first >= before.replace(microsecond=0)
    assert (last, count) == (first, 1)
    client.get(link)
    again_first, again_last, again_count = attendance(app, user_id)
    assert again_first == first  # the first time stays
    assert again_last >= last
    assert again_count == 2


def test_the_window_opens_join_opens_minutes_before_the_start(app, client, seat):
    session_id, user_id, link = seat
    move(app, session_id, timedelta(minutes=20))  # default: opens 30 minutes before
    client.get(link)
    assert attendance(app, user_id)[2] == 1
    app.config["JOIN_OPENS_MINUTES"] = 10
    assert client.get(link).status_code == 303  # still sent there ...
    assert attendance(app, user_id)[2] == 1  # ... but not counted


def test_a_head_request_is_not_counted(app, client, seat):
    session_id, user_id, link = seat
    move(app, session_id, timedelta(minutes=-5))
    assert client.head(link).status_code == 303
    assert attendance(app, user_id) == (None, None, 0)


def test_after_the_end_it_points_to_the_session_page(app, client, seat):
    session_id, user_id, link = seat
    move(app, session_id, timedelta(hours=-3))  # ended an hour ago
    response = client.get(link + "?lang=en")
    assert response.status_code == 200
    assert_private(response)
    assert "This session has ended" in response.text
    assert 'href="/sessions/s"' in response.text
    assert JOIN not in response.text
    assert attendance(app, user_id) == (None, None, 0)


def test_the_organiser_can_change_the_link_without_re_sending(app, client, seat):
    session_id, _, link = seat
    with app.app_context():
        sent = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        assert schedule.update_session(learning_session, utcnow(), join_url=NEW_JOIN) == {
            "join_url"
        }
        db.session.commit()
    assert client.get(link).headers["Location"] == NEW_JOIN
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == sent
        assert db.session.get(LearningSession, session_id).ical_sequence == 0


def test_no_platform_link_yet(app, client, make_session, make_user):
    session_id = make_session(slug="s", join_url="")
    user_id = make_user(locale="en")
    register(client, user_id, "s")
    link = f"/j/{registration_of(app, user_id).join_token}"
    response = client.get(link + "?lang=en")
    assert response.status_code == 200
    assert_private(response)
    assert "The link to join is not ready yet" in response.text
    with app.app_context():  # the organiser adds it later: the same link now leads there
        db.session.get(LearningSession, session_id).join_url = JOIN
        db.session.commit()
    assert client.get(link).headers["Location"] == JOIN


def test_an_unsafe_platform_link_is_never_followed(app, client, seat):
    session_id, _, link = seat
    with app.app_context():  # data that bypassed the form's checks
        db.session.get(LearningSession, session_id).join_url = "javascript:alert(1)"
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 200
    assert "javascript:" not in response.text


@pytest.mark.parametrize("token", ["nope", "x" * 32, "a" * 300])
def test_an_unknown_token_gets_a_friendly_page(client, seat, token):
    response = client.get(f"/j/{token}?lang=en")
    assert response.status_code == 404
    assert_private(response)
    assert "This join link does not work" in response.text
    assert JOIN not in response.text


def test_a_cancelled_registration_gets_no_link(app, client, seat):
    _, user_id, link = seat
    login_as(client, user_id)
    client.post("/sessions/s/cancel")
    response = client.get(link + "?lang=en")
    assert response.status_code == 403
    assert_private(response)
    assert "Your registration is cancelled" in response.text
    assert JOIN not in response.text


def _with_token(app: Flask, registration_id: int) -> str:
    """Give a registration a token directly (only confirmed ones are given one)."""
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        registration.join_token = f"tok{registration_id}" + "x" * 20
        db.session.commit()
        return f"/j/{registration.join_token}"


def test_a_waitlisted_registrant_sees_their_place(app, client, seat, make_user):
    waiting = make_user(locale="en")
    register(client, waiting, "s")  # the only seat is taken
    registration = registration_of(app, waiting)
    assert registration.status is RegistrationStatus.WAITLISTED
    assert registration.join_token is None  # no link is given without a seat
    response = client.get(_with_token(app, registration.id) + "?lang=en")
    assert response.status_code == 403
    assert "You are on the waitlist" in response.text
    assert "number 1 in line" in response.text
    assert JOIN not in response.text


def test_a_pending_registration_gets_no_link(app, client, make_session, make_user):
    session_id = make_session(slug="s", join_url=JOIN)
    user_id = make_user()
    with app.test_request_context():
        registration = register_service(
            db.session.get(LearningSession, session_id),
            db.session.get(User, user_id),
            utcnow(),
            pending=True,
        )
        db.session.commit()
        registration_id = registration.id
    response = client.get(_with_token(app, registration_id) + "?lang=en")
    assert response.status_code == 403
    assert "Your registration is not confirmed yet" in response.text
    assert JOIN not in response.text


def test_a_cancelled_session_gets_no_link(app, client, seat):
    session_id, user_id, link = seat
    move(app, session_id, timedelta(minutes=-5))
    with app.test_request_context():
        schedule.cancel_session(db.session.get(LearningSession, session_id), utcnow())
        db.session.commit()
    response = client.get(link + "?lang=en")
    assert response.status_code == 410
    assert "This session has been cancelled" in response.text
    assert JOIN not in response.text
    assert attendance(app, user_id) == (None, None, 0)


def test_a_session_taken_back_to_draft_gets_no_link(app, client, seat):
    session_id, _, link = seat
    with app.app_context():
        db.session.get(LearningSession, session_id).status = SessionStatus.DRAFT
        db.session.commit()
    response = client.get(link + "?lang=en")
    assert response.status_code == 404
    assert "This session is not available" in response.text
    assert JOIN not in response.text


def test_the_page_is_in_thai_by_default(client, seat):
    response = client.get("/j/nope")
    assert "ลิงก์" in response.text
    assert "This join link" not in response.text


# -- where the link is given --------------------------------------------------------------------


def test_the_seat_email_has_the_personal_link_and_not_the_platforms(app, outbox, seat):
    _, _, link = seat
    [(_, _, body)] = outbox()
    assert f"http://localhost{link}" in body
    assert JOIN not in body
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage))
        assert f"http://localhost{link}" in message.body_html
        assert JOIN not in message.body_html
        assert JOIN not in message.ics.replace("\r\n ", "")


def test_my_sessions_has_the_personal_link(app, client, seat):
    _, user_id, link = seat
    login_as(client, user_id)
    page = client.get("/me").text
    assert link in page
    assert JOIN not in page


def test_the_personal_feed_has_the_personal_link(app, client, seat):
    _, user_id, link = seat
    login_as(client, user_id)
    client.get("/me")  # makes the feed's token
    with app.app_context():
        feed_token = db.session.get(User, user_id).calendar_token
    feed = client.get(f"/me/calendar/{feed_token}.ics").data.replace(b"\r\n ", b"").decode()
    assert f"http://localhost{link}" in feed
    assert JOIN not in feed


def test_a_registration_from_before_personal_links_gets_one_that_stays(app, client, seat):
    _, user_id, _ = seat
    with app.app_context():  # as if registered before the feature
        db.session.execute(sa.update(Registration).values(join_token=None))
        db.session.commit()
    login_as(client, user_id)
    client.get("/me")
    token = registration_of(app, user_id).join_token
    assert token  # made and committed
    assert f"/j/{token}" in client.get("/me").text  # the same one next time
    assert f"/j/{token}" in client.get("/sessions/s").text
    assert registration_of(app, user_id).join_token == token


def test_the_organiser_sees_the_platform_link(app, client, seat):
    session_id, _, _ = seat
    with app.app_context():
        agency_id = db.session.get(LearningSession, session_id).organiser_id
        organiser = create_user("o@agency.go.th", "Olga", agency_id=agency_id)
        organiser.role = UserRole.ORGANISER
        db.session.commit()
        organiser_id = organiser.id
    login_as(client, organiser_id)
    page = client.get("/sessions/s").text
    assert JOIN in page
    assert "/j/" not in page


# -- what organisers see ------------------------------------------------------------------------


def _organiser(app: Flask, session_id: int) -> int:
    with app.app_context():
        agency_id = db.session.get(LearningSession, session_id).organiser_id
        user = create_user("org@agency.go.th", "Olga", agency_id=agency_id, role=UserRole.ORGANISER)
        db.session.commit()
        return user.id


def test_the_registrations_page_shows_who_joined_online(app, client, seat):
    session_id, _, link = seat
    move(app, session_id, timedelta(minutes=-10))
    client.get(link)
    client.get(link)
    login_as(client, _organiser(app, session_id))
    page = client.get("/manage/sessions/s/registrations?lang=en").text
    assert "Joined online" in page
    assert "2 times, last at" in page
    assert 'class="roster__online"' in page
    rows = list(csv.reader(io.StringIO(client.get("/manage/sessions/s/registrations.csv?lang=en")
                                       .data.decode("utf-8-sig"))))  # fmt: skip
    header, [row] = rows[0], rows[1:]
    assert header[-3:] == ["Joined online at", "Last joined online at", "Times joined online"]
    first, last, count = row[-3:]
    assert datetime.fromisoformat(first).utcoffset() == timedelta(hours=7)
    assert datetime.fromisoformat(last) >= datetime.fromisoformat(first)
    assert count == "2"


def test_the_online_count_is_shown(app, client, seat, make_user):
    session_id, _, link = seat
    move(app, session_id, timedelta(minutes=-10))
    client.get(link)
    login_as(client, _organiser(app, session_id))
    page = client.get("/manage/sessions/s/registrations?lang=en").text
    label = page.index("<dt>Joined online</dt>")
    assert page[label:].split("<dd>", 1)[1].startswith("1<")


def test_registrations_page_query_count_does_not_grow_with_online_attendees(
    app, client, seat, make_user, count_queries
):
    session_id, _, link = seat
    move(app, session_id, timedelta(minutes=-10))
    client.get(link)
    login_as(client, _organiser(app, session_id))
    url = "/manage/sessions/s/registrations"
    few = count_queries(lambda: client.get(url))
    with app.app_context():
        db.session.get(LearningSession, session_id).capacity = None
        for n in range(8):
            user = create_user(f"many{n}@agency.go.th", f"Many {n}")
            db.session.add(
                Registration(
                    session_id=session_id,
                    user_id=user.id,
                    status=RegistrationStatus.CONFIRMED,
                    joined_online_at=utcnow(),
                    last_joined_at=utcnow(),
                    join_count=n + 1,
                )
            )
        db.session.commit()
    assert count_queries(lambda: client.get(url)) == few


def test_following_a_link_query_count_is_small(app, client, seat, count_queries):
    session_id, _, link = seat
    move(app, session_id, timedelta(minutes=-10))
    # (BEGIN,) read, (BEGIN,) update, the data version raised (exchange/page_cache.py)
    assert count_queries(lambda: client.get(link)) <= 5


# -- two clicks at once -------------------------------------------------------------------------


@pytest.fixture(params=list(DATABASES))
def served_app(request, tmp_path):
    """An app whose connections are really separate: a file for SQLite (the in-memory one
    shares a single connection), the test database for PostgreSQL."""
    url = DATABASES[request.param]
    if url == "sqlite://":
        url = f"sqlite:///{tmp_path / 'join.sqlite'}"
    with built_app(url) as app:
        yield app


def test_simultaneous_clicks_are_all_counted(served_app):
    app = served_app
    start = utcnow() - timedelta(minutes=5)
    with app.test_request_context():
        learning_session = LearningSession(
            slug="live",
            title_th="สด",
            status=SessionStatus.PUBLISHED,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            join_url=JOIN,
        )
        user = create_user("live@agency.go.th", "Live")
        db.session.add(learning_session)
        db.session.flush()
        registration = Registration(
            session_id=learning_session.id,
            user_id=user.id,
            status=RegistrationStatus.CONFIRMED,
            join_token="simultaneous-clicks-token",
        )
        db.session.add(registration)
        db.session.commit()
        registration_id = registration.id
    clicks = 8
    barrier = threading.Barrier(clicks)
    answers: list[int] = []

    def click() -> None:
        client = app.test_client()  # its own request, app context and connection
        barrier.wait()
        answers.append(client.get("/j/simultaneous-clicks-token").status_code)

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303] * clicks
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        assert registration.join_count == clicks
        assert registration.joined_online_at is not None
        assert registration.last_joined_at >= registration.joined_online_at
