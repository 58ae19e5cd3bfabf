"""JSON errors of the API, one shape for all of them.

``{"error": {"status": 409, "code": "slug_taken", "message": "…", "fields": {"slug": ["…"]}}}``:
``code`` is stable (programs branch on it), ``message`` is for people (Thai or English, as
asked with ``?lang=`` or Accept-Language), ``fields`` names what to fix in the input (400).
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
}


class ApiError(Exception):
    """Raise from an API view to answer with a JSON error."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.fields = fields
        self.headers = headers or {}


def invalid(fields: dict[str, list[str]], message: str | None = None) -> ApiError:
    """400 for input that breaks a rule, naming each field and what is wrong with it."""
    return ApiError(
        400, message or _("Some values are not valid: see fields."), "invalid_input", fields
    )


def error_response(error: ApiError) -> Response:
    body: dict[str, object] = {
        "status": error.status,
        "code": error.code,
        "message": str(error.message),
    }
    if error.fields:
        body["fields"] = {
            name: [str(m) for m in messages] for name, messages in error.fields.items()
        }
    response = current_app.json.response({"error": body})
    response.status_code = error.status
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def is_api_request() -> bool:
    return request.path == "/api/v1" or request.path.startswith("/api/v1/")


def http_error_response(error: HTTPException) -> Response:
    """A werkzeug HTTP error (404 route, 405, 413, 429 from the limiter …) as JSON."""
    status = error.code or 500
    messages = {
        404: _("Nothing here: check the address and the id or slug."),
        405: _("This address does not take that method."),
        413: _("The request is too large."),
        429: _("Too many requests: slow down and try again in a moment."),
    }
    message = messages.get(status) or error.description or error.name
    response = error_response(ApiError(status, message))
    for name, value in error.get_headers():  # e.g. Allow on a 405
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def server_error_response() -> Response:
    return error_response(ApiError(500, _("Something went wrong on our side. Try again later.")))
