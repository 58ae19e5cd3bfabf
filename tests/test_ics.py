"""Calendar files, feeds and e-mailed invites, read back by icalendar, vobject and ical.js."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from exchange.db import db, utcnow
from exchange.ics.builder import uid_domain
from exchange.ics.cache import BytesCache
from exchange.markup import plain_text
from exchange.models import (
    LearningSession,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SessionFormat,
    SessionStatus,
    User,
)
from exchange.services import calendars, schedule
from exchange.services.mail import build_email
from tests.conftest import login_as
from tests.ical_check import agree, check, check_lines

JOIN = "https://meet.example.org/very-secret-room"
WEBINAR_SLUG = "unlocking-success-organisation-4-0-2021"
LONG_THAI = (
    "การพัฒนาองค์การสู่การเป็นระบบราชการ 4.0 ผ่านการปรับเปลี่ยนกรอบความคิดของบุคลากร"
    " และการใช้ข้อมูลดิจิทัลเพื่อการตัดสินใจ ความเป็นธรรม ธรรมาภิบาล 🙂 ไขกุญแจความสำเร็จ"
)


def get_ok(client, url: str, **kwargs) -> bytes:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response.data


def registrations(app, session_id: int) -> dict[int, RegistrationStatus]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Registration.user_id, Registration.status).filter_by(session_id=session_id)
        )
        return dict(rows.all())


def register(client, user_id: int, slug: str) -> None:
    login_as(client, user_id)
    client.post(f"/sessions/{slug}/register")


def invites(app) -> list[OutboxMessage]:
    with app.app_context():
        messages = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return messages


def token_of(app, user_id: int) -> str | None:
    with app.app_context():
        return db.session.get(User, user_id).calendar_token


def join_link_of(app, session_id: int, user_id: int) -> str:
    """The registrant's personal join link, which calendars carry instead of the platform's."""
    with app.app_context():
        token = db.session.scalar(
            sa.select(Registration.join_token).filter_by(session_id=session_id, user_id=user_id)
        )
    assert token
    return f"http://localhost/j/{token}"


# --- Files ------------------------------------------------------------------------------------


def test_session_file_route_wins_over_the_session_page(client, make_session):
    make_session(slug="open-data")
    assert client.get("/sessions/open-data.ics").mimetype == "text/calendar"
    assert client.get("/sessions/open-data").mimetype == "text/html"


def test_demo_webinar_is_0200_to_0500_utc_in_every_parser(client, demo, tmp_path):
    response = client.get(f"/sessions/{WEBINAR_SLUG}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{WEBINAR_SLUG}.ics"'
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    parsed = agree(response.data, tmp_path)
    assert parsed["method"] == "PUBLISH"
    [event] = parsed["events"].values()
    start = datetime(2021, 12, 13, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok
    assert event["start"] == int(start.timestamp())
    assert event["end"] == int((start + timedelta(hours=3)).timestamp())
    assert event["tzid"] == "Asia/Bangkok"
    assert parsed["icaljs"]["tzids"] == ["Asia/Bangkok"]
    assert event["uid"] == "session-1@learning-exchange.local"
    assert event["summary"].startswith("ไขกุญแจความสำเร็จ")
    assert f"http://localhost/sessions/{WEBINAR_SLUG}" in event["description"]
    assert event["url"] == f"http://localhost/sessions/{WEBINAR_SLUG}"
    assert event["organizer"] == "mailto:no-reply@localhost"
    assert event["organizer_cn"] == "สำนักงาน ก.พ.ร."
    assert event["alarms"] == ["-PT30M"]
    assert event["status"] == "CONFIRMED"
    assert event["location"].startswith("ออนไลน์")


def test_drafts_and_unknown_sessions_have_no_file(client, make_session):
    make_session(slug="secret", status=SessionStatus.DRAFT)
    assert client.get("/sessions/secret.ics").status_code == 404
    assert client.get("/sessions/nothing.ics").status_code == 404


def test_english_on_request_thai_by_default(client, make_session, tmp_path):
    make_session(slug="s", title_th="การประชุมไทย", title_en="English meeting")
    thai = check(get_ok(client, "/sessions/s.ics"))
    english = check(get_ok(client, "/sessions/s.ics?lang=en"))
    assert next(iter(thai["events"].values()))["summary"] == "การประชุมไทย"
    event = next(iter(english["events"].values()))
    assert event["summary"] == "English meeting"
    assert event["url"].endswith("/sessions/s?lang=en")


def test_uid_stays_and_sequence_rises_across_downloads_and_updates(app, client, make_session):
    session_id = make_session(slug="s")
    first = get_ok(client, "/sessions/s.ics")
    assert get_ok(client, "/sessions/s.ics") == first  # byte-stable: the ETag can be too
    before = next(iter(check(first)["events"].values()))
    with app.test_request_context():
        learning_session = db.session.get(LearningSession, session_id)
        later = learning_session.starts_at + timedelta(days=1)
        schedule.update_session(
            learning_session, utcnow(), starts_at=later, ends_at=later + timedelta(hours=1)
        )
        db.session.commit()
    after = next(iter(check(get_ok(client, "/sessions/s.ics"))["events"].values()))
    assert after["uid"] == before["uid"] == f"session-{session_id}@learning-exchange.local"
    assert after["sequence"] == before["sequence"] + 1
    assert after["start"] == before["start"] + 86400


def test_uid_domain_comes_from_config():
    assert uid_domain({"ICS_UID_DOMAIN": "exchange.go.th"}) == "exchange.go.th"
    assert uid_domain({"SERVER_NAME": "learn.opdc.go.th:8443"}) == "learn.opdc.go.th"
    assert uid_domain({}) == "learning-exchange.local"


def test_long_thai_lines_fold_without_breaking_characters(client, make_session, tmp_path):
    make_session(
        slug="thai",
        title_th=LONG_THAI,
        description_th=f"**{LONG_THAI}**\n\n- {LONG_THAI}\n- [ลิงก์](https://example.org/x)",
        format=SessionFormat.HYBRID,
        venue="ห้องประชุม 1 อาคารรัฐประศาสนศาสตร์ ถนนพิษณุโลก เขตดุสิต กรุงเทพมหานคร",
        platform="Zoom",
    )
    data = get_ok(client, "/sessions/thai.ics")
    check_lines(data)
    assert max(len(line) for line in data.split(b"\r\n")) > 60  # long lines were folded
    event = next(iter(agree(data, tmp_path)["events"].values()))
    assert event["summary"] == LONG_THAI  # intact after unfolding, in all three parsers
    assert event["description"].startswith(f"{LONG_THAI}\n\n- {LONG_THAI}\n- ลิงก์ (https://")
    assert event["location"] == (
        "ห้องประชุม 1 อาคารรัฐประศาสนศาสตร์ ถนนพิษณุโลก เขตดุสิต กรุงเทพมหานคร · ออนไลน์: Zoom"
    )


def test_a_zone_with_summer_time_gets_its_vtimezone(client, make_session, tmp_path):
    start = datetime(2030, 7, 1, 8, 0, tzinfo=UTC)  # 09:00 in London (BST)
    make_session(
        slug="london", timezone="Europe/London", starts_at=start, ends_at=start.replace(hour=9)
    )
    parsed = agree(get_ok(client, "/sessions/london.ics"), tmp_path)
    event = next(iter(parsed["events"].values()))
    assert event["tzid"] == "Europe/London"
    assert event["start"] == int(start.timestamp())
    assert b"DTSTART;TZID=Europe/London:20300701T090000" in get_ok(client, "/sessions/london.ics")


# --- Feeds ------------------------------------------------------------------------------------


def test_feed_holds_recent_and_coming_sessions_and_cancelled_ones(app, client, make_session):
    make_session(slug="long-ago", days=-40)
    recent = make_session(slug="recent", days=-10)
    coming = make_session(slug="coming", days=5)
    make_session(slug="draft", days=5, status=SessionStatus.DRAFT)
    cancelled = make_session(slug="called-off", days=6)
    with app.test_request_context():
        schedule.cancel_session(db.session.get(LearningSession, cancelled), utcnow())
        db.session.commit()
    parsed = check(get_ok(client, "/calendar.ics"))
    assert parsed["method"] == "PUBLISH"
    events = parsed["events"]
    domain = "learning-exchange.local"
    assert set(events) == {f"session-{n}@{domain}" for n in (recent, coming, cancelled)}
    gone = events[f"session-{cancelled}@{domain}"]
    assert gone["status"] == "CANCELLED"
    assert gone["sequence"] == 1
    assert gone["summary"].startswith("ยกเลิก")
    assert gone["alarms"] == []
    assert events[f"session-{coming}@{domain}"]["sequence"] == 0


def test_feed_names_itself_and_asks_to_be_refreshed_hourly(client, make_session):
    make_session()
    data = get_ok(client, "/calendar.ics")
    text = data.decode()
    unfolded = text.replace("\r\n ", "")
    assert "\r\nNAME:" in text
    assert "\r\nX-WR-CALNAME:" in text
    assert "\r\nX-WR-TIMEZONE:Asia/Bangkok\r\n" in text
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in unfolded
    assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in unfolded
    assert "1:00:00" not in text  # icalendar's way with a timedelta on an X- property
    assert "METHOD:PUBLISH" in text
    calendar = check(data)["calendar"]
    assert "UID" not in calendar  # no random calendar UID: the bytes stay the same
    english = check(get_ok(client, "/calendar.ics?lang=en"))["calendar"]
    assert str(english["X-WR-CALNAME"]) == "Learning Exchange: all sessions"


def test_agency_and_topic_feeds_hold_their_sessions(client, make_session):
    mine = make_session(slug="ours", shared=True)
    make_session(slug="theirs")
    for url in ("/agencies/agency-shared/calendar.ics", "/topics/topic-shared/calendar.ics"):
        events = check(get_ok(client, url))["events"]
        assert set(events) == {f"session-{mine}@learning-exchange.local"}, url
    assert client.get("/agencies/nobody/calendar.ics").status_code == 404
    assert client.get("/topics/nothing/calendar.ics").status_code == 404


def test_feeds_are_the_same_in_every_parser(client, demo, make_session, tmp_path):
    make_session(slug="a", title_th=LONG_THAI)
    make_session(slug="b", days=3)
    agree(get_ok(client, "/calendar.ics"), tmp_path)


# --- The join link ----------------------------------------------------------------------------


def test_public_output_never_carries_the_join_link(app, client, make_session, make_user):
    make_session(slug="s", shared=True, join_url=JOIN, platform="Zoom")
    user_id = make_user()
    register(client, user_id, "s")  # even a confirmed participant's download is public
    for url in (
        "/sessions/s.ics",
        "/sessions/s.ics?lang=en",
        "/calendar.ics",
        "/agencies/agency-shared/calendar.ics",
        "/topics/topic-shared/calendar.ics",
    ):
        data = get_ok(client, url)
        assert JOIN.encode() not in data.replace(b"\r\n ", b""), url
    anonymous = app.test_client()
    page = anonymous.get("/sessions/s").get_data(as_text=True)
    assert JOIN not in page
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in page


def test_personal_feed_has_seats_with_join_link_and_waitlist_places_tentative(
    app, client, make_session, make_user, tmp_path
):
    seat = make_session(slug="seat", join_url=JOIN, platform="Zoom", capacity=5)
    queue = make_session(slug="queue", join_url=JOIN + "-2", capacity=1)
    left = make_session(slug="left", join_url=JOIN + "-3")
    other = make_user()
    register(client, other, "queue")  # takes the only seat
    user_id = make_user(locale="en")
    for slug in ("seat", "queue", "left"):
        register(client, user_id, slug)
    client.post("/sessions/left/cancel")
    assert registrations(app, queue)[user_id] is RegistrationStatus.WAITLISTED
    client.get("/me")
    token = token_of(app, user_id)
    feed = app.test_client().get(f"/me/calendar/{token}.ics")  # a calendar app, no cookie
    assert feed.status_code == 200
    assert feed.headers["Cache-Control"] == "private, no-cache"
    parsed = agree(feed.data, tmp_path)
    events = parsed["events"]
    domain = "learning-exchange.local"
    assert set(events) == {f"session-{seat}@{domain}", f"session-{queue}@{domain}"}
    assert f"session-{left}@{domain}" not in events
    confirmed = events[f"session-{seat}@{domain}"]
    waiting = events[f"session-{queue}@{domain}"]
    assert confirmed["status"] == "CONFIRMED"
    assert join_link_of(app, seat, user_id) in confirmed["description"]  # the personal link ...
    assert JOIN not in feed.data.replace(b"\r\n ", b"").decode()  # ... never the platform's
    assert waiting["status"] == "TENTATIVE"
    assert "/j/" not in waiting["description"]
    assert "waitlist" in waiting["description"]  # in the owner's language (English)
    assert confirmed["summary"] == "Session 1"
    assert str(parsed["calendar"]["X-WR-CALNAME"]) == "Learning Exchange: my sessions"
    assert (JOIN + "-2").encode() not in feed.data.replace(b"\r\n ", b"")


@pytest.mark.parametrize("token", ["nope", "x" * 43, "a" * 200])
def test_unknown_tokens_are_404(client, make_user, token):
    make_user()
    assert client.get(f"/me/calendar/{token}.ics").status_code == 404


def test_me_shows_the_feed_and_a_new_token_retires_the_old(app, client, make_user):
    user_id = make_user()
    login_as(client, user_id)
    page = client.get("/me").get_data(as_text=True)
    token = token_of(app, user_id)
    assert token
    assert len(token) >= 40
    assert f"webcal://localhost/me/calendar/{token}.ics" in page
    assert f"http://localhost/me/calendar/{token}.ics" in page
    assert (
        "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Flocalhost%2Fme%2Fcalendar%2F"
        f"{token}.ics" in page
    )
    assert "8" in page
    assert "24" in page
    assert client.get("/me").status_code == 200
    assert token_of(app, user_id) == token  # made once, kept
    assert client.get(f"/me/calendar/{token}.ics").status_code == 200
    response = client.post("/me/calendar/regenerate")
    assert response.status_code == 302
    new = token_of(app, user_id)
    assert new != token
    assert client.get(f"/me/calendar/{token}.ics").status_code == 404
    assert client.get(f"/me/calendar/{new}.ics").status_code == 200


def test_regenerating_needs_the_csrf_token(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    user_id = make_user()
    login_as(client, user_id)
    client.get("/me")
    token = token_of(app, user_id)
    assert client.post("/me/calendar/regenerate").status_code == 400
    assert token_of(app, user_id) == token


def test_regenerating_needs_an_account(client):
    response = client.post("/me/calendar/regenerate")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# --- Conditional requests and cost ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/sessions/session-1.ics",
        "/calendar.ics",
        "/agencies/agency-shared/calendar.ics",
        "/topics/topic-shared/calendar.ics",
    ],
)
def test_repeated_conditional_requests_get_304(app, client, make_session, url):
    session_id = make_session(shared=True)
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    with app.test_request_context():
        schedule.update_session(
            db.session.get(LearningSession, session_id), utcnow(), title_th="ชื่อใหม่"
        )
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "ชื่อใหม่" in changed.data.decode()


def test_personal_feed_answers_304_until_a_registration_changes(
    app, client, make_session, make_user
):
    make_session(slug="a")
    make_session(slug="b")
    user_id = make_user()
    register(client, user_id, "a")
    client.get("/me")
    url = f"/me/calendar/{token_of(app, user_id)}.ics"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    register(client, user_id, "b")
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    etag = response.headers["ETag"]
    modified = response.headers["Last-Modified"]
    client.post("/sessions/a/cancel")  # leaving a session changes the feed, and its date
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert b"session-1@" not in response.data
    later = client.get(url, headers={"If-Modified-Since": modified})
    assert later.status_code in (200, 304)  # same second: HTTP dates cannot tell
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_unchanged_feed_costs_one_query_and_is_built_once(
    app, client, make_session, count_queries, monkeypatch
):
    make_session()
    built = []
    from exchange.ics import builder

    original = builder.build_feed
    monkeypatch.setattr(builder, "build_feed", lambda *a, **k: built.append(1) or original(*a, **k))
    cold = count_queries(lambda: client.get("/calendar.ics"))
    etag = client.get("/calendar.ics").headers["ETag"]
    warm = count_queries(lambda: client.get("/calendar.ics"))
    not_modified = count_queries(
        lambda: client.get("/calendar.ics", headers={"If-None-Match": etag})
    )
    # The data version (exchange/page_cache.py); on a miss also the feed's own version, the
    # sessions' keys and, for the events not built yet, the rest of them (SQLite adds its
    # BEGIN to every count).
    assert warm == not_modified == cold - 3
    assert warm <= 2
    assert len(built) == 1


def test_a_change_rebuilds_one_event_and_the_bytes_match_a_full_build(
    app, client, make_session, monkeypatch
):
    first = make_session(slug="a")
    for n in range(4):
        make_session(slug=f"other-{n}", days=n + 2)
    client.get("/calendar.ics")
    from exchange.ics import builder

    written = []
    original = builder._event
    monkeypatch.setattr(builder, "_event", lambda *a, **k: written.append(1) or original(*a, **k))
    with app.test_request_context():
        schedule.update_session(db.session.get(LearningSession, first), utcnow(), title_th="ชื่อใหม่")
        db.session.commit()
    incremental = get_ok(client, "/calendar.ics")
    assert len(written) == 1  # only the changed session was written again
    for name in ("ics_cache", "ics_event_cache"):  # as in a fresh process: nothing cached
        app.extensions.pop(name)
    assert get_ok(client, "/calendar.ics") == incremental
    assert len(written) == 6


def test_a_changed_feed_replaces_its_cached_versions(app, client, make_session):
    """Only the latest version of a feed, and of each event, is kept: old ones (4 MB for a
    1,000-session feed) do not wait for the cache to fill before they go."""
    first = make_session(slug="first")
    make_session(slug="second")
    get_ok(client, "/calendar.ics")
    get_ok(client, "/calendar.ics?lang=en")
    feeds, events = app.extensions["ics_cache"], app.extensions["ics_event_cache"]
    assert (len(feeds), len(events)) == (2, 4)  # two languages
    kept = feeds.size
    for title in ("ชื่อใหม่", "ชื่อใหม่อีก"):
        with app.test_request_context():
            session = db.session.get(LearningSession, first)
            schedule.update_session(session, utcnow(), title_th=title)
            db.session.commit()
        get_ok(client, "/calendar.ics")
        get_ok(client, "/calendar.ics?lang=en")
    assert (len(feeds), len(events)) == (2, 4)
    assert feeds.size < kept + 200  # about the same bytes: the old versions are gone


def test_the_cache_keeps_one_version_per_slot():
    cache = BytesCache(max_entries=10, max_bytes=100)
    cache.put("v1", b"old", slot="feed")
    cache.put("other", b"x", slot="another")
    cache.put("v2", b"newer", slot="feed")
    assert cache.get("v1") is None
    assert cache.get("v2") == b"newer"
    assert cache.get("other") == b"x"
    assert cache.size == len(b"newer") + 1
    cache.put("v2", b"newer", slot="feed")  # the same version again: kept
    assert cache.get("v2") == b"newer"


@pytest.mark.parametrize(
    "url",
    [
        "/calendar.ics",
        "/agencies/agency-shared/calendar.ics",
        "/topics/topic-shared/calendar.ics",
        "/calendar.ics?lang=en",
    ],
)
def test_feed_query_count_does_not_grow(client, make_session, count_queries, url):
    make_session(shared=True, people=1)
    few = count_queries(lambda: client.get(url))
    for n in range(10):
        make_session(shared=True, people=3, days=n - 5)
    assert count_queries(lambda: client.get(url)) == few


def test_personal_feed_query_count_does_not_grow(
    app, client, make_session, make_user, count_queries
):
    user_id = make_user()
    make_session(slug="first")
    register(client, user_id, "first")
    client.get("/me")
    url = f"/me/calendar/{token_of(app, user_id)}.ics"
    few = count_queries(lambda: client.get(url))
    for n in range(8):
        make_session(slug=f"more-{n}", capacity=0 if n % 2 else None)
        register(client, user_id, f"more-{n}")
    assert count_queries(lambda: client.get(url)) == few


def test_feeds_do_not_set_cookies(client, make_session):
    make_session()
    response = client.get("/calendar.ics?lang=en")
    assert "Set-Cookie" not in response.headers


def test_the_cache_stays_within_its_bounds():
    cache = BytesCache(max_entries=3, max_bytes=10)
    for n in range(5):
        cache.put(n, b"xx")
    assert len(cache) == 3
    assert cache.get(0) is None
    assert cache.get(4) == b"xx"
    cache.put("big", b"x" * 9)
    assert cache.size <= 10
    assert cache.get("big") == b"x" * 9
    cache.put("huge", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get("huge") is None


# --- The session page and /me -----------------------------------------------------------------


def test_session_page_offers_add_to_calendar(client, make_session):
    start = datetime(2030, 1, 6, 2, 0, tzinfo=UTC)
    make_session(slug="s", title_th="สัมมนา & เสวนา", starts_at=start, ends_at=start.replace(hour=5))
    page = client.get("/sessions/s").get_data(as_text=True)
    assert 'href="/sessions/s.ics"' in page
    assert "action=TEMPLATE" in page
    assert "dates=20300106T020000Z%2F20300106T050000Z" in page
    assert "ctz=Asia%2FBangkok" in page
    assert "text=%E0%B8%AA" in page  # the Thai title, percent-encoded
    assert "outlook.live.com/calendar/0/deeplink/compose?" in page
    assert "startdt=2030-01-06T02%3A00%3A00Z" in page
    assert "webcal://localhost/calendar.ics" in page
    english = client.get("/sessions/s?lang=en").get_data(as_text=True)
    assert 'href="/sessions/s.ics?lang=en"' in english
    assert "Add to calendar" in english


def test_past_sessions_offer_only_the_file(client, make_session):
    make_session(slug="old", days=-3)
    page = client.get("/sessions/old").get_data(as_text=True)
    assert 'href="/sessions/old.ics"' in page
    assert "action=TEMPLATE" not in page


# --- E-mailed invites -------------------------------------------------------------------------


def test_confirmation_carries_a_request_invite_for_the_participant(
    app, client, make_session, make_user, tmp_path
):
    session_id = make_session(slug="s", join_url=JOIN, platform="Zoom")
    user_id = make_user("somchai@agency.go.th", name="สมชาย ใจดี")
    before = utcnow().replace(microsecond=0)
    register(client, user_id, "s")
    [message] = invites(app)
    assert message.ics_method == "REQUEST"
    data = message.ics.encode()
    parsed = agree(data, tmp_path)
    assert parsed["method"] == "REQUEST"
    [event] = parsed["events"].values()
    assert event["uid"] == f"session-{session_id}@learning-exchange.local"
    assert event["attendees"] == ["mailto:somchai@agency.go.th"]
    params = event["attendee_params"][0]
    assert params["RSVP"] == "TRUE"
    assert params["PARTSTAT"] == "NEEDS-ACTION"
    assert params["ROLE"] == "REQ-PARTICIPANT"
    assert params["CN"] == "สมชาย ใจดี"
    assert event["organizer"] == "mailto:no-reply@localhost"
    assert join_link_of(app, session_id, user_id) in event["description"]  # they have a seat
    assert JOIN not in data.replace(b"\r\n ", b"").decode()  # the personal link, not this
    assert event["stamp"] >= before  # "now", not the session's last change
    [js_event] = parsed["icaljs"]["events"]
    assert js_event["attendees"][0]["partstat"] == "NEEDS-ACTION"
    # The MIME message as the mail module builds it: the invite is the last alternative.
    with app.app_context():
        raw = bytes(build_email(message, sender="Learning Exchange <no-reply@localhost>"))
    email = message_from_bytes(raw, policy=policy.default)
    assert email.get_content_type() == "multipart/mixed"
    alternative, attachment = email.iter_parts()
    parts = list(alternative.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html", "text/calendar"]
    assert parts[-1].get_param("method") == "REQUEST"
    assert b"Content-Type: text/calendar; charset=UTF-8; method=REQUEST\n" in raw
    assert parts[-1].get_content().replace("\n", "\r\n") == message.ics
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content().decode() == message.ics


def test_waitlisted_people_get_no_invite_until_promoted(app, client, make_session, make_user):
    make_session(slug="s", capacity=1)
    first, second = make_user(), make_user()
    register(client, first, "s")
    register(client, second, "s")
    seat, wait = invites(app)
    assert (seat.ics_method, wait.ics_method, wait.ics) == ("REQUEST", "", "")
    login_as(client, first)
    client.post("/sessions/s/cancel")
    *_, cancelled, promoted = invites(app)
    assert cancelled.ics_method == "CANCEL"
    assert promoted.ics_method == "REQUEST"
    assert promoted.to_address == "user2@agency.go.th"
    assert JOIN not in promoted.ics  # this session has no join link
    uid = check(seat.ics.encode())["events"]
    assert check(promoted.ics.encode())["events"].keys() == uid.keys()


def test_cancelling_a_seat_sends_cancel_with_the_same_uid(
    app, client, make_session, make_user, tmp_path
):
    make_session(slug="s", join_url=JOIN)
    user_id = make_user()
    register(client, user_id, "s")
    client.post("/sessions/s/cancel")
    request_message, cancel_message = invites(app)
    sent = check(request_message.ics.encode())["events"]
    parsed = agree(cancel_message.ics.encode(), tmp_path)
    assert parsed["method"] == "CANCEL"
    [event] = parsed["events"].values()
    assert parsed["events"].keys() == sent.keys()
    assert event["status"] == "CANCELLED"
    assert event["sequence"] == next(iter(sent.values()))["sequence"]
    assert event["stamp"] >= next(iter(sent.values()))["stamp"]
    assert JOIN not in cancel_message.ics
    with app.app_context():
        email = build_email(cancel_message, sender="no-reply@localhost")
    calendar_part = next(iter(email.iter_parts())).get_payload()[-1]
    assert calendar_part["Content-Type"] == "text/calendar; charset=UTF-8; method=CANCEL"


def test_leaving_the_waitlist_sends_no_cancel(app, client, make_session, make_user):
    make_session(slug="s", capacity=0)
    user_id = make_user()
    register(client, user_id, "s")
    client.post("/sessions/s/cancel")
    assert [m.ics_method for m in invites(app)] == ["", ""]


# --- Sessions that cannot be saved ------------------------------------------------------------


def test_a_session_needs_a_known_timezone():
    with pytest.raises(ValueError, match="unknown timezone"):
        LearningSession(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="unknown timezone"):
        LearningSession(timezone="GMT+7 Bangkok")
    assert LearningSession(timezone="Asia/Bangkok").timezone == "Asia/Bangkok"


def test_a_session_needs_an_end(app):
    with pytest.raises(ValueError, match="ends_at is required"):
        LearningSession(ends_at=None)
    with pytest.raises(ValueError, match="aware"):
        LearningSession(ends_at=datetime(2030, 1, 1, 12))
    start = datetime(2030, 1, 1, 2, tzinfo=UTC)
    with app.app_context():
        db.session.add(LearningSession(slug="no-end", title_th="ไม่มีเวลาจบ", starts_at=start))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.add(
            LearningSession(slug="backwards", title_th="ย้อน", starts_at=start, ends_at=start)
        )
        with pytest.raises(sa.exc.IntegrityError):  # the CHECK: ends_at > starts_at
            db.session.flush()
        db.session.rollback()


# --- Pieces -----------------------------------------------------------------------------------


def test_markdown_becomes_readable_plain_text():
    text = plain_text(
        "# หัวข้อ\n\nย่อหน้า *แรก* กับ [ลิงก์](https://example.org)\n\n- หนึ่ง\n- สอง\n\n1. ก\n2. ข"
    )
    assert text == ("หัวข้อ\n\nย่อหน้า แรก กับ ลิงก์ (https://example.org)\n\n- หนึ่ง\n- สอง\n\n1. ก\n2. ข")
    assert plain_text("") == ""


def test_the_builder_is_pure():
    source = Path(__file__).resolve().parent.parent / "exchange" / "ics" / "builder.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0] if node.level == 0 else node.module)
    assert not imported & {"flask", "flask_babel", "flask_sqlalchemy", "sqlalchemy"}
    assert "db.session" not in source.read_text()
    assert re.search(r"\bnow\(", source.read_text()) is None  # stamps come from the caller


def test_after_one_change_only_that_session_is_loaded_in_full(
    app, client, make_session, monkeypatch
):
    first = make_session(slug="a")
    for n in range(4):
        make_session(slug=f"other-{n}", days=n + 2)
    completed: list[list[int]] = []
    original = calendars.complete
    monkeypatch.setattr(
        calendars,
        "complete",
        lambda sessions: completed.append([s.id for s in sessions]) or original(sessions),
    )
    full = get_ok(client, "/calendar.ics")
    with app.test_request_context():
        schedule.update_session(db.session.get(LearningSession, first), utcnow(), title_th="ใหม่")
        db.session.commit()
    changed = get_ok(client, "/calendar.ics")
    assert [len(ids) for ids in completed] == [5, 1]
    assert completed[1] == [first]
    assert "ใหม่" in changed.decode()
    assert "ใหม่" not in full.decode()


@pytest.mark.parametrize("slug", ["plain-slug", "ไทย-สัมมนา", "a b&c?d#e", "100%", "x/y"])
def test_feed_addresses_are_url_for_s(app, slug):
    with app.test_request_context():
        for language in ("th", "en"):
            expected = calendars.session_url(LearningSession(slug=slug), language)
            assert calendars.session_url_maker(language)(slug) == expected
