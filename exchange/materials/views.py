"""Downloading a session's materials, with headers that keep uploads inert on our origin.

Public materials go to anyone who can see the session; registrants-only ones to confirmed
registrants and the session's organisers (anonymous visitors log in first, others get a page
that says why). Every answer carries the type found in the content (never HTML or SVG),
`nosniff`, a sandboxing Content-Security-Policy and, except for raster images, `attachment`.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, render_template, send_file
from flask.blueprints import BlueprintSetupState
from flask_babel import ngettext
from flask_login import current_user
from jinja2.filters import do_filesizeformat
from sqlalchemy import select
from werkzeug.wrappers import Response

from exchange.db import db
from exchange.extensions import login_manager
from exchange.models import LearningSession, Material, RegistrationStatus, Visibility
from exchange.permissions import can_manage_session
from exchange.services import materials as materials_service
from exchange.services import registration as registration_service
from exchange.services.sessions import PUBLIC_STATUSES

bp = Blueprint("materials", __name__)

FORM_ALLOWANCE = 1024 * 1024  # the rest of a multipart upload besides the file itself
PUBLIC_MAX_AGE = 300  # seconds shared caches may keep a public file


@bp.record_once
def _limit_request_size(state: BlueprintSetupState) -> None:
    """Flask refuses bodies above MAX_CONTENT_LENGTH (413) before anything reads them; derive
    it from MAX_UPLOAD_MB unless it was set on its own."""
    config = state.app.config
    if config.get("MAX_CONTENT_LENGTH") is None:
        config["MAX_CONTENT_LENGTH"] = int(config["MAX_UPLOAD_MB"] * materials_service.MB)
        config["MAX_CONTENT_LENGTH"] += FORM_ALLOWANCE


@bp.app_template_filter("material_kind")
def material_kind(content_type: str) -> str:
    kind = materials_service.KINDS.get(content_type)
    return str(kind.label) if kind else content_type


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    """1.2 MB, 350.0 kB; small files in words of the reader's language."""
    if size < 1000:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    return do_filesizeformat(size)


@bp.app_template_global("material_groups")
def material_groups(learning_session: LearningSession, *, can_manage: bool, registration=None):
    """(groups by agenda item, number kept for registrants) for the session page."""
    confirmed = registration is not None and registration.status is RegistrationStatus.CONFIRMED
    return materials_service.visible_groups(
        learning_session, can_manage=can_manage, confirmed=confirmed
    )


def _headers(response: Response, material: Material, *, private: bool) -> Response:
    kind = materials_service.KINDS.get(material.content_type)
    if kind is None:  # a type we no longer accept: keep it a download of opaque bytes
        response.mimetype = "application/octet-stream"
    disposition = "inline" if kind and kind.inline else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="{materials_service.ascii_filename(material)}"; '
        f"filename*=UTF-8''{quote(material.filename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = (
        "private, no-cache" if private else f"public, max-age={PUBLIC_MAX_AGE}"
    )
    return response


@bp.get("/sessions/<slug>/materials/<int:material_id>/<filename>")
def download(slug: str, material_id: int, filename: str) -> Response | tuple[str, int]:
    """*filename* is for the reader and the browser's save dialog; the id decides the file."""
    learning_session = db.session.scalar(select(LearningSession).filter_by(slug=slug))
    if learning_session is None:
        abort(404)
    can_manage = can_manage_session(current_user, learning_session)
    if learning_session.status not in PUBLIC_STATUSES and not can_manage:
        abort(404)
    material = db.session.get(Material, material_id)
    if material is None or material.session_id != learning_session.id:
        abort(404)
    private = material.visibility is Visibility.REGISTRANTS
    if private and not can_manage:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        mine = registration_service.find(learning_session.id, current_user.id)
        if mine is None or mine.status is not RegistrationStatus.CONFIRMED:
            page = render_template("materials/forbidden.html", s=learning_session, mine=mine)
            return page, 403
    path = materials_service.stored_path(material)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=material.content_type, conditional=True, etag=True)
    draft = learning_session.status not in PUBLIC_STATUSES
    return _headers(response, material, private=private or draft)
