"""Topics (themes) shared by sessions and takeaways, and their association tables."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import db
from exchange.models.bilingual import Bilingual

session_topic = Table(
    "session_topic",
    db.metadata,
    Column("session_id", ForeignKey("learning_session.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True, index=True),
)

takeaway_topic = Table(
    "takeaway_topic",
    db.metadata,
    Column("takeaway_id", ForeignKey("takeaway.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Topic(Bilingual, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<Topic {self.slug}>"
