"""Public reads of /api/v1: sessions, agencies, people, topics, takeaways, search.

No login, JSON only, each answer with an ETag (``json_response``). The rules are the web
pages' (``exchange.services``): published and cancelled sessions are public, drafts never are;
only published summaries and takeaways are shown. Filters that name something unknown (an
agency, a topic) are a 400 naming the field; a path that names something unknown is a 404.

``PATHS`` and ``SCHEMAS`` describe every route here (see ``exchange.api.openapi``); the
schemas are exact (``additionalProperties: false``) and a test checks every answer against them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, abort, current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, select

from exchange.api import serializers
from exchange.api.errors import ApiError, invalid
from exchange.api.inputs import plausible_slug
from exchange.api.read_spec import PATHS, SCHEMAS, SESSIONS_CAP, YEAR_MAX, YEAR_MIN
from exchange.api.responses import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    choice_arg,
    date_arg,
    int_arg,
    json_response,
    page_args,
    paginated,
)
from exchange.api.views import bp
from exchange.db import db, utcnow
from exchange.i18n import current_language
from exchange.models import (
    Agency,
    LearningSession,
    Person,
    SearchKind,
    TakeawayKind,
    Topic,
)
from exchange.page_cache import cached_page
from exchange.services import agencies, knowledge, registration, sessions
from exchange.services import search as search_service

SEARCH_PER_GROUP = 5
# Arguments that are a number, a day or a choice: empty is a 400 (absent is the default).
TYPED_ARGS = ("lang", "when", "from", "to", "kind", "year", "page", "per_page")

Model = TypeVar("Model", Agency, Person, Topic)


# --- shared steps ----------------------------------------------------------------------------


def session_document(slug: str, *, include_drafts: bool = False) -> dict[str, Any] | None:
    """The session as GET /sessions/{slug} shows it, or None if missing (or a draft, unless
    *include_drafts*). Everything is loaded eagerly, in a fixed number of queries."""
    if not plausible_slug(slug):
        return None
    learning_session = sessions.session_page(slug, include_drafts=include_drafts)
    if learning_session is None:
        return None
    counts = registration.counts(learning_session.id)
    return serializers.session_detail(learning_session, counts=counts)


def _by_slug(model: type[Model], slug: str) -> Model | None:
    if not plausible_slug(slug):
        return None
    return db.session.scalar(select(model).where(model.slug == slug))


def _filter(model: type[Model], name: str) -> Model | None:
    """The record a filter argument names (None without one); an unknown slug is a 400."""
    slug = request.args.get(name, "")
    if not slug:
        return None
    found = _by_slug(model, slug)
    if found is None:
        raise invalid({name: [_("Nothing has this slug: use one from the API's lists.")]})
    return found


def _args(**parsers: Callable[[], Any]) -> dict[str, Any]:
    """Run each argument's parser; a 400 then names every bad argument, not only the first.
    ``lang`` (the language of error messages) is checked too: th or en, else a 400."""
    values: dict[str, Any] = {}
    fields: dict[str, list[str]] = {}
    languages = tuple(current_app.config["LANGUAGES"])
    for name in TYPED_ARGS:
        if request.args.get(name) == "":  # a number, day or choice cannot be empty
            fields[name] = [_("Give a value, or leave this argument out.")]
    for name, parse in {"lang": lambda: choice_arg("lang", languages), **parsers}.items():
        try:
            values[name] = parse()
        except ApiError as error:
            if not error.fields:
                raise
            fields.update(error.fields)
    if fields:
        raise invalid(fields)
    return values


def _page(
    query: Select[Any], page: int, per_page: int, serialize: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """One page of *query* in the list envelope; a page past the last is an empty list."""
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    items = [serialize(item) for item in result.items]
    return paginated(items, page=page, per_page=per_page, total=result.total or 0)


def _count(query: Select[Any]) -> int:
    return db.session.scalar(select(sa.func.count()).select_from(query.order_by(None).subquery()))


def _site_midnight(day: date) -> datetime | None:
    """The start of *day* in the site's timezone, as UTC; None beyond what datetime holds."""
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    try:
        return datetime.combine(day, time(), zone).astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _date_range() -> tuple[datetime | None, datetime | None]:
    """``from``/``to`` (inclusive days in the site's timezone) as [start, end) in UTC."""
    days = _args(start=lambda: date_arg("from"), end=lambda: date_arg("to"))
    first, last = days["start"], days["end"]
    if first and last and last < first:
        raise invalid({"to": [_("The last day must not be before the first.")]})
    start = _site_midnight(first) if first else None
    end = _site_midnight(last + timedelta(days=1)) if last and last < date.max else None
    return start, end


# --- sessions --------------------------------------------------------------------------------


@bp.get("/sessions", endpoint="sessions")
@cached_page
def list_sessions() -> Response:
    """Public sessions, as the /sessions page lists them, with its filters."""
    when_values = tuple(w.value for w in sessions.When)
    args = _args(
        when=lambda: choice_arg("when", when_values, sessions.When.UPCOMING.value),
        agency=lambda: _filter(Agency, "agency"),
        topic=lambda: _filter(Topic, "topic"),
        dates=_date_range,
        page=page_args,
    )
    when = sessions.When(args["when"])
    query = sessions.session_list(utcnow(), when, topic=args["topic"], agency=args["agency"])
    start, end = args["dates"]
    if start is not None:
        query = query.where(LearningSession.starts_at >= start)
    if end is not None:
        query = query.where(LearningSession.starts_at < end)
    page, per_page = args["page"]
    return json_response(_page(query, page, per_page, serializers.session_summary))


@bp.get("/sessions/<slug>", endpoint="session")
@cached_page
def get_session(slug: str) -> Response:
    """One public session with its agenda, people, summaries and takeaways."""
    _args()
    document = session_document(slug)
    if document is None:
        abort(404)
    return json_response(document)


# --- agencies --------------------------------------------------------------------------------


@bp.get("/agencies", endpoint="agencies")
@cached_page
def list_agencies() -> Response:
    """Every agency under its parent, as the /agencies page shows them."""
    _args()
    return json_response({"data": [serializers.agency_node(n) for n in agencies.agency_tree()]})


@bp.get("/agencies/<slug>", endpoint="agency")
@cached_page
def get_agency(slug: str) -> Response:
    """An agency: parent, sub-agencies, its latest sessions and how many takeaways."""
    _args()
    agency = agencies.agency_by_slug(slug) if plausible_slug(slug) else None
    if agency is None:
        abort(404)
    query = sessions.session_list(utcnow(), sessions.When.ALL, agency=agency)
    return json_response(
        serializers.agency_detail(
            agency,
            list(db.session.scalars(query.limit(SESSIONS_CAP))),
            sessions_total=_count(query),
            takeaways_total=_count(knowledge.published_takeaways(agency=agency)),
        )
    )


# --- people ----------------------------------------------------------------------------------


@bp.get("/people", endpoint="people")
@cached_page
def list_people() -> Response:
    """People who have appeared in a public session, by Thai name."""
    page, per_page = _args(page=page_args)["page"]
    return json_response(_page(knowledge.public_people(), page, per_page, serializers.person_ref))


@bp.get("/people/<slug>", endpoint="person")
@cached_page
def get_person(slug: str) -> Response:
    """A person (any, as on the web) with their appearances in public sessions."""
    _args()
    person = _by_slug(Person, slug)
    if person is None:
        abort(404)
    appearances = knowledge.person_appearances(person)
    return json_response(serializers.person_detail(person, appearances))


# --- topics ----------------------------------------------------------------------------------


@bp.get("/topics", endpoint="topics")
@cached_page
def list_topics() -> Response:
    """Every topic with how many public sessions and published takeaways it has."""
    _args()
    rows = knowledge.topics_with_counts()
    return json_response({"data": [serializers.topic_summary(t, s, n) for t, s, n in rows]})


@bp.get("/topics/<slug>", endpoint="topic")
@cached_page
def get_topic(slug: str) -> Response:
    """A topic: its latest sessions, how many takeaways, and who said most on it."""
    _args()
    topic = _by_slug(Topic, slug)
    if topic is None:
        abort(404)
    query = sessions.session_list(utcnow(), sessions.When.ALL, topic=topic)
    return json_response(
        serializers.topic_detail(
            topic,
            list(db.session.scalars(query.limit(SESSIONS_CAP))),
            sessions_total=_count(query),
            takeaways_total=_count(knowledge.published_takeaways(topic=topic)),
            agencies=knowledge.topic_agencies(topic),
        )
    )


# --- takeaways -------------------------------------------------------------------------------


@bp.get("/takeaways", endpoint="takeaways")
@cached_page
def list_takeaways() -> Response:
    """Published takeaways of public sessions, as the /takeaways page lists them."""
    args = _args(
        agency=lambda: _filter(Agency, "agency"),
        topic=lambda: _filter(Topic, "topic"),
        kind=lambda: choice_arg("kind", tuple(k.value for k in TakeawayKind)),
        year=lambda: int_arg("year", 0, minimum=YEAR_MIN, maximum=YEAR_MAX) or None,
        page=page_args,
    )
    query = knowledge.published_takeaways(
        agency=args["agency"],
        topic=args["topic"],
        kind=TakeawayKind(args["kind"]) if args["kind"] else None,
        year=args["year"],
    )
    page, per_page = args["page"]
    return json_response(_page(query, page, per_page, serializers.takeaway))


# --- search ----------------------------------------------------------------------------------


@bp.get("/search", endpoint="search")
@cached_page
def search() -> Response:
    """The /search page's search: grouped by kind, or with ``kind`` one page of that kind."""
    args = _args(
        kind=lambda: choice_arg("kind", tuple(k.value for k in SearchKind)),
        agency=lambda: _filter(Agency, "agency"),
        topic=lambda: _filter(Topic, "topic"),
        page=lambda: int_arg("page", 1, minimum=1, maximum=search_service.MAX_PAGE),
        per_page=lambda: int_arg("per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE),
    )
    query = request.args.get("q", "")
    kind = SearchKind(args["kind"]) if args["kind"] else None
    agency, topic = args["agency"], args["topic"]
    results = search_service.search(
        query.replace("\x00", " "),
        kind=kind,
        agency_id=agency.id if agency else None,
        topic_id=topic.id if topic else None,
        page=args["page"],
        per_page=args["per_page"],
        per_group=SEARCH_PER_GROUP,
        language=current_language(),
    )
    filters = {"q": results.query, "agency": agency and agency.slug, "topic": topic and topic.slug}
    filters = {name: value for name, value in filters.items() if value}

    def more(group_kind: SearchKind) -> str:
        return url_for("api.search", kind=group_kind.value, **filters, _external=True)

    body = serializers.search_results(results, more=None if kind else more)
    if kind is not None:
        total = results.groups[0].total if results.groups else 0
        envelope = paginated([], page=results.page, per_page=results.per_page, total=total)
        body["meta"], body["links"] = envelope["meta"], envelope["links"]
    response = json_response(body)
    response.vary.add("Accept-Language")  # titles are highlighted in the language asked for
    return response


__all__ = ["PATHS", "SCHEMAS", "session_document"]  # PATHS, SCHEMAS: for exchange.api.openapi
