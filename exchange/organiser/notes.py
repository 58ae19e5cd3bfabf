"""Writing what was learned: a session's notes (Thai original, English translation) and who
may write them; the takeaways are in exchange.organiser.takeaways. Routes of the organiser
blueprint (/manage/sessions/…).

Organisers who manage the session may use every page here; a note-taker (any account an
organiser named for the session) only the Notes and Takeaways tabs. Anonymous visitors go to
log in, everyone else gets a 403.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from exchange.db import db, utcnow
from exchange.extensions import login_manager
from exchange.forms import ConfirmForm
from exchange.i18n import current_language
from exchange.markup import render_markdown
from exchange.models import ContentStatus, LearningSession, Note
from exchange.organiser.note_forms import (
    MARKDOWN_MAX_LENGTH,
    NoteForm,
    NoteTakerForm,
)
from exchange.organiser.views import bp
from exchange.permissions import can_manage_session, can_write_notes
from exchange.services import notes as notes_service
from exchange.services.notes import NoteData, NotesError, SectionData

PRIVATE = {"Cache-Control": "private, no-store"}  # drafts, and note-takers' e-mail addresses


def writable_session(slug: str, *, manage: bool = False) -> LearningSession:
    """The session by slug, drafts included, if the viewer may write its notes (or, with
    *manage*, manage it): log in first, then 404, then 403."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    learning_session = db.session.scalar(select(LearningSession).filter_by(slug=slug))
    if learning_session is None:
        abort(404)
    allowed = can_manage_session if manage else can_write_notes
    if not allowed(current_user, learning_session):
        abort(403)
    return learning_session


def writing_page(template: str, learning_session: LearningSession, status: int = 200, **context):
    page = render_template(
        template,
        s=learning_session,
        can_manage=can_manage_session(current_user, learning_session),
        button_form=ConfirmForm(),
        **context,
    )
    return page, status, PRIVATE


def agency_choices(learning_session: LearningSession) -> list[SelectChoice]:
    """No agency, then the session's agencies, then all the others."""
    names = notes_service.agency_names(current_language())
    ours = [i for i in notes_service.session_agency_ids(learning_session) if i in names]
    here, others = _("In this session"), _("Other agencies")
    return [
        SelectChoice("", _("— None —")),
        *(SelectChoice(str(i), names[i], optgroup=here) for i in ours),
        *(
            SelectChoice(str(i), name, optgroup=others)
            for i, name in names.items()
            if i not in ours
        ),
    ]


# --- the note ---------------------------------------------------------------------------------


def _note_form(note: Note | None) -> NoteForm:
    if request.method == "POST":
        return NoteForm()
    if note is None:
        return NoteForm()
    sections = [
        {
            "section_id": str(s.id),
            "heading": s.heading,
            "body": s.body,
            "agency": str(s.agency_id or ""),
        }
        for s in note.sections
    ]
    fields = {name: getattr(note, name) for name in notes_service.NOTE_FIELDS}
    return NoteForm(data={**fields, "sections": sections})


def _ensure_blank_section(form: NoteForm) -> None:
    """The form always ends with an empty section: filling it in adds a section."""
    last = form.sections.entries[-1].form if form.sections.entries else None
    if last is None or last.section_id.data or last.heading.data or last.body.data:
        form.add_blank_section()


def _submitted_sections(form: NoteForm) -> list[tuple[int, SectionData]]:
    """(number on the form, section) in the order sent, without new ones left empty."""
    sections = []
    for number, entry in enumerate(form.sections):
        section = entry.form
        section_id = int(section.section_id.data) if section.section_id.data else None
        heading, body = section.heading.data or "", section.body.data or ""
        if section_id is None and not (heading.strip() or body.strip()):
            continue
        agency = int(section.agency.data) if section.agency.data else None
        sections.append((number, SectionData(section_id, heading, body, agency)))
    return sections


def _apply_action(
    numbered: list[tuple[int, SectionData]], action: str
) -> tuple[list[SectionData], str]:
    """Move or remove the section a button named (`up-2`, `down-0`, `remove-1`: its number on
    the form); returns the sections in their new order and the anchor to show."""
    sections = [section for _number, section in numbered]
    verb, _sep, number = action.partition("-")
    numbers = [n for n, _section in numbered]
    if verb not in ("up", "down", "remove") or not number.isdecimal() or int(number) not in numbers:
        return sections, ""
    index = numbers.index(int(number))
    if verb == "remove":
        del sections[index]
        return sections, "#sections"
    other = index - 1 if verb == "up" else index + 1
    if 0 <= other < len(sections):
        sections[index], sections[other] = sections[other], sections[index]
        return sections, f"#section-{other}"
    return sections, f"#section-{index}"


def _note_data(form: NoteForm, sections: list[SectionData]) -> NoteData:
    return NoteData(
        title=form.title.data or "",
        body=form.body.data or "",
        conclusion=form.conclusion.data or "",
        source_name=form.source_name.data or "",
        source_url=form.source_url.data or "",
        sections=sections,
    )


@bp.route("/sessions/<slug>/notes", methods=["GET", "POST"], defaults={"language": "th"})
@bp.route("/sessions/<slug>/notes/<any(th, en):language>", methods=["GET", "POST"])
def notes(slug: str, language: str) -> Response | tuple[str, int, dict[str, str]]:
    learning_session = writable_session(slug)
    note = notes_service.note_of(learning_session.id, language)
    form = _note_form(note)
    form.set_agency_choices(agency_choices(learning_session))
    action = request.form.get("action", "save")
    if request.method == "GET" or action == "preview" or not form.validate_on_submit():
        return _note_page(learning_session, language, note, form)
    sections, anchor = _apply_action(_submitted_sections(form), action)
    try:
        saved = notes_service.save_note(
            learning_session, language, _note_data(form, sections), user_id=current_user.id
        )
        if action in ("publish", "unpublish"):
            status = ContentStatus.PUBLISHED if action == "publish" else ContentStatus.DRAFT
            notes_service.set_note_status(saved, status, utcnow(), user_id=current_user.id)
    except NotesError as exc:
        db.session.rollback()
        if exc.field in notes_service.NOTE_FIELDS:
            getattr(form, exc.field).errors.append(str(exc))
        problem = "" if exc.field in notes_service.NOTE_FIELDS else str(exc)
        return _note_page(writable_session(slug), language, note, form, problem)
    db.session.commit()
    flash(_note_message(action), "success")
    return redirect(url_for("organiser.notes", slug=slug, language=language) + anchor)


def _note_message(action: str) -> str:
    if action == "publish":
        return _("The summary is published.")
    if action == "unpublish":
        return _("The summary is back to draft and hidden from the public.")
    return _("The summary is saved.")


def _note_page(
    learning_session: LearningSession,
    language: str,
    note: Note | None,
    form: NoteForm,
    problem: str = "",
) -> tuple[str, int, dict[str, str]]:
    """The editor; after a POST it shows the form as sent, with errors or the preview."""
    _ensure_blank_section(form)
    posted = request.method == "POST"
    preview = posted and request.form.get("action") == "preview"
    return writing_page(
        "organiser/notes.html",
        learning_session,
        400 if posted and not preview else 200,
        form=form,
        note=note,
        language=language,
        other_language="en" if language == "th" else "th",
        preview=preview,
        problem=problem,
    )


@bp.post("/sessions/<slug>/notes/preview")
def note_preview(slug: str) -> Response | tuple[Response, int]:
    """Markdown in, sanitised HTML out (JSON), for the editor's live preview."""
    writable_session(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    text = request.form.get("text", "")
    if len(text) > MARKDOWN_MAX_LENGTH:
        return jsonify(error=_("This text is too long to preview.")), 413
    response = jsonify(html=str(render_markdown(text)))
    response.headers.update(PRIVATE)
    return response


# --- takeaways --------------------------------------------------------------------------------


def submitted_button(slug: str, *, manage: bool = False) -> LearningSession:
    learning_session = writable_session(slug, manage=manage)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return learning_session


@bp.route("/sessions/<slug>/note-takers", methods=["GET", "POST"])
def note_takers(slug: str) -> Response | tuple[str, int, dict[str, str]]:
    learning_session = writable_session(slug, manage=True)
    form = NoteTakerForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                user = notes_service.grant_note_taker(
                    learning_session, form.email.data, user_id=current_user.id
                )
            except NotesError as exc:
                db.session.rollback()
                form.email.errors.append(str(exc))
            else:
                db.session.commit()
                message = _("%(name)s may now write this session's notes.", name=user.display_name)
                flash(message, "success")
                return redirect(url_for("organiser.note_takers", slug=slug))
        status = 400
        learning_session = writable_session(slug, manage=True)
    takers = notes_service.note_takers(learning_session.id)
    return writing_page(
        "organiser/note_takers.html", learning_session, status, form=form, takers=takers
    )


@bp.post("/sessions/<slug>/note-takers/<int:user_id>/revoke")
def revoke_note_taker(slug: str, user_id: int) -> Response:
    learning_session = submitted_button(slug, manage=True)
    if notes_service.revoke_note_taker(learning_session, user_id, user_id=current_user.id):
        db.session.commit()
        flash(_("The note-taker can no longer write this session's notes."), "info")
    return redirect(url_for("organiser.note_takers", slug=slug))
