"""A user's place at a session: confirmed, waitlisted or cancelled."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow
from exchange.models.learning_session import AttendanceBasis

if TYPE_CHECKING:
    from exchange.models.agency import Agency
    from exchange.models.learning_session import LearningSession
    from exchange.models.user import User


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the e-mailed confirmation link (no account yet)
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Registration(db.Model):
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        # Counting seats and walking the waitlist in order, per session.
        Index("ix_registration_session_id_status", "session_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("learning_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # No seat by default: only the registration service decides who is confirmed.
    status: Mapped[RegistrationStatus] = mapped_column(default=RegistrationStatus.PENDING)
    agency_id: Mapped[int | None] = mapped_column(  # the participant's own agency, for statistics
        ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    join_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the person (last) joined the line: the waitlist is served in (queued_at, id) order.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    # Online attendance: opening the personal join link (/j/<token>) during the session.
    joined_online_at: Mapped[datetime | None]  # the first time
    last_joined_at: Mapped[datetime | None]
    join_count: Mapped[int] = mapped_column(default=0)

    learning_session: Mapped[LearningSession] = relationship(back_populates="registrations")
    user: Mapped[User] = relationship()
    agency: Mapped[Agency | None] = relationship()

    @hybrid_method
    def attended(self, basis: AttendanceBasis) -> bool:
        """Whether the registrant attended as the session counts it (door, online or either);
        on the class, the same rule as SQL for queries."""
        door = self.checked_in_at is not None
        online = self.joined_online_at is not None
        if basis is AttendanceBasis.CHECK_IN:
            return door
        if basis is AttendanceBasis.ONLINE:
            return online
        return door or online

    @attended.expression
    @classmethod
    def _attended_clause(cls, basis: AttendanceBasis) -> sa.ColumnElement[bool]:
        door = cls.checked_in_at.is_not(None)
        online = cls.joined_online_at.is_not(None)
        if basis is AttendanceBasis.CHECK_IN:
            return door
        if basis is AttendanceBasis.ONLINE:
            return online
        return sa.or_(door, online)
