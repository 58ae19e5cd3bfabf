"""The OpenAPI description of the token endpoints (routes in ``exchange.api.write``):
``PATHS`` and ``SCHEMAS``."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from exchange.api import read
from exchange.api.inputs import DEFAULT_TIMEZONE, MESSAGE_MAX, SLUG_PATTERN, TIME_PATTERN
from exchange.api.openapi import ok, page_of, refs
from exchange.api.spec import COUNT, MOMENT, MOMENT_OR_NULL, SLUG_MAX, URI, ref
from exchange.forms.sessions import MAX_CAPACITY
from exchange.models import (
    RegistrationStatus,
    SessionFormat,
    UserRole,
)

Json = dict[str, Any]


# --- OpenAPI ---------------------------------------------------------------------------------


def _object(properties: Json, required: list[str] | None = None, **extra: Any) -> Json:
    """An object with these properties and no others; all required unless *required* says."""
    return {
        "type": "object",
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }


_COUNTS = _object(
    {
        "confirmed": COUNT,
        "waitlisted": COUNT,
        "pending": COUNT,
        "cancelled": COUNT,
        "checked_in": COUNT,
    },
    description="Registrations by status (organisers only).",
)
_MANAGE = {
    "registrations": ref("RegistrationCounts"),
    "manage_url": {**URI, "description": "The session's page in the organiser workspace."},
    "manage_api_url": URI,
}


def _text_input(max_length: int | None = None, *, nullable: bool = True) -> Json:
    schema: Json = {"type": ["string", "null"] if nullable else "string"}
    if max_length:
        schema["maxLength"] = max_length
    return schema


def _time_input(description: Any, *, nullable: bool) -> Json:
    return {
        "type": ["string", "null"] if nullable else "string",
        "pattern": TIME_PATTERN,
        "description": description,
        "examples": ["2026-12-01T09:00", "2026-12-01T09:00:00+07:00"],
    }


_SESSION_INPUT: Json = {
    "title_th": {"type": "string", "minLength": 1, "maxLength": 400},
    "title_en": _text_input(400),
    "slug": {
        "type": ["string", "null"],
        "maxLength": 120,
        "pattern": SLUG_PATTERN,
        "description": "The address: a–z, 0–9 and hyphens. Empty or null: made from the title.",
    },
    "description_th": {**_text_input(), "description": "Markdown."},
    "description_en": {**_text_input(), "description": "Markdown."},
    "organiser": {
        "type": "integer",
        "minimum": 1,
        "description": "The organising agency's id. Organisers: their own (the default).",
    },
    "format": {"type": "string", "enum": [f.value for f in SessionFormat], "default": "online"},
    "platform": _text_input(120),
    "venue": _text_input(400),
    "join_url": {
        **_text_input(1000),
        "description": "https://… or http://…; shown only to people with a confirmed seat.",
    },
    "timezone": {
        "type": "string",
        "minLength": 1,
        "default": DEFAULT_TIMEZONE,
        "description": "IANA name, like Asia/Bangkok.",
    },
    "starts_at": _time_input(
        "Local time in `timezone` (YYYY-MM-DDTHH:MM) or RFC 3339 with an offset.", nullable=False
    ),
    "ends_at": _time_input("As starts_at; after it.", nullable=False),
    "capacity": {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": MAX_CAPACITY,
        "description": "Seats; null for no limit.",
    },
    "registration_opens_at": _time_input("As starts_at; null: open now.", nullable=True),
    "registration_closes_at": _time_input(
        "As starts_at; by the start. Null: open until the session ends.", nullable=True
    ),
    "topics": {"type": "array", "items": {"type": "integer", "minimum": 1}},
}

_MANAGED_SESSION = {
    **read.SCHEMAS["Session"]["properties"],
    "join_url": {"type": ["string", "null"], "description": "The meeting link as entered."},
    "ical_sequence": {**COUNT, "description": "Calendar SEQUENCE: raised by each change."},
    **_MANAGE,
}

SCHEMAS: Json = {
    "Me": _object(
        {
            "id": {"type": "integer", "minimum": 1},
            "display_name": {"type": "string"},
            "role": {"type": "string", "enum": [r.value for r in UserRole]},
            "agency": {"anyOf": [ref("AgencyRef"), {"type": "null"}]},
        }
    ),
    "MyRegistration": _object(
        {
            "session": ref("SessionSummary"),
            "status": {"type": "string", "enum": [s.value for s in RegistrationStatus]},
            "waitlist_place": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "1 for the first in line; null when not on the waitlist.",
            },
            "registered_at": MOMENT,
            "confirmed_at": MOMENT_OR_NULL,
            "cancelled_at": MOMENT_OR_NULL,
            "checked_in": {"type": "boolean"},
            "checked_in_at": MOMENT_OR_NULL,
        }
    ),
    "RegistrationCounts": _COUNTS,
    "ManagedSessionSummary": _object({**read.SCHEMAS["SessionSummary"]["properties"], **_MANAGE}),
    "ManagedSession": _object(_MANAGED_SESSION),
    "SessionInput": _object(
        _SESSION_INPUT,
        ["title_th", "starts_at", "ends_at"],
        description="A new session (a draft): the fields of the website's form.",
    ),
    "SessionPatch": _object(
        _SESSION_INPUT, [], description="Only the fields to change; the others stay."
    ),
    "RegistrationInput": _object(
        {
            "waitlist": {
                "type": "boolean",
                "default": True,
                "description": "false: only a seat; a full session is then a 409 session_full.",
            }
        },
        [],
    ),
    "CancelInput": _object(
        {
            "message": {
                "type": ["string", "null"],
                "maxLength": MESSAGE_MAX,
                "description": "A note for everyone registered, in the cancellation e-mail.",
            }
        },
        [],
    ),
}
SCHEMAS["MyRegistrationPage"] = page_of("MyRegistration")
SCHEMAS["ManagedSessionPage"] = page_of("ManagedSessionSummary")

_SECURITY = [{"token": []}]
_LANG = {"$ref": "#/components/parameters/lang"}
_PAGING = [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"}]
_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": SLUG_MAX},
}
_UNSUPPORTED = {
    "description": "A body that is not JSON (send Content-Type: application/json).",
    "content": {"application/json": {"schema": ref("Error")}},
}


_WRITE_ERRORS = ("400", "401", "403", "404", "409", "429")


def _body_of(schema: str, *, required: bool) -> Json:
    return {"required": required, "content": {"application/json": {"schema": ref(schema)}}}


def _operation(
    operation_id: str,
    summary: Any,
    tag: str,
    responses: Json,
    *,
    errors: tuple[str, ...],
    path_slug: bool = False,
    paging: bool = False,
    body: Json | None = None,
) -> Json:
    parameters = [*([_SLUG] if path_slug else []), *(_PAGING if paging else []), _LANG]
    operation: Json = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "security": _SECURITY,
        "parameters": parameters,
        "responses": {**responses, **refs(*errors)},
    }
    if body is not None:
        operation["requestBody"] = body
    if errors == _WRITE_ERRORS:  # a body, even where none is needed, must be JSON
        operation["responses"]["415"] = _UNSUPPORTED
    return operation


_CREATED = {
    **ok("ManagedSession", "Created (a draft)."),
    "headers": {"Location": {"description": "Its address in the API.", "schema": URI}},
}

PATHS: Json = {
    "/me": {
        "get": _operation(
            "getMe", _l("Who the token belongs to"), "Me", {"200": ok("Me")}, errors=("400", "401")
        )
    },
    "/me/registrations": {
        "get": _operation(
            "listMyRegistrations",
            _l("My registrations, latest session first"),
            "Me",
            {"200": ok("MyRegistrationPage")},
            errors=("400", "401"),
            paging=True,
        )
    },
    "/me/sessions": {
        "get": _operation(
            "listManagedSessions",
            _l("Sessions I manage, drafts included (organisers)"),
            "Organising",
            {"200": ok("ManagedSessionPage")},
            errors=("400", "401", "403"),
            paging=True,
        )
    },
    "/me/sessions/{slug}": {
        "get": _operation(
            "getManagedSession",
            _l("A session I manage, with its join link and registration counts"),
            "Organising",
            {"200": ok("ManagedSession")},
            errors=("400", "401", "403", "404"),
            path_slug=True,
        )
    },
    "/sessions/{slug}/registration": {
        "post": _operation(
            "register",
            _l("Register for a session (a seat, or the waitlist)"),
            "Registration",
            {
                "200": ok("MyRegistration", "Already registered: unchanged."),
                "201": ok("MyRegistration", "Registered."),
            },
            errors=_WRITE_ERRORS,
            path_slug=True,
            body=_body_of("RegistrationInput", required=False),
        ),
        "delete": _operation(
            "cancelRegistration",
            _l("Cancel my registration"),
            "Registration",
            {"200": ok("MyRegistration", "Cancelled.")},
            errors=_WRITE_ERRORS,
            path_slug=True,
        ),
    },
    "/sessions": {
        "post": _operation(
            "createSession",
            _l("Create a session as a draft (organisers)"),
            "Organising",
            {"201": _CREATED},
            errors=_WRITE_ERRORS,
            body=_body_of("SessionInput", required=True),
        )
    },
    "/sessions/{slug}": {
        "patch": _operation(
            "updateSession",
            _l("Change a session (organisers); registrants are told"),
            "Organising",
            {"200": ok("ManagedSession")},
            errors=_WRITE_ERRORS,
            path_slug=True,
            body=_body_of("SessionPatch", required=True),
        )
    },
    "/sessions/{slug}/publish": {
        "post": _operation(
            "publishSession",
            _l("Publish a session (organisers)"),
            "Organising",
            {"200": ok("ManagedSession")},
            errors=_WRITE_ERRORS,
            path_slug=True,
        )
    },
    "/sessions/{slug}/unpublish": {
        "post": _operation(
            "unpublishSession",
            _l("Back to draft, while nobody has a seat (organisers)"),
            "Organising",
            {"200": ok("ManagedSession")},
            errors=_WRITE_ERRORS,
            path_slug=True,
        )
    },
    "/sessions/{slug}/cancel": {
        "post": _operation(
            "cancelSession",
            _l("Cancel a session; everyone registered is told (organisers)"),
            "Organising",
            {"200": ok("ManagedSession")},
            errors=_WRITE_ERRORS,
            path_slug=True,
            body=_body_of("CancelInput", required=False),
        )
    },
}
