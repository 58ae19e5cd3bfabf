"""Form pieces shared by blueprints."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, Field, Form, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from exchange.db import db
from exchange.i18n import current_language
from exchange.models import Agency
from exchange.models.bilingual import pick


class ConfirmForm(FlaskForm):
    """A button-only form: its only job is the CSRF token."""


def name_field() -> StringField:
    return StringField(
        _l("Your name"),
        validators=[InputRequired(message=_l("Enter your name.")), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )


def email_field(label: object = None) -> EmailField:
    return EmailField(
        label or _l("E-mail"),
        validators=[
            InputRequired(message=_l("Enter your e-mail address.")),
            Length(max=254),
            Email(
                message=_l("Enter a valid e-mail address, like name@agency.go.th."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "email"},
    )


def min_password_length(form: Form, field: Field) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(
            _l("Use at least %(count)d characters.", count=minimum)  # type: ignore[arg-type]
        )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(message=_l("Choose a password.")),
            min_password_length,
            Length(max=200),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def agency_field() -> SelectField:
    return SelectField(_l("Your agency"), coerce=_optional_int, validate_choice=True)


def fill_agency_choices(field: SelectField) -> None:
    """All agencies by name in the reader's language, after an empty "not listed" choice."""
    language = current_language()
    # Three columns, not whole rows: this runs on every session page a visitor opens.
    rows = db.session.execute(select(Agency.id, Agency.name_th, Agency.name_en)).all()
    named = sorted(
        ((agency_id, pick(name_th, name_en, language)) for agency_id, name_th, name_en in rows),
        key=lambda pair: pair[1],
    )
    field.choices = [
        SelectChoice("", _l("— Not listed / none —")),
        *(SelectChoice(str(agency_id), name) for agency_id, name in named),
    ]


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[arg-type]
