"""Answering the evaluation after a session (/sessions/<slug>/feedback): confirmed
registrants, logged in, once each. The rules are in exchange.services.feedback."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from exchange.db import db, utcnow
from exchange.extensions import login_manager
from exchange.feedback.forms import AnswerForm, answer_form
from exchange.models import LearningSession, Registration, SessionStatus
from exchange.services import feedback as feedback_service
from exchange.services import registration as registration_service
from exchange.services.feedback import State

bp = Blueprint("feedback", __name__)

PRIVATE = {"Cache-Control": "private, no-store"}
Page = tuple[str, int, dict[str, str]]


@bp.app_template_global("feedback_invited")
def feedback_invited(learning_session: LearningSession, registration: Registration | None) -> bool:
    """For the session page: may this registrant answer now (seat and time; no query)?"""
    return feedback_service.invited(
        learning_session, registration, utcnow(), feedback_service.open_days()
    )


def _session(slug: str) -> LearningSession:
    """Published or cancelled sessions (drafts are 404); anonymous visitors log in first."""
    learning_session = db.session.scalar(
        select(LearningSession).where(
            LearningSession.slug == slug, LearningSession.status != SessionStatus.DRAFT
        )
    )
    if learning_session is None:
        abort(404)
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    return learning_session


@bp.route("/sessions/<slug>/feedback", methods=["GET", "POST"])
def respond(slug: str) -> Response | Page:
    learning_session = _session(slug)
    registration = registration_service.find(learning_session.id, current_user.id)
    questions = feedback_service.questions(learning_session.id)
    now = utcnow()
    where = feedback_service.state(
        learning_session,
        registration,
        now,
        feedback_service.open_days(),
        has_questions=bool(questions),
        answered=feedback_service.has_answered(registration),
    )
    if where is not State.OPEN:
        return _unavailable(learning_session, where)
    form = answer_form(questions)
    if not form.validate_on_submit():
        return _form_page(learning_session, form)
    try:
        feedback_service.submit(
            learning_session, registration, form.scores(), form.comment.data or "", now
        )
    except feedback_service.FeedbackError as exc:
        db.session.rollback()
        if isinstance(exc, feedback_service.AlreadyAnswered):
            return _unavailable(_session(slug), State.ANSWERED)
        return _form_page(_session(slug), answer_form(questions), problem=str(exc), status=409)
    db.session.commit()
    return redirect(url_for("feedback.thanks", slug=slug))


def _form_page(
    learning_session: LearningSession, form: AnswerForm, problem: str = "", status: int = 0
) -> Page:
    status = status or (400 if request.method == "POST" else 200)
    page = render_template(
        "feedback/form.html",
        s=learning_session,
        form=form,
        problem=problem,
        comment_max=feedback_service.COMMENT_MAX_LENGTH,
        closes_at=feedback_service.closes_at(learning_session, feedback_service.open_days()),
    )
    return page, status, PRIVATE


def _unavailable(learning_session: LearningSession, where: State) -> Page:
    """Why the form is not offered; a second response is a 409, other refusals a 403."""
    status = 403
    if where is State.ANSWERED:
        status = 409 if request.method == "POST" else 200
    page = render_template(
        "feedback/unavailable.html",
        s=learning_session,
        state=where.value,
        closes_at=feedback_service.closes_at(learning_session, feedback_service.open_days()),
    )
    return page, status, PRIVATE


@bp.get("/sessions/<slug>/feedback/thanks")
def thanks(slug: str) -> Response | Page:
    learning_session = _session(slug)
    registration = registration_service.find(learning_session.id, current_user.id)
    if not feedback_service.has_answered(registration):
        return redirect(url_for("feedback.respond", slug=slug))
    return render_template("feedback/thanks.html", s=learning_session), 200, PRIVATE
