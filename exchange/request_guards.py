"""Inputs no database can hold, dealt with before any view sends them to one.

- NUL in text: PostgreSQL cannot store or even compare it (psycopg raises DataError), so a
  ``%00`` in a filter or a form field was a 500 there (and stored as-is on SQLite). No one
  types one and it carries no meaning, so it is removed from the query string and the posted
  form; an address holding one names nothing (404). /api/v1 checks its own inputs and names
  the field in a problem document (``exchange.api.inputs.storable``).
- ``<int:…>`` in an address beyond a 32-bit INTEGER (every id column): PostgreSQL raised
  "integer out of range" and SQLite's driver an OverflowError, both 500s; now no route
  matches, a 404 like any other id that names nothing.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter

from exchange.api.errors import is_api_request

MAX_ID = 2**31 - 1
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class IdConverter(IntegerConverter):
    """``<int:…>`` with an upper bound: a row id, at most what an INTEGER column holds."""

    def __init__(self, map, fixed_digits: int = 0, min=None, max=MAX_ID, signed=False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def _without_nul(values: MultiDict) -> MultiDict:
    pairs = list(values.items(multi=True))
    if not any("\x00" in key or "\x00" in str(value) for key, value in pairs):
        return values
    return ImmutableMultiDict(
        (key.replace("\x00", ""), value.replace("\x00", "") if isinstance(value, str) else value)
        for key, value in pairs
    )


def drop_nul() -> None:
    if is_api_request():
        return
    if "\x00" in request.path:
        abort(404)
    request.args = _without_nul(request.args)
    if request.method == "POST" and request.mimetype in _FORMS:
        request.form = _without_nul(request.form)
    request._get_current_object().__dict__.pop("values", None)  # args + form, if read already


def install(app: Flask) -> None:
    """Call before the blueprints are registered: their rules take the converter when added."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(drop_nul)
