"""The API blueprints: ``bp`` (/api/v1, JSON only) and ``docs_bp`` (/api, the page about it).

Routes live in read.py (public reads) and write.py (with a personal token); this module holds
the error handling and the OpenAPI document's route.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import HTTPException

from exchange.api import openapi
from exchange.api.errors import ApiError, error_response, http_error_response
from exchange.api.responses import json_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs_bp = Blueprint("api_docs", __name__)


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> Response:
    from exchange.db import db

    db.session.rollback()  # nothing half-done survives a refused request
    return error_response(error)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    return http_error_response(error)


@bp.after_request
def cross_origin(response: Response) -> Response:
    """Any site may read the open data; tokens travel in a header, never in cookies."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = (
        "ETag, Location, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
    )
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Headers"] = (
            "Authorization, Content-Type, If-None-Match, Accept-Language"
        )
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE"
        response.headers["Access-Control-Max-Age"] = "3600"
    return response


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """This API described in OpenAPI 3.1."""
    return json_response(openapi.english_document())


@docs_bp.get("/api")
def docs() -> str:
    """People's page about the API: what it offers, tokens, errors, every endpoint."""
    return render_template("api/index.html", document=openapi.document())
