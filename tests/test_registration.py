"""Registering: one click, guests by e-mail link, capacity and waitlist, cancelling, join link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exchange.db import db, utcnow
from exchange.models import (
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
    User,
)
from exchange.services import registration as service
from tests.conftest import login_as

JOIN = "https://meet.example.org/secret-room"


def statuses(app, session_id: int) -> dict[int, RegistrationStatus]:
    with app.app_context():
        rows = db.session.execute(
            select(Registration.user_id, Registration.status).filter_by(session_id=session_id)
        )
        return dict(rows.all())


def register(client, user_id: int, slug: str):
    login_as(client, user_id)
    return client.post(f"/sessions/{slug}/register", follow_redirects=True)


def test_one_click_registration_confirms_and_queues_an_email(
    app, client, make_user, make_session, outbox
):
    session_id = make_session(slug="s", capacity=10)
    user_id = make_user("a@agency.go.th")
    response = register(client, user_id, "s")
    assert "ที่นั่งของคุณได้รับการยืนยันแล้ว" in response.get_data(as_text=True)
    assert statuses(app, session_id) == {user_id: RegistrationStatus.CONFIRMED}
    [(to, subject, _body)] = outbox()
    assert to == "a@agency.go.th"
    assert "การประชุม" in subject  # the session's Thai title, in the participant's language


def test_registering_twice_changes_nothing(app, client, make_user, make_session, outbox):
    session_id = make_session(slug="s")
    user_id = make_user()
    register(client, user_id, "s")
    register(client, user_id, "s")
    assert statuses(app, session_id) == {user_id: RegistrationStatus.CONFIRMED}
    assert len(outbox()) == 1


def test_capacity_then_waitlist_in_order(app, client, make_user, make_session):
    session_id = make_session(slug="s", capacity=2)
    ids = [make_user() for _ in range(4)]
    for user_id in ids:
        register(client, user_id, "s")
    assert statuses(app, session_id) == {
        ids[0]: RegistrationStatus.CONFIRMED,
        ids[1]: RegistrationStatus.CONFIRMED,
        ids[2]: RegistrationStatus.WAITLISTED,
        ids[3]: RegistrationStatus.WAITLISTED,
    }
    login_as(client, ids[3])
    page = client.get("/sessions/s?lang=en").get_data(as_text=True)
    assert "number 2 in line" in page
    with app.app_context():
        registrations = db.session.scalars(select(Registration).order_by(Registration.id)).all()
        assert [service.waitlist_place(r) for r in registrations] == [None, None, 1, 2]
        assert service.waitlist_places(registrations) == {
            registrations[2].id: 1,
            registrations[3].id: 2,
        }


def test_cancelling_a_seat_promotes_the_first_waitlisted_and_tells_them(
    app, client, make_user, make_session, outbox
):
    session_id = make_session(slug="s", capacity=1)
    first, second, third = make_user(), make_user(), make_user("third@agency.go.th")
    for user_id in (first, second, third):
        register(client, user_id, "s")
    login_as(client, first)
    client.post("/sessions/s/cancel")
    assert statuses(app, session_id) == {
        first: RegistrationStatus.CANCELLED,
        second: RegistrationStatus.CONFIRMED,
        third: RegistrationStatus.WAITLISTED,
    }
    subjects = [subject for _, subject, _ in outbox()]
    assert any(subject.startswith("ที่นั่งเป็นของคุณแล้ว") for subject in subjects)
    login_as(client, third)
    assert "ลำดับที่ 1" in client.get("/sessions/s").get_data(as_text=True)


def test_cancelling_a_waitlist_place_promotes_nobody(app, client, make_user, make_session):
    session_id = make_session(slug="s", capacity=1)
    first, second = make_user(), make_user()
    register(client, first, "s")
    register(client, second, "s")
    login_as(client, second)
    client.post("/sessions/s/cancel")
    assert statuses(app, session_id) == {
        first: RegistrationStatus.CONFIRMED,
        second: RegistrationStatus.CANCELLED,
    }


def test_registering_again_after_cancelling_goes_to_the_end_of_the_line(
    app, client, make_user, make_session
):
    session_id = make_session(slug="s", capacity=1)
    a, b, c = make_user(), make_user(), make_user()
    for user_id in (a, b, c):
        register(client, user_id, "s")
    login_as(client, b)
    client.post("/sessions/s/cancel")
    register(client, b, "s")
    with app.app_context():
        places = {
            r.user_id: service.waitlist_place(r)
            for r in db.session.scalars(select(Registration).filter_by(session_id=session_id))
        }
    assert places == {a: None, b: 2, c: 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": SessionStatus.CANCELLED}, "This session has been cancelled."),
        ({"days": -2}, "This session has already taken place."),
        ({"registration_opens_at": "future"}, "Registration has not opened yet."),
        ({"registration_closes_at": "past"}, "Registration has closed."),
    ],
)
def test_no_registration_outside_the_rules(app, client, make_user, make_session, fields, message):
    now = utcnow()
    values = {
        "future": now + timedelta(hours=3),
        "past": now - timedelta(hours=3),
    }
    fields = {k: values.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    if "registration_closes_at" in fields:
        fields["registration_opens_at"] = now - timedelta(days=2)
    session_id = make_session(slug="s", **fields)
    user_id = make_user(locale="en")
    login_as(client, user_id)
    response = client.post("/sessions/s/register?lang=en", follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert statuses(app, session_id) == {}


def test_draft_sessions_take_no_registrations(app, client, make_user, make_session):
    session_id = make_session(slug="s", status=SessionStatus.DRAFT)
    login_as(client, make_user())
    assert client.post("/sessions/s/register").status_code == 404
    assert statuses(app, session_id) == {}


def test_unknown_session_is_404(client, make_user):
    login_as(client, make_user())
    assert client.post("/sessions/nope/register").status_code == 404
    assert client.post("/sessions/nope/cancel").status_code == 404
    assert client.post("/sessions/nope/register/guest", data={}).status_code == 404


def test_anonymous_register_goes_to_login_and_comes_back_registered(
    app, client, make_user, make_session
):
    session_id = make_session(slug="s")
    user_id = make_user("a@agency.go.th")
    response = client.post("/sessions/s/register")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/auth/login?")
    assert "register=s" in login_url
    response = client.post(login_url, data={"email": "a@agency.go.th", "password": "correct horse"})
    assert response.headers["Location"] == "/sessions/s"
    assert statuses(app, session_id) == {user_id: RegistrationStatus.CONFIRMED}


def test_signup_from_a_session_comes_back_registered(app, client, make_session, outbox):
    session_id = make_session(slug="s")
    client.post(
        "/auth/signup?next=/sessions/s&register=s",
        data={
            "display_name": "New",
            "email": "new@agency.go.th",
            "password": "long enough pw",
            "confirm": "long enough pw",
            "agency": "",
        },
    )
    assert statuses(app, session_id) == {}  # the account waits for the e-mailed link
    body = outbox()[-1][2]
    link = re.search(r"http://localhost(/auth/signup/confirm/\S+)", body).group(1)
    response = client.post(link)
    assert response.headers["Location"] == "/sessions/s"
    assert list(statuses(app, session_id).values()) == [RegistrationStatus.CONFIRMED]


def _confirm_link(outbox) -> str:
    body = outbox()[-1][2]
    return re.search(r"http://localhost(/auth/confirm/\S+)", body).group(1)


GUEST = {"display_name": "แขก ผู้สนใจ", "email": "Guest@Agency.go.th", "agency": "1"}


def test_guest_registration_is_held_until_the_emailed_link_is_followed(
    app, client, make_session, outbox
):
    session_id = make_session(slug="s", capacity=5)
    response = client.post("/sessions/s/register/guest", data=GUEST, follow_redirects=True)
    assert "guest@agency.go.th" in response.get_data(as_text=True)
    [status] = statuses(app, session_id).values()
    assert status is RegistrationStatus.PENDING
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.password_hash, user.agency_id) == ("guest@agency.go.th", None, 1)
    link = _confirm_link(outbox)
    page = client.get(link)
    assert page.status_code == 200  # a button: mail scanners open links, only a click confirms
    assert list(statuses(app, session_id).values()) == [RegistrationStatus.PENDING]
    response = client.post(link)
    assert response.headers["Location"] == "/sessions/s"
    assert list(statuses(app, session_id).values()) == [RegistrationStatus.CONFIRMED]
    assert client.get("/me").status_code == 200  # signed in by the link
    again = client.post(link)
    assert again.status_code == 400
    assert "ลิงก์นี้ถูกใช้ไปแล้ว" in again.get_data(as_text=True)
    assert list(statuses(app, session_id).values()) == [RegistrationStatus.CONFIRMED]


def test_guest_with_an_existing_account_gets_the_same_answer(
    app, client, make_user, make_session, outbox
):
    make_session(slug="s")
    make_user("guest@agency.go.th", name="Original Name")
    response = client.post("/sessions/s/register/guest", data=GUEST, follow_redirects=True)
    assert "guest@agency.go.th" in response.get_data(as_text=True)
    with app.app_context():
        [user] = db.session.scalars(select(User)).all()
        assert user.display_name == "Original Name"  # a guest form never edits an account
    assert len(outbox()) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "nope"}, "Enter a valid e-mail address"),
        ({"display_name": ""}, "Enter your name"),
        ({"agency": "999"}, "Not a valid choice"),
    ],
)
def test_guest_form_bad_input(app, client, make_session, change, message):
    session_id = make_session(slug="s")
    response = client.post("/sessions/s/register/guest?lang=en", data={**GUEST, **change})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert statuses(app, session_id) == {}


def test_guest_link_confirms_into_the_waitlist_when_full(
    app, client, make_user, make_session, outbox
):
    session_id = make_session(slug="s", capacity=1)
    client.post("/sessions/s/register/guest", data=GUEST)
    link = _confirm_link(outbox)
    register(client, make_user(), "s")  # takes the last seat meanwhile
    client.post("/auth/logout")
    client.post(link)
    assert sorted(statuses(app, session_id).values()) == sorted(
        [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    )


def test_join_link_only_for_confirmed_registrants_and_organisers(
    app, client, make_user, make_session
):
    session_id = make_session(slug="s", capacity=1, join_url=JOIN, platform="Zoom")
    assert JOIN not in client.get("/sessions/s").get_data(as_text=True)  # anonymous
    confirmed, waitlisted, bystander = make_user(), make_user(), make_user()
    register(client, confirmed, "s")
    register(client, waitlisted, "s")
    with app.app_context():
        organiser_agency = db.session.get(LearningSession, session_id).organiser_id
    own_organiser = make_user(role="organiser", agency_id=organiser_agency)
    other_organiser = make_user(role="organiser", agency_id=None)
    admin = make_user(role="admin")
    # A confirmed registrant gets their personal link (/j/<token>); organisers the platform's.
    for user_id, sees, personal in [
        (confirmed, False, True),
        (waitlisted, False, False),
        (bystander, False, False),
        (own_organiser, True, False),
        (other_organiser, False, False),
        (admin, True, False),
    ]:
        login_as(client, user_id)
        page = client.get("/sessions/s").get_data(as_text=True)
        assert (JOIN in page) is sees, user_id
        assert ("/j/" in page) is personal, user_id
        assert JOIN not in client.get("/sessions").get_data(as_text=True)
        assert JOIN not in client.get("/").get_data(as_text=True)
    with app.app_context():
        token = db.session.scalar(select(Registration.join_token).filter_by(user_id=confirmed))
    login_as(client, confirmed)
    assert f"/j/{token}" in client.get("/sessions/s").get_data(as_text=True)


def test_confirmation_email_carries_the_join_link_only_with_a_seat(
    app, client, make_user, make_session, outbox
):
    make_session(slug="s", capacity=1, join_url=JOIN)
    register(client, make_user("a@agency.go.th"), "s")
    register(client, make_user("b@agency.go.th"), "s")
    bodies = {to: body for to, _, body in outbox()}
    with app.app_context():
        token = db.session.scalar(
            select(Registration.join_token)
            .join(Registration.user)
            .filter_by(email="a@agency.go.th")
        )
    assert f"http://localhost/j/{token}" in bodies["a@agency.go.th"]  # the personal link ...
    assert JOIN not in bodies["a@agency.go.th"]  # ... never the platform's own
    assert "/j/" not in bodies["b@agency.go.th"]
    assert JOIN not in bodies["b@agency.go.th"]


def test_my_sessions_lists_upcoming_and_past_and_can_cancel(app, client, make_user, make_session):
    upcoming = make_session(slug="soon", title_en="Coming soon", capacity=1)
    make_session(slug="over", title_en="Already over", days=5)
    user_id = make_user()
    other = make_user()
    register(client, other, "soon")
    register(client, user_id, "soon")  # waitlisted
    register(client, user_id, "over")
    with app.app_context():  # move "over" into the past
        past = db.session.scalar(select(LearningSession).filter_by(slug="over"))
        past.starts_at, past.ends_at = (
            utcnow() - timedelta(days=3),
            utcnow() - timedelta(days=3, hours=-2),
        )
        db.session.commit()
    page = client.get("/me?lang=en").get_data(as_text=True)
    assert page.index("Coming soon") < page.index("Already over")
    assert "number 1 in line" in page
    client.post("/sessions/soon/cancel", data={"next": "/me"})
    assert statuses(app, upcoming)[user_id] is RegistrationStatus.CANCELLED


def test_my_sessions_query_count_does_not_grow(client, make_user, make_session, count_queries):
    user_id = make_user()
    make_session(slug="first", capacity=0)
    register(client, user_id, "first")
    client.get("/me")  # the first visit also makes the personal calendar's token
    few = count_queries(lambda: client.get("/me"))
    for n in range(8):
        make_session(slug=f"more-{n}", capacity=0 if n % 2 else None)
        register(client, user_id, f"more-{n}")
    assert count_queries(lambda: client.get("/me")) == few


def test_capacity_cannot_go_below_the_confirmed_count(app, client, make_user, make_session):
    session_id = make_session(slug="s", capacity=3)
    for _ in range(2):
        register(client, make_user(), "s")
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        with pytest.raises(service.RegistrationError, match="2"):
            service.set_capacity(learning_session, 1, utcnow())
        db.session.rollback()
    with app.app_context():
        assert db.session.get(LearningSession, session_id).capacity == 3


def test_more_capacity_promotes_the_waitlist(app, client, make_user, make_session):
    session_id = make_session(slug="s", capacity=1)
    ids = [make_user() for _ in range(3)]
    for user_id in ids:
        register(client, user_id, "s")
    with app.test_request_context():
        service.set_capacity(db.session.get(LearningSession, session_id), 2, utcnow())
        db.session.commit()
    assert statuses(app, session_id)[ids[1]] is RegistrationStatus.CONFIRMED
    assert statuses(app, session_id)[ids[2]] is RegistrationStatus.WAITLISTED
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Registration))
        assert total == 3
