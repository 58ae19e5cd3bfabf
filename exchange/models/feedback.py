"""The evaluation after a session: the organiser's questions (1–5) and one response per
registration."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.db import db, utcnow
from exchange.models.bilingual import Bilingual

if TYPE_CHECKING:
    from exchange.models.learning_session import LearningSession
    from exchange.models.registration import Registration


class FeedbackQuestion(Bilingual, db.Model):
    __tablename__ = "feedback_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    text_th: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(String(300), default="")

    learning_session: Mapped[LearningSession] = relationship(back_populates="feedback_questions")


class FeedbackResponse(db.Model):
    """One per registration: answering twice is refused by the unique registration_id."""

    __tablename__ = "feedback_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship()
    answers: Mapped[list[FeedbackAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class FeedbackAnswer(db.Model):
    __tablename__ = "feedback_answer"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_one_to_five"),)

    response_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_response.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_question.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[int]

    response: Mapped[FeedbackResponse] = relationship(back_populates="answers")
    question: Mapped[FeedbackQuestion] = relationship()
