"""The OpenAPI 3.1 document of /api/v1, put together from what each route module declares.

read.py and write.py each hold ``PATHS`` (path -> operations, as in OpenAPI) and ``SCHEMAS``
(components) next to their routes; this module adds what they share: the error shape, the
list envelope, paging parameters and the token scheme. A test checks that every /api/v1 route
is described and that every description has a route.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l

VERSION = "1.0.0"

DESCRIPTION = """\
Open data of Learning Exchange: knowledge-sharing sessions between public-sector agencies, \
their agenda, people, agencies and topics, and what was learned (summaries and takeaways).

Reading needs no account. Texts come in Thai and English (`{"th": …, "en": …}`); times are \
RFC 3339 with their offset, a session's in its own timezone. Lists are paged (`page`, \
`per_page` ≤ 100) and wrapped as `{"data": […], "meta": {…}, "links": {…}}`. Every successful \
GET carries an `ETag`: send it back in `If-None-Match` to get `304 Not Modified`.

Registering and organising need a personal API token (made on your profile page, shown once): \
`Authorization: Bearer lx_…`. Writes are rate-limited per token (429 with `Retry-After`).

Errors always look like `{"error": {"status", "code", "message", "fields"?}}`: `code` is \
stable, `message` is for people (`?lang=th|en` or `Accept-Language`), `fields` names what to \
fix (400).
"""


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


COMMON_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message"],
                "additionalProperties": False,
                "properties": {
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "code": {"type": "string", "examples": ["invalid_input", "slug_taken"]},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "What to fix, per input field.",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    },
    "Text": {
        "type": "object",
        "description": "A text in Thai and, where written, English.",
        "required": ["th", "en"],
        "additionalProperties": False,
        "properties": {"th": {"type": "string"}, "en": {"type": ["string", "null"]}},
    },
    "PageMeta": {
        "type": "object",
        "required": ["page", "per_page", "total", "pages"],
        "additionalProperties": False,
        "properties": {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
        },
    },
    "PageLinks": {
        "type": "object",
        "required": ["self", "next", "prev"],
        "additionalProperties": False,
        "properties": {
            "self": {"type": "string", "format": "uri"},
            "next": {"type": ["string", "null"], "format": "uri"},
            "prev": {"type": ["string", "null"], "format": "uri"},
        },
    },
}

COMMON_PARAMETERS: dict[str, Any] = {
    "page": {
        "name": "page",
        "in": "query",
        "description": "Page number, from 1.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
    },
    "per_page": {
        "name": "per_page",
        "in": "query",
        "description": "Items per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
    "lang": {
        "name": "lang",
        "in": "query",
        "description": "Language of error messages (data always comes in both).",
        "schema": {"type": "string", "enum": ["th", "en"]},
    },
}

COMMON_RESPONSES: dict[str, Any] = {
    "NotModified": {"description": "Unchanged since the ETag you sent (If-None-Match)."},
    "BadRequest": _error("Invalid input: `fields` says what to fix."),
    "Unauthorized": _error("No API token, or one that is revoked or expired."),
    "Forbidden": _error("The token's user may not do this."),
    "NotFound": _error("No such thing (or not public)."),
    "Conflict": _error("The request conflicts with the current state: see `code`."),
    "TooManyRequests": _error("Rate limit reached: wait `Retry-After` seconds."),
}


def page_of(item_schema: str) -> dict[str, Any]:
    """The schema of a paged list of *item_schema* (a components/schemas name)."""
    return {
        "type": "object",
        "required": ["data", "meta", "links"],
        "additionalProperties": False,
        "properties": {
            "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{item_schema}"}},
            "meta": {"$ref": "#/components/schemas/PageMeta"},
            "links": {"$ref": "#/components/schemas/PageLinks"},
        },
    }


def ok(schema_name: str, description: str = "OK") -> dict[str, Any]:
    """A 200 (or other 2xx) response body of the named schema."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
        },
    }


def refs(*names: str) -> dict[str, Any]:
    """Responses by status from the shared ones: refs("304", "400", "404")."""
    by_status = {
        "304": "NotModified",
        "400": "BadRequest",
        "401": "Unauthorized",
        "403": "Forbidden",
        "404": "NotFound",
        "409": "Conflict",
        "429": "TooManyRequests",
    }
    return {name: {"$ref": f"#/components/responses/{by_status[name]}"} for name in names}


def document() -> dict[str, Any]:
    """The document in the current language (summaries may be lazy translations)."""
    return _plain(_document())


def english_document() -> dict[str, Any]:
    """What /api/v1/openapi.json serves: English, like the rest of the OpenAPI world."""
    with force_locale("en"):
        return document()


def _plain(value: Any) -> Any:
    """Lazy translated strings made plain, so the document is JSON."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, LazyString):
        return str(value)
    return value


def _document() -> dict[str, Any]:
    from exchange.api import read, write

    paths: dict[str, Any] = {"/openapi.json": OPENAPI_PATH}
    schemas = dict(COMMON_SCHEMAS)
    for module in (read, write):
        for path, operations in module.PATHS.items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(module.SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Learning Exchange API",
            "version": VERSION,
            "description": DESCRIPTION,
            "license": {"name": "Open data", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": request.url_root.rstrip("/") + "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "parameters": COMMON_PARAMETERS,
            "responses": COMMON_RESPONSES,
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token from your profile page (lx_…).",
                }
            },
        },
    }


OPENAPI_PATH = {
    "get": {
        "operationId": "openapi",
        "summary": _l("This OpenAPI document"),
        "tags": ["About"],
        "responses": {
            "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}},
            **refs("304"),
        },
    }
}
