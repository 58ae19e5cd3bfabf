"""/j/<token>: sends a confirmed registrant to the session's platform link; everyone else
gets a page that says why not. The rules, and when attendance counts, are in
``exchange.services.join_links``."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from exchange.db import db, utcnow
from exchange.services import join_links
from exchange.services import registration as registration_service
from exchange.services.join_links import Outcome

bp = Blueprint("join", __name__)

# A personal, changing answer: no cache may keep it, and the platform link (a secret) must not
# reach the platform, or anyone, in a Referer header.
HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}

STATUS_CODES = {
    Outcome.UNKNOWN: 404,
    Outcome.UNAVAILABLE: 404,
    Outcome.REGISTRATION_CANCELLED: 403,
    Outcome.WAITLISTED: 403,
    Outcome.PENDING: 403,
    Outcome.SESSION_CANCELLED: 410,
    Outcome.NO_LINK_YET: 200,
    Outcome.ENDED: 200,
}


@bp.get("/j/<token>")
def follow(token: str) -> Response:
    now = utcnow()
    decision = join_links.decide(join_links.by_token(token), now)
    registration = decision.registration
    if decision.outcome is Outcome.JOIN:
        assert registration is not None
        if decision.record and request.method == "GET":  # HEAD: a link checker, not a person
            registration_id = registration.id
            # End the read first: a GET's SQLite transaction is not IMMEDIATE, and one that
            # read and then wrote could not wait for another click's write lock. On its own,
            # the UPDATE waits its turn (on either database) and adds one to the stored count.
            db.session.rollback()
            join_links.record_attendance(registration_id, now)
            db.session.commit()
        response = redirect(decision.target, code=303)
    else:
        place = registration_service.waitlist_place(registration) if registration else None
        page = render_template(
            "join/notice.html",
            outcome=decision.outcome.value,
            registration=registration,
            s=registration.learning_session if registration else None,
            place=place,
        )
        response = make_response(page, STATUS_CODES[decision.outcome])
    response.headers.update(HEADERS)
    return response
