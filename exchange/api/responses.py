"""Answers of the API: JSON with an ETag (304 when unchanged), pages, query arguments."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _

from exchange.api.errors import invalid

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000


def json_response(data: Any, status: int = 200, *, private: bool = False) -> Response:
    """JSON; a successful GET carries a strong ETag and answers If-None-Match with 304."""
    response = current_app.json.response(data)
    response.status_code = status
    if request.method in ("GET", "HEAD") and status == 200:
        # no-cache: keep a copy but ask each time; the ETag makes asking cheap
        response.headers["Cache-Control"] = "private, no-cache" if private else "no-cache"
        if private:
            response.vary.add("Authorization")
        response.add_etag()
        response.make_conditional(request)
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def page_args() -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (1–100) from the query string, else a 400."""
    page = int_arg("page", 1, minimum=1, maximum=MAX_PAGE)
    per_page = int_arg("per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE)
    return page, per_page


def int_arg(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    # len: int() refuses over 4,300 digits (ValueError), and no bound here needs 19
    number = raw.isascii() and raw.isdecimal() and len(raw) < 19
    if not number or not minimum <= int(raw) <= maximum:
        raise invalid(
            {name: [_("Use a whole number from %(min)d to %(max)d.", min=minimum, max=maximum)]}
        )
    return int(raw)


def date_arg(name: str) -> date | None:
    """An ISO date (YYYY-MM-DD) from the query string, else a 400 naming it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise invalid({name: [_("Use a date like 2026-12-31.")]})
    return value


def choice_arg(name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise invalid({name: [_("Use one of: %(choices)s.", choices=", ".join(choices))]})
    return raw


def paginated(items: list[Any], *, page: int, per_page: int, total: int) -> dict[str, Any]:
    """The list envelope: ``data`` plus ``meta`` (counts) and ``links`` (absolute URLs)."""
    pages = max(1, math.ceil(total / per_page))

    path_args = request.view_args or {}
    # url_for's own keywords (_external, _anchor, endpoint …) and path arguments are not
    # query arguments: passing them on would fail (TypeError) or change the link
    kept = {
        name: value
        for name, value in request.args.items()
        if not name.startswith("_") and name != "endpoint" and name not in path_args
    }

    def link(number: int) -> str:
        args = {**kept, "page": number, "per_page": per_page}
        return url_for(request.endpoint or "", **path_args, **args, _external=True)

    return {
        "data": items,
        "meta": {"page": page, "per_page": per_page, "total": total, "pages": pages},
        "links": {
            "self": link(page),
            "next": link(page + 1) if page < pages else None,
            "prev": link(page - 1) if page > 1 else None,
        },
    }
