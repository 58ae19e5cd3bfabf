"""The results of a session's evaluation: response rates, each question's average and
distribution, the comments, and the rows of the export (see exchange.services.feedback for
the rules). Each function sends a fixed number of statements, whatever the number of answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from exchange.db import db
from exchange.models import (
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    LearningSession,
    Registration,
    RegistrationStatus,
)
from exchange.services.feedback import SCORES

COMMENTS_SHOWN = 200  # on the results page, newest first; the export has them all


@dataclass(frozen=True)
class QuestionResult:
    question: FeedbackQuestion
    counts: tuple[int, ...]  # people who gave 1, 2, 3, 4, 5

    @property
    def answered(self) -> int:
        return sum(self.counts)

    @property
    def average(self) -> float | None:
        if not self.answered:
            return None
        return sum(score * n for score, n in zip(SCORES, self.counts, strict=True)) / self.answered


@dataclass(frozen=True)
class Comment:
    text: str
    created_at: datetime
    attended: bool


@dataclass(frozen=True)
class Results:
    confirmed: int  # registrants with a seat
    attended: int  # of them, those who attended
    responses: int  # all responses
    from_confirmed: int  # responses of confirmed registrants
    from_attendees: int  # responses of attendees
    comment_count: int
    questions: list[QuestionResult] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    @property
    def rate_attended(self) -> float | None:
        return self.from_attendees / self.attended if self.attended else None

    @property
    def rate_confirmed(self) -> float | None:
        return self.from_confirmed / self.confirmed if self.confirmed else None


def results(learning_session: LearningSession, rows: list[FeedbackQuestion]) -> Results:
    """The numbers of the Feedback tab, in three statements whatever the number of answers."""
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    went = sa.and_(confirmed, Registration.attended(learning_session.attendance_basis))
    answered = FeedbackResponse.id.is_not(None)
    totals = db.session.execute(
        select(
            func.count(case((confirmed, 1))),
            func.count(case((went, 1))),
            func.count(FeedbackResponse.id),
            func.count(case((sa.and_(confirmed, answered), 1))),
            func.count(case((sa.and_(went, answered), 1))),
            func.count(case((FeedbackResponse.comment != "", 1))),
        )
        .select_from(Registration)
        .outerjoin(FeedbackResponse, FeedbackResponse.registration_id == Registration.id)
        .where(Registration.session_id == learning_session.id)
    ).one()
    counts: dict[int, list[int]] = {row.id: [0] * len(SCORES) for row in rows}
    for question_id, score, n in db.session.execute(
        select(FeedbackAnswer.question_id, FeedbackAnswer.score, func.count())
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .where(FeedbackResponse.session_id == learning_session.id)
        .group_by(FeedbackAnswer.question_id, FeedbackAnswer.score)
    ):
        if question_id in counts and score in SCORES:
            counts[question_id][score - 1] = n
    comments = db.session.execute(
        select(FeedbackResponse.comment, FeedbackResponse.created_at, went)
        .join(Registration, Registration.id == FeedbackResponse.registration_id)
        .where(FeedbackResponse.session_id == learning_session.id, FeedbackResponse.comment != "")
        .order_by(FeedbackResponse.created_at.desc(), FeedbackResponse.id.desc())
        .limit(COMMENTS_SHOWN)
    )
    return Results(
        *totals,
        questions=[QuestionResult(row, tuple(counts[row.id])) for row in rows],
        comments=[Comment(text, created, bool(went_)) for text, created, went_ in comments],
    )


def export_rows(learning_session: LearningSession) -> list[tuple[FeedbackResponse, bool]]:
    """Every response with its answers, oldest first, and whether its author attended."""
    went = sa.and_(
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.attended(learning_session.attendance_basis),
    )
    rows = db.session.execute(
        select(FeedbackResponse, went)
        .join(Registration, Registration.id == FeedbackResponse.registration_id)
        .where(FeedbackResponse.session_id == learning_session.id)
        .options(selectinload(FeedbackResponse.answers))
        .order_by(FeedbackResponse.created_at, FeedbackResponse.id)
    )
    return [(response, bool(went_)) for response, went_ in rows]
