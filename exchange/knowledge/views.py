"""What was learned, across sessions: all takeaways, topics, and people."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy import select
from werkzeug.http import is_resource_modified

from exchange.agencies import choices
from exchange.db import db, utcnow
from exchange.i18n import current_language
from exchange.knowledge.atom import build_feed
from exchange.models import Agency, Person, TakeawayKind, Topic
from exchange.page_cache import cached_page, remembered
from exchange.pagination import paginate
from exchange.services import knowledge, sessions

bp = Blueprint("knowledge", __name__)


@bp.get("/takeaways")
@cached_page
def takeaways() -> tuple[str, int]:
    """All published takeaways, filtered by agency, topic, kind and year."""
    agency_slug = request.args.get("agency", "")
    topic_slug = request.args.get("topic", "")
    kind_arg = request.args.get("kind", "")
    year_arg = request.args.get("year", "")
    agency = db.session.scalar(select(Agency).filter_by(slug=agency_slug)) if agency_slug else None
    topic = db.session.scalar(select(Topic).filter_by(slug=topic_slug)) if topic_slug else None
    kind = next((k for k in TakeawayKind if k.value == kind_arg), None)
    years = remembered(("takeaway-years",), knowledge.takeaway_years)
    year = next((y for y in years if str(y) == year_arg), None)
    unknown = bool(
        (agency_slug and agency is None)
        or (topic_slug and topic is None)
        or (kind_arg and kind is None)
        or (year_arg and year is None)
    )
    pagination = None
    if not unknown:
        query = knowledge.published_takeaways(agency=agency, topic=topic, kind=kind, year=year)
        filters = ("takeaways", agency and agency.id, topic and topic.id, kind, year)
        pagination = paginate(query, current_app.config["TAKEAWAYS_PER_PAGE"], remember=filters)
    page = render_template(
        "knowledge/takeaways.html",
        pagination=pagination,
        agency=agency,
        topic=topic,
        kind=kind,
        year=year,
        years=years,
        unknown_filter=unknown,
        kinds=list(TakeawayKind),
        agency_options=choices.filter_options(agency.slug if agency else ""),
        topics=db.session.scalars(select(Topic).order_by(Topic.name_th)).all(),
    )
    return page, 404 if unknown else 200


@bp.get("/topics")
@cached_page
def topics() -> str:
    return render_template("knowledge/topics.html", topics=knowledge.topics_with_counts())


@bp.get("/topics/<slug>")
@cached_page
def topic(slug: str) -> str:
    found = db.session.scalar(select(Topic).filter_by(slug=slug))
    if found is None:
        abort(404)
    now = utcnow()
    spoke = knowledge.topic_agencies(found, limit=knowledge.TOPIC_AGENCIES + 1)
    pagination = paginate(
        knowledge.published_takeaways(topic=found),
        current_app.config["TAKEAWAYS_PER_PAGE"],
        remember=("takeaways", None, found.id, None, None),
    )
    return render_template(
        "knowledge/topic.html",
        topic=found,
        sessions=knowledge.topic_sessions(found, now),
        pagination=pagination,
        agencies=spoke[: knowledge.TOPIC_AGENCIES],
        more_agencies=len(spoke) > knowledge.TOPIC_AGENCIES,
        now=now,
    )


@bp.get("/people/<slug>")
@cached_page
def person(slug: str) -> str:
    found = db.session.scalar(select(Person).filter_by(slug=slug))
    if found is None:
        abort(404)
    return render_template(
        "knowledge/person.html", person=found, appearances=knowledge.person_appearances(found)
    )


@bp.get("/feed.atom")
def atom() -> Response:
    """Newly published summaries; answers If-None-Match / If-Modified-Since with 304."""
    language = current_language()
    version = knowledge.summaries_version()
    etag = f"{language}-{version.etag}"
    response = Response(mimetype="application/atom+xml")
    response.set_etag(etag)
    response.last_modified = version.updated
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.headers["Content-Language"] = language
    response.vary.add("Cookie")  # the language may come from the visitor's session
    if not is_resource_modified(request.environ, etag=etag, last_modified=version.updated):
        response.status_code = 304
        return response
    limit = current_app.config["FEED_ENTRIES"]
    items = [
        (learning_session, sessions.note_for(learning_session, language))
        for learning_session in sessions.latest_summaries(limit, with_sections=True)
    ]
    body = build_feed([(s, n) for s, n in items if n is not None], language, version.updated)
    response.set_data(body)
    return response
