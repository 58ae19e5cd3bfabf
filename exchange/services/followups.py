"""Reminders before a session and follow-ups after it, each sent once to each registrant.

Every message is written with its ``Notice`` row (registration, kind, key) in one SAVEPOINT:
the unique constraint makes a second worker's copy fail, and that registrant is skipped. On
SQLite a batch first takes the write lock, so two workers take turns instead of reading stale
data. Every function takes *now*: the clock is the caller's (tests pass their own).

When each message goes out:

- A reminder "N minutes before" falls due at ``start - N`` and goes to confirmed registrants
  who had their seat by then (who got it later just had the confirmation, with the same link
  and invite). Late (the worker was down), it is sent only while still useful: at most half
  its lead time late, and never once the next reminder is due or the session has started.
- From ``FOLLOW_UP_DELAY`` after the end (door check-ins typed in late still count) and for
  ``FOLLOW_UP_WINDOW``: attendees get a thank-you, the other confirmed registrants a "sorry we
  missed you"; both with the recording, the materials and, if published, the summary.
- A summary first published after someone's follow-up: they are told once.

Cancelled (and draft) sessions get none of these. Queries are bounded by time windows on
indexed columns (the session's status and start, the note's publication time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, delete, exists, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from exchange.db import db
from exchange.ics.builder import REQUEST
from exchange.markup import safe_href
from exchange.models import (
    ContentStatus,
    LearningSession,
    Note,
    Notice,
    NoticeKind,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Takeaway,
)
from exchange.services import calendars
from exchange.services.join_links import personal_link_for
from exchange.services.mail import DeliveryReport, deliver_pending, queue_mail
from exchange.services.reminders import MAX_REMINDER_MINUTES, reminder_window

log = logging.getLogger(__name__)

FOLLOW_UP_DELAY = timedelta(minutes=30)
FOLLOW_UP_WINDOW = timedelta(days=7)
LONGEST_SESSION = timedelta(days=30)  # bounds the follow-up scan by start time (indexed)
SUMMARY_WINDOW = timedelta(days=7)  # a summary first published longer ago is old news
TAKEAWAYS_IN_MAIL = 8  # the rest are on the session's page

SUBJECTS = {
    "reminder": lambda title: _l("Reminder: %(title)s", title=title),
    "thank_you": lambda title: _l("Thank you for joining: %(title)s", title=title),
    "missed_you": lambda title: _l("Sorry we missed you: %(title)s", title=title),
    "summary_published": lambda title: _l("The summary is published: %(title)s", title=title),
}


# --- What is due ------------------------------------------------------------------------------


@dataclass
class DueReport:
    """What one pass over the due work queued."""

    reminders: int = 0
    thank_you: int = 0
    missed_you: int = 0
    summaries: int = 0
    skipped: int = 0  # already sent (by another worker, a moment before)
    failed: int = 0  # could not be written (logged); tried again next round

    @property
    def queued(self) -> int:
        return self.reminders + self.thank_you + self.missed_you + self.summaries

    def add(self, other: DueReport) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def __str__(self) -> str:
        return (
            f"reminders {self.reminders}, thank-you {self.thank_you}, "
            f"missed-you {self.missed_you}, summaries {self.summaries}, "
            f"already sent {self.skipped}, failed {self.failed}"
        )


def queue_due(now: datetime, *, limit: int = 100) -> DueReport:
    """Write up to about *limit* due messages to the outbox; flushes, never commits."""
    report = DueReport()
    _take_write_lock_on_sqlite()
    for step in (_queue_reminders, _queue_follow_ups, _queue_summary_notices):
        step(now, report, limit)
        if report.queued + report.skipped >= limit:
            break
    return report


def _take_write_lock_on_sqlite() -> None:
    """SQLite: write (nothing) first, so this transaction waits for the lock and then reads
    what the other worker committed, instead of failing on a stale snapshot."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(delete(Notice).where(false()))


def _queue_reminders(now: datetime, report: DueReport, limit: int) -> None:
    upcoming = db.session.scalars(
        _published()
        .where(
            LearningSession.starts_at > now,
            LearningSession.starts_at <= now + timedelta(minutes=MAX_REMINDER_MINUTES),
        )
        .options(selectinload(LearningSession.reminders))
        .order_by(LearningSession.starts_at, LearningSession.id)
    )
    for learning_session in upcoming:
        minutes = [r.minutes_before for r in learning_session.reminders]
        for n in minutes:
            due, closes = reminder_window(learning_session.starts_at, n, minutes)
            if not due <= now < closes:
                continue
            seated_by_then = (
                func.coalesce(Registration.confirmed_at, Registration.created_at) <= due
            )
            for registration in _without_notice(
                learning_session,
                (NoticeKind.REMINDER,),
                str(n),
                limit - report.queued,
                seated_by_then,
            ):
                if _send_once(registration, NoticeKind.REMINDER, str(n), now, report, _remind):
                    report.reminders += 1


def _queue_follow_ups(now: datetime, report: DueReport, limit: int) -> None:
    ended = db.session.scalars(
        _published()
        .where(
            LearningSession.starts_at > now - FOLLOW_UP_WINDOW - LONGEST_SESSION,
            LearningSession.starts_at <= now,
            LearningSession.ends_at <= now - FOLLOW_UP_DELAY,
            LearningSession.ends_at > now - FOLLOW_UP_WINDOW,
        )
        .order_by(LearningSession.starts_at, LearningSession.id)
    ).all()
    follow_ups = (NoticeKind.THANK_YOU, NoticeKind.MISSED_YOU)
    for learning_session in ended:
        registrations = _without_notice(learning_session, follow_ups, "", limit - report.queued)
        after = _AfterSession.load(learning_session) if registrations else None
        for registration in registrations:
            assert after is not None
            if registration.attended(learning_session.attendance_basis):
                if _send_once(registration, NoticeKind.THANK_YOU, "", now, report, after.thank):
                    report.thank_you += 1
            elif _send_once(registration, NoticeKind.MISSED_YOU, "", now, report, after.missed):
                report.missed_you += 1


def _queue_summary_notices(now: datetime, report: DueReport, limit: int) -> None:
    recent = select(Note.session_id).where(
        Note.status == ContentStatus.PUBLISHED,
        Note.published_at > now - SUMMARY_WINDOW,
        Note.published_at <= now,
    )
    sessions = db.session.scalars(
        _published().where(LearningSession.id.in_(recent)).order_by(LearningSession.id)
    ).all()
    for learning_session in sessions:
        after = _AfterSession.load(learning_session)
        first = after.first_published
        if first is None or first <= now - SUMMARY_WINDOW:
            continue  # told in the follow-ups long ago, or not published at all
        follow_up = aliased(Notice)
        earlier = exists().where(
            follow_up.registration_id == Registration.id,
            follow_up.kind.in_([NoticeKind.THANK_YOU, NoticeKind.MISSED_YOU]),
            follow_up.created_at < first,
        )
        for registration in _without_notice(
            learning_session, (NoticeKind.SUMMARY_PUBLISHED,), "", limit - report.queued, earlier
        ):
            if _send_once(
                registration, NoticeKind.SUMMARY_PUBLISHED, "", now, report, after.write_summary
            ):
                report.summaries += 1


def _published() -> Select[tuple[LearningSession]]:
    return select(LearningSession).where(LearningSession.status == SessionStatus.PUBLISHED)


def _without_notice(
    learning_session: LearningSession,
    kinds: tuple[NoticeKind, ...],
    key: str,
    limit: int,
    *criteria: ColumnElement[bool],
) -> list[Registration]:
    """Confirmed registrations of the session with no notice of *kinds* and *key* yet."""
    if limit <= 0:
        return []
    sent = exists().where(
        Notice.registration_id == Registration.id, Notice.kind.in_(kinds), Notice.key == key
    )
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.session_id == learning_session.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                ~sent,
                *criteria,
            )
            .options(joinedload(Registration.user))
            .order_by(Registration.id)
            .limit(limit)
        )
    )


def _send_once(
    registration: Registration,
    kind: NoticeKind,
    key: str,
    now: datetime,
    report: DueReport,
    write: Callable[[Registration, datetime], None],
) -> bool:
    """Record the notice and write the mail together; False if it was already sent (or the
    mail could not be written: logged, and tried again next round)."""
    try:
        with db.session.begin_nested():
            db.session.add(
                Notice(registration_id=registration.id, kind=kind, key=key, created_at=now)
            )
            db.session.flush()  # a second copy fails here, before any mail is written
            write(registration, now)
    except IntegrityError:
        report.skipped += 1
        return False
    except Exception:  # one broken message must not stop everyone else's
        log.exception("Could not write the %s mail for registration %s", kind, registration.id)
        report.failed += 1
        return False
    return True


# --- The messages -----------------------------------------------------------------------------


def _mail(registration: Registration, template: str, **context: object) -> None:
    user = registration.user
    learning_session = registration.learning_session
    slug = learning_session.slug
    queue_mail(
        to_address=user.email,
        to_name=user.display_name,
        language=user.locale,
        template=template,
        subject=SUBJECTS[template](learning_session.loc("title", user.locale)),
        registration=registration,
        learning_session=learning_session,
        user=user,
        session_url=url_for("sessions.detail", slug=slug, _external=True),
        me_url=url_for("me.index", _external=True),
        **context,
    )


def _remind(registration: Registration, now: datetime) -> None:
    join_url = personal_link_for(registration)  # the personal link, never the platform's
    _mail(
        registration,
        "reminder",
        join_url=join_url,
        ics=calendars.invite(
            registration.learning_session, registration.user, REQUEST, now, join_url=join_url
        ),
        ics_method=REQUEST,
    )


@dataclass
class _AfterSession:
    """What the after-session mails of one session share, loaded once for all registrants."""

    learning_session: LearningSession
    notes: list[Note]  # published
    takeaways: list[Takeaway]  # published, the first few

    @classmethod
    def load(cls, learning_session: LearningSession) -> _AfterSession:
        notes = db.session.scalars(
            select(Note).where(
                Note.session_id == learning_session.id, Note.status == ContentStatus.PUBLISHED
            )
        ).all()
        takeaways = db.session.scalars(
            select(Takeaway)
            .where(
                Takeaway.session_id == learning_session.id,
                Takeaway.status == ContentStatus.PUBLISHED,
            )
            .order_by(Takeaway.position, Takeaway.id)
            .limit(TAKEAWAYS_IN_MAIL + 1)
        ).all()
        return cls(learning_session, list(notes), list(takeaways))

    @property
    def first_published(self) -> datetime | None:
        return min((n.published_at for n in self.notes if n.published_at), default=None)

    def summary(self, language: str) -> Note | None:
        """The published summary in *language*, else the Thai original, else any."""
        by_language = {note.language: note for note in self.notes}
        return by_language.get(language) or by_language.get("th") or next(iter(self.notes), None)

    def context(self, registration: Registration) -> dict[str, object]:
        learning_session, slug = self.learning_session, self.learning_session.slug
        return {
            "recording_url": safe_href(learning_session.recording_url),
            "materials_url": url_for(
                "sessions.detail", slug=slug, _anchor="materials", _external=True
            ),
            "summary": self.summary(registration.user.locale),
            "summary_url": url_for("sessions.detail", slug=slug, _anchor="summary", _external=True),
            "takeaways": self.takeaways[:TAKEAWAYS_IN_MAIL],
            "more_takeaways": len(self.takeaways) > TAKEAWAYS_IN_MAIL,
        }

    def thank(self, registration: Registration, now: datetime) -> None:
        feedback_url = _feedback_url(self.learning_session)
        _mail(registration, "thank_you", feedback_url=feedback_url, **self.context(registration))

    def missed(self, registration: Registration, now: datetime) -> None:
        _mail(registration, "missed_you", **self.context(registration))

    def write_summary(self, registration: Registration, now: datetime) -> None:
        _mail(registration, "summary_published", summary_only=True, **self.context(registration))


def _feedback_url(learning_session: LearningSession) -> str:
    if learning_session.feedback_questions and "feedback.respond" in current_app.view_functions:
        return url_for("feedback.respond", slug=learning_session.slug, _external=True)
    return ""


# --- The worker's round -----------------------------------------------------------------------


@dataclass
class RoundReport:
    """What one round of the worker did."""

    delivered: DeliveryReport
    due: DueReport

    @property
    def did_something(self) -> bool:
        return bool(self.due.queued or self.due.failed or self.delivered.attempted)

    def __str__(self) -> str:
        return f"queued {self.due}; delivered: {self.delivered}"


def run_round(now: datetime, *, limit: int = 100, max_batches: int = 20) -> RoundReport:
    """Deliver the outbox, queue what is due at *now* (in batches of *limit*), deliver that.

    Owns its transactions, as ``deliver_pending`` does: commits after every batch, so call it
    outside any unit of work. Delivery keeps the outbox's own clock (``queue_mail`` stamps
    messages with the real time).
    """
    delivered = _deliver_all(limit)
    due = DueReport()
    for _batch in range(max_batches):
        batch = queue_due(now, limit=limit)
        db.session.commit()
        due.add(batch)
        if batch.queued + batch.skipped < limit:
            break
    if due.queued:
        more = _deliver_all(limit)
        delivered.sent += more.sent
        delivered.failed += more.failed
        delivered.retried += more.retried
    return RoundReport(delivered, due)


def _deliver_all(limit: int) -> DeliveryReport:
    """Deliver batches until the outbox has nothing more due (or the server is down)."""
    total = DeliveryReport()
    while True:
        report = deliver_pending(limit)
        total.enabled = report.enabled
        total.sent += report.sent
        total.failed += report.failed
        total.retried += report.retried
        if report.attempted < limit:
            return total
