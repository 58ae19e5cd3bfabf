"""Forms for agencies, people and topics.

WTForms has no Thai catalogue, so every validator here carries its own translated message.
Checks that need the database (a taken slug, a parent that would make a cycle) are made by
exchange.services.directory, whose errors the views put next to the field they name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from exchange.labels import agency_kind_label
from exchange.models import AgencyKind

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SEARCH_MAX_LENGTH = 200
Check = Callable[[Form, Field], None]


def strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def text(
    label: object,
    limit: int,
    *,
    required: object = None,
    checks: Sequence[Check] = (),
    area: bool = False,
    **kwargs: object,
) -> StringField:
    """A trimmed text field; *required* is the message shown when it is left empty."""
    validators: list = [DataRequired(message=required)] if required else []
    validators += [Length(max=limit, message=_l("Use at most %(max)d characters.")), *checks]
    field_class = TextAreaField if area else StringField
    return field_class(label, validators=validators, filters=[strip], **kwargs)


def check_slug(form: Form, field: Field) -> None:
    if field.data and not SLUG.fullmatch(field.data):
        raise ValidationError(
            _l("Use lower-case letters a–z, digits and hyphens only, like land-development.")
        )


def check_http_url(form: Form, field: Field) -> None:
    value = field.data or ""
    if not value:
        return
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
    if (
        host is None
        or parts.scheme.lower() not in ("http", "https")
        or any(character.isspace() for character in value)
    ):
        raise ValidationError(
            _l(
                "Enter a web address that starts with http:// or https://, "
                "like https://www.opdc.go.th."
            )
        )


def slug_field() -> StringField:
    return text(
        _l("Web address name"),
        120,
        checks=[check_slug],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )


class IdSelectField(SelectField):
    """A <select> of record ids, the empty choice meaning None, with our own messages.

    ``accepted`` (set by the view) is every id the service may be asked about. It can be wider
    than the choices shown, so that the service explains a refusal ("not into itself")
    instead of the field saying only "choose from the list".
    """

    def __init__(self, label: object = None, validators: list | None = None, **kwargs: object):
        super().__init__(
            label,
            validators,
            coerce=_id_or_none,
            invalid_value_message=_l("Choose an entry from the list."),
            invalid_choice_message=_l("Choose an entry from the list."),
            **kwargs,
        )
        self.accepted: set[int] | None = None

    def pre_validate(self, form: Form) -> None:
        if self.process_errors:
            return
        if self.accepted is not None:
            if self.data is not None and self.data not in self.accepted:
                raise ValidationError(self.invalid_choice_message)
            return
        super().pre_validate(form)

    def fill(self, options: Sequence[tuple[int, int, str]], empty_label: object = None) -> None:
        """Choices from (id, depth, name), deeper ones indented as a tree reads."""
        choices = [SelectChoice("", empty_label)] if empty_label is not None else []
        choices += [
            SelectChoice(str(record_id), "\u2003" * depth + name)
            for record_id, depth, name in options
        ]
        self.choices = choices


def _id_or_none(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    raw = str(value)
    if not (raw.isascii() and raw.isdecimal()):
        raise ValueError(raw)
    return int(raw)


def _require(field: Field, message: object) -> None:
    """Make *field* required on this form only (a new list: the class's stays as it was)."""
    field.validators = [DataRequired(message=message), *field.validators]
    field.flags.required = True


class _SlugForm(FlaskForm):
    slug = slug_field()

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if editing:  # a new record may leave it empty: one is made from the names
            _require(self.slug, _l("Enter the web address name."))


class AgencyForm(_SlugForm):
    name_th = text(_l("Name in Thai"), 300, required=_l("Enter the name in Thai."))
    name_en = text(_l("Name in English"), 300)
    abbr_th = text(_l("Abbreviation in Thai"), 60)
    abbr_en = text(_l("Abbreviation in English"), 60)
    kind = SelectField(
        _l("Kind"),
        coerce=AgencyKind,
        invalid_value_message=_l("Choose an entry from the list."),
        invalid_choice_message=_l("Choose an entry from the list."),
    )
    parent_id = IdSelectField(_l("Part of"))
    website = text(_l("Website"), 300, checks=[check_http_url], render_kw={"inputmode": "url"})
    slug = slug_field()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, agency_kind_label(k)) for k in AgencyKind]


class PersonForm(_SlugForm):
    prefix_th = text(_l("Prefix in Thai"), 60)
    name_th = text(_l("Name in Thai"), 200, required=_l("Enter the name in Thai."))
    prefix_en = text(_l("Prefix in English"), 60)
    name_en = text(_l("Name in English"), 200)
    slug = slug_field()


class TopicForm(_SlugForm):
    name_th = text(_l("Name in Thai"), 200, required=_l("Enter the name in Thai."))
    name_en = text(_l("Name in English"), 200)
    description_th = text(_l("Description in Thai"), 5000, area=True)
    description_en = text(_l("Description in English"), 5000, area=True)
    slug = slug_field()


class MergeForm(FlaskForm):
    """Which record to keep; the one in the address is the duplicate, and goes."""

    target = IdSelectField(_l("Keep this one"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _require(self.target, _l("Choose the one to keep."))
