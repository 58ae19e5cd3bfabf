"""Public session pages. Views stay thin: read arguments, call a service, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from exchange.db import db, utcnow
from exchange.i18n import current_language
from exchange.models import Agency, Topic
from exchange.pagination import paginate
from exchange.services import knowledge, sessions

bp = Blueprint("sessions", __name__)


@bp.get("")
def index() -> tuple[str, int]:
    """Upcoming or past sessions, filtered by topic and agency."""
    when_arg = request.args.get("when", sessions.When.UPCOMING.value)
    try:
        when = sessions.When(when_arg)
    except ValueError:
        abort(404)
    topic_slug = request.args.get("topic", "")
    agency_slug = request.args.get("agency", "")
    topic = db.session.scalar(select(Topic).filter_by(slug=topic_slug)) if topic_slug else None
    agency = db.session.scalar(select(Agency).filter_by(slug=agency_slug)) if agency_slug else None
    unknown = (topic_slug and topic is None) or (agency_slug and agency is None)
    pagination = None
    if not unknown:
        query = sessions.session_list(utcnow(), when, topic=topic, agency=agency)
        pagination = paginate(query, current_app.config["SESSIONS_PER_PAGE"])
    page = render_template(
        "sessions/index.html",
        when=when,
        pagination=pagination,
        topic=topic,
        agency=agency,
        unknown_filter=unknown,
        topics=db.session.scalars(select(Topic).order_by(Topic.name_th)).all(),
        agencies=db.session.scalars(select(Agency).order_by(Agency.name_th)).all(),
        now=utcnow(),
    )
    return page, 404 if unknown else 200


@bp.get("/<slug>")
def detail(slug: str) -> str:
    learning_session = sessions.session_page(slug)
    if learning_session is None:
        abort(404)
    attributed, shared = knowledge.split_takeaways(learning_session)
    return render_template(
        "sessions/detail.html",
        s=learning_session,
        now=utcnow(),
        people_by_item=sessions.appearances_by_item(learning_session),
        note=sessions.note_for(learning_session, current_language()),
        attributed=attributed,
        shared=shared,
    )
