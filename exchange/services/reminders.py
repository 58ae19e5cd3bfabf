"""The reminders an organiser chooses for a session, and when each one may go out.

A reminder "N minutes before" falls due at ``start - N``. Late (the worker was down), it is
still sent while useful: at most half its lead time late, and never once the next reminder
is due or the session has started. Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from exchange.db import db
from exchange.models import (
    DEFAULT_REMINDERS,
    LearningSession,
    Notice,
    NoticeKind,
    Registration,
    SessionReminder,
)
from exchange.services import audit

MAX_REMINDER_MINUTES = 30 * 24 * 60  # thirty days before the start
MAX_REMINDERS = 10


class ReminderError(Exception):
    """The organiser's reminder was refused; the message is safe to show."""


def default_reminders() -> list[SessionReminder]:
    """New reminder rows for a new session: one day and one hour before."""
    return [SessionReminder(minutes_before=minutes) for minutes in DEFAULT_REMINDERS]


def reminder_label(minutes: int) -> str:
    """ "1 day before", "2 hours before", "90 minutes before" in the reader's language."""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(num)d day before", "%(num)d days before", days)
    if minutes % 60 == 0:
        return ngettext("%(num)d hour before", "%(num)d hours before", minutes // 60)
    return ngettext("%(num)d minute before", "%(num)d minutes before", minutes)


def add_reminder(learning_session: LearningSession, minutes: int, *, user_id: int) -> None:
    """Add a reminder *minutes* before the start; flushes, never commits."""
    if not 0 < minutes <= MAX_REMINDER_MINUTES:
        raise ReminderError(_("A reminder must be from 1 minute to 30 days before the start."))
    taken = {r.minutes_before for r in learning_session.reminders}
    if minutes in taken:
        raise ReminderError(_("This session already has that reminder."))
    if len(taken) >= MAX_REMINDERS:
        raise ReminderError(
            _("A session can have at most %(count)d reminders.", count=MAX_REMINDERS)
        )
    try:
        with db.session.begin_nested():  # a double submission loses here, not with a 500
            learning_session.reminders.append(SessionReminder(minutes_before=minutes))
            db.session.flush()
    except IntegrityError:
        raise ReminderError(_("This session already has that reminder.")) from None
    audit.record("reminder_add", learning_session, user_id=user_id, summary=f"{minutes} min")


def remove_reminder(learning_session: LearningSession, reminder_id: int, *, user_id: int) -> bool:
    """Remove one of the session's reminders; False when it has no such reminder."""
    reminder = db.session.get(SessionReminder, reminder_id)
    if reminder is None or reminder.session_id != learning_session.id:
        return False
    minutes = reminder.minutes_before
    learning_session.reminders.remove(reminder)
    db.session.flush()
    audit.record("reminder_remove", learning_session, user_id=user_id, summary=f"{minutes} min")
    return True


def reminders_sent(session_id: int) -> dict[int, int]:
    """{minutes_before: how many registrants got that reminder}, in one grouped query."""
    rows = db.session.execute(
        select(Notice.key, func.count())
        .join(Registration, Registration.id == Notice.registration_id)
        .where(Registration.session_id == session_id, Notice.kind == NoticeKind.REMINDER)
        .group_by(Notice.key)
    ).all()
    return {int(key): count for key, count in rows if key.isdigit()}


def reminder_window(
    starts_at: datetime, minutes: int, all_minutes: list[int]
) -> tuple[datetime, datetime]:
    """When reminder *minutes* may go out: [due, closes)."""
    due = starts_at - timedelta(minutes=minutes)
    nearer = [m for m in all_minutes if m < minutes]
    closes = min(
        due + timedelta(minutes=minutes) / 2, starts_at - timedelta(minutes=max(nearer, default=0))
    )
    return due, closes
