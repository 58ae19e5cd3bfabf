"""Profile, password and API token forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

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


# How long a new API token works: days, or "never" (a token without an end; revoke it when done)
EXPIRY_DAYS = {"30": 30, "90": 90, "365": 365, "never": None}


class ApiTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Name the token after what will use it.")),
            Length(max=100, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "off", "maxlength": 100},
    )
    expires = SelectField(
        _l("Expires after"),
        choices=[
            SelectChoice("30", _l("30 days")),
            SelectChoice("90", _l("90 days")),
            SelectChoice("365", _l("1 year")),
            SelectChoice("never", _l("Never expires")),
        ],
        default="90",
    )
