"""Reminders an organiser sets per session, and the log of messages sent to each registrant
(one row per registration, kind and key, so no message is ever sent twice)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow

if TYPE_CHECKING:
    from exchange.models.learning_session import LearningSession
    from exchange.models.registration import Registration

DEFAULT_REMINDERS = (24 * 60, 60)  # one day and one hour before


class SessionReminder(db.Model):
    """Remind confirmed registrants *minutes_before* the start."""

    __tablename__ = "session_reminder"
    __table_args__ = (
        UniqueConstraint("session_id", "minutes_before"),
        CheckConstraint("minutes_before > 0", name="before_the_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), index=True
    )
    minutes_before: Mapped[int]

    learning_session: Mapped[LearningSession] = relationship(back_populates="reminders")


class NoticeKind(enum.StrEnum):
    REMINDER = "reminder"  # key: the reminder's minutes_before
    THANK_YOU = "thank_you"  # attended: recording, materials, summary
    MISSED_YOU = "missed_you"  # registered, did not attend
    SUMMARY_PUBLISHED = "summary_published"  # the summary went out after the follow-up
    FEEDBACK = "feedback"  # the invitation to evaluate


class Notice(db.Model):
    """A message sent (written to the outbox) to one registrant. Inserted in the transaction
    that writes the mail; the unique constraint makes a second worker's copy fail instead."""

    __table_args__ = (UniqueConstraint("registration_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    kind: Mapped[NoticeKind]
    key: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship()
