"""Calendar files and subscription feeds, answered cheaply.

Each view finds the feed's version with one aggregate query, answers 304 when the client has
it (ETag / Last-Modified), else serves the bytes built for that version from a small cache in
this process, building them only on a miss. The language is ``?lang=`` (default Thai), never
the visitor's cookie, so that one address gives the same bytes to everyone; the personal feed
is in its owner's language.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Response

from exchange.db import db, utcnow
from exchange.ics import builder
from exchange.ics.cache import BytesCache
from exchange.models import Agency, LearningSession, Topic
from exchange.page_cache import remembered
from exchange.services import calendars, join_links
from exchange.services.sessions import PUBLIC_STATUSES

bp = Blueprint("ics", __name__)


@bp.get("/sessions/<slug>.ics")
def session_file(slug: str) -> Response:
    """One published or cancelled session (drafts: 404), METHOD:PUBLISH, as a download."""
    learning_session = db.session.scalars(
        select(LearningSession)
        .where(LearningSession.slug == slug, LearningSession.status.in_(PUBLIC_STATUSES))
        .options(joinedload(LearningSession.organiser))
    ).one_or_none()
    if learning_session is None:
        abort(404)
    language = calendars.feed_language(request.args.get("lang"))

    def build() -> bytes:
        entry = calendars.public_entries([learning_session], language)[0]
        return builder.build_file(
            entry, settings=calendars.settings(), wording=calendars.wording(language)
        )

    response = _respond(
        ("session", learning_session.id), calendars.file_version(learning_session), language, build
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(slug)}.ics"'
    return response


@bp.get("/calendar.ics")
def feed() -> Response:
    """Every published session (and cancelled ones) from FEED_PAST_DAYS ago on."""
    language = calendars.feed_language(request.args.get("lang"))
    with force_locale(language):
        name = _("Learning Exchange: all sessions")
        description = _("Knowledge-sharing sessions of public-sector agencies")
    return _public_feed(("all",), calendars.feed_criteria(utcnow()), language, name, description)


@bp.get("/agencies/<slug>/calendar.ics")
def agency_feed(slug: str) -> Response:
    """Sessions the agency organised or appeared in."""
    agency = db.session.scalar(select(Agency).filter_by(slug=slug))
    if agency is None:
        abort(404)
    language = calendars.feed_language(request.args.get("lang"))
    with force_locale(language):
        name = _("%(name)s: sessions", name=agency.loc("name", language))
    criteria = calendars.feed_criteria(utcnow(), agency_id=agency.id)
    return _public_feed(("agency", agency.id), criteria, language, name, "")


@bp.get("/topics/<slug>/calendar.ics")
def topic_feed(slug: str) -> Response:
    topic = db.session.scalar(select(Topic).filter_by(slug=slug))
    if topic is None:
        abort(404)
    language = calendars.feed_language(request.args.get("lang"))
    with force_locale(language):
        name = _("%(name)s: sessions", name=topic.loc("name", language))
    criteria = calendars.feed_criteria(utcnow(), topic_id=topic.id)
    return _public_feed(("topic", topic.id), criteria, language, name, "")


@bp.get("/me/calendar/<token>.ics")
def personal_feed(token: str) -> Response:
    """The owner's confirmed seats (with their personal join links) and waitlist places
    (TENTATIVE)."""
    user = calendars.user_by_calendar_token(token)
    if user is None or not user.active:
        abort(404)
    now = utcnow()
    language = calendars.feed_language(user.locale)

    def build() -> bytes:
        registrations = calendars.personal_registrations(user.id, now)
        made_tokens = join_links.ensure_join_tokens(registrations)  # rows from before them
        with force_locale(language):
            name = _("Learning Exchange: my sessions")
        body = builder.build_feed(
            calendars.personal_entries(registrations, language),
            settings=calendars.settings(),
            wording=calendars.wording(language),
            name=name,
            event_cache=_cache("ics_event_cache"),
        )
        if made_tokens:
            db.session.commit()  # before the bytes are cached: their links must work
        return body

    version = calendars.personal_version(user.id, now)
    response = _respond(("me", user.id), version, language, build, private=True)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _public_feed(
    key: tuple[object, ...], criteria: list, language: str, name: str, description: str
) -> Response:
    def build() -> bytes:
        sessions = calendars.feed_sessions(criteria)
        return builder.build_feed(
            calendars.public_entries(sessions, language),
            settings=calendars.settings(),
            wording=calendars.wording(language),
            name=name,
            description=description,
            event_cache=_cache("ics_event_cache"),
            complete=calendars.complete,
        )

    # The name is part of the ETag: renaming the agency or topic renames the calendar.
    version = remembered(("feed-version", *key), lambda: calendars.feed_version(criteria))
    return _respond(key, version, language, build, extra=name)


def _respond(
    key: tuple[object, ...],
    version: calendars.Version,
    language: str,
    build: Callable[[], bytes],
    *,
    private: bool = False,
    extra: str = "",
) -> Response:
    """304 when the client has this version; else the bytes, from the cache or built now."""
    etag = version.etag(*key, language, request.host_url, extra)
    if is_resource_modified(request.environ, etag=etag, last_modified=version.last_modified):
        cache = _cache()
        body = cache.get(etag)
        if body is None:
            body = build()
            # one version per feed (and language, host, name): a new one replaces the old
            cache.put(etag, body, slot=(*key, language, request.host_url, extra))
        response = Response(body, mimetype="text/calendar")  # charset=utf-8 is added
    else:
        response = Response(status=304)
    response.set_etag(etag)
    if version.last_modified is not None:
        response.last_modified = version.last_modified
    if private:  # a secret address: no shared cache may keep it; revalidate (cheap) every time
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = f"public, max-age={current_app.config['ICS_MAX_AGE']}"
    return response


def _cache(name: str = "ics_cache") -> BytesCache:
    """This app's cache of built calendars, or (``ics_event_cache``) of single events; one
    of each per process, bounded by ICS_CACHE_ENTRIES / ICS_EVENT_CACHE_ENTRIES and bytes."""
    cache = current_app.extensions.get(name)
    if cache is None:
        config = current_app.config
        entries = config[
            "ICS_EVENT_CACHE_ENTRIES" if name == "ics_event_cache" else "ICS_CACHE_ENTRIES"
        ]
        cache = BytesCache(entries, config["ICS_CACHE_BYTES"])
        current_app.extensions[name] = cache
    return cache


def _filename(slug: str) -> str:
    """A header-safe file name from the slug (slugs are ASCII already; this makes sure)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in slug)
