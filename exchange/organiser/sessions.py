"""Writing sessions: create, edit, preview, publish, unpublish, duplicate, cancel; the agenda
and the people in roles. Routes of the organiser blueprint (/manage/sessions/…)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from exchange.db import db, utcnow
from exchange.extensions import login_manager
from exchange.forms import ConfirmForm
from exchange.forms.sessions import (
    AgendaItemForm,
    AppearanceForm,
    SessionForm,
    fill_session_choices,
    form_data,
    local_field,
)
from exchange.i18n import current_language
from exchange.markup import render_markdown
from exchange.models import (
    Agency,
    AgendaItem,
    Appearance,
    LearningSession,
    Person,
    Role,
    SessionStatus,
    Topic,
    UserRole,
)
from exchange.organiser.views import _managed_session, bp
from exchange.services import authoring, schedule
from exchange.services import registration as registration_service
from exchange.services.directory import DirectoryError, PersonData

CALENDAR_FIELDS = ("title_th", "title_en", "starts_at", "ends_at", "timezone", "format",
                   "venue", "platform")  # fmt: skip


def _require_organiser() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if current_user.role not in (UserRole.ORGANISER, UserRole.ADMIN):
        abort(403)


def _preview(form: SessionForm) -> dict[str, object]:
    if "preview" not in request.form:
        return {}
    return {
        "preview_th": render_markdown(form.description_th.data),
        "preview_en": render_markdown(form.description_en.data),
    }


@bp.get("/sessions")
def sessions() -> str:
    """The sessions I manage, drafts included, newest first."""
    _require_organiser()
    query = select(LearningSession).options(joinedload(LearningSession.organiser))
    if current_user.role is not UserRole.ADMIN:
        query = query.where(LearningSession.organiser_id == (current_user.agency_id or -1))
    rows = db.session.scalars(query.order_by(LearningSession.starts_at.desc())).all()
    return render_template("organiser/sessions.html", sessions=rows, now=utcnow())


@bp.route("/sessions/new", methods=["GET", "POST"])
def new_session() -> Response | str:
    _require_organiser()
    form = SessionForm(timezone=current_user_default_zone())
    fill_session_choices(form, current_user, current_language())
    if not form.organiser.choices:
        flash(_("Your account has no agency yet: ask an administrator to set it."), "warning")
    if form.validate_on_submit() and "preview" not in request.form:
        topics = db.session.scalars(select(Topic).where(Topic.id.in_(form.topics.data))).all()
        fields = form.session_fields()
        fields["capacity"] = form.capacity.data
        fields["slug"] = form.slug.data or ""
        try:
            created = authoring.create_session(fields, list(topics), user_id=current_user.id)
        except authoring.AuthoringError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title_th").errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The session is saved as a draft. Add its agenda and people next."), "success")
            return redirect(url_for("organiser.edit_session", slug=created.slug))
    return render_template("organiser/session_form.html", form=form, s=None, **_preview(form))


def current_user_default_zone() -> str:
    return "Asia/Bangkok"


@bp.route("/sessions/<slug>/edit", methods=["GET", "POST"])
def edit_session(slug: str) -> Response | str | tuple[str, int]:
    learning_session = _managed_session(slug)
    if request.method == "GET":
        # Explicit data, not obj=: WTForms prefers obj's attributes to keyword values, which
        # would show UTC times and Topic objects instead of local times and topic ids.
        form = SessionForm(
            data=form_data(learning_session), timezone_choices=[learning_session.timezone]
        )
    else:
        form = SessionForm(timezone_choices=[learning_session.timezone])
    fill_session_choices(form, current_user, current_language(), learning_session)
    status = 200
    if request.method == "POST" and "preview" not in request.form:
        if form.validate():
            try:
                _save(learning_session, form)
            except (
                authoring.AuthoringError,
                registration_service.RegistrationError,
                schedule.ScheduleError,
            ) as exc:
                db.session.rollback()
                field = getattr(exc, "field", None) or (
                    "capacity"
                    if isinstance(exc, registration_service.RegistrationError)
                    else "ends_at"
                )
                getattr(form, field).errors.append(str(exc))
                status = 400
            else:
                db.session.commit()
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("organiser.edit_session", slug=learning_session.slug))
        else:
            status = 400
    page = render_template(
        "organiser/session_form.html",
        form=form,
        s=learning_session,
        button_form=ConfirmForm(),
        **_preview(form),
    )
    return page, status


def _save(learning_session: LearningSession, form: SessionForm) -> None:
    """Apply the form; calendar-relevant changes of a published session notify registrants."""
    authoring.update_session(
        learning_session,
        {**form.session_fields(), "slug": form.slug.data or learning_session.slug},
        capacity=form.capacity.data,
        topics=list(db.session.scalars(select(Topic).where(Topic.id.in_(form.topics.data)))),
        user_id=current_user.id,
        now=utcnow(),
    )


def _button(slug: str) -> LearningSession:
    learning_session = _managed_session(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return learning_session


@bp.post("/sessions/<slug>/publish")
def publish(slug: str) -> Response:
    learning_session = _button(slug)
    try:
        authoring.set_status(learning_session, SessionStatus.PUBLISHED, user_id=current_user.id)
    except authoring.AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(_("The session is published."), "success")
    return redirect(url_for("organiser.edit_session", slug=slug))


@bp.post("/sessions/<slug>/unpublish")
def unpublish(slug: str) -> Response:
    learning_session = _button(slug)
    if registration_service.counts(learning_session.id).confirmed:
        flash(
            _("People are registered: cancel the session instead, so that they are told."),
            "warning",
        )
        return redirect(url_for("organiser.edit_session", slug=slug))
    try:
        authoring.set_status(learning_session, SessionStatus.DRAFT, user_id=current_user.id)
    except authoring.AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(_("The session is back to draft and hidden from the public."), "info")
    return redirect(url_for("organiser.edit_session", slug=slug))


class CancelForm(ConfirmForm):
    message = TextAreaField(validators=[Length(max=2000)], render_kw={"rows": 3})


@bp.post("/sessions/<slug>/cancel")
def cancel(slug: str) -> Response:
    learning_session = _managed_session(slug)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        cancelled = authoring.cancel_session(
            learning_session, message=form.message.data or "", user_id=current_user.id, now=utcnow()
        )
    except schedule.ScheduleError as exc:  # a draft, or a session that has taken place
        db.session.rollback()
        flash(str(exc), "warning")
        return redirect(url_for("organiser.edit_session", slug=slug))
    if not cancelled:
        flash(_("This session has been cancelled."), "info")
        return redirect(url_for("organiser.edit_session", slug=slug))
    db.session.commit()
    flash(_("The session is cancelled and everyone registered is being told."), "info")
    return redirect(url_for("organiser.edit_session", slug=slug))


class DuplicateForm(ConfirmForm):
    starts_at = local_field(_l("Starts"))


@bp.post("/sessions/<slug>/duplicate")
def duplicate(slug: str) -> Response:
    from zoneinfo import ZoneInfo

    learning_session = db.session.scalars(
        select(LearningSession)
        .filter_by(slug=slug)
        .options(
            selectinload(LearningSession.agenda_items),
            selectinload(LearningSession.appearances),
            selectinload(LearningSession.topics),
        )
    ).one_or_none()
    if learning_session is None:
        abort(404)
    _managed_session(slug)
    form = DuplicateForm()
    if not form.validate_on_submit():
        problem = form.starts_at.errors[0] if form.starts_at.errors else None
        flash(str(problem or _("Enter the date and time of the next session.")), "warning")
        return redirect(url_for("organiser.edit_session", slug=slug))
    starts_at = form.starts_at.data.replace(tzinfo=ZoneInfo(learning_session.timezone))
    copy = authoring.duplicate_session(learning_session, starts_at, user_id=current_user.id)
    db.session.commit()
    flash(_("A draft copy is ready: check it, then publish it."), "success")
    return redirect(url_for("organiser.edit_session", slug=copy.slug))


@bp.get("/sessions/<slug>/preview")
def preview(slug: str) -> str:
    """The public page of a session, drafts included, for its organisers."""
    from exchange.sessions.views import render_detail

    _managed_session(slug)
    return render_detail(slug, include_drafts=True)


# --- the agenda -----------------------------------------------------------------------------


def _agenda_page(learning_session: LearningSession, form: AgendaItemForm, status: int = 200):
    page = render_template(
        "organiser/agenda.html", s=learning_session, form=form, button_form=ConfirmForm()
    )
    return page, status


@bp.route("/sessions/<slug>/agenda", methods=["GET", "POST"])
def agenda(slug: str) -> Response | tuple[str, int]:
    learning_session = _managed_session(slug)
    form = AgendaItemForm()
    if request.method == "GET":
        return _agenda_page(learning_session, form)
    if not form.validate_on_submit():
        return _agenda_page(learning_session, form, 400)
    zone = _zone(learning_session)
    fields = {
        "title_th": form.title_th.data.strip(),
        "title_en": (form.title_en.data or "").strip(),
        "description_th": form.description_th.data or "",
        "description_en": form.description_en.data or "",
        "starts_at": form.starts_at.data.replace(tzinfo=zone),
        "ends_at": form.ends_at.data.replace(tzinfo=zone) if form.ends_at.data else None,
    }
    try:
        authoring.save_agenda_item(learning_session, fields, user_id=current_user.id)
    except authoring.AuthoringError as exc:
        db.session.rollback()
        getattr(form, exc.field or "title_th").errors.append(str(exc))
        return _agenda_page(_managed_session(slug), form, 400)
    db.session.commit()
    flash(_("The agenda item is added."), "success")
    return redirect(url_for("organiser.agenda", slug=slug))


def _child(model: type, learning_session: LearningSession, row_id: int) -> Any:
    """An agenda item or appearance of *this* session, else 404."""
    row = db.session.get(model, row_id)
    if row is None or row.session_id != learning_session.id:
        abort(404)
    return row


def _zone(learning_session: LearningSession):
    from zoneinfo import ZoneInfo

    return ZoneInfo(learning_session.timezone)


# --- people in roles -------------------------------------------------------------------------


def _appearance_choices(form: AppearanceForm, learning_session: LearningSession) -> None:
    lang = current_language()
    people = db.session.scalars(select(Person)).all()
    form.person.choices = [
        SelectChoice("", _("— Choose —")),
        SelectChoice("new", _("+ A new person (enter below)")),
        *(
            SelectChoice(str(p.id), p.display_name(lang))
            for p in sorted(people, key=lambda p: p.display_name(lang))
        ),
    ]
    agencies = db.session.scalars(select(Agency)).all()
    form.agency.choices = [
        SelectChoice("", _("— None —")),
        *(
            SelectChoice(str(a.id), a.loc("name", lang))
            for a in sorted(agencies, key=lambda a: a.loc("name", lang))
        ),
    ]
    form.agenda_item.choices = [
        SelectChoice("", _("The whole session")),
        *(SelectChoice(str(i.id), i.loc("title", lang)) for i in learning_session.agenda_items),
    ]


def _people_page(learning_session: LearningSession, form: AppearanceForm, status: int = 200):
    page = render_template(
        "organiser/people.html", s=learning_session, form=form, button_form=ConfirmForm()
    )
    return page, status


@bp.route("/sessions/<slug>/people", methods=["GET", "POST"])
def people(slug: str) -> Response | tuple[str, int]:
    learning_session = _managed_session(slug)
    form = AppearanceForm()
    _appearance_choices(form, learning_session)
    if request.method == "GET":
        return _people_page(learning_session, form)
    if not form.validate_on_submit():
        return _people_page(learning_session, form, 400)
    if form.person.data == "new":
        person: Person | PersonData = PersonData(
            prefix_th=form.new_prefix_th.data or "",
            name_th=form.new_name_th.data or "",
            prefix_en=form.new_prefix_en.data or "",
            name_en=form.new_name_en.data or "",
        )
    else:
        found = db.session.get(Person, int(form.person.data)) if form.person.data else None
        if found is None:
            form.person.errors.append(_("Choose a person, or enter the new person's Thai name."))
            return _people_page(learning_session, form, 400)
        person = found
    try:
        authoring.add_appearance(
            learning_session,
            person=person,
            role=Role(form.role.data),
            position_title_th=(form.position_title_th.data or "").strip(),
            position_title_en=(form.position_title_en.data or "").strip(),
            agency_id=int(form.agency.data) if form.agency.data else None,
            agenda_item_id=int(form.agenda_item.data) if form.agenda_item.data else None,
            user_id=current_user.id,
        )
    except (authoring.AuthoringError, DirectoryError) as exc:
        db.session.rollback()
        learning_session = _managed_session(slug)
        _appearance_choices(form, learning_session)
        field = {"name_th": "new_name_th", "slug": "new_name_th"}.get(exc.field or "", exc.field)
        getattr(form, field or "person").errors.append(str(exc))
        return _people_page(learning_session, form, 400)
    db.session.commit()
    flash(_("The person is added."), "success")
    return redirect(url_for("organiser.people", slug=slug))


# --- reordering and removing agenda items and people ---------------------------------------

# part of the URL -> (model, the session's list of them, its order column, remove, message)
ROWS = {
    "agenda": (
        AgendaItem, "agenda_items", "position", authoring.delete_agenda_item,
        _l("The agenda item is removed."),
    ),
    "people": (
        Appearance, "appearances", "sort_order", authoring.remove_appearance,
        _l("The person is removed from the session."),
    ),
}  # fmt: skip
ROW_URL = "/sessions/<slug>/<any(agenda, people):part>/<int:row_id>"


@bp.post(ROW_URL + "/move/<any(up, down):direction>")
def move_row(slug: str, part: str, row_id: int, direction: str) -> Response:
    learning_session = _button(slug)
    model, collection, order, _remove, _message = ROWS[part]
    row = _child(model, learning_session, row_id)
    step = -1 if direction == "up" else 1
    authoring.move(getattr(learning_session, collection), row, step, order)
    db.session.commit()
    return redirect(url_for(f"organiser.{part}", slug=slug))


@bp.post(ROW_URL + "/delete")
def remove_row(slug: str, part: str, row_id: int) -> Response:
    learning_session = _button(slug)
    model, _collection, _order, remove, message = ROWS[part]
    remove(_child(model, learning_session, row_id), user_id=current_user.id)
    db.session.commit()
    flash(str(message), "info")
    return redirect(url_for(f"organiser.{part}", slug=slug))
