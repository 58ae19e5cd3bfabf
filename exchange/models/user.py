"""Accounts and their roles."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow

if TYPE_CHECKING:
    from exchange.models.agency import Agency


class UserRole(enum.StrEnum):
    PARTICIPANT = "participant"
    ORGANISER = "organiser"
    ADMIN = "admin"


class User(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique index makes addresses unique regardless of case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None until one is set
    role: Mapped[UserRole] = mapped_column(default=UserRole.PARTICIPANT)
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(String(8), default="th")
    is_active: Mapped[bool] = mapped_column(default=True)
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.id}>"
