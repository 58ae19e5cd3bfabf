"""E-mail written to the database first and delivered after (a mail server being down loses
nothing and blocks no registration).

Life of a message (exchange/services/mail.py moves it along):

    pending --claim--> sending --SMTP accepted--> sent
       ^                  |
       +--- error, back-off (next_attempt_at) ---+--- attempts used up --> failed
       +--- lease (claimed_until) ran out: the deliverer died mid-send

A claim is a single conditional UPDATE, so two deliverers never hold one message at once.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import db, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by one deliverer until claimed_until
    SENT = "sent"  # the mail server accepted it
    FAILED = "failed"  # gave up after the allowed attempts; an admin may retry it


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The deliverer: pending messages that are due, oldest first; expired leases.
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_message_status_claimed_until", "status", "claimed_until"),
        # The admin list: newest first, optionally of one status.
        Index("ix_outbox_message_created_at", "created_at"),
        Index("ix_outbox_message_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="th")  # what it was written in
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    ics: Mapped[str] = mapped_column(Text, default="")  # an iCalendar invite, if any
    ics_method: Mapped[str] = mapped_column(String(16), default="")  # REQUEST / CANCEL
    status: Mapped[OutboxStatus] = mapped_column(default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)  # delivery attempts started so far
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # "host:pid:random" while sending
    claimed_until: Mapped[datetime | None]  # the lease; past it, another deliverer may retry
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status}>"
