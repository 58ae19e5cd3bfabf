"""Takeaways: one short lesson, practice, initiative or conclusion, attributed to agencies."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow
from exchange.models.bilingual import Bilingual
from exchange.models.note import ContentStatus
from exchange.models.topic import takeaway_topic

if TYPE_CHECKING:
    from exchange.models.agency import Agency
    from exchange.models.learning_session import LearningSession
    from exchange.models.topic import Topic

takeaway_agency = Table(
    "takeaway_agency",
    db.metadata,
    Column("takeaway_id", ForeignKey("takeaway.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TakeawayKind(enum.StrEnum):
    """In the order a session page lists them."""

    INITIATIVE = "initiative"  # Justice Care, the 1323 hotline
    PRACTICE = "practice"  # a way of working
    SUCCESS_FACTOR = "success_factor"  # an agency's "secret" (เคล็ดลับ)
    CONCLUSION = "conclusion"  # what several agencies concluded together


class Takeaway(Bilingual, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TakeawayKind]
    statement_th: Mapped[str] = mapped_column(Text)
    statement_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[ContentStatus] = mapped_column(default=ContentStatus.PUBLISHED, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    learning_session: Mapped[LearningSession] = relationship(back_populates="takeaways")
    agencies: Mapped[list[Agency]] = relationship(
        secondary=takeaway_agency, order_by="Agency.name_th"
    )
    topics: Mapped[list[Topic]] = relationship(secondary=takeaway_topic, order_by="Topic.name_th")
