"""/search?q=…&type=…&agency=…&topic=…"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from exchange.agencies import choices
from exchange.db import db
from exchange.i18n import current_language
from exchange.models import Agency, SearchKind, Topic
from exchange.page_cache import cached_page
from exchange.pagination import page_number
from exchange.services import search as search_service

bp = Blueprint("search", __name__)

PER_PAGE = 20
PER_GROUP = 5


@dataclass
class _Pages:
    """What templates/_macros/pagination.html reads, for a page the service already cut."""

    page: int
    pages: int

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)
    iter_pages = Pagination.iter_pages


@bp.get("/search")
@cached_page
def index() -> tuple[str, int]:
    """Sessions, notes, takeaways, agencies and people matching the query."""
    query = request.args.get("q", "")
    kind_arg = request.args.get("type", "")
    agency_slug = request.args.get("agency", "")
    topic_slug = request.args.get("topic", "")
    kind = next((k for k in SearchKind if k.value == kind_arg), None)
    agency = db.session.scalar(select(Agency).filter_by(slug=agency_slug)) if agency_slug else None
    topic = db.session.scalar(select(Topic).filter_by(slug=topic_slug)) if topic_slug else None
    unknown = bool(
        (kind_arg and kind is None)
        or (agency_slug and agency is None)
        or (topic_slug and topic is None)
    )
    results = None
    if not unknown:
        results = search_service.search(
            query,
            kind=kind,
            agency_id=agency.id if agency else None,
            topic_id=topic.id if topic else None,
            page=page_number(),
            per_page=PER_PAGE,
            per_group=PER_GROUP,
            language=current_language(),
        )
    page = render_template(
        "search/index.html",
        search_text=query,  # not `query`: base.html uses that name
        results=results,
        pages=_Pages(results.page, results.pages) if results and results.per_page else None,
        kind=kind,
        agency=agency,
        topic=topic,
        kinds=list(SearchKind),
        unknown_filter=unknown,
        agency_options=choices.filter_options(agency.slug if agency else ""),
        topics=db.session.scalars(select(Topic).order_by(Topic.name_th)).all(),
    )
    return page, 404 if unknown else 200
