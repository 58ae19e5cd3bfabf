"""Profile and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField
from wtforms.fields.choices import SelectChoice

from exchange.forms import agency_field, name_field, new_password_fields


class ProfileForm(FlaskForm):
    display_name = name_field()
    agency = agency_field()
    locale = SelectField(
        _l("Language for pages and e-mails"),
        choices=[SelectChoice("th", "ไทย"), SelectChoice("en", "English")],
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), render_kw={"autocomplete": "current-password"}
    )
    password, confirm = new_password_fields()
