"""/j/<token>: sends a confirmed registrant to the session's platform link."""

from __future__ import annotations

from flask import Blueprint, abort, redirect
from sqlalchemy import select
from werkzeug.wrappers import Response

from exchange.db import db
from exchange.markup import safe_href
from exchange.models import Registration, RegistrationStatus

bp = Blueprint("join", __name__)


@bp.get("/j/<token>")
def follow(token: str) -> Response:
    registration = db.session.scalar(select(Registration).filter_by(join_token=token))
    if registration is None or registration.status is not RegistrationStatus.CONFIRMED:
        abort(404)
    target = safe_href(registration.learning_session.join_url)
    if not target:
        abort(404)
    return redirect(target, code=303)
