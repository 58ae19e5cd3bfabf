"""The OpenAPI description of the public reads (routes in ``exchange.api.read``): ``PATHS`` and
``SCHEMAS``, exact (``additionalProperties: false``); a test checks every answer against them."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from exchange.api.openapi import ok, page_of, refs
from exchange.api.spec import (
    COUNT,
    ID,
    LINKS,
    MOMENT,
    MOMENT_OR_NULL,
    SLUG_MAX,
    STRING,
    STRING_OR_NULL,
    TEXT,
    URI,
    URI_OR_NULL,
    array,
    enum,
    obj,
    or_null,
    ref,
)
from exchange.models import AgencyKind, Role, SearchKind, SessionFormat, SessionStatus, TakeawayKind
from exchange.services import registration, sessions
from exchange.services import search as search_service

# Sessions shown inside an agency or a topic; the rest are a page of /sessions?agency=… away.
SESSIONS_CAP = 50
YEAR_MIN, YEAR_MAX = 1900, 9998  # a year whose next one still fits a datetime


_AGENCY_REF = {"slug": STRING, "name": TEXT, "abbr": TEXT, **LINKS}
_TOPIC_REF = {"slug": STRING, "name": TEXT, **LINKS}
_SESSION_SUMMARY = {
    "slug": STRING,
    "status": enum([s.value for s in SessionStatus]),
    "format": enum([f.value for f in SessionFormat]),
    "title": TEXT,
    "starts_at": MOMENT,
    "ends_at": MOMENT,
    "timezone": {"type": "string", "description": "IANA name, e.g. Asia/Bangkok."},
    "organiser": or_null("AgencyRef"),
    "topics": array(ref("TopicRef")),
    **LINKS,
}
_SESSION_TAKEAWAY = {
    "id": ID,
    "kind": enum([k.value for k in TakeawayKind]),
    "statement": TEXT,
    "agencies": array(ref("AgencyRef")),
    "topics": array(ref("TopicRef")),
}
_MARKDOWN = ref("Markdown")
_COUNTED_SESSIONS = obj(
    {"total": COUNT, "data": array(ref("SessionSummary")), "api_url": URI},
    f"The latest {SESSIONS_CAP} sessions; api_url pages through all of them.",
)
_COUNTED_TAKEAWAYS = obj({"total": COUNT, **LINKS})

SCHEMAS: dict[str, Any] = {
    "AgencyRef": obj(_AGENCY_REF),
    "TopicRef": obj(_TOPIC_REF),
    "PersonRef": obj({"slug": STRING, "prefix": TEXT, "name": TEXT, **LINKS}),
    "SessionRef": obj(
        {
            "slug": STRING,
            "status": _SESSION_SUMMARY["status"],
            "title": TEXT,
            "starts_at": MOMENT,
            "timezone": STRING,
            **LINKS,
        }
    ),
    "Markdown": obj(
        {"markdown": STRING, "html": {"type": "string", "description": "Sanitised HTML."}},
        "Markdown as written, and rendered to sanitised HTML.",
    ),
    "SessionSummary": obj(_SESSION_SUMMARY),
    "Session": obj(
        {
            **_SESSION_SUMMARY,
            "description": {**TEXT, "description": "Markdown."},
            "venue": STRING_OR_NULL,
            "platform": STRING_OR_NULL,
            "agenda": array(
                obj(
                    {
                        "id": ID,
                        "position": {"type": "integer"},
                        "starts_at": MOMENT,
                        "ends_at": MOMENT_OR_NULL,
                        "title": TEXT,
                        "description": TEXT,
                    }
                )
            ),
            "people": array(
                obj(
                    {
                        "person": ref("PersonRef"),
                        "role": enum([r.value for r in Role]),
                        "position": TEXT,
                        "agency": or_null("AgencyRef"),
                        "agenda_item_id": {"type": ["integer", "null"]},
                    },
                    "A person in a role, with the position and agency they had then.",
                )
            ),
            "agencies": array(ref("AgencyRef")),
            "registration": obj(
                {
                    "open": {"type": "boolean"},
                    "closed_reason": enum([c.value for c in registration.Closed], nullable=True),
                    "opens_at": MOMENT_OR_NULL,
                    "closes_at": MOMENT_OR_NULL,
                    "capacity": {"type": ["integer", "null"], "minimum": 0},
                    "confirmed": COUNT,
                    "waitlisted": COUNT,
                    "seats_left": {"type": ["integer", "null"], "minimum": 0},
                }
            ),
            "notes": array(ref("Note")),
            "takeaways": array(ref("SessionTakeaway")),
            "recording_url": URI_OR_NULL,
            "ics_url": URI,
        }
    ),
    "Note": obj(
        {
            "language": STRING,
            "title": STRING_OR_NULL,
            "introduction": _MARKDOWN,
            "sections": array(
                obj({"heading": STRING_OR_NULL, "body": _MARKDOWN, "agency": or_null("AgencyRef")})
            ),
            "conclusion": _MARKDOWN,
            "source": obj({"name": STRING_OR_NULL, "url": URI_OR_NULL}),
            "published_at": MOMENT_OR_NULL,
        },
        "A published summary of the session in one language.",
    ),
    "SessionTakeaway": obj(_SESSION_TAKEAWAY),
    "Takeaway": obj({**_SESSION_TAKEAWAY, "session": ref("SessionRef")}),
    "AgencyNode": obj(
        {
            **_AGENCY_REF,
            "kind": enum([k.value for k in AgencyKind]),
            "sessions_count": COUNT,
            "takeaways_count": COUNT,
            "children": array(ref("AgencyNode")),
        }
    ),
    "AgencyTree": obj({"data": array(ref("AgencyNode"))}),
    "Agency": obj(
        {
            **_AGENCY_REF,
            "kind": enum([k.value for k in AgencyKind]),
            "website": URI_OR_NULL,
            "parent": or_null("AgencyRef"),
            "children": array(ref("AgencyRef")),
            "sessions": _COUNTED_SESSIONS,
            "takeaways": _COUNTED_TAKEAWAYS,
        }
    ),
    "Person": obj(
        {
            "slug": STRING,
            "prefix": TEXT,
            "name": TEXT,
            **LINKS,
            "appearances": array(
                obj(
                    {
                        "role": enum([r.value for r in Role]),
                        "position": TEXT,
                        "agency": or_null("AgencyRef"),
                        "agenda_item": {
                            "anyOf": [obj({"id": ID, "title": TEXT}), {"type": "null"}]
                        },
                        "session": ref("SessionSummary"),
                    }
                )
            ),
        }
    ),
    "TopicSummary": obj(
        {**_TOPIC_REF, "description": TEXT, "sessions_count": COUNT, "takeaways_count": COUNT}
    ),
    "TopicList": obj({"data": array(ref("TopicSummary"))}),
    "Topic": obj(
        {
            **_TOPIC_REF,
            "description": TEXT,
            "sessions": _COUNTED_SESSIONS,
            "takeaways": _COUNTED_TAKEAWAYS,
            "agencies": array(
                obj({"agency": ref("AgencyRef"), "takeaways": COUNT}),
            ),
        }
    ),
    "SearchHit": obj(
        {
            "kind": enum([k.value for k in SearchKind]),
            "id": ID,
            "title": ref("Highlighted"),
            "snippet": ref("Highlighted"),
            "session": or_null("SessionRef"),
            **LINKS,
        }
    ),
    "Highlighted": obj(
        {"text": STRING, "html": {"type": "string", "description": "Escaped, with <mark>."}}
    ),
    "SearchResults": obj(
        {
            "query": {"type": "string", "description": "The query as searched (maybe cut)."},
            "total": COUNT,
            "capped": {
                "type": "boolean",
                "description": "Some kind had more matches than were ranked: ≥ total.",
            },
            "groups": array(
                obj(
                    {
                        "kind": enum([k.value for k in SearchKind]),
                        "total": COUNT,
                        "capped": {
                            "type": "boolean",
                            "description": "More matches of this kind than were ranked: ≥ total.",
                        },
                        "data": array(ref("SearchHit")),
                        "more_api_url": URI_OR_NULL,
                    }
                )
            ),
            "meta": or_null("PageMeta"),
            "links": or_null("PageLinks"),
        }
    ),
}
SCHEMAS["SessionPage"] = page_of("SessionSummary")
SCHEMAS["PersonPage"] = page_of("PersonRef")
SCHEMAS["TakeawayPage"] = page_of("Takeaway")

_PAGING = [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"}]
_LANG = {"$ref": "#/components/parameters/lang"}
_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": SLUG_MAX},
}


def _slug_filter(name: str, description: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": STRING}


def _get(
    operation_id: str,
    summary: Any,
    tag: str,
    schema: str,
    parameters: list[dict[str, Any]],
    errors: tuple[str, ...],
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [tag],
            "parameters": [*parameters, _LANG],
            # 400 everywhere: a bad ``lang`` at least
            "responses": {"200": ok(schema), **refs("304", "400", *errors)},
        }
    }


_AGENCY_FILTER = _slug_filter("agency", _l("An agency's slug."))
_TOPIC_FILTER = _slug_filter("topic", _l("A topic's slug."))

PATHS: dict[str, Any] = {
    "/sessions": _get(
        "listSessions",
        _l("Sessions, upcoming or past, by agency, topic and dates"),
        "Sessions",
        "SessionPage",
        [
            {
                "name": "when",
                "in": "query",
                "description": _l("Upcoming (soonest first), past or all (latest first)."),
                "schema": {**enum([w.value for w in sessions.When]), "default": "upcoming"},
            },
            {**_AGENCY_FILTER, "description": _l("Organised by or taking part: an agency slug.")},
            _TOPIC_FILTER,
            {
                "name": "from",
                "in": "query",
                "description": _l("Starting on or after this day (site timezone)."),
                "schema": {"type": "string", "format": "date"},
            },
            {
                "name": "to",
                "in": "query",
                "description": _l("Starting on or before this day (site timezone)."),
                "schema": {"type": "string", "format": "date"},
            },
            *_PAGING,
        ],
        (),
    ),
    "/sessions/{slug}": _get(
        "getSession",
        _l("A session: agenda, people, registration, summaries, takeaways"),
        "Sessions",
        "Session",
        [_SLUG],
        ("404",),
    ),
    "/agencies": _get("listAgencies", _l("The tree of agencies"), "Agencies", "AgencyTree", [], ()),
    "/agencies/{slug}": _get(
        "getAgency",
        _l("An agency: its place in the tree, sessions and takeaways"),
        "Agencies",
        "Agency",
        [_SLUG],
        ("404",),
    ),
    "/people": _get(
        "listPeople",
        _l("People who appeared in sessions"),
        "People",
        "PersonPage",
        _PAGING,
        (),
    ),
    "/people/{slug}": _get(
        "getPerson", _l("A person and their appearances"), "People", "Person", [_SLUG], ("404",)
    ),
    "/topics": _get("listTopics", _l("Topics with counts"), "Topics", "TopicList", [], ()),
    "/topics/{slug}": _get(
        "getTopic",
        _l("A topic: its sessions, takeaways and agencies"),
        "Topics",
        "Topic",
        [_SLUG],
        ("404",),
    ),
    "/takeaways": _get(
        "listTakeaways",
        _l("Takeaways by agency, topic, kind and year"),
        "Takeaways",
        "TakeawayPage",
        [
            _AGENCY_FILTER,
            _TOPIC_FILTER,
            {
                "name": "kind",
                "in": "query",
                "description": _l("The kind of takeaway."),
                "schema": enum([k.value for k in TakeawayKind]),
            },
            {
                "name": "year",
                "in": "query",
                "description": _l("The year the session started in (site timezone)."),
                "schema": {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX},
            },
            *_PAGING,
        ],
        (),
    ),
    "/search": _get(
        "search",
        _l("Search sessions, summaries, takeaways, agencies and people"),
        "Search",
        "SearchResults",
        [
            {
                "name": "q",
                "in": "query",
                "description": _l(
                    "Words to find, Thai or English (cut to the first 200 characters)."
                ),
                "schema": STRING,
            },
            {
                "name": "kind",
                "in": "query",
                "description": _l("Only this kind, one page at a time (else a few of each)."),
                "schema": enum([k.value for k in SearchKind]),
            },
            _AGENCY_FILTER,
            _TOPIC_FILTER,
            {
                "name": "page",
                "in": "query",
                "description": _l("Page number, with kind."),
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": search_service.MAX_PAGE,
                    "default": 1,
                },
            },
            {"$ref": "#/components/parameters/per_page"},
        ],
        (),
    ),
}
