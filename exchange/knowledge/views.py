"""What was learned, across sessions: all takeaways, topics, and people."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from exchange.db import db, utcnow
from exchange.models import Agency, Person, TakeawayKind, Topic
from exchange.pagination import paginate
from exchange.services import knowledge

bp = Blueprint("knowledge", __name__)


@bp.get("/takeaways")
def takeaways() -> tuple[str, int]:
    """All published takeaways, filtered by agency, topic and kind."""
    agency_slug = request.args.get("agency", "")
    topic_slug = request.args.get("topic", "")
    kind_arg = request.args.get("kind", "")
    agency = db.session.scalar(select(Agency).filter_by(slug=agency_slug)) if agency_slug else None
    topic = db.session.scalar(select(Topic).filter_by(slug=topic_slug)) if topic_slug else None
    kind = next((k for k in TakeawayKind if k.value == kind_arg), None)
    unknown = bool(
        (agency_slug and agency is None)
        or (topic_slug and topic is None)
        or (kind_arg and kind is None)
    )
    pagination = None
    if not unknown:
        query = knowledge.published_takeaways(agency=agency, topic=topic, kind=kind)
        pagination = paginate(query, current_app.config["TAKEAWAYS_PER_PAGE"])
    page = render_template(
        "knowledge/takeaways.html",
        pagination=pagination,
        agency=agency,
        topic=topic,
        kind=kind,
        unknown_filter=unknown,
        kinds=list(TakeawayKind),
        agencies=db.session.scalars(select(Agency).order_by(Agency.name_th)).all(),
        topics=db.session.scalars(select(Topic).order_by(Topic.name_th)).all(),
    )
    return page, 404 if unknown else 200


@bp.get("/topics")
def topics() -> str:
    return render_template("knowledge/topics.html", topics=knowledge.topics_with_counts())


@bp.get("/topics/<slug>")
def topic(slug: str) -> str:
    found = db.session.scalar(select(Topic).filter_by(slug=slug))
    if found is None:
        abort(404)
    takeaways = list(db.session.scalars(knowledge.published_takeaways(topic=found)))
    return render_template(
        "knowledge/topic.html",
        topic=found,
        sessions=knowledge.topic_sessions(found),
        takeaways=takeaways,
        now=utcnow(),
    )


@bp.get("/people/<slug>")
def person(slug: str) -> str:
    found = db.session.scalar(select(Person).filter_by(slug=slug))
    if found is None:
        abort(404)
    return render_template(
        "knowledge/person.html", person=found, appearances=knowledge.person_appearances(found)
    )
