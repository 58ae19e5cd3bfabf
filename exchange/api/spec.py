"""Building blocks for the OpenAPI document's JSON Schemas, shared by read_spec and write_spec."""

from __future__ import annotations

from typing import Any

SLUG_MAX = 200  # longer than any slug column: such a path names nothing


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """An object with exactly these properties, every one always present (maybe null)."""
    schema: dict[str, Any] = {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def or_null(name: str) -> dict[str, Any]:
    return {"anyOf": [ref(name), {"type": "null"}]}


def enum(values: list[str], *, nullable: bool = False) -> dict[str, Any]:
    if nullable:
        return {"type": ["string", "null"], "enum": [*values, None]}
    return {"type": "string", "enum": values}


STRING = {"type": "string"}
STRING_OR_NULL = {"type": ["string", "null"]}
URI = {"type": "string", "format": "uri"}
URI_OR_NULL = {"type": ["string", "null"], "format": "uri"}
MOMENT = {"type": "string", "format": "date-time"}
MOMENT_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
COUNT = {"type": "integer", "minimum": 0}
ID = {"type": "integer", "minimum": 1}
TEXT = ref("Text")
LINKS = {"url": URI, "api_url": URI}
