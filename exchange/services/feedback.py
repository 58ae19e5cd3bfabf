"""The evaluation after a session: the organiser's questions, who may answer and when, and
the answers (the results are in exchange.services.feedback_results).

Decisions, so that pages, mails and tests agree:

- **Who.** Every *confirmed* registrant, not only those recorded as attending: door check-in
  is not always done and online attendance is only seen through the personal join link, so
  people who were there would otherwise be turned away. The results keep the difference: the
  response rate is given both of attendees (``LearningSession.attendance_basis``) and of
  confirmed registrants, and the export says whether each respondent attended.
- **When.** From the session's *start* until ``FEEDBACK_OPEN_DAYS`` days after its end, so
  that the host can ask people to answer in the closing minutes; a cancelled session never
  opens.
- **Once.** One response per registration (the unique ``registration_id``); a second one is
  refused with :class:`AlreadyAnswered`.
- **Anonymous.** Organisers see scores and comments without names, on the page and in the
  export; the form tells respondents so.
- **Questions that have answers** can be reworded and moved but not removed, so that results
  never lose answers; a question added later is averaged over its own answers only.

Functions flush, never commit. Every change takes the session's row lock first, so that
removing a question and answering it cannot cross.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from exchange.db import db
from exchange.models import (
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from exchange.services import audit
from exchange.services.registration import lock_session

DEFAULT_OPEN_DAYS = 30  # config FEEDBACK_OPEN_DAYS
SCORES = (1, 2, 3, 4, 5)
MAX_QUESTIONS = 20
QUESTION_MAX_LENGTH = 300  # the columns' length
COMMENT_MAX_LENGTH = 2000

# Stored as data in both languages (organisers may reword them), not as translated messages.
DEFAULT_QUESTIONS = (
    ("ความพึงพอใจโดยรวมต่อกิจกรรมนี้", "Overall satisfaction with this session"),
    (
        "เนื้อหามีประโยชน์และนำไปใช้ในการทำงานได้",
        "The content is useful and I can apply it in my work",
    ),
    ("วิทยากรถ่ายทอดความรู้ได้ชัดเจนและน่าสนใจ", "The speakers were clear and engaging"),
    (
        "การจัดกิจกรรม (เวลา ช่องทาง การประสานงาน)",
        "The organisation (timing, platform, coordination)",
    ),
)


class FeedbackError(Exception):
    """A rule refused the change; the message is safe to show."""


class AlreadyAnswered(FeedbackError):
    """This registration has a response already."""


class State(enum.StrEnum):
    """Whether a viewer may answer now, and if not, why."""

    OPEN = "open"
    ANSWERED = "answered"
    NOT_REGISTERED = "not_registered"  # no confirmed seat (none, waitlisted, cancelled, pending)
    NOT_YET = "not_yet"  # before the start
    CLOSED = "closed"  # after the window
    NO_QUESTIONS = "no_questions"
    UNAVAILABLE = "unavailable"  # the session is cancelled or not published


# --- who and when ------------------------------------------------------------------------------


def open_days() -> int:
    """How long after the end answers are taken (config ``FEEDBACK_OPEN_DAYS``)."""
    return int(current_app.config.get("FEEDBACK_OPEN_DAYS", DEFAULT_OPEN_DAYS))


def closes_at(learning_session: LearningSession, open_days: int) -> datetime:
    return learning_session.ends_at + timedelta(days=open_days)


def invited(
    learning_session: LearningSession,
    registration: Registration | None,
    now: datetime,
    open_days: int,
) -> bool:
    """May this registrant answer now, as far as the seat and the time say (no query)?"""
    return (
        learning_session.status is SessionStatus.PUBLISHED
        and registration is not None
        and registration.status is RegistrationStatus.CONFIRMED
        and learning_session.starts_at <= now < closes_at(learning_session, open_days)
    )


def state(
    learning_session: LearningSession,
    registration: Registration | None,
    now: datetime,
    open_days: int,
    *,
    has_questions: bool,
    answered: bool,
) -> State:
    """Where the viewer stands; the checks are in the order the page explains them."""
    if learning_session.status is not SessionStatus.PUBLISHED:
        return State.UNAVAILABLE
    if registration is None or registration.status is not RegistrationStatus.CONFIRMED:
        return State.NOT_REGISTERED
    if answered:
        return State.ANSWERED
    if now < learning_session.starts_at:
        return State.NOT_YET
    if now >= closes_at(learning_session, open_days):
        return State.CLOSED
    if not has_questions:
        return State.NO_QUESTIONS
    return State.OPEN


def has_answered(registration: Registration | None) -> bool:
    if registration is None:
        return False
    found = db.session.scalar(
        select(FeedbackResponse.id).filter_by(registration_id=registration.id)
    )
    return found is not None


# --- questions ---------------------------------------------------------------------------------


def questions(session_id: int) -> list[FeedbackQuestion]:
    return list(
        db.session.scalars(
            select(FeedbackQuestion)
            .filter_by(session_id=session_id)
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
        )
    )


def _clean(text_th: str, text_en: str) -> tuple[str, str]:
    text_th, text_en = " ".join(text_th.split()), " ".join(text_en.split())
    if not text_th:
        raise FeedbackError(_("Write the statement in Thai."))
    if max(len(text_th), len(text_en)) > QUESTION_MAX_LENGTH:
        raise FeedbackError(
            _("Keep each statement to %(count)d characters.", count=QUESTION_MAX_LENGTH)
        )
    return text_th, text_en


def _renumber(rows: list[FeedbackQuestion]) -> None:
    for position, row in enumerate(rows):
        row.position = position


def add_question(
    learning_session: LearningSession, text_th: str, text_en: str, *, user_id: int
) -> FeedbackQuestion:
    text_th, text_en = _clean(text_th, text_en)
    lock_session(learning_session.id)
    existing = questions(learning_session.id)
    if len(existing) >= MAX_QUESTIONS:
        raise FeedbackError(
            _("A session can have at most %(count)d questions.", count=MAX_QUESTIONS)
        )
    question = FeedbackQuestion(
        session_id=learning_session.id, position=len(existing), text_th=text_th, text_en=text_en
    )
    db.session.add(question)
    db.session.flush()
    audit.record(
        "create", question, user_id=user_id, summary=text_th, entity_type="feedback_question"
    )
    return question


def add_default_questions(
    learning_session: LearningSession, *, user_id: int
) -> list[FeedbackQuestion]:
    """The suggested set, for a session that has no questions yet."""
    lock_session(learning_session.id)
    if questions(learning_session.id):
        raise FeedbackError(_("This session has questions already."))
    return [
        add_question(learning_session, text_th, text_en, user_id=user_id)
        for text_th, text_en in DEFAULT_QUESTIONS
    ]


def update_question(
    question: FeedbackQuestion, text_th: str, text_en: str, *, user_id: int
) -> None:
    question.text_th, question.text_en = _clean(text_th, text_en)
    changes = audit.pending_changes(question)
    if changes:
        audit.record(
            "update",
            question,
            user_id=user_id,
            changes=changes,
            summary=question.text_th,
            entity_type="feedback_question",
        )


def move_question(learning_session: LearningSession, question: FeedbackQuestion, step: int) -> None:
    lock_session(learning_session.id)
    rows = questions(learning_session.id)
    index = rows.index(question)
    other = index + step
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    _renumber(rows)
    db.session.flush()


def answer_counts(session_id: int) -> dict[int, int]:
    """How many people answered each question of the session."""
    rows = db.session.execute(
        select(FeedbackAnswer.question_id, func.count())
        .join(FeedbackQuestion, FeedbackQuestion.id == FeedbackAnswer.question_id)
        .where(FeedbackQuestion.session_id == session_id)
        .group_by(FeedbackAnswer.question_id)
    )
    return {question_id: n for question_id, n in rows}


def remove_question(
    learning_session: LearningSession, question: FeedbackQuestion, *, user_id: int
) -> None:
    """Refused once anyone has answered it: its results would vanish with it."""
    lock_session(learning_session.id)
    answers = answer_counts(learning_session.id).get(question.id, 0)
    if answers:
        raise FeedbackError(
            ngettext(
                "%(num)d person has answered this question, so it stays: removing it would"
                " remove their answers from the results. You can still reword it.",
                "%(num)d people have answered this question, so it stays: removing it would"
                " remove their answers from the results. You can still reword it.",
                answers,
            )
        )
    audit.record(
        "delete",
        question,
        user_id=user_id,
        summary=question.text_th,
        entity_type="feedback_question",
    )
    db.session.delete(question)
    db.session.flush()
    _renumber(questions(learning_session.id))
    db.session.flush()


# --- answering ---------------------------------------------------------------------------------


def submit(
    learning_session: LearningSession,
    registration: Registration,
    scores: Mapping[int, int],
    comment: str,
    now: datetime,
) -> FeedbackResponse:
    """Record one response: a score for every current question, and an optional comment."""
    lock_session(learning_session.id)
    wanted = {question.id for question in questions(learning_session.id)}
    if not wanted or set(scores) != wanted:
        raise FeedbackError(
            _("The questions have changed: please check your answers and send again.")
        )
    if any(score not in SCORES for score in scores.values()):
        raise FeedbackError(_("Choose a score from 1 to 5 for each statement."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise FeedbackError(
            _("Keep the comment to %(count)d characters.", count=COMMENT_MAX_LENGTH)
        )
    response = FeedbackResponse(
        session_id=learning_session.id,
        registration_id=registration.id,
        comment=comment,
        created_at=now,
        answers=[FeedbackAnswer(question_id=qid, score=score) for qid, score in scores.items()],
    )
    try:
        with db.session.begin_nested():  # a double POST loses here, not with a 500
            db.session.add(response)
    except IntegrityError:
        raise AlreadyAnswered(_("You have already given your feedback on this session.")) from None
    return response
