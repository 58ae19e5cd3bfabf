"""The organiser workspace: a session's registrations, check-in at the door, seats, CSV export.

Views stay thin: load the session (drafts too), check the right to manage it, call a service,
commit once, redirect. Anonymous visitors go to log in; others without the right get a 403.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from exchange.db import db, utcnow
from exchange.extensions import login_manager
from exchange.forms import ConfirmForm
from exchange.i18n import safe_next
from exchange.labels import registration_status_label
from exchange.models import LearningSession, Registration, RegistrationStatus
from exchange.organiser import roster
from exchange.organiser.forms import CapacityForm
from exchange.pagination import paginate
from exchange.permissions import can_manage_session
from exchange.services import audit
from exchange.services import registration as registration_service

bp = Blueprint("organiser", __name__)

LIST_ARGS = ("status", "q", "page")  # the list's state, kept across check-ins and pages
_PLAIN_FILENAME = re.compile(r"[A-Za-z0-9._-]+")
PRIVATE = {"Cache-Control": "private, no-store"}  # names and e-mail addresses


def _managed_session(slug: str) -> LearningSession:
    """The session by slug, drafts included: log in first, then 404, then 403."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    learning_session = db.session.scalar(select(LearningSession).filter_by(slug=slug))
    if learning_session is None:
        abort(404)
    if not can_manage_session(current_user, learning_session):
        abort(403)
    return learning_session


def _list_args() -> dict[str, str]:
    return {key: value for key in LIST_ARGS if (value := request.args.get(key, "").strip())}


def _list_url(slug: str, **args: str) -> str:
    return url_for("organiser.registrations", slug=slug, **args)


@bp.get("/sessions/<slug>/registrations")
def registrations(slug: str) -> tuple[str, int, dict[str, str]]:
    learning_session = _managed_session(slug)
    form = CapacityForm(capacity=learning_session.capacity)
    return _render_list(learning_session, form), 200, PRIVATE


def _render_list(learning_session: LearningSession, capacity_form: CapacityForm) -> str:
    """The list page; the capacity form comes back with its errors after a refused POST."""
    args = _list_args()
    status = None
    if "status" in args:
        try:
            status = RegistrationStatus(args["status"])
        except ValueError:
            abort(404)
    search = args.get("q", "")[: roster.SEARCH_MAX_LENGTH]
    query = roster.registrants(learning_session.id, status=status, search=search)
    pagination = paginate(query, current_app.config["REGISTRANTS_PER_PAGE"])
    counts = registration_service.counts(learning_session.id)
    capacity = learning_session.capacity
    return render_template(
        "organiser/registrations.html",
        s=learning_session,
        now=utcnow(),
        pagination=pagination,
        places=registration_service.waitlist_places(pagination.items),
        counts=counts,
        seats_left=None if capacity is None else max(0, capacity - counts.confirmed),
        status=status,
        q=search,
        statuses=roster.STATUS_ORDER,
        registration_label=registration_status_label,
        list_args=args,
        filter_args={key: args[key] for key in ("status", "q") if key in args},
        here=_list_url(learning_session.slug, **args),
        capacity_form=capacity_form,
    )


@bp.post("/sessions/<slug>/registrations/<int:registration_id>/check-in")
def check_in(slug: str, registration_id: int) -> Response:
    """Check a confirmed participant in at the door, or undo it (``undo=1``)."""
    learning_session = _managed_session(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # Every registration change takes the session's row lock first (services.registration).
    registration_service.lock_session(learning_session.id)
    registration = db.session.scalar(
        select(Registration).filter_by(id=registration_id, session_id=learning_session.id)
    )
    if registration is None:
        abort(404)
    undo = request.form.get("undo", "0") not in ("", "0")
    name = registration.user.display_name
    try:
        registration_service.check_in(registration, utcnow(), undo=undo)
    except registration_service.RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        audit.record(
            "check_in_undo" if undo else "check_in",
            registration,
            user_id=current_user.id,
            summary=f"{learning_session.title_th} — {name}",
        )
        db.session.commit()
        if undo:
            flash(_("Check-in undone: %(name)s", name=name), "info")
        else:
            flash(_("Checked in: %(name)s", name=name), "success")
    target = safe_next(request.form.get("next"), _list_url(slug))
    return redirect(f"{target}#registration-{registration_id}")


@bp.post("/sessions/<slug>/capacity")
def capacity(slug: str) -> Response | tuple[str, int, dict[str, str]]:
    """Change the number of seats; more seats move people up from the waitlist."""
    learning_session = _managed_session(slug)
    form = CapacityForm()
    if form.validate_on_submit():
        seats = form.capacity.data
        before = registration_service.counts(learning_session.id).confirmed
        seats_before = learning_session.capacity
        try:
            registration_service.set_capacity(learning_session, seats, utcnow())
        except registration_service.RegistrationError as exc:
            db.session.rollback()
            form.capacity.errors.append(str(exc))
        else:
            promoted = registration_service.counts(learning_session.id).confirmed - before
            audit.record(
                "update",
                learning_session,
                user_id=current_user.id,
                changes={"capacity": (seats_before, seats)},
                summary=learning_session.title_th,
            )
            db.session.commit()
            _flash_capacity_saved(seats, promoted)
            return redirect(_list_url(slug, **_list_args()))
    return _render_list(learning_session, form), 400, PRIVATE


def _flash_capacity_saved(seats: int | None, promoted: int) -> None:
    if seats is None:
        flash(_("Capacity saved: unlimited seats."), "success")
    else:
        flash(
            ngettext("Capacity saved: %(num)d seat.", "Capacity saved: %(num)d seats.", seats),
            "success",
        )
    if promoted > 0:
        flash(
            ngettext(
                "%(num)d person moved up from the waitlist and will be e-mailed.",
                "%(num)d people moved up from the waitlist and will be e-mailed.",
                promoted,
            ),
            "success",
        )


@bp.get("/sessions/<slug>/registrations.csv")
def registrations_csv(slug: str) -> Response:
    """Every registration of the session, for a spreadsheet (UTF-8 with a BOM, for Excel)."""
    learning_session = _managed_session(slug)
    everyone = roster.all_registrants(learning_session.id)
    rows = roster.csv_rows(
        everyone, registration_service.waitlist_places(everyone), learning_session.timezone
    )
    lines = roster.to_csv(roster.csv_header(), rows)
    filename = f"{slug}-registrations.csv"
    if _PLAIN_FILENAME.fullmatch(filename):
        disposition = f'attachment; filename="{filename}"'
    else:  # RFC 6266: an ASCII fallback, then the real name percent-encoded
        disposition = (
            f"attachment; filename=\"registrations.csv\"; filename*=UTF-8''{quote(filename)}"
        )
    return Response(
        # Translated labels need the request context while the body is written.
        stream_with_context(line.encode("utf-8") for line in lines),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition, **PRIVATE},
    )
