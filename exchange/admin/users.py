"""Admin pages: accounts, their roles (participant, organiser, admin), agency and access.

Adds its routes to the admin blueprint (imported at the end of exchange/admin/__init__.py).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from exchange.admin.views import bp
from exchange.db import db
from exchange.i18n import current_language
from exchange.models import Agency, User, UserRole
from exchange.pagination import paginate
from exchange.permissions import admin_required
from exchange.services import directory, user_admin

USERS_PER_PAGE = 50
SEARCH_MAX_LENGTH = 200


def role_name(role: UserRole) -> str:
    return {
        UserRole.PARTICIPANT: _("Participant"),
        UserRole.ORGANISER: _("Session organiser"),
        UserRole.ADMIN: _("Administrator"),
    }[role]


def _agency_id(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    raw = str(value)
    if not (raw.isascii() and raw.isdecimal()):
        raise ValueError(raw)
    return int(raw)


class UserForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        coerce=UserRole,
        invalid_value_message=_l("Choose an entry from the list."),
        invalid_choice_message=_l("Choose an entry from the list."),
    )
    agency_id = SelectField(
        _l("Agency"),
        coerce=_agency_id,
        invalid_value_message=_l("Choose an agency from the list."),
        invalid_choice_message=_l("Choose an agency from the list."),
    )
    active = BooleanField(_l("Active: the account can log in"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role.value, role_name(role)) for role in UserRole]
        options = directory.agency_options(current_language())
        self.agency_id.choices = [
            SelectChoice("", _("— No agency —")),
            *(SelectChoice(str(i), "\u2003" * depth + name) for i, depth, name in options),
        ]


@bp.get("/users")
@admin_required
def users() -> str:
    q = request.args.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    role_arg = request.args.get("role", "")
    role = UserRole(role_arg) if role_arg in {r.value for r in UserRole} else None
    per_page = current_app.config.get("USERS_PER_PAGE", USERS_PER_PAGE)
    pagination = paginate(user_admin.users_query(q, role), per_page)
    return render_template(
        "admin/users.html",
        pagination=pagination,
        q=q,
        role=role,
        roles=list(UserRole),
        role_name=role_name,
    )


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int) -> Response | str:
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if form.validate_on_submit():
        try:
            changes = user_admin.update_user(
                user,
                role=form.role.data,
                agency_id=form.agency_id.data,
                active=form.active.data,
                acting_user_id=current_user.id,
            )
        except directory.DirectoryError as exc:
            db.session.rollback()
            for name, message in (exc.errors or {"role": str(exc)}).items():
                form[name].errors = [*form[name].errors, message]
        else:
            db.session.commit()
            if changes:
                flash(_("Saved: %(name)s", name=user.display_name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("admin.users"))
    agency = db.session.get(Agency, user.agency_id) if user.agency_id else None
    return render_template(
        "admin/users_edit.html",
        form=form,
        user=user,
        agency=agency,
        is_self=user.id == current_user.id,
        role_name=role_name,
    )
