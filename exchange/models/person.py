"""People who appear in sessions, with their honorific prefix as written in Thai."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow
from exchange.models.bilingual import Bilingual

if TYPE_CHECKING:
    from exchange.models.user import User


class Person(Bilingual, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    prefix_th: Mapped[str] = mapped_column(String(60), default="")  # นาย, พญ., ผศ.ดร.ทพญ.
    name_th: Mapped[str] = mapped_column(String(200))
    prefix_en: Mapped[str] = mapped_column(String(60), default="")  # Mr., Dr., Asst. Prof. Dr.
    name_en: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()

    def display_name(self, language: str) -> str:
        """Prefix and name as a Thai or English reader expects them."""
        if language == "en" and self.name_en:
            return f"{self.prefix_en} {self.name_en}".strip()
        return f"{self.prefix_th}{self.name_th}"  # Thai writes the prefix without a space

    def __repr__(self) -> str:
        return f"<Person {self.slug}>"
