"""Forms for writing a session: its details, agenda items and people in roles."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from exchange.labels import format_label, role_label
from exchange.models import Role, SessionFormat
from exchange.organiser.forms import MAX_CAPACITY, SeatCountField

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COMMON_ZONES = ("Asia/Bangkok", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "UTC")


FIRST_YEAR, LAST_YEAR = 1990, 2200  # far enough either way; beyond, date arithmetic overflows


def plausible_year(form: FlaskForm, field: object) -> None:
    value = field.data  # type: ignore[attr-defined]
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _l("Enter a year between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        )


def local_field(label: object, required: bool = True) -> DateTimeLocalField:
    """A date and time typed in the session's timezone (the browser's datetime-local)."""
    first = InputRequired(message=_l("Enter a date and time.")) if required else Optional()
    return DateTimeLocalField(label, format="%Y-%m-%dT%H:%M", validators=[first, plausible_year])


def http_url(form: FlaskForm, field: object) -> None:
    value = (field.data or "").strip()  # type: ignore[attr-defined]
    if value and not re.match(r"^https?://[^\s/]+\.[^\s]+$", value):
        raise ValidationError(_l("Use a web address that starts with https:// or http://."))


def known_timezone(form: FlaskForm, field: object) -> None:
    if field.data not in available_timezones():  # type: ignore[attr-defined]
        raise ValidationError(_l("Choose a known timezone, like Asia/Bangkok."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SessionForm(FlaskForm):
    title_th = StringField(
        _l("Title in Thai"),
        validators=[InputRequired(message=_l("Enter a title.")), Length(max=400)],
    )
    title_en = StringField(_l("Title in English"), validators=[Length(max=400)])
    slug = StringField(
        _l("Address (slug)"),
        validators=[Optional(), Length(max=120)],
        description=_l("Letters a–z, digits and hyphens. Empty: made from the title."),
    )
    description_th = TextAreaField(_l("Description in Thai (Markdown)"), render_kw={"rows": 8})
    description_en = TextAreaField(_l("Description in English (Markdown)"), render_kw={"rows": 8})
    organiser = SelectField(_l("Organising agency"), coerce=int)
    format = SelectField(_l("Format"))
    platform = StringField(_l("Online platform"), validators=[Length(max=120)])
    venue = StringField(_l("Venue"), validators=[Length(max=400)])
    join_url = URLField(
        _l("Join link"),
        validators=[Length(max=1000), http_url],
        description=_l("Shown only to people with a confirmed seat."),
    )
    timezone = SelectField(_l("Timezone"), validators=[known_timezone])
    starts_at = local_field(_l("Starts"))
    ends_at = local_field(_l("Ends"))
    capacity = SeatCountField(
        _l("Seats"),
        validators=[Optional(), NumberRange(min=0, max=MAX_CAPACITY)],
        description=_l("Empty for no limit."),
    )
    registration_opens_at = local_field(_l("Registration opens"), required=False)
    registration_closes_at = local_field(_l("Registration closes"), required=False)
    topics = MultiCheckboxField(_l("Topics"), coerce=int)

    def __init__(self, *args: object, timezone_choices: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.format.choices = [SelectChoice(f.value, format_label(f)) for f in SessionFormat]
        zones = list(COMMON_ZONES)
        for zone in timezone_choices or []:
            if zone not in zones:
                zones.append(zone)
        self.timezone.choices = [SelectChoice(z, z) for z in zones]

    def validate_slug(self, field: StringField) -> None:
        if field.data and not SLUG.match(field.data):
            raise ValidationError(_l("Use only a–z, 0–9 and single hyphens, like open-data-2026."))

    def local(self, value: datetime | None) -> datetime | None:
        """A naive local time from the form as an aware datetime in the chosen timezone."""
        if value is None or self.timezone.data not in available_timezones():
            return None
        return value.replace(tzinfo=ZoneInfo(self.timezone.data))

    def validate(self, extra_validators: object = None) -> bool:
        ok = super().validate(extra_validators)  # type: ignore[arg-type]
        starts, ends = self.local(self.starts_at.data), self.local(self.ends_at.data)
        if starts and ends and ends <= starts:
            self.ends_at.errors = [*self.ends_at.errors, _l("The end must be after the start.")]
            ok = False
        opens = self.local(self.registration_opens_at.data)
        closes = self.local(self.registration_closes_at.data)
        if closes and starts and closes > starts:
            self.registration_closes_at.errors = [
                *self.registration_closes_at.errors,
                _l("Registration must close by the time the session starts."),
            ]
            ok = False
        if opens and closes and closes <= opens:
            self.registration_closes_at.errors = [
                *self.registration_closes_at.errors,
                _l("Registration must close after it opens."),
            ]
            ok = False
        return ok


class AgendaItemForm(FlaskForm):
    title_th = StringField(
        _l("Title in Thai"),
        validators=[InputRequired(message=_l("Enter a title.")), Length(max=400)],
    )
    title_en = StringField(_l("Title in English"), validators=[Length(max=400)])
    description_th = TextAreaField(_l("Description in Thai"), render_kw={"rows": 3})
    description_en = TextAreaField(_l("Description in English"), render_kw={"rows": 3})
    starts_at = local_field(_l("Starts"))
    ends_at = local_field(_l("Ends"), required=False)


class AppearanceForm(FlaskForm):
    person = SelectField(_l("Person"), coerce=str)
    new_prefix_th = StringField(_l("Prefix in Thai"), validators=[Length(max=60)])
    new_name_th = StringField(_l("Name in Thai"), validators=[Length(max=200)])
    new_prefix_en = StringField(_l("Prefix in English"), validators=[Length(max=60)])
    new_name_en = StringField(_l("Name in English"), validators=[Length(max=200)])
    role = SelectField(_l("Role"))
    position_title_th = StringField(_l("Position then, in Thai"), validators=[Length(max=300)])
    position_title_en = StringField(_l("Position then, in English"), validators=[Length(max=300)])
    agency = SelectField(_l("Agency then"), coerce=str)
    agenda_item = SelectField(_l("Part of the agenda"), coerce=str)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(r.value, role_label(r)) for r in Role]

    def validate_person(self, field: SelectField) -> None:
        if field.data == "new" and not (self.new_name_th.data or "").strip():
            raise ValidationError(_l("Choose a person, or enter the new person's Thai name."))
