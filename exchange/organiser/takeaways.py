"""Writing a session's takeaways: the list in order, add, edit, move, remove, publish the
drafts. Organisers of the session and its note-takers (see exchange.organiser.notes)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from exchange.db import db
from exchange.i18n import current_language
from exchange.models import ContentStatus, LearningSession, Takeaway, TakeawayKind
from exchange.organiser.note_forms import TakeawayForm
from exchange.organiser.notes import submitted_button, writable_session, writing_page
from exchange.organiser.views import bp
from exchange.services import notes as notes_service
from exchange.services.notes import NotesError, TakeawayData


def _takeaway_choices(form: TakeawayForm, learning_session: LearningSession) -> list[int]:
    """Fill the agency and topic choices; returns the ids of the session's agencies."""
    language = current_language()
    names = notes_service.agency_names(language)
    ours = [i for i in notes_service.session_agency_ids(learning_session) if i in names]
    form.agencies.choices = [(i, names[i]) for i in ours] + [
        (i, name) for i, name in names.items() if i not in ours
    ]
    form.topics.choices = list(notes_service.topic_names(language).items())
    return ours


def _takeaway_data(form: TakeawayForm, session_agencies: list[int]) -> TakeawayData:
    agencies = list(form.agencies.data or [])
    if form.all_session_agencies.data:
        agencies = list(dict.fromkeys([*agencies, *session_agencies]))
    return TakeawayData(
        statement_th=form.statement_th.data or "",
        statement_en=form.statement_en.data or "",
        kind=TakeawayKind(form.kind.data),
        agency_ids=agencies,
        topic_ids=list(form.topics.data or []),
        status=ContentStatus(form.status.data),
    )


def _save_takeaway_form(
    learning_session: LearningSession, form: TakeawayForm, ours: list[int], takeaway=None
) -> bool:
    """Validate and save; False (with the errors on *form*) when refused."""
    if not form.validate_on_submit():
        return False
    if form.all_session_agencies.data and not ours:
        form.all_session_agencies.errors.append(_("This session has no agencies yet."))
        return False
    try:
        notes_service.save_takeaway(
            learning_session,
            _takeaway_data(form, ours),
            user_id=current_user.id,
            takeaway=takeaway,
        )
    except NotesError as exc:
        db.session.rollback()
        getattr(form, exc.field or "statement_th").errors.append(str(exc))
        return False
    db.session.commit()
    return True


@bp.route("/sessions/<slug>/takeaways", methods=["GET", "POST"])
def takeaways(slug: str) -> Response | tuple[str, int, dict[str, str]]:
    learning_session = writable_session(slug)
    form = TakeawayForm()
    ours = _takeaway_choices(form, learning_session)
    if request.method == "POST":
        if _save_takeaway_form(learning_session, form, ours):
            flash(_("The takeaway is added."), "success")
            return redirect(url_for("organiser.takeaways", slug=slug) + "#takeaways")
        learning_session = writable_session(slug)
    return writing_page(
        "organiser/takeaways.html",
        learning_session,
        400 if request.method == "POST" else 200,
        form=form,
        session_agencies=ours,
        rows=notes_service.editable_takeaways(learning_session.id),
    )


def _takeaway(learning_session: LearningSession, takeaway_id: int) -> Takeaway:
    takeaway = db.session.get(Takeaway, takeaway_id)
    if takeaway is None or takeaway.session_id != learning_session.id:
        abort(404)
    return takeaway


@bp.route("/sessions/<slug>/takeaways/<int:takeaway_id>/edit", methods=["GET", "POST"])
def edit_takeaway(slug: str, takeaway_id: int) -> Response | tuple[str, int, dict[str, str]]:
    learning_session = writable_session(slug)
    takeaway = _takeaway(learning_session, takeaway_id)
    form = TakeawayForm(obj=takeaway) if request.method == "GET" else TakeawayForm()
    if request.method == "GET":
        form.kind.data, form.status.data = takeaway.kind.value, takeaway.status.value
        form.agencies.data = [a.id for a in takeaway.agencies]
        form.topics.data = [t.id for t in takeaway.topics]
    ours = _takeaway_choices(form, learning_session)
    if request.method == "POST":
        if _save_takeaway_form(learning_session, form, ours, takeaway):
            flash(_("The takeaway is saved."), "success")
            return redirect(url_for("organiser.takeaways", slug=slug) + f"#takeaway-{takeaway_id}")
        learning_session = writable_session(slug)
    status = 400 if request.method == "POST" else 200
    return writing_page(
        "organiser/takeaways_edit.html",
        learning_session,
        status,
        form=form,
        session_agencies=ours,
        takeaway_id=takeaway_id,
    )


@bp.post("/sessions/<slug>/takeaways/<int:takeaway_id>/move/<any(up, down):direction>")
def move_takeaway(slug: str, takeaway_id: int, direction: str) -> Response:
    learning_session = submitted_button(slug)
    takeaway = _takeaway(learning_session, takeaway_id)
    step = -1 if direction == "up" else 1
    notes_service.move_takeaway(learning_session, takeaway, step, user_id=current_user.id)
    db.session.commit()
    return redirect(url_for("organiser.takeaways", slug=slug) + f"#takeaway-{takeaway_id}")


@bp.post("/sessions/<slug>/takeaways/<int:takeaway_id>/delete")
def remove_takeaway(slug: str, takeaway_id: int) -> Response:
    learning_session = submitted_button(slug)
    takeaway = _takeaway(learning_session, takeaway_id)
    notes_service.remove_takeaway(learning_session, takeaway, user_id=current_user.id)
    db.session.commit()
    flash(_("The takeaway is removed."), "info")
    return redirect(url_for("organiser.takeaways", slug=slug) + "#takeaways")


@bp.post("/sessions/<slug>/takeaways/publish")
def publish_takeaways(slug: str) -> Response:
    learning_session = submitted_button(slug)
    count = notes_service.publish_draft_takeaways(learning_session, user_id=current_user.id)
    db.session.commit()
    flash(_("Takeaways published: %(count)d.", count=count), "success")
    return redirect(url_for("organiser.takeaways", slug=slug) + "#takeaways")


# --- note-takers (organisers only) ------------------------------------------------------------
