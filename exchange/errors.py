"""Friendly HTML error pages in the reader's language."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from exchange.api.errors import http_error_response, is_api_request, server_error_response


def register_error_handlers(app: Flask) -> None:
    """Pages for people; under /api/v1 the API's JSON errors instead (also for an address
    that matches no route, which never reaches the API blueprint's own handlers)."""

    def page(status: int) -> Callable[[HTTPException], ResponseReturnValue]:
        def handler(error: HTTPException) -> ResponseReturnValue:
            if is_api_request():
                return http_error_response(error)
            return render_template(f"errors/{status}.html"), status

        return handler

    for status in (400, 403, 404, 429):
        app.register_error_handler(status, page(status))

    @app.errorhandler(HTTPException)
    def other(error: HTTPException) -> ResponseReturnValue:
        return http_error_response(error) if is_api_request() else error

    @app.errorhandler(500)
    def server_error(error: Exception) -> ResponseReturnValue:
        from exchange.db import db

        db.session.rollback()  # the page must render even after a failed transaction
        if is_api_request():
            return server_error_response()
        return render_template("errors/500.html"), 500
