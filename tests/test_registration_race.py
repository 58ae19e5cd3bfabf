"""Seats under real concurrency: simultaneous requests to gunicorn workers, on each database.

200 users register at the same instant for a 50-seat session served by 4 gunicorn workers:
exactly 50 get a seat and 150 a distinct place in line, nobody twice, no request fails. The
race runs once per database (module-scoped fixtures); each test checks one outcome of it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from exchange.db import db
from exchange.models import (
    LearningSession,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from exchange.services.accounts import create_user
from exchange.services.registration import waitlist_places
from tests.conftest import DATABASES, _drop_everything, make_test_app
from tests.served import Server, serve

SECRET_KEY = "race-test-secret"
SLUG = "race"
CAPACITY = 50
USERS = 200
WORKERS = 4
DOUBLE_CLICKERS = 20


@dataclass(frozen=True)
class Race:
    """The database the served app uses, an app on it for this process, who takes part."""

    url: str
    app: Flask
    session_id: int
    user_ids: list[int]
    folder: Path

    def cookie(self, user_id: int) -> str:
        """The session cookie Flask-Login writes at login (English pages), signed alike."""
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        assert serializer is not None
        return serializer.dumps({"_user_id": str(user_id), "_fresh": True, "lang": "en"})

    def flashes(self, cookie: str | None) -> list[str]:
        """The messages a response's session cookie carries to the next page."""
        if cookie is None:
            return []
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        assert serializer is not None
        return [message for _category, message in serializer.loads(cookie).get("_flashes", [])]


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    session_cookie: str | None


@pytest.fixture(scope="module", params=list(DATABASES))
def race(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Race]:
    """A published 50-seat session tomorrow and 200 users, committed; all dropped after."""
    folder = tmp_path_factory.mktemp(f"race-{request.param}")
    url = DATABASES[request.param]
    if sa.make_url(url).get_backend_name() == "sqlite":
        url = f"sqlite:///{folder / 'race.sqlite'}"  # a file: every worker opens it
    app = make_test_app(url, SECRET_KEY=SECRET_KEY)
    try:
        with app.app_context():
            _drop_everything()  # the PostgreSQL test database is shared between runs
            db.create_all()
            race = Race(url, app, *add_session_and_users(), folder)
            db.session.remove()
        yield race
    finally:
        with app.app_context():
            db.session.remove()
            try:
                _drop_everything()
            finally:
                db.engine.dispose()  # close the pool now, not at garbage collection


@pytest.fixture(scope="module")
def server(race: Race) -> Iterator[Server]:
    """The app under gunicorn, 4 sync workers, on the race's database (stopped after)."""
    env = {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": race.url,
        "EXCHANGE_INSTANCE_PATH": str(race.folder / "instance"),  # not the developer's config
        "FLASK_WTF_CSRF_ENABLED": "false",
        "FLASK_RATELIMIT_ENABLED": "false",
        "FLASK_SESSION_COOKIE_SECURE": "false",  # plain http on loopback
        "PYTHAINLP_OFFLINE": "1",
        "PYTHAINLP_READ_ONLY": "1",
    }
    with serve(env, race.folder / "gunicorn.log", workers=WORKERS) as server:
        yield server


@pytest.fixture(scope="module")
def first_wave(race: Race, server: Server) -> dict[int, Answer | BaseException]:
    """Every user's answer to registering, all 200 requests sent at the same instant."""
    answers = post_all(server, [race.cookie(user_id) for user_id in race.user_ids])
    return dict(zip(race.user_ids, answers, strict=True))


def test_every_simultaneous_request_is_redirected_to_the_session(
    first_wave: dict[int, Answer | BaseException], server: Server
) -> None:
    assert_all_redirected(list(first_wave.values()), server)


def test_exactly_the_capacity_gets_seats_and_everyone_else_a_distinct_place(
    race: Race, first_wave: dict[int, Answer | BaseException]
) -> None:
    with race.app.app_context():  # a fresh context: only what the workers committed
        registrations = list(
            db.session.scalars(sa.select(Registration).filter_by(session_id=race.session_id))
        )
        places = waitlist_places(registrations)
        db.session.remove()
    assert sorted(r.user_id for r in registrations) == sorted(race.user_ids)  # one each
    assert Counter(r.status for r in registrations) == {
        RegistrationStatus.CONFIRMED: CAPACITY,
        RegistrationStatus.WAITLISTED: USERS - CAPACITY,
    }
    assert sorted(places.values()) == list(range(1, USERS - CAPACITY + 1))


def test_each_registrant_is_told_their_real_place_in_line(
    race: Race, first_wave: dict[int, Answer | BaseException]
) -> None:
    """The number on the page after the click is the place the line gives them in the end."""
    with race.app.app_context():
        registrations = list(
            db.session.scalars(sa.select(Registration).filter_by(session_id=race.session_id))
        )
        places = waitlist_places(registrations)
        db.session.remove()
    real = {r.user_id: places.get(r.id) for r in registrations}
    told = {}
    for user_id, answer in first_wave.items():
        assert isinstance(answer, Answer), answer
        [message] = race.flashes(answer.session_cookie)
        numbers = [int(number) for number in re.findall(r"\d+", message)]
        assert len(numbers) <= 1, message
        told[user_id] = numbers[0] if numbers else None  # a seat: no number
    wrong = {
        user_id: (told[user_id], place) for user_id, place in real.items() if told[user_id] != place
    }
    assert not wrong, f"{len(wrong)} told a wrong place, (told, real): {sorted(wrong.values())}"


def test_clicking_twice_at_once_changes_nothing(
    race: Race, server: Server, first_wave: dict[int, Answer | BaseException]
) -> None:
    """20 registered users each send two simultaneous requests: 40 at the same instant."""
    with race.app.app_context():
        before = snapshot(race.session_id)
        clickers = [  # people with a seat and people in line
            *user_ids(race.session_id, RegistrationStatus.CONFIRMED)[: DOUBLE_CLICKERS // 2],
            *user_ids(race.session_id, RegistrationStatus.WAITLISTED)[-DOUBLE_CLICKERS // 2 :],
        ]
        db.session.remove()
    answers = post_all(server, [race.cookie(user_id) for user_id in clickers for _ in range(2)])

    assert_all_redirected(answers, server)
    with race.app.app_context():
        assert snapshot(race.session_id) == before
        db.session.remove()


def post_all(
    server: Server, cookies: list[str], action: str = "register"
) -> list[Answer | BaseException]:
    """POST the registration (or *action*) once per cookie, all released at the same instant."""
    path = f"/sessions/{SLUG}/{action}"
    start = threading.Barrier(len(cookies))
    answers: list[Answer | BaseException] = [RuntimeError("no answer")] * len(cookies)

    def post(index: int, cookie: str) -> None:
        connection = server.connection(timeout=60)
        try:
            connection.connect()  # the handshake before the barrier: only the request is left
            start.wait(timeout=60)
            connection.request("POST", path, headers={"Cookie": f"session={cookie}"})
            response = connection.getresponse()
            response.read()
            jar: SimpleCookie = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            answers[index] = Answer(
                response.status,
                response.getheader("Location", ""),
                jar["session"].value if "session" in jar else None,
            )
        except BaseException as exc:  # reported by the assertions, not lost in the thread
            answers[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(index, cookie)) for index, cookie in enumerate(cookies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def assert_all_redirected(
    answers: list[Answer | BaseException],
    server: Server,
    location: str = f"/sessions/{SLUG}#register",
) -> None:
    """Each request got the redirect to the session page, and no worker logged an error."""
    log = server.log()
    failures = [a for a in answers if not (isinstance(a, Answer) and a.status == 302)]
    assert not failures, f"{len(failures)} failed, e.g. {failures[:3]}\n{log[-5000:]}"
    assert {a.location for a in answers if isinstance(a, Answer)} == {location}
    assert "Traceback" not in log, log[-5000:]


def snapshot(session_id: int) -> dict[str, object]:
    """Every registration's state and place, and how many e-mails are queued."""
    registrations = list(
        db.session.scalars(
            sa.select(Registration).filter_by(session_id=session_id).order_by(Registration.id)
        )
    )
    return {
        "registrations": [
            (r.id, r.user_id, r.status, r.queued_at, r.confirmed_at) for r in registrations
        ],
        "places": waitlist_places(registrations),
        "emails": db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
    }


def user_ids(session_id: int, status: RegistrationStatus) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Registration.user_id)
            .filter_by(session_id=session_id, status=status)
            .order_by(Registration.id)
        )
    )


def add_session_and_users() -> tuple[int, list[int]]:
    """A published 50-seat session tomorrow and 200 accounts, committed; their ids."""
    start = datetime.now(UTC) + timedelta(days=1)
    learning_session = LearningSession(
        slug=SLUG,
        title_th="การประชุมที่ใครก็อยากเข้า",
        title_en="A session everyone wants",
        status=SessionStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=CAPACITY,
    )
    db.session.add(learning_session)
    users = [
        create_user(f"racer{n}@agency.go.th", f"ผู้ลงทะเบียน {n}", locale="en") for n in range(USERS)
    ]
    db.session.commit()
    return learning_session.id, [user.id for user in users]


def test_the_line_keeps_the_order_in_which_requests_took_the_session(
    race: Race, first_wave: dict[int, Answer | BaseException]
) -> None:
    """In line *in order*: a registration's row is written under the session's lock, so ids
    follow the order in which requests got the lock (and committed, as the lock is held until
    the commit). The first 50 got the seats; place n in line is the (50+n)-th to commit."""
    with race.app.app_context():
        registrations = list(
            db.session.scalars(
                sa.select(Registration)
                .filter_by(session_id=race.session_id)
                .order_by(Registration.id)
            )
        )
        places = waitlist_places(registrations)
        db.session.remove()
    statuses = [r.status for r in registrations]
    assert statuses == [RegistrationStatus.CONFIRMED] * CAPACITY + [
        RegistrationStatus.WAITLISTED
    ] * (USERS - CAPACITY)
    waiting = registrations[CAPACITY:]
    assert [places[r.id] for r in waiting] == list(range(1, USERS - CAPACITY + 1))
    queued = [r.queued_at for r in waiting]
    assert queued == sorted(queued)
    assert len(set(queued)) == len(queued)  # no tie left to the id to break
    last_seat = max(r.confirmed_at for r in registrations[:CAPACITY] if r.confirmed_at)
    assert last_seat <= queued[0]


def test_seats_freed_at_once_go_to_the_first_in_line(
    race: Race, server: Server, first_wave: dict[int, Answer | BaseException]
) -> None:
    """10 people with a seat cancel at the same instant: the first 10 in line get the seats,
    each told by e-mail, and the rest of the line moves up without gaps, in the same order."""
    freed = DOUBLE_CLICKERS // 2
    with race.app.app_context():
        registrations = list(
            db.session.scalars(sa.select(Registration).filter_by(session_id=race.session_id))
        )
        places = waitlist_places(registrations)
        line = sorted(places, key=places.__getitem__)  # registration ids, first in line first
        by_id = {r.id: r.user_id for r in registrations}
        leaving = user_ids(race.session_id, RegistrationStatus.CONFIRMED)[-freed:]
        emails_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
        db.session.remove()

    answers = post_all(server, [race.cookie(user_id) for user_id in leaving], action="cancel")

    assert_all_redirected(answers, server, location=f"/sessions/{SLUG}")
    with race.app.app_context():
        after = list(
            db.session.scalars(sa.select(Registration).filter_by(session_id=race.session_id))
        )
        places_after = waitlist_places(after)
        subjects = list(
            db.session.scalars(
                sa.select(OutboxMessage.subject).order_by(OutboxMessage.id).offset(emails_before)
            )
        )
        db.session.remove()
    status = {r.user_id: r.status for r in after}
    assert Counter(status.values()) == {
        RegistrationStatus.CONFIRMED: CAPACITY,
        RegistrationStatus.WAITLISTED: USERS - CAPACITY - freed,
        RegistrationStatus.CANCELLED: freed,
    }
    promoted = {by_id[registration_id] for registration_id in line[:freed]}
    assert {u for u, s in status.items() if s is RegistrationStatus.CONFIRMED} >= promoted
    assert all(status[u] is RegistrationStatus.CANCELLED for u in leaving)
    assert [places_after[registration_id] for registration_id in line[freed:]] == list(
        range(1, USERS - CAPACITY - freed + 1)
    )
    assert Counter(s.split(":")[0] for s in subjects) == {
        "Registration cancelled": freed,
        "A seat is yours": freed,
    }
