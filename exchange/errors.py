"""Friendly HTML error pages in the reader's language."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(400)
    def bad_request(error: HTTPException) -> tuple[str, int]:
        return render_template("errors/400.html"), 400

    @app.errorhandler(403)
    def forbidden(error: HTTPException) -> tuple[str, int]:
        return render_template("errors/403.html"), 403

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> tuple[str, int]:
        return render_template("errors/429.html"), 429

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> tuple[str, int]:
        return render_template("errors/404.html"), 404

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        from exchange.db import db

        db.session.rollback()  # the page must render even after a failed transaction
        return render_template("errors/500.html"), 500
