"""Schedules for conference apps: /schedule.xml and .json, and per agency and topic.

Public and cacheable like the calendar feeds (``exchange.ics.views``): the version comes from
one aggregate query, a client that has it gets 304 (ETag / Last-Modified), and the language
is ``?lang=`` (default Thai), never the visitor's cookie, so one address gives everyone the
same bytes. ``?from=`` / ``?to=`` (YYYY-MM-DD, the site's timezone) choose the days; a bad
range is a 400 with a short plain-text reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Response

from exchange.db import db
from exchange.models import Agency, LearningSession, Topic
from exchange.schedule_export import frab
from exchange.services import calendars
from exchange.services import schedule_export as service

bp = Blueprint("schedule_export", __name__)

KIND = "<any(xml, json):kind>"
SITE_ACRONYM = "learning_exchange"
MIMETYPES = {"xml": "application/xml", "json": "application/json"}


@dataclass(frozen=True)
class Series:
    """Which sessions a schedule holds, and what it is called."""

    key: tuple[object, ...]  # part of the ETag
    title: str
    acronym: str
    page: str  # the series' page, for the conference's url
    agency_id: int | None = None
    topic_id: int | None = None


@bp.get(f"/schedule.{KIND}")
def programme(kind: str) -> Response:
    """Every published session from FEED_PAST_DAYS ago on, or of ``?from=``..``?to=``."""
    language = calendars.feed_language(request.args.get("lang"))
    with force_locale(language):
        title = _("Learning Exchange: all sessions")
    page = url_for("sessions.index", when="all", _external=True, **_lang(language))
    return _schedule(kind, language, Series(("all",), title, frab.acronym(SITE_ACRONYM), page))


@bp.get(f"/agencies/<slug>/schedule.{KIND}")
def agency_programme(slug: str, kind: str) -> Response:
    """Sessions the agency organised or appeared in."""
    return _named_series(kind, Agency, slug, "agencies.detail", "lx_agency")


@bp.get(f"/topics/<slug>/schedule.{KIND}")
def topic_programme(slug: str, kind: str) -> Response:
    """A topic's sessions."""
    return _named_series(kind, Topic, slug, "knowledge.topic", "lx_topic")


def _named_series(
    kind: str, model: type[Agency] | type[Topic], slug: str, endpoint: str, prefix: str
) -> Response:
    """The schedule of one agency's or topic's sessions (404 for an unknown slug)."""
    item = db.session.scalar(select(model).filter_by(slug=slug))
    if item is None:
        abort(404)
    language = calendars.feed_language(request.args.get("lang"))
    with force_locale(language):
        title = _("%(name)s: sessions", name=item.loc("name", language))
    page = url_for(endpoint, slug=slug, _external=True, **_lang(language))
    column = "agency_id" if model is Agency else "topic_id"
    series = Series(
        (column, item.id), title, frab.acronym(prefix, item.slug), page, **{column: item.id}
    )
    return _schedule(kind, language, series)


def _lang(language: str) -> dict[str, str]:
    return {} if language == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": language}


def _schedule(kind: str, language: str, series: Series) -> Response:
    """The series' schedule for ``?from=``/``?to=``; 304 when the client has this version."""
    try:
        with force_locale(language):
            date_range = service.parse_range(
                request.args.get("from"), request.args.get("to"), service.today()
            )
    except service.RangeError as error:
        return Response(str(error) + "\n", status=400, mimetype="text/plain")
    conditions = service.criteria(date_range, agency_id=series.agency_id, topic_id=series.topic_id)
    found = service.version(conditions)
    etag = found.etag(
        "schedule", frab.FORMAT_VERSION, kind, *series.key, language, request.host_url,
        series.title, date_range.key(),
    )  # fmt: skip
    if is_resource_modified(request.environ, etag=etag, last_modified=found.last_modified):
        conference = frab.Conference(
            series.title, series.acronym, series.page, service.version_label(found),
            date_range.first,
        )  # fmt: skip
        body = _build(kind, language, conference, service.schedule_sessions(conditions))
        response = Response(body, mimetype=MIMETYPES[kind])  # XML gets "; charset=utf-8"
    else:
        response = Response(status=304)
    response.set_etag(etag)
    if found.last_modified is not None:
        response.last_modified = found.last_modified
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['ICS_MAX_AGE']}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # web schedule viewers; public data
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _build(
    kind: str, language: str, conference: frab.Conference, sessions: list[LearningSession]
) -> bytes:
    schedule = frab.build(
        service.entries(sessions, language),
        conference=conference,
        settings=service.settings(),
        wording=service.wording(language),
    )
    return frab.to_xml(schedule) if kind == "xml" else frab.to_json(schedule)
