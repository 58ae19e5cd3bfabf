"""A session's written summary (Markdown) and its sections, some belonging to one agency."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow

if TYPE_CHECKING:
    from exchange.models.agency import Agency
    from exchange.models.learning_session import LearningSession
    from exchange.models.user import User


class ContentStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Note(db.Model):
    """One summary per session and language; the Thai one is the original."""

    __table_args__ = (UniqueConstraint("session_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("learning_session.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8), default="th")
    title: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown: the introduction
    conclusion: Mapped[str] = mapped_column(Text, default="")  # Markdown: after the sections
    source_name: Mapped[str] = mapped_column(String(300), default="")
    source_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ContentStatus] = mapped_column(default=ContentStatus.DRAFT, index=True)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    learning_session: Mapped[LearningSession] = relationship(back_populates="notes")
    sections: Mapped[list[NoteSection]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="NoteSection.position"
    )


class NoteSection(db.Model):
    __tablename__ = "note_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("note.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    heading: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown

    note: Mapped[Note] = relationship(back_populates="sections")
    agency: Mapped[Agency | None] = relationship()


class NoteTaker(db.Model):
    """A user an organiser has allowed to write one session's note and takeaways."""

    __tablename__ = "note_taker"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    learning_session: Mapped[LearningSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
