"""The Materials tab: files attached to a session or one of its agenda items (upload, edit,
move, remove) and the session's recording link. Organisers who manage the session only.

An upload larger than MAX_UPLOAD_MB comes back as this page with the error at the file field
and status 413, whether the request was stopped by Flask's MAX_CONTENT_LENGTH (set from
MAX_UPLOAD_MB by exchange.materials.views) or by the service while copying the file.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from exchange.db import db
from exchange.forms import ConfirmForm
from exchange.i18n import current_language
from exchange.models import LearningSession, Material, Visibility
from exchange.organiser.material_forms import EditMaterialForm, RecordingForm, UploadForm
from exchange.organiser.notes import PRIVATE, submitted_button, writable_session
from exchange.organiser.views import bp
from exchange.services import materials as materials_service
from exchange.services.materials import MaterialData, MaterialError

Page = tuple[str, int, dict[str, str]]


def _edit_prefix(material_id: int) -> str:
    return f"m{material_id}-"


def _fill(form: UploadForm | EditMaterialForm, learning_session: LearningSession):
    form.fill_agenda(learning_session, current_language())
    return form


def _page(
    learning_session: LearningSession,
    status: int = 200,
    *,
    upload_form: UploadForm | None = None,
    recording_form: RecordingForm | None = None,
    edited: EditMaterialForm | None = None,
    edited_id: int | None = None,
) -> Page:
    rows = materials_service.session_materials(learning_session.id)
    edit_forms = {
        m.id: edited
        if m.id == edited_id and edited is not None
        else _fill(
            EditMaterialForm(
                formdata=None,
                prefix=_edit_prefix(m.id),
                data={
                    "title": m.title,
                    "agenda_item": m.agenda_item_id,
                    "visibility": m.visibility.value,
                },
            ),
            learning_session,
        )
        for m in rows
    }
    page = render_template(
        "organiser/materials.html",
        s=learning_session,
        # formdata=None: after a 413 the body must not be read again
        button_form=ConfirmForm(formdata=None),
        rows=rows,
        edit_forms=edit_forms,
        edited_id=edited_id,
        agenda_titles={item.id: item for item in learning_session.agenda_items},
        upload_form=upload_form or _fill(UploadForm(formdata=None), learning_session),
        recording_form=recording_form
        or RecordingForm(formdata=None, data={"recording_url": learning_session.recording_url}),
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
    )
    return page, status, PRIVATE


def _data(form: UploadForm | EditMaterialForm) -> MaterialData:
    return MaterialData(
        title=form.title.data or "",
        visibility=Visibility(form.visibility.data),
        agenda_item_id=form.agenda_item.data,
    )


def _save_upload(learning_session: LearningSession, form: UploadForm) -> int | None:
    """None when saved; else the status to answer with (the errors are on *form*)."""
    if not form.validate_on_submit():
        return 400
    try:
        materials_service.add_material(
            learning_session, form.file.data, _data(form), user_id=current_user.id
        )
    except MaterialError as exc:
        db.session.rollback()
        form.file.errors.append(str(exc))
        return 413 if exc.too_large else 400
    db.session.commit()
    return None


@bp.route("/sessions/<slug>/materials", methods=["GET", "POST"])
def materials(slug: str) -> Response | Page:
    learning_session = writable_session(slug, manage=True)
    if request.method == "GET":
        return _page(learning_session)
    form = _fill(UploadForm(), learning_session)
    status = _save_upload(learning_session, form)
    if status is None:
        flash(_("The file is added."), "success")
        return redirect(url_for("organiser.materials", slug=slug) + "#materials")
    learning_session = writable_session(slug, manage=True)
    return _page(learning_session, status, upload_form=_fill(form, learning_session))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> Response | Page | HTTPException:
    """The body was larger than MAX_CONTENT_LENGTH: the upload form, with the reason."""
    if request.endpoint != "organiser.materials" or not request.view_args:
        return error
    try:
        learning_session = writable_session(request.view_args["slug"], manage=True)
    except HTTPException as denied:
        return current_app.handle_http_exception(denied)
    form = _fill(UploadForm(formdata=None), learning_session)
    form.file.errors = [materials_service.too_large_message()]
    return _page(learning_session, 413, upload_form=form)


def _material(learning_session: LearningSession, material_id: int) -> Material:
    material = db.session.get(Material, material_id)
    if material is None or material.session_id != learning_session.id:
        abort(404)
    return material


@bp.post("/sessions/<slug>/materials/<int:material_id>/edit")
def edit_material(slug: str, material_id: int) -> Response | Page:
    learning_session = writable_session(slug, manage=True)
    material = _material(learning_session, material_id)
    form = _fill(EditMaterialForm(prefix=_edit_prefix(material_id)), learning_session)
    if form.validate_on_submit():
        try:
            materials_service.update_material(material, _data(form), user_id=current_user.id)
        except MaterialError as exc:
            db.session.rollback()
            form.agenda_item.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The file's details are saved."), "success")
            return redirect(url_for("organiser.materials", slug=slug) + f"#material-{material_id}")
    learning_session = writable_session(slug, manage=True)
    return _page(learning_session, 400, edited=form, edited_id=material_id)


@bp.post("/sessions/<slug>/materials/<int:material_id>/move/<any(up, down):direction>")
def move_material(slug: str, material_id: int, direction: str) -> Response:
    learning_session = submitted_button(slug, manage=True)
    material = _material(learning_session, material_id)
    materials_service.move_material(material, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("organiser.materials", slug=slug) + f"#material-{material_id}")


@bp.post("/sessions/<slug>/materials/<int:material_id>/delete")
def remove_material(slug: str, material_id: int) -> Response:
    learning_session = submitted_button(slug, manage=True)
    material = _material(learning_session, material_id)
    stored_name = materials_service.remove_material(material, user_id=current_user.id)
    db.session.commit()
    materials_service.delete_stored_file(stored_name)  # only once the row is surely gone
    flash(_("The file is removed."), "info")
    return redirect(url_for("organiser.materials", slug=slug) + "#materials")


@bp.post("/sessions/<slug>/recording")
def recording(slug: str) -> Response | Page:
    learning_session = writable_session(slug, manage=True)
    form = RecordingForm()
    if not form.validate_on_submit():
        return _page(learning_session, 400, recording_form=form)
    materials_service.set_recording_url(
        learning_session, form.recording_url.data or "", user_id=current_user.id
    )
    db.session.commit()
    flash(_("The recording link is saved."), "success")
    return redirect(url_for("organiser.materials", slug=slug) + "#recording")
