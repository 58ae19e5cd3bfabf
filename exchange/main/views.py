"""The home page and the language switch."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from exchange.db import db, utcnow
from exchange.i18n import remember_language, safe_next
from exchange.page_cache import cached_page
from exchange.services import knowledge, sessions

bp = Blueprint("main", __name__)


@bp.get("/")
@cached_page
def index() -> str:
    config = current_app.config
    return render_template(
        "main/index.html",
        upcoming=sessions.upcoming(utcnow(), config["HOME_UPCOMING"]),
        summaries=sessions.latest_summaries(config["HOME_SUMMARIES"]),
        takeaways=knowledge.recent_takeaways(config["HOME_TAKEAWAYS"]),
        note_for=sessions.note_for,
        now=utcnow(),
    )


@bp.get("/language/<code>")
def set_language(code: str) -> Response:
    """Remember the reader's language and go back where they were."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    remember_language(code)
    if current_user.is_authenticated and current_user.locale != code:
        current_user.locale = code  # e-mails follow the language the person reads in
        db.session.commit()
    return redirect(_without_lang(safe_next(request.args.get("next"))))


def _without_lang(target: str) -> str:
    """Drop a ``lang=`` parameter, which would otherwise override the new choice."""
    parts = urlsplit(target)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lang"])
    return urlunsplit(("", "", parts.path, query, parts.fragment))
