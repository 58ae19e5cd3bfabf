"""The Feedback tab of a session (/manage/sessions/<slug>/feedback): the questions (add, reword,
move, remove, or the suggested set in one click), the results as charts, and the CSV export.
Organisers of the session only; the rules are in exchange.services.feedback."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Optional

from exchange.db import db
from exchange.i18n import current_language
from exchange.models import AttendanceBasis, FeedbackQuestion, LearningSession
from exchange.organiser import roster
from exchange.organiser.notes import PRIVATE, submitted_button, writable_session, writing_page
from exchange.organiser.views import bp
from exchange.services import feedback as feedback_service
from exchange.services import feedback_results
from exchange.services.feedback import QUESTION_MAX_LENGTH, FeedbackError

Page = tuple[str, int, dict[str, str]]
BASIS_LABELS = {
    AttendanceBasis.EITHER: _l("checked in at the door or joined online"),
    AttendanceBasis.CHECK_IN: _l("checked in at the door"),
    AttendanceBasis.ONLINE: _l("joined online through their personal link"),
}
_PLAIN_SLUG = re.compile(r"[A-Za-z0-9._-]+")
_TOO_LONG = _l("Keep each statement to %(max)d characters.")


class QuestionForm(FlaskForm):
    text_th = StringField(
        _l("Statement in Thai"),
        validators=[
            InputRequired(message=_l("Write the statement in Thai.")),
            Length(max=QUESTION_MAX_LENGTH, message=_TOO_LONG),
        ],
    )
    text_en = StringField(
        _l("Statement in English (optional)"),
        validators=[Optional(), Length(max=QUESTION_MAX_LENGTH, message=_TOO_LONG)],
    )


def _here(slug: str, anchor: str = "#questions") -> str:
    return url_for("organiser.feedback", slug=slug) + anchor


@bp.route("/sessions/<slug>/feedback", methods=["GET", "POST"])
def feedback(slug: str) -> Response | Page:
    learning_session = writable_session(slug, manage=True)
    form = QuestionForm()
    if request.method == "POST":
        if _save(learning_session, form):
            flash(_("The question is added."), "success")
            return redirect(_here(slug))
        learning_session = writable_session(slug, manage=True)
    questions = feedback_service.questions(learning_session.id)
    return writing_page(
        "organiser/feedback.html",
        learning_session,
        400 if request.method == "POST" else 200,
        form=form,
        results=feedback_results.results(learning_session, questions),
        max_questions=feedback_service.MAX_QUESTIONS,
        suggested=feedback_service.DEFAULT_QUESTIONS,
        closes_at=feedback_service.closes_at(learning_session, feedback_service.open_days()),
        basis_label=BASIS_LABELS[learning_session.attendance_basis],
    )


def _save(
    learning_session: LearningSession, form: QuestionForm, question: FeedbackQuestion | None = None
) -> bool:
    """Validate and save; False (with the errors on *form*) when refused."""
    if not form.validate_on_submit():
        return False
    text_th, text_en = form.text_th.data or "", form.text_en.data or ""
    try:
        if question is None:
            feedback_service.add_question(
                learning_session, text_th, text_en, user_id=current_user.id
            )
        else:
            feedback_service.update_question(question, text_th, text_en, user_id=current_user.id)
    except FeedbackError as exc:
        db.session.rollback()
        form.text_th.errors = [*form.text_th.errors, str(exc)]
        return False
    db.session.commit()
    return True


def _question(learning_session: LearningSession, question_id: int) -> FeedbackQuestion:
    question = db.session.get(FeedbackQuestion, question_id)
    if question is None or question.session_id != learning_session.id:
        abort(404)
    return question


@bp.route("/sessions/<slug>/feedback/questions/<int:question_id>/edit", methods=["GET", "POST"])
def edit_feedback_question(slug: str, question_id: int) -> Response | Page:
    learning_session = writable_session(slug, manage=True)
    question = _question(learning_session, question_id)
    form = QuestionForm(obj=question) if request.method == "GET" else QuestionForm()
    if request.method == "POST":
        if _save(learning_session, form, question):
            flash(_("The question is saved."), "success")
            return redirect(_here(slug, f"#question-{question_id}"))
        learning_session = writable_session(slug, manage=True)
    answers = feedback_service.answer_counts(learning_session.id).get(question_id, 0)
    return writing_page(
        "organiser/feedback_edit.html",
        learning_session,
        400 if request.method == "POST" else 200,
        form=form,
        question_id=question_id,
        answers=answers,
    )


@bp.post("/sessions/<slug>/feedback/defaults")
def feedback_defaults(slug: str) -> Response:
    learning_session = submitted_button(slug, manage=True)
    try:
        feedback_service.add_default_questions(learning_session, user_id=current_user.id)
    except FeedbackError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(_("The suggested questions are added: reword them as you like."), "success")
    return redirect(_here(slug))


@bp.post("/sessions/<slug>/feedback/questions/<int:question_id>/move/<any(up, down):direction>")
def move_feedback_question(slug: str, question_id: int, direction: str) -> Response:
    learning_session = submitted_button(slug, manage=True)
    question = _question(learning_session, question_id)
    feedback_service.move_question(learning_session, question, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(_here(slug, f"#question-{question_id}"))


@bp.post("/sessions/<slug>/feedback/questions/<int:question_id>/delete")
def remove_feedback_question(slug: str, question_id: int) -> Response | Page:
    learning_session = submitted_button(slug, manage=True)
    question = _question(learning_session, question_id)
    try:
        feedback_service.remove_question(learning_session, question, user_id=current_user.id)
    except FeedbackError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return redirect(_here(slug, f"#question-{question_id}"))
    db.session.commit()
    flash(_("The question is removed."), "info")
    return redirect(_here(slug))


@bp.get("/sessions/<slug>/feedback.csv")
def feedback_csv(slug: str) -> Response:
    """One row per response, without names (UTF-8 with a BOM, for Excel)."""
    learning_session = writable_session(slug, manage=True)
    questions = feedback_service.questions(learning_session.id)
    rows = feedback_results.export_rows(learning_session)
    zone, language = ZoneInfo(learning_session.timezone), current_language()
    header = [
        _("Answered on"),
        _("Attended"),
        *(f"{n}. {q.loc('text', language)}" for n, q in enumerate(questions, 1)),
        _("Comment"),
    ]

    def cells():
        for response, attended in rows:
            scores = {answer.question_id: answer.score for answer in response.answers}
            day = response.created_at.astimezone(zone).date().isoformat()
            yield [
                day,
                _("yes") if attended else _("no"),
                *(str(scores.get(q.id, "")) for q in questions),
                response.comment,
            ]

    name = f"{slug}-feedback.csv" if _PLAIN_SLUG.fullmatch(slug) else "feedback.csv"
    return Response(
        stream_with_context(line.encode("utf-8") for line in roster.to_csv(header, cells())),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE},
    )
