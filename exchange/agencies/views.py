"""Agency pages: the tree of agencies, and one agency with all it took part in and shared."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from exchange.db import utcnow
from exchange.page_cache import cached_page
from exchange.services import agencies, knowledge

bp = Blueprint("agencies", __name__)


@bp.get("")
@cached_page
def index() -> str:
    return render_template("agencies/index.html", tree=agencies.agency_tree())


@bp.get("/<slug>")
@cached_page
def detail(slug: str) -> str:
    agency = agencies.agency_by_slug(slug)
    if agency is None:
        abort(404)
    takeaways = agencies.agency_takeaways(agency)
    by_topic = request.args.get("group") == "topic"
    return render_template(
        "agencies/detail.html",
        agency=agency,
        sessions=agencies.agency_sessions(agency),
        people=agencies.agency_people(agency),
        by_topic=by_topic,
        takeaway_groups=(
            knowledge.group_by_topic(takeaways) if by_topic else knowledge.group_by_kind(takeaways)
        ),
        takeaway_count=len(takeaways),
        now=utcnow(),
    )
