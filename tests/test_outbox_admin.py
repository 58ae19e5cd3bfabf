"""The admin outbox at /manage/outbox: who may see it, what it shows, and retrying."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import lazy_gettext as _l

from exchange.db import db
from exchange.models import LearningSession, OutboxMessage, OutboxStatus
from exchange.services.mail import queue_mail
from tests.conftest import login_as

LIST = "/manage/outbox"


@pytest.fixture
def add_message(app: Flask) -> Callable[..., int]:
    """Factory: an outbox row with the given fields; returns its id."""

    def _add(**fields: object) -> int:
        fields.setdefault("to_address", "someone@agency.go.th")
        fields.setdefault("to_name", "คนหนึ่ง")
        fields.setdefault("subject", "เรื่องทดสอบ")
        fields.setdefault("body_text", "ข้อความ http://127.0.0.1/confirm/abc")
        fields.setdefault(
            "body_html", "<!doctype html><html><head></head><body><p>HTML</p></body></html>"
        )
        with app.app_context():
            message = OutboxMessage(**fields)
            db.session.add(message)
            db.session.commit()
            return message.id

    return _add


@pytest.fixture
def admin(client, make_user) -> int:
    user_id = make_user(role="admin")
    login_as(client, user_id)
    return user_id


def test_anonymous_visitors_are_sent_to_log_in(client, add_message):
    message_id = add_message()
    for url in (LIST, f"{LIST}/{message_id}"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    assert client.post(f"{LIST}/{message_id}/retry").status_code == 302


@pytest.mark.parametrize("role", ["participant", "organiser"])
def test_other_roles_are_forbidden(client, make_user, add_message, role):
    message_id = add_message(status=OutboxStatus.FAILED)
    login_as(client, make_user(role=role))
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}/{message_id}").status_code == 403
    assert client.post(f"{LIST}/{message_id}/retry").status_code == 403


def test_admin_sees_the_list_newest_first(client, admin, add_message):
    now = datetime.now(UTC)
    add_message(subject="older", created_at=now - timedelta(hours=1))
    add_message(
        subject="newer <script>",
        created_at=now,
        status=OutboxStatus.FAILED,
        attempts=8,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    main = page[page.index("<main") :]  # the header's search box has words of its own
    assert main.index("newer") < main.index("older")
    assert "newer &lt;script&gt;" in page
    assert "Connection refused" in page
    assert "badge--cancelled" in page  # failed
    assert "พ.ศ." in page  # times in Thai with the Buddhist Era


def test_admin_list_in_english(client, admin, add_message):
    add_message(subject="hello")
    client.get("/language/en?next=/")
    page = client.get(LIST).get_data(as_text=True)
    assert "Outbox" in page
    assert "พ.ศ." not in page


def test_status_filter(client, admin, add_message):
    add_message(subject="waiting one")
    add_message(subject="failed one", status=OutboxStatus.FAILED)
    page = client.get(f"{LIST}?status=failed").get_data(as_text=True)
    assert "failed one" in page
    assert "waiting one" not in page
    empty = client.get(f"{LIST}?status=sent")
    assert empty.status_code == 200
    assert "ไม่มีข้อความในสถานะนี้" in empty.get_data(as_text=True)


@pytest.mark.parametrize("query", ["?status=lost", "?page=0", "?page=x", "?page=9"])
def test_bad_arguments_are_not_found(client, admin, add_message, query):
    add_message()
    assert client.get(LIST + query).status_code == 404


def test_unknown_message_is_not_found(client, admin):
    assert client.get(f"{LIST}/999").status_code == 404
    assert client.post(f"{LIST}/999/retry").status_code == 404


def test_message_page_shows_text_html_in_a_sandbox_and_the_invite(app, client, admin, make_session):
    session_id = make_session()
    with app.app_context():
        message = queue_mail(
            to_address="guest@agency.go.th",
            to_name="แขก",
            language="th",
            template="confirm_registration",
            subject=_l("Please confirm your registration."),
            ics="BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
            ics_method="REQUEST",
            learning_session=db.session.get(LearningSession, session_id),
            confirm_url="http://127.0.0.1/auth/confirm/s3cret?x=1&y=2",
            expires_hours=48,
        )
        db.session.commit()
        message_id = message.id
    page = client.get(f"{LIST}/{message_id}").get_data(as_text=True)
    assert "โปรดยืนยันการลงทะเบียนของคุณ" in page
    # the confirmation link is readable and clickable in the text body
    assert '<a href="http://127.0.0.1/auth/confirm/s3cret?x=1&amp;y=2"' in page
    # the HTML e-mail only inside a sandboxed frame, never as markup of this page
    frame = re.search(r"<iframe srcdoc=\"([^\"]*)\" sandbox ", page)
    assert frame is not None
    assert "&lt;table" in frame.group(1)
    assert 'role="presentation"' not in page
    assert "METHOD:REQUEST" in page


def test_retry_puts_a_failed_message_back_in_the_queue(app, client, admin, add_message):
    message_id = add_message(status=OutboxStatus.FAILED, attempts=8, last_error="boom")
    response = client.post(f"{LIST}/{message_id}/retry")
    assert response.status_code == 302
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert message.status is OutboxStatus.PENDING
        assert message.attempts == 0
        assert message.next_attempt_at <= datetime.now(UTC)


def test_retry_leaves_a_sent_message_alone(app, client, admin, add_message):
    sent_at = datetime.now(UTC)
    message_id = add_message(status=OutboxStatus.SENT, attempts=1, sent_at=sent_at)
    response = client.post(f"{LIST}/{message_id}/retry", follow_redirects=True)
    assert "ส่งซ้ำได้เฉพาะ" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status is OutboxStatus.SENT


def test_retry_needs_the_csrf_token(app, client, admin, add_message):
    message_id = add_message(status=OutboxStatus.FAILED)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"{LIST}/{message_id}/retry").status_code == 400
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status is OutboxStatus.FAILED


def test_list_query_count_does_not_grow(client, admin, add_message, count_queries):
    add_message(status=OutboxStatus.SENT, sent_at=datetime.now(UTC))
    add_message(status=OutboxStatus.FAILED, last_error="x")
    few = count_queries(lambda: client.get(LIST))
    for n in range(30):
        add_message(subject=f"m{n}", status=list(OutboxStatus)[n % 4])
    assert count_queries(lambda: client.get(LIST)) == few
    assert count_queries(lambda: client.get(f"{LIST}?status=failed")) == few
