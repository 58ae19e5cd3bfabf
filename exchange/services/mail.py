"""Outgoing e-mail: written to the outbox in the caller's transaction, delivered after.

``queue_mail`` renders a message in its recipient's language and adds it to the session
(flush, never commit): the mail exists if and only if the change that caused it is committed.

``deliver_pending`` is the worker (``flask exchange deliver-mail``, or right after a request in
development). Unlike the other services it owns its transactions: each claim and each outcome is
committed at once, so that other deliverers see it. A message is claimed by one conditional
``UPDATE … WHERE status = 'pending'`` (its id picked with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL); on SQLite, writers are serialised, and the same statement claims a row only once.
Delivery is at least once: a deliverer that dies after the server accepted a message but before
recording it leaves the message ``sending``; when its lease runs out it is sent again (with the
same Message-ID, which lets mail systems drop the duplicate).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import quoprimime
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, parseaddr
from functools import partial
from typing import Any, Protocol

from flask import Flask, Response, current_app, g, render_template
from flask_babel import LazyString, force_locale
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import load_only

from exchange.db import db, utcnow
from exchange.models.outbox import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

_QUEUED_FLAG = "_exchange_mail_queued"  # on flask.g: this request queued mail
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 … minutes between attempts
BACKOFF_CAP = timedelta(hours=6)
_STALE_LEASE_ERROR = "The deliverer stopped before recording the outcome; trying again."
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_METHOD_LINE = re.compile(r"^METHOD:(.*?)\r?$", re.MULTILINE)


# --- Writing ----------------------------------------------------------------------------------


def queue_mail(
    *,
    to_address: str,
    to_name: str,
    language: str,
    template: str,
    subject: str | LazyString,
    ics: str = "",
    ics_method: str = "",
    **context: Any,
) -> OutboxMessage:
    """Render ``templates/email/<template>.txt`` and ``.html`` and the subject in *language*,
    and add the message to the outbox. Flushes, never commits.

    Pass *subject* as a ``lazy_gettext`` string so it is translated for the recipient. With
    *ics*, *ics_method* (REQUEST, CANCEL …) must equal the calendar's own METHOD.
    """
    config = current_app.config
    if language not in config["LANGUAGES"]:
        language = config["BABEL_DEFAULT_LOCALE"]
    ics_method = ics_method.strip().upper()
    if ics:
        found = _METHOD_LINE.search(ics)
        if found is None or found.group(1).strip().upper() != ics_method:
            raise ValueError("ics_method must equal the METHOD inside the calendar")
    elif ics_method:
        raise ValueError("ics_method given without a calendar")
    to_name = " ".join(to_name.split())  # no line breaks may reach a header
    context.update(to_name=to_name, to_address=to_address, language=language, has_invite=bool(ics))
    with force_locale(language):
        subject_text = " ".join(str(subject).split())
        context["subject"] = subject_text
        body_text = _tidy_text(render_template(f"email/{template}.txt", **context))
        body_html = render_template(f"email/{template}.html", **context)
    now = utcnow()
    message = OutboxMessage(
        to_address=to_address.strip(),
        to_name=to_name[:200],
        language=language,
        subject=subject_text[:500],
        body_text=body_text,
        body_html=body_html,
        ics=ics,
        ics_method=ics_method,
        status=OutboxStatus.PENDING,
        attempts=0,
        last_error="",
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    setattr(g, _QUEUED_FLAG, True)  # for install_after_request_delivery
    return message


def _tidy_text(text: str) -> str:
    """At most one blank line in a row (optional template parts leave gaps), one final newline."""
    return _BLANK_LINES.sub("\n\n", text).strip("\n") + "\n"


# --- Delivering -------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one ``deliver_pending`` run did."""

    sent: int = 0
    failed: int = 0  # given up: attempts used up, or the server refused the recipient for good
    retried: int = 0  # did not go through this time; back in the queue with a back-off
    enabled: bool = True  # False: MAIL_SERVER is not set, so nothing was delivered

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.retried

    def __str__(self) -> str:
        if not self.enabled:
            return "MAIL_SERVER is not set: messages stay in the outbox (/manage/outbox)."
        return f"sent {self.sent}, will retry {self.retried}, failed {self.failed}"


class _Mail(Protocol):
    """What ``build_email`` reads: an OutboxMessage, or a row of the same columns."""

    id: int
    to_address: str
    to_name: str
    language: str
    subject: str
    body_text: str
    body_html: str
    ics: str
    ics_method: str
    created_at: datetime


_CLAIMED_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.to_address,
    OutboxMessage.to_name,
    OutboxMessage.language,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.ics,
    OutboxMessage.ics_method,
    OutboxMessage.created_at,
    OutboxMessage.attempts,
)


# The server answered with an error code: the connection itself is still good.
_ANSWERED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)


class _ConnectError(Exception):
    """The mail server could not be reached or refused us: no message is to blame."""


def deliver_pending(limit: int = 50, *, now: datetime | None = None) -> DeliveryReport:
    """Send up to *limit* due messages over SMTP; never raises because of the mail server.

    Commits after every claim and outcome: call it outside any unit of work. *now* (aware)
    stands for the clock, for tests.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return DeliveryReport(enabled=False)
    now = now or utcnow()
    worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-100:]
    report = DeliveryReport()
    _release_expired_leases(now)
    smtp: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            claimed = _claim_next(worker, now)
            if claimed is None:
                break
            try:
                email = build_email(claimed, sender=config["MAIL_DEFAULT_SENDER"])
            except Exception as exc:  # a message that cannot be built never will be
                _record_failure(claimed, worker, exc, now, report, permanent=True)
                continue
            try:
                if smtp is None:
                    smtp = _connect()
                smtp.send_message(email, to_addrs=[claimed.to_address])
            except _ConnectError as exc:
                _record_failure(claimed, worker, exc.__cause__ or exc, now, report)
                break  # the others would fail the same way; they keep their attempts
            except Exception as exc:
                _record_failure(claimed, worker, exc, now, report, permanent=_permanent(exc))
                if not isinstance(exc, _ANSWERED):  # the connection may be broken: start anew
                    smtp = _close(smtp)
            else:
                _record_sent(claimed, worker, now)
                report.sent += 1
    finally:
        _close(smtp)
    return report


def _release_expired_leases(now: datetime) -> None:
    """Put messages whose deliverer died mid-send back in the queue (or fail them)."""
    stale = (OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until <= now)
    released = {"claimed_by": None, "claimed_until": None, "last_error": _STALE_LEASE_ERROR}
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    db.session.execute(
        update(OutboxMessage)
        .where(*stale, OutboxMessage.attempts >= max_attempts)
        .values(status=OutboxStatus.FAILED, **released)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(*stale)
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, **released)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _claim_next(worker: str, now: datetime) -> Any | None:
    """Claim the oldest due message for *worker*, or return None when nothing is due.

    One statement that writes from the start: on SQLite it waits for the write lock instead of
    failing on a stale read snapshot; on PostgreSQL SKIP LOCKED lets deliverers pass each other.
    The repeated ``status = 'pending'`` makes a lost race update no row.
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    lease = timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    row = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == due, OutboxMessage.status == OutboxStatus.PENDING)
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            claimed_by=worker,
            claimed_until=now + lease,
        )
        .returning(*_CLAIMED_COLUMNS)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    db.session.commit()
    return row


def _finish(claimed: Any, worker: str, **values: Any) -> None:
    """Record an outcome, if the claim is still ours (it is unless the lease ran out)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == claimed.id,
            OutboxMessage.claimed_by == worker,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount == 0:  # type: ignore[attr-defined]
        log.warning("Outbox message %s: lease ran out before its outcome was recorded", claimed.id)


def _record_sent(claimed: Any, worker: str, now: datetime) -> None:
    _finish(claimed, worker, status=OutboxStatus.SENT, sent_at=now)


def _record_failure(
    claimed: Any,
    worker: str,
    exc: BaseException,
    now: datetime,
    report: DeliveryReport,
    *,
    permanent: bool = False,
) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    log.warning(
        "Outbox message %s not delivered (attempt %s): %s", claimed.id, claimed.attempts, error
    )
    if permanent or claimed.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _finish(claimed, worker, status=OutboxStatus.FAILED, last_error=error)
        report.failed += 1
    else:
        retry_at = now + backoff(claimed.attempts)
        _finish(
            claimed, worker, status=OutboxStatus.PENDING, last_error=error, next_attempt_at=retry_at
        )
        report.retried += 1


def backoff(attempts: int) -> timedelta:
    """How long to wait after the *attempts*-th failure: 1, 2, 4 … minutes, at most 6 hours."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def _permanent(exc: BaseException) -> bool:
    """The server refused the recipient for good (5xx): trying again cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return False


def _connect() -> smtplib.SMTP:
    """Open an SMTP connection as configured; any failure is a ``_ConnectError``."""
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    # An explicit EHLO name: the default (socket.getfqdn) may query DNS and be wrong anyway.
    local_hostname = config.get("MAIL_LOCAL_HOSTNAME") or _sender_domain()
    smtp: smtplib.SMTP | None = None
    try:
        if config["MAIL_USE_SSL"]:
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(
                host, port, local_hostname=local_hostname, timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=local_hostname, timeout=timeout)
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except Exception as exc:
        _close(smtp)
        raise _ConnectError(str(exc)) from exc
    return smtp


def _close(smtp: smtplib.SMTP | None) -> None:
    """Say goodbye if the server still listens; returns None for ``smtp = _close(smtp)``."""
    if smtp is None:
        return
    try:
        smtp.quit()
    except Exception:  # already gone: nothing to do
        smtp.close()


def _sender_domain() -> str:
    address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return address.rpartition("@")[2] or "localhost"


def build_email(message: _Mail, *, sender: str) -> EmailMessage:
    """The MIME message for *message*: text and HTML alternatives, plus its invite if any.

    With an invite (RFC 6047, research note B3): multipart/mixed holding multipart/alternative
    (text/plain, text/html, and LAST text/calendar with the same METHOD as the calendar), then
    the same calendar as an ``invite.ics`` attachment for clients that only offer a download.
    """
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = Address(display_name=message.to_name, addr_spec=message.to_address)
    email["Date"] = format_datetime(utcnow())
    domain = _sender_domain()
    created = int(message.created_at.timestamp())
    # Stable across attempts, so a message sent twice after a crash can be recognised.
    email["Message-ID"] = f"<outbox.{message.id}.{created}@{domain}>"
    email["Content-Language"] = message.language
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies, please
    # quoted-printable keeps every line short and 7-bit, whatever the server supports
    email.set_content(message.body_text, cte="quoted-printable")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html", cte="quoted-printable")
    if message.ics:
        if not email.is_multipart():
            email.make_alternative()
        email.attach(_calendar_part(message.ics, message.ics_method))
        email.add_attachment(
            message.ics.encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"name": "invite.ics"},
        )
    return email


def _calendar_part(ics: str, method: str) -> Message:
    """A text/calendar alternative whose Content-Type is written exactly as clients expect."""
    part = Message()  # compat32: headers go out as given (EmailMessage would quote the values)
    part["Content-Type"] = f"text/calendar; charset=UTF-8; method={method}"
    part["Content-Transfer-Encoding"] = "quoted-printable"
    raw = ics.replace("\r\n", "\n").encode("utf-8").decode("latin-1")
    part.set_payload(quoprimime.body_encode(raw, eol="\n"))
    return part


# --- Delivering right after a request (development) -------------------------------------------


def install_after_request_delivery(app: Flask) -> None:
    """Deliver the mail a request queued as soon as its response has been sent.

    On when ``MAIL_DELIVER_AFTER_REQUEST`` is true, or when it is None and the app runs in debug
    mode, and only with a MAIL_SERVER. Production runs ``flask exchange deliver-mail`` instead.
    """

    @app.after_request
    def _deliver_after_response(response: Response) -> Response:
        if g.pop(_QUEUED_FLAG, False) and _after_request_enabled():
            response.call_on_close(
                partial(_deliver_in_fresh_context, current_app._get_current_object())
            )  # type: ignore[attr-defined]
        return response


def _after_request_enabled() -> bool:
    setting = current_app.config.get("MAIL_DELIVER_AFTER_REQUEST")
    enabled = current_app.debug if setting is None else bool(setting)
    return enabled and bool(current_app.config.get("MAIL_SERVER"))


def _deliver_in_fresh_context(app: Flask) -> None:
    try:
        with app.app_context():
            report = deliver_pending()
            if report.attempted:
                app.logger.info("Mail delivered after the request: %s", report)
    except Exception:  # the response is gone; the outbox keeps the mail for the next try
        app.logger.exception("Delivering mail after the request failed")


# --- The admin outbox -------------------------------------------------------------------------


def outbox_query(status: OutboxStatus | None = None) -> Select[tuple[OutboxMessage]]:
    """Messages newest first, optionally of one status, without their bodies."""
    query = (
        select(OutboxMessage)
        .options(
            load_only(
                OutboxMessage.to_address,
                OutboxMessage.to_name,
                OutboxMessage.subject,
                OutboxMessage.status,
                OutboxMessage.attempts,
                OutboxMessage.last_error,
                OutboxMessage.created_at,
                OutboxMessage.sent_at,
                OutboxMessage.next_attempt_at,
                OutboxMessage.language,
            )
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return query


def outbox_counts() -> dict[OutboxStatus, int]:
    """How many messages have each status (one grouped query)."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({OutboxStatus(status): number for status, number in rows})
    return counts


def retry_message(message: OutboxMessage, *, now: datetime | None = None) -> bool:
    """Queue a failed or waiting message for delivery now, with a fresh set of attempts.

    Returns False when it is being sent or was sent. Flushes, never commits.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.PENDING]),
        )
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(message)
    if result.rowcount:  # type: ignore[attr-defined]
        setattr(g, _QUEUED_FLAG, True)
        return True
    return False
