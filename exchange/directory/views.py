"""Agencies, people and topics for organisers and admins: list, create, edit, merge, delete.

The three kinds of record work the same way, so one set of view functions serves them, each
told which `Kind` it handles. Views stay thin: parse the form, load the record (404), call
the service, commit once, redirect; a refused change rolls back and shows the form again with
the message next to its field and what was typed still there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from exchange.db import db
from exchange.directory.forms import (
    SEARCH_MAX_LENGTH,
    AgencyForm,
    MergeForm,
    PersonForm,
    TopicForm,
)
from exchange.forms import ConfirmForm
from exchange.i18n import current_language
from exchange.models import Agency, AgencyKind, LearningSession, Person, Topic, User, UserRole
from exchange.pagination import paginate
from exchange.permissions import organiser_required
from exchange.services import directory

bp = Blueprint("directory", __name__)

PEOPLE_PER_PAGE = 50


@dataclass(frozen=True)
class Kind:
    """How one kind of record is edited: its model, form, data, service calls and words."""

    name: str  # "agency": endpoints agency_edit …, templates directory/agency_form.html
    list_endpoint: str
    model: type
    form: type[FlaskForm]
    data: type
    create: Callable[..., Any]
    update: Callable[..., Any]
    merge: Callable[..., Any]
    delete: Callable[..., None]
    links: dict[str, Any]
    created: Any  # flash messages (lazy strings with %(name)s)
    saved: Any
    merged: Any
    deleted: Any
    keep_label: Any  # the merge page's select


AGENCY = Kind(
    "agency",
    "directory.agencies",
    Agency,
    AgencyForm,
    directory.AgencyData,
    directory.create_agency,
    directory.update_agency,
    directory.merge_agencies,
    directory.delete_agency,
    directory.AGENCY_LINKS,
    _l("Agency added: %(name)s"),
    _l("Agency saved: %(name)s"),
    _l("Merged: every link now points to %(name)s."),
    _l("Agency deleted: %(name)s"),
    _l("The agency to keep"),
)
PERSON = Kind(
    "person",
    "directory.people",
    Person,
    PersonForm,
    directory.PersonData,
    directory.create_person,
    directory.update_person,
    directory.merge_people,
    directory.delete_person,
    directory.PERSON_LINKS,
    _l("Person added: %(name)s"),
    _l("Person saved: %(name)s"),
    _l("Merged: every appearance now belongs to %(name)s."),
    _l("Person deleted: %(name)s"),
    _l("The person to keep"),
)
TOPIC = Kind(
    "topic",
    "directory.topics",
    Topic,
    TopicForm,
    directory.TopicData,
    directory.create_topic,
    directory.update_topic,
    directory.merge_topics,
    directory.delete_topic,
    directory.TOPIC_LINKS,
    _l("Topic added: %(name)s"),
    _l("Topic saved: %(name)s"),
    _l("Merged: every session and takeaway now has %(name)s."),
    _l("Topic deleted: %(name)s"),
    _l("The topic to keep"),
)


# --- lists -----------------------------------------------------------------------------------


def _search() -> str:
    return request.args.get("q", "").strip()[:SEARCH_MAX_LENGTH]


@bp.get("/agencies")
@organiser_required
def agencies() -> str:
    q = _search()
    return render_template(
        "directory/agencies.html", tree=directory.agency_tree(q), q=q, usage=_usage_text
    )


@bp.get("/people")
@organiser_required
def people() -> str:
    q = _search()
    per_page = current_app.config.get("DIRECTORY_PER_PAGE", PEOPLE_PER_PAGE)
    pagination = paginate(directory.people_query(q), per_page)
    counts = directory.usage_of(directory.PERSON_LINKS, [p.id for p in pagination.items])
    return render_template(
        "directory/people.html", pagination=pagination, counts=counts, q=q, usage=_usage_text
    )


@bp.get("/topics")
@organiser_required
def topics() -> str:
    q = _search()
    found = directory.topic_list(q)
    counts = directory.usage_of(directory.TOPIC_LINKS, [t.id for t in found])
    return render_template(
        "directory/topics.html", topics=found, counts=counts, q=q, usage=_usage_text
    )


def _usage_text(usage: directory.Usage) -> str:
    return ", ".join(directory.usage_phrases(usage))


# --- create and edit -------------------------------------------------------------------------


@bp.route("/agencies/new", methods=["GET", "POST"])
@organiser_required
def agency_new() -> Response | str:
    return _create(AGENCY)


@bp.route("/people/new", methods=["GET", "POST"])
@organiser_required
def person_new() -> Response | str:
    return _create(PERSON)


@bp.route("/topics/new", methods=["GET", "POST"])
@organiser_required
def topic_new() -> Response | str:
    return _create(TOPIC)


@bp.route("/agencies/<int:record_id>/edit", methods=["GET", "POST"])
@organiser_required
def agency_edit(record_id: int) -> Response | str:
    return _edit(AGENCY, record_id)


@bp.route("/people/<int:record_id>/edit", methods=["GET", "POST"])
@organiser_required
def person_edit(record_id: int) -> Response | str:
    return _edit(PERSON, record_id)


@bp.route("/topics/<int:record_id>/edit", methods=["GET", "POST"])
@organiser_required
def topic_edit(record_id: int) -> Response | str:
    return _edit(TOPIC, record_id)


def _create(kind: Kind) -> Response | str:
    form = kind.form(**({"kind": AgencyKind.OTHER} if kind is AGENCY else {}))
    _prepare(kind, form, None)
    if form.validate_on_submit():
        try:
            record = kind.create(_data(kind, form), user_id=current_user.id)
        except directory.DirectoryError as exc:
            _refused(form, exc)
        else:
            name = _name(record)
            db.session.commit()
            flash(kind.created % {"name": name}, "success")
            return redirect(url_for(kind.list_endpoint, q=name))
    return render_template(f"directory/{kind.name}_form.html", form=form, record=None, usage={})


def _edit(kind: Kind, record_id: int) -> Response | str:
    record = db.get_or_404(kind.model, record_id)
    form = kind.form(obj=record, editing=True)
    _prepare(kind, form, record)
    if form.validate_on_submit():
        try:
            kind.update(record, _data(kind, form), user_id=current_user.id)
        except directory.DirectoryError as exc:
            _refused(form, exc)
        else:
            name = _name(record)
            db.session.commit()
            flash(kind.saved % {"name": name}, "success")
            return redirect(url_for(f"directory.{kind.name}_edit", record_id=record_id))
    usage = directory.usage_of(kind.links, [record_id]).get(record_id, {})
    return render_template(
        f"directory/{kind.name}_form.html",
        form=form,
        record=record,
        usage=usage,
        usage_text=_usage_text(usage),
        delete_form=ConfirmForm(),
    )


def _prepare(kind: Kind, form: FlaskForm, record: Any) -> None:
    """The agency form's parent choices: not the agency itself nor anything below it."""
    if kind is AGENCY:
        options = directory.agency_options(current_language(), exclude_id=record and record.id)
        form.parent_id.fill(options, _("— None: a top-level agency —"))
        form.parent_id.accepted = set(db.session.scalars(db.select(Agency.id)))


def _data(kind: Kind, form: FlaskForm) -> Any:
    values = {}
    for field in fields(kind.data):
        value = form[field.name].data
        values[field.name] = "" if value is None and field.type in ("str", str) else value
    return kind.data(**values)


def _refused(form: FlaskForm, exc: directory.DirectoryError) -> None:
    """Undo whatever the service did, and put its message where the reader looks."""
    db.session.rollback()
    shown = False
    for name, message in exc.errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
            shown = True
    if not shown:
        flash(str(exc), "warning")


def _name(record: Any) -> str:
    if isinstance(record, Person):
        return record.display_name(current_language())
    return record.loc("name", current_language())


# --- merge and delete ------------------------------------------------------------------------


@bp.route("/agencies/<int:record_id>/merge", methods=["GET", "POST"])
@organiser_required
def agency_merge(record_id: int) -> Response | str:
    return _merge(AGENCY, record_id)


@bp.route("/people/<int:record_id>/merge", methods=["GET", "POST"])
@organiser_required
def person_merge(record_id: int) -> Response | str:
    return _merge(PERSON, record_id)


@bp.route("/topics/<int:record_id>/merge", methods=["GET", "POST"])
@organiser_required
def topic_merge(record_id: int) -> Response | str:
    return _merge(TOPIC, record_id)


def _merge(kind: Kind, record_id: int) -> Response | str:
    duplicate = db.get_or_404(kind.model, record_id)
    form = MergeForm()
    form.target.label.text = kind.keep_label
    form.target.fill(_merge_options(kind, duplicate), _("— Choose —"))
    form.target.accepted = set(db.session.scalars(db.select(kind.model.id)))
    if form.validate_on_submit():
        keep = db.session.get(kind.model, form.target.data)
        try:
            admins_only = kind is AGENCY and _changes_who_manages(duplicate)
            kind.merge(duplicate, keep, user_id=current_user.id)  # its own refusals come first
            if admins_only and current_user.role is not UserRole.ADMIN:
                raise directory.DirectoryError(str(_ADMINS_MERGE), "target")
        except directory.DirectoryError as exc:
            _refused(form, exc)
        else:
            name = _name(keep)
            db.session.commit()
            flash(kind.merged % {"name": name}, "success")
            return redirect(url_for(f"directory.{kind.name}_edit", record_id=keep.id))
    usage = directory.usage_of(kind.links, [record_id]).get(record_id, {})
    return render_template(
        "directory/merge.html",
        kind=kind.name,
        form=form,
        record=duplicate,
        name=_name(duplicate),
        usage_text=_usage_text(usage),
        edit_url=url_for(f"directory.{kind.name}_edit", record_id=record_id),
        list_url=url_for(kind.list_endpoint),
    )


_ADMINS_MERGE = _l(
    "This agency organises sessions or has organisers: only an administrator can merge it."
)


def _changes_who_manages(duplicate: Agency) -> bool:
    """A merge moves the duplicate's sessions and accounts to the agency kept: if it organises
    sessions or has organisers, the kept agency's organisers would manage its sessions (or its
    organisers the kept one's). That is an admin's decision, as an organiser's agency is."""
    owns = db.select(LearningSession.id).where(LearningSession.organiser_id == duplicate.id)
    staff = db.select(User.id).where(
        User.agency_id == duplicate.id, User.role.in_((UserRole.ORGANISER, UserRole.ADMIN))
    )
    return bool(db.session.scalar(owns.limit(1)) or db.session.scalar(staff.limit(1)))


def _merge_options(kind: Kind, duplicate: Any) -> list[tuple[int, int, str]]:
    """Everything the duplicate may be merged into: for an agency, not into its own subtree."""
    language = current_language()
    if kind is AGENCY:
        return directory.agency_options(language, exclude_id=duplicate.id)
    if kind is PERSON:
        query = directory.people_query()
    else:
        query = db.select(Topic).order_by(Topic.name_th, Topic.id)
    return [(r.id, 0, _option_label(r)) for r in db.session.scalars(query) if r.id != duplicate.id]


def _option_label(record: Any) -> str:
    return f"{_name(record)} ({record.slug})"


@bp.post("/agencies/<int:record_id>/delete")
@organiser_required
def agency_delete(record_id: int) -> Response:
    return _delete(AGENCY, record_id)


@bp.post("/people/<int:record_id>/delete")
@organiser_required
def person_delete(record_id: int) -> Response:
    return _delete(PERSON, record_id)


@bp.post("/topics/<int:record_id>/delete")
@organiser_required
def topic_delete(record_id: int) -> Response:
    return _delete(TOPIC, record_id)


def _delete(kind: Kind, record_id: int) -> Response:
    record = db.get_or_404(kind.model, record_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = _name(record)
    try:
        kind.delete(record, user_id=current_user.id)
    except directory.DirectoryError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return redirect(url_for(f"directory.{kind.name}_edit", record_id=record_id))
    db.session.commit()
    flash(kind.deleted % {"name": name}, "success")
    return redirect(url_for(kind.list_endpoint))
