"""Forms for writing what was learned: the note, its sections, takeaways, note-takers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from exchange.forms.sessions import http_url
from exchange.labels import kind_label
from exchange.models import ContentStatus, TakeawayKind
from exchange.services.notes import STATEMENT_MAX_LENGTH

MARKDOWN_MAX_LENGTH = 50_000  # far more than a summary needs; stops a runaway paste
MAX_SECTIONS = 60
_too_long = _l("Keep it to %(max)d characters.")


def markdown_field(label: object, rows: int = 6) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Length(max=MARKDOWN_MAX_LENGTH, message=_too_long)],
        render_kw={"rows": rows},
    )


class SectionForm(Form):
    """One section of a note; no CSRF token of its own (the note form carries it)."""

    section_id = HiddenField()
    heading = StringField(_l("Heading"), validators=[Length(max=300, message=_too_long)])
    body = markdown_field(_l("Text (Markdown)"))
    # Choices are the session's agencies first, then all others (set by the view).
    agency = SelectField(
        _l("Agency (optional)"),
        coerce=str,
        invalid_choice_message=_l("Choose an agency from the list."),
    )

    def validate_section_id(self, field: HiddenField) -> None:
        if field.data and not str(field.data).isdecimal():
            raise ValidationError(_l("A section was removed meanwhile: reload the page."))


class NoteForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=400, message=_too_long)])
    body = markdown_field(_l("Introduction (Markdown)"), rows=8)
    sections = FieldList(FormField(SectionForm), max_entries=MAX_SECTIONS)
    conclusion = markdown_field(_l("Conclusion (Markdown)"))
    source_name = StringField(
        _l("Source: name"),
        validators=[Length(max=300, message=_too_long)],
        description=_l("Who published the original, e.g. the agency's news page."),
    )
    source_url = URLField(
        _l("Source: web address"),
        validators=[Length(max=500, message=_too_long), http_url],
    )

    agency_choices: list[SelectChoice] = []  # noqa: RUF012 -- replaced per form, never mutated

    def set_agency_choices(self, choices: list[SelectChoice]) -> None:
        self.agency_choices = choices
        for entry in self.sections:
            entry.form.agency.choices = choices

    def add_blank_section(self) -> None:
        """Append an empty section (it is saved only once filled in)."""
        if len(self.sections.entries) < (self.sections.max_entries or MAX_SECTIONS):
            self.sections.append_entry()
            self.sections.entries[-1].form.agency.choices = self.agency_choices


class IdChoicesField(SelectMultipleField):
    """Checkboxes of records by id, with our own (translated) messages for forged ids."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: object, message: object, **kwargs: object) -> None:
        super().__init__(
            label,
            coerce=int,
            invalid_choice_message=message,
            invalid_value_message=message,
            **kwargs,
        )


class TakeawayForm(FlaskForm):
    statement_th = TextAreaField(
        _l("Statement in Thai"),
        validators=[
            InputRequired(message=_l("Write the statement in Thai.")),
            Length(max=STATEMENT_MAX_LENGTH, message=_too_long),
        ],
        render_kw={"rows": 3},
    )
    statement_en = TextAreaField(
        _l("Statement in English"),
        validators=[Length(max=STATEMENT_MAX_LENGTH, message=_too_long)],
        render_kw={"rows": 3},
    )
    kind = SelectField(_l("Kind"), invalid_choice_message=_l("Choose a kind from the list."))
    agencies = IdChoicesField(_l("Agencies"), _l("Choose agencies from the list."))
    all_session_agencies = BooleanField(_l("All agencies in this session"))
    topics = IdChoicesField(_l("Topics"), _l("Choose topics from the list."))
    status = RadioField(_l("Status"), default=ContentStatus.DRAFT.value)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, kind_label(k)) for k in TakeawayKind]
        self.status.choices = [
            SelectChoice(ContentStatus.DRAFT.value, _l("Draft: only writers see it")),
            SelectChoice(ContentStatus.PUBLISHED.value, _l("Published")),
        ]

    def validate_agencies(self, field: IdChoicesField) -> None:
        needs_agency = self.kind.data != TakeawayKind.CONCLUSION.value
        if needs_agency and not field.data and not self.all_session_agencies.data:
            message = _l("Choose the agency it comes from: only a conclusion may have none.")
            raise ValidationError(message)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class NoteTakerForm(FlaskForm):
    email = EmailField(
        _l("E-mail of their account"),
        filters=[_strip],
        validators=[
            InputRequired(message=_l("Enter your e-mail address.")),
            Length(max=254),
            Email(
                message=_l("Enter a valid e-mail address, like name@agency.go.th."),
                check_deliverability=False,
            ),
        ],
    )
