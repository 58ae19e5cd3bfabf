"""Files attached to a session or one of its agenda items (slides, PDFs, images)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow

if TYPE_CHECKING:
    from exchange.models.learning_session import AgendaItem, LearningSession
    from exchange.models.user import User


class Visibility(enum.StrEnum):
    PUBLIC = "public"  # anyone who can see the session
    REGISTRANTS = "registrants"  # confirmed registrants and the session's organisers


class Material(db.Model):
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, cleaned, for downloads
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # random; on disk
    content_type: Mapped[str] = mapped_column(String(100))  # detected from the content
    size: Mapped[int]
    visibility: Mapped[Visibility] = mapped_column(default=Visibility.PUBLIC)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    learning_session: Mapped[LearningSession] = relationship(back_populates="materials")
    agenda_item: Mapped[AgendaItem | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
