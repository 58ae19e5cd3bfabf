"""Forms for writing a session (its details, agenda items and people in roles), shared by the
organiser workspace and the API, so both validate a session the same way."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from exchange.db import db
from exchange.labels import format_label, role_label
from exchange.models import Agency, LearningSession, Role, SessionFormat, Topic, User, UserRole

# Far more than any room or webinar holds, and well inside a 32-bit INTEGER column.
MAX_CAPACITY = 100_000


class SeatCountField(IntegerField):
    """A whole number of seats, with our own (translated) message for text that is not one.

    WTForms ships no Thai catalogue, so its "Not a valid integer value." would stay English.
    """

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        raw = str(valuelist[0]).strip()
        if not raw.isdecimal() or not raw.isascii():
            self.data = None
            raise ValueError(_l("Enter a whole number of seats, like 50, or leave it empty."))
        self.data = int(raw)


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
        if field.data and not SLUG.fullmatch(field.data):
            raise ValidationError(_l("Use only a–z, 0–9 and single hyphens, like open-data-2026."))

    def session_fields(self) -> dict:
        """The LearningSession columns this form sets (not slug, capacity or topics), with
        local times made aware in the chosen timezone."""
        return {
            "title_th": self.title_th.data.strip(),
            "title_en": (self.title_en.data or "").strip(),
            "description_th": self.description_th.data or "",
            "description_en": self.description_en.data or "",
            "organiser_id": self.organiser.data,
            "format": SessionFormat(self.format.data),
            "platform": (self.platform.data or "").strip(),
            "venue": (self.venue.data or "").strip(),
            "join_url": (self.join_url.data or "").strip(),
            "timezone": self.timezone.data,
            "starts_at": self.local(self.starts_at.data),
            "ends_at": self.local(self.ends_at.data),
            "registration_opens_at": self.local(self.registration_opens_at.data),
            "registration_closes_at": self.local(self.registration_closes_at.data),
        }

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


def fill_session_choices(
    form: SessionForm,
    user: User,
    language: str,
    learning_session: LearningSession | None = None,
) -> None:
    """Organising agencies the user may choose, and the topics, sorted in *language*.

    Admins choose any agency; organisers their own, and keep an edited session's organiser.
    """
    if user.role is UserRole.ADMIN:
        agencies = list(db.session.scalars(select(Agency)))
    elif learning_session is not None and learning_session.organiser is not None:
        agencies = [learning_session.organiser]
    else:
        agencies = [user.agency] if user.agency else []
    named = sorted(agencies, key=lambda a: a.loc("name", language))
    form.organiser.choices = [SelectChoice(a.id, a.loc("name", language)) for a in named]
    topics = sorted(db.session.scalars(select(Topic)), key=lambda t: t.loc("name", language))
    form.topics.choices = [SelectChoice(t.id, t.loc("name", language)) for t in topics]


def form_data(learning_session: LearningSession) -> dict[str, object]:
    """The session as SessionForm shows it: local times (naive), ids, enum values.

    Pass it as ``data=``, not ``obj=``: WTForms prefers obj's attributes to keyword values,
    which would show UTC times and Topic objects instead of local times and topic ids.
    """
    zone = ZoneInfo(learning_session.timezone)

    def local(value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(zone).replace(tzinfo=None)

    names = ("title_th", "title_en", "slug", "description_th", "description_en", "platform",
             "venue", "join_url", "timezone", "capacity")  # fmt: skip
    return {
        **{name: getattr(learning_session, name) for name in names},
        "organiser": learning_session.organiser_id,
        "format": learning_session.format.value,
        "topics": [t.id for t in learning_session.topics],
        "starts_at": local(learning_session.starts_at),
        "ends_at": local(learning_session.ends_at),
        "registration_opens_at": local(learning_session.registration_opens_at),
        "registration_closes_at": local(learning_session.registration_closes_at),
    }


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
