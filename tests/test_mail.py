"""E-mail goes to the outbox in the caller's transaction and is delivered after, exactly once.

A real SMTP server (aiosmtpd) listens on 127.0.0.1 for these tests; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask_babel import lazy_gettext as _l

from exchange.db import db, utcnow
from exchange.models import LearningSession, OutboxMessage, OutboxStatus, SessionFormat
from exchange.services.mail import backoff, deliver_pending, queue_mail
from tests.conftest import make_test_app

# 13 December 2021, 14:30–16:00 in Bangkok (the model webinar's afternoon panel)
START = datetime(2021, 12, 13, 7, 30, tzinfo=UTC)
END = datetime(2021, 12, 13, 9, 0, tzinfo=UTC)

INVITE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:session-1@test\r\nDTSTAMP:20211201T000000Z\r\n"
    "DTSTART:20211213T073000Z\r\nDTEND:20211213T090000Z\r\n"
    "SUMMARY:ไขกุญแจความสำเร็จ\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


# --- An SMTP server on loopback ----------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: str = "nobody@"  # recipients containing this are refused for good (550)
    delay: float = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refuse in address:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), message, envelope.original_content
            )
        )
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Handler]]:
    handler = _Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler
    controller.stop()


@pytest.fixture
def mail_app(app: Flask, smtp_server: tuple[int, _Handler]) -> Flask:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server[0])
    return app


@pytest.fixture
def received(smtp_server: tuple[int, _Handler]) -> list[Received]:
    return smtp_server[1].received


@pytest.fixture
def webinar(make_session: Callable[..., int]) -> int:
    return make_session(
        title_th="ไขกุญแจความสำเร็จ เรื่อง (ไม่) ลับสู่การเป็นองค์การ 4.0",
        title_en="Unlocking success: the (not so) secret road to a 4.0 organisation",
        starts_at=START,
        ends_at=END,
        format=SessionFormat.ONLINE,
        platform="Zoom",
    )


def queue(
    app: Flask,
    session_id: int,
    *,
    language: str = "th",
    to_address: str = "somchai@agency.go.th",
    commit: bool = True,
    **extra: object,
) -> int:
    """Queue a registration_confirmed mail in its own app context; returns the message id."""
    with app.app_context():
        learning_session = db.session.get(LearningSession, session_id)
        fields: dict[str, object] = {
            "to_address": to_address,
            "to_name": "สมชาย ใจดี",
            "language": language,
            "template": "registration_confirmed",
            "subject": _l("Your seat is confirmed."),
            "registration": None,
            "user": None,
            "learning_session": learning_session,
            "session_url": "http://127.0.0.1/sessions/webinar",
            "me_url": "http://127.0.0.1/me",
            "join_url": "https://zoom.example/j/123",
        }
        fields.update(extra)
        message = queue_mail(**fields)  # type: ignore[arg-type]
        message_id = message.id
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return message_id


def stored(app: Flask, message_id: int) -> OutboxMessage:
    """The message as committed, read in a fresh app context."""
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message is not None
        db.session.expunge(message)
        return message


def deliver(app: Flask, **kwargs: object):
    with app.app_context():
        return deliver_pending(**kwargs)  # type: ignore[arg-type]


# --- Writing -----------------------------------------------------------------------------------


def test_thai_mail_has_thai_text_and_buddhist_era_date(app, webinar):
    message = stored(app, queue(app, webinar, language="th"))
    assert message.language == "th"
    assert message.subject == "ยืนยันที่นั่งของคุณแล้ว"
    for body in (message.body_text, message.body_html):
        assert "เรียน สมชาย ใจดี" in body
        assert "ไขกุญแจความสำเร็จ" in body
        assert "วันจันทร์ที่ 13 ธันวาคม พ.ศ. 2564" in body
        assert "14:30–16:00 น." in body
        assert "เวลาไทย (GMT+07:00)" in body
        assert "ออนไลน์" in body
        assert "Zoom" in body
        assert "Dear" not in body


def test_english_mail_has_english_text_and_gregorian_date(app, webinar):
    message = stored(app, queue(app, webinar, language="en"))
    assert message.subject == "Your seat is confirmed."
    for body in (message.body_text, message.body_html):
        assert "Dear สมชาย ใจดี," in body
        assert "Unlocking success" in body
        assert "Monday 13 December 2021" in body
        assert "14:30–16:00 Thailand Time (GMT+07:00)" in body
        assert "พ.ศ." not in body
        assert "เรียน" not in body


def test_each_recipient_gets_their_own_language_in_one_request(app, webinar):
    with app.test_request_context("/?lang=en"):
        learning_session = db.session.get(LearningSession, webinar)
        common = {
            "to_name": "",
            "template": "registration_cancelled",
            "subject": _l("Your registration is cancelled."),
            "learning_session": learning_session,
            "session_url": "http://127.0.0.1/s",
            "me_url": "",
        }
        thai = queue_mail(to_address="a@agency.go.th", language="th", **common)
        english = queue_mail(to_address="b@agency.go.th", language="en", **common)
        unknown = queue_mail(to_address="c@agency.go.th", language="fr", **common)
        assert "ถูกยกเลิกแล้ว" in thai.body_text
        assert "is cancelled" in english.body_text
        assert unknown.language == "th"  # the default language, not a crash
        assert thai.body_text.startswith("สวัสดี")  # no name: a neutral greeting


def test_join_link_only_when_given(app, webinar):
    with_link = stored(app, queue(app, webinar, language="en"))
    without = stored(app, queue(app, webinar, language="en", join_url=""))
    assert "https://zoom.example/j/123" in with_link.body_text
    assert "https://zoom.example/j/123" in with_link.body_html
    assert "zoom.example" not in without.body_text
    assert "zoom.example" not in without.body_html
    assert "Join the session" not in without.body_html


@pytest.mark.parametrize(
    ("template", "extra", "expected_th", "expected_en"),
    [
        ("registration_waitlisted", {"place": 3}, "คุณอยู่ลำดับที่ 3", "You are number 3 in line."),
        ("registration_promoted", {}, "ข่าวดี", "Good news"),
        ("registration_cancelled", {}, "ที่นั่งของคุณได้ส่งต่อ", "your seat has been released"),
        (
            "confirm_registration",
            {"confirm_url": "http://127.0.0.1/c/x", "expires_hours": 48},
            "หมดอายุภายใน 48 ชั่วโมง",
            "expires in 48 hours",
        ),
        (
            "password_reset",
            {"reset_url": "http://127.0.0.1/r/x", "expires_hours": 1, "learning_session": None},
            "ตั้งรหัสผ่านใหม่",
            "expires in 1 hour.",
        ),
    ],
)
def test_every_template_in_both_languages(app, webinar, template, extra, expected_th, expected_en):
    for language, expected in (("th", expected_th), ("en", expected_en)):
        message = stored(app, queue(app, webinar, language=language, template=template, **extra))
        assert expected in message.body_text
        assert expected in message.body_html
        assert "\n\n\n" not in message.body_text
        if extra.get("learning_session", True) is not None:
            date = "พ.ศ. 2564" if language == "th" else "13 December 2021"
            assert date in message.body_text


def test_html_escapes_names(app, webinar):
    message = stored(app, queue(app, webinar, language="en", to_name="<b>Eve</b>"))
    assert "<b>Eve</b>" not in message.body_html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in message.body_html


def test_invite_method_must_match_the_calendar(app, webinar):
    with pytest.raises(ValueError, match="METHOD"):
        queue(app, webinar, ics=INVITE, ics_method="CANCEL")
    with pytest.raises(ValueError, match="calendar"):
        queue(app, webinar, ics_method="REQUEST")


def test_rolled_back_mail_is_never_delivered(mail_app, webinar, received):
    queue(mail_app, webinar, commit=False)
    with mail_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert deliver(mail_app).attempted == 0
    assert received == []


# --- Delivering --------------------------------------------------------------------------------


def test_delivers_text_and_html_alternatives(mail_app, webinar, received):
    message_id = queue(mail_app, webinar, language="th")
    report = deliver(mail_app)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    assert len(received) == 1
    got = received[0]
    assert got.rcpt_tos == ["somchai@agency.go.th"]
    assert got.mail_from == "no-reply@localhost"
    email = got.message
    assert email["Subject"] == "ยืนยันที่นั่งของคุณแล้ว"
    assert email["To"].addresses[0].display_name == "สมชาย ใจดี"
    assert email["Message-ID"].startswith(f"<outbox.{message_id}.")
    assert email.get_content_type() == "multipart/alternative"
    text, html = email.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert "พ.ศ. 2564" in text.get_content()
    assert html.get_content_type() == "text/html"
    assert "พ.ศ. 2564" in html.get_content()
    message = stored(mail_app, message_id)
    assert message.status is OutboxStatus.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.claimed_by is None


def test_invite_is_the_last_alternative_and_an_attachment(mail_app, webinar, received):
    queue(mail_app, webinar, ics=INVITE, ics_method="REQUEST")
    assert deliver(mail_app).sent == 1
    email = received[0].message
    assert email.get_content_type() == "multipart/mixed"
    alternative, attachment = email.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in alternative.iter_parts()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    calendar = list(alternative.iter_parts())[-1]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    # written exactly as the research note (B3) has it, unquoted
    assert b"Content-Type: text/calendar; charset=UTF-8; method=REQUEST\r\n" in received[0].raw
    assert calendar.get_content().replace("\r\n", "\n") == INVITE.replace("\r\n", "\n")
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_content().decode("utf-8") == INVITE


def test_server_down_keeps_the_message_and_backs_off(mail_app, webinar, received):
    good_port = mail_app.config["MAIL_PORT"]
    mail_app.config["MAIL_PORT"] = _free_port()  # nothing listens there
    message_id = queue(mail_app, webinar)
    before = utcnow()
    report = deliver(mail_app)  # must not raise
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    message = stored(mail_app, message_id)
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.last_error
    assert message.next_attempt_at > before
    assert message.claimed_by is None

    mail_app.config["MAIL_PORT"] = good_port  # the server is back
    assert deliver(mail_app).attempted == 0  # not due yet: it waits out its back-off
    assert deliver(mail_app, now=utcnow() + backoff(1) + timedelta(seconds=1)).sent == 1
    assert deliver(mail_app, now=utcnow() + timedelta(hours=1)).attempted == 0
    assert len(received) == 1
    message = stored(mail_app, message_id)
    assert message.status is OutboxStatus.SENT
    assert message.attempts == 2


def test_backoff_doubles_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(30) == timedelta(hours=6)


def test_gives_up_after_the_allowed_attempts(mail_app, webinar, received):
    mail_app.config.update(MAIL_PORT=_free_port(), MAIL_MAX_ATTEMPTS=3)
    message_id = queue(mail_app, webinar)
    now = utcnow()
    outcomes = []
    for _ in range(4):
        report = deliver(mail_app, now=now)
        outcomes.append((report.retried, report.failed))
        now += timedelta(hours=7)  # past any back-off
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0)]
    message = stored(mail_app, message_id)
    assert message.status is OutboxStatus.FAILED
    assert message.attempts == 3
    assert received == []


def test_recipient_refused_for_good_fails_at_once(mail_app, webinar, received):
    refused = queue(mail_app, webinar, to_address="nobody@agency.go.th")
    fine = queue(mail_app, webinar)
    report = deliver(mail_app)
    assert (report.sent, report.failed) == (1, 1)
    message = stored(mail_app, refused)
    assert message.status is OutboxStatus.FAILED
    assert "550" in message.last_error
    assert stored(mail_app, fine).status is OutboxStatus.SENT
    assert len(received) == 1


def test_no_mail_server_leaves_messages_in_the_outbox(app, webinar):
    message_id = queue(app, webinar)
    report = deliver(app)
    assert not report.enabled
    assert stored(app, message_id).status is OutboxStatus.PENDING


def _claim_as_dead_deliverer(app: Flask, message_id: int, until: datetime) -> None:
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        message.status = OutboxStatus.SENDING
        message.attempts = 1
        message.claimed_by = "crashed-host:1:dead"
        message.claimed_until = until
        db.session.commit()


def test_message_stuck_in_sending_past_its_lease_is_retried(mail_app, webinar, received):
    message_id = queue(mail_app, webinar)
    _claim_as_dead_deliverer(mail_app, message_id, until=utcnow() + timedelta(minutes=5))
    assert deliver(mail_app).attempted == 0  # the lease still holds: hands off
    assert received == []
    report = deliver(mail_app, now=utcnow() + timedelta(minutes=6))
    assert report.sent == 1
    assert len(received) == 1
    message = stored(mail_app, message_id)
    assert message.status is OutboxStatus.SENT
    assert message.attempts == 2


def test_two_deliverers_send_each_message_exactly_once(database_url, tmp_path, smtp_server):
    port, handler = smtp_server
    handler.delay = 0.002  # let the two deliverers overlap
    url = database_url if database_url != "sqlite://" else f"sqlite:///{tmp_path / 'mail.sqlite'}"
    app = make_test_app(url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        db.drop_all()
        db.create_all()
        for n in range(40):
            queue_mail(
                to_address=f"person{n}@agency.go.th",
                to_name=f"คน {n}",
                language="th" if n % 2 else "en",
                template="password_reset",
                subject=_l("Here is your link to choose a new password."),
                reset_url=f"http://127.0.0.1/r/{n}",
                expires_hours=2,
            )
        db.session.commit()
    start = threading.Barrier(2)
    reports = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait()
                reports.append(deliver_pending(limit=100))
                db.session.remove()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        assert sum(report.sent for report in reports) == 40
        recipients = sorted(r.rcpt_tos[0] for r in handler.received)
        assert recipients == sorted(f"person{n}@agency.go.th" for n in range(40))
        message_ids = {r.message["Message-ID"] for r in handler.received}
        assert len(message_ids) == 40
        with app.app_context():
            rows = db.session.execute(sa.select(OutboxMessage.status, OutboxMessage.attempts)).all()
            assert len(rows) == 40
            assert all(row == (OutboxStatus.SENT, 1) for row in rows)
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


# --- The command and the after-request hook -----------------------------------------------------


def test_deliver_mail_once_command(mail_app, webinar, received):
    message_id = queue(mail_app, webinar)
    result = mail_app.test_cli_runner().invoke(args=["exchange", "deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(received) == 1
    assert stored(mail_app, message_id).status is OutboxStatus.SENT


def test_deliver_mail_without_a_server_says_so(app):
    result = app.test_cli_runner().invoke(args=["exchange", "deliver-mail", "--once"])
    assert result.exit_code == 0
    assert "MAIL_SERVER is not set" in result.output


def test_deliver_mail_once_reports_a_failed_round(mail_app, monkeypatch):
    """The same loop as the worker's: a failed --once round is logged and exits 1 for cron."""

    def broken(limit: int) -> None:
        raise RuntimeError("database restarting")

    monkeypatch.setattr("exchange.services.mail.deliver_pending", broken)
    result = mail_app.test_cli_runner().invoke(args=["exchange", "deliver-mail", "--once"])
    assert result.exit_code == 1
    assert "the round failed: database restarting" in result.output


def test_deliver_mail_bad_usage_exits_non_zero(mail_app):
    result = mail_app.test_cli_runner().invoke(args=["exchange", "deliver-mail", "--interval", "0"])
    assert result.exit_code == 2


@pytest.mark.parametrize(("setting", "delivered"), [(True, 1), (False, 0), (None, 0)])
def test_delivery_right_after_the_request(mail_app, webinar, received, setting, delivered):
    mail_app.config["MAIL_DELIVER_AFTER_REQUEST"] = setting  # None: only when debugging

    @mail_app.post("/test-queue")
    def _queue_view() -> str:
        learning_session = db.session.get(LearningSession, webinar)
        queue_mail(
            to_address="a@agency.go.th",
            to_name="",
            language="en",
            template="registration_cancelled",
            subject=_l("Your registration is cancelled."),
            learning_session=learning_session,
            session_url="",
            me_url="",
        )
        db.session.commit()
        return "queued"

    response = mail_app.test_client().post("/test-queue")
    assert response.status_code == 200
    response.close()  # what the WSGI server does once the body is sent
    assert len(received) == delivered
    with mail_app.app_context():
        sent = db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
        )
        assert sent == delivered
