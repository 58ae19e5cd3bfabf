"""Agencies: public-sector organisations, forming a tree (a ministry and its departments)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow
from exchange.models.bilingual import Bilingual


class AgencyKind(enum.StrEnum):
    MINISTRY = "ministry"
    DEPARTMENT = "department"
    OFFICE = "office"
    INSTITUTE = "institute"
    UNIVERSITY = "university"
    FACULTY = "faculty"
    OTHER = "other"


class Agency(Bilingual, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name_th: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    abbr_th: Mapped[str] = mapped_column(String(60), default="")
    abbr_en: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[AgencyKind] = mapped_column(default=AgencyKind.OTHER)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), index=True
    )
    website: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Agency | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Agency]] = relationship(
        back_populates="parent", order_by="Agency.name_th"
    )

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"
