"""Forms of the Materials tab: upload a file, edit one, the recording link."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from exchange.forms.sessions import http_url
from exchange.models import LearningSession, Visibility
from exchange.models.bilingual import pick

TITLE_MAX = 300


def _agenda_item(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[arg-type]


class _MaterialFields(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[Length(max=TITLE_MAX, message=_l("Keep the title under 300 characters."))],
    )
    agenda_item = SelectField(
        _l("Belongs to"),
        coerce=_agenda_item,
        validate_choice=True,
    )
    visibility = RadioField(
        _l("Who may download it"),
        choices=[
            SelectChoice(Visibility.PUBLIC.value, _l("Everyone who can see the session")),
            SelectChoice(
                Visibility.REGISTRANTS.value, _l("Registrants with a confirmed seat only")
            ),
        ],
        default=Visibility.PUBLIC.value,
        validators=[InputRequired(message=_l("Choose who may download it."))],
    )

    def fill_agenda(self, learning_session: LearningSession, language: str) -> None:
        self.agenda_item.choices = [
            SelectChoice("", _l("The session as a whole")),
            *(
                SelectChoice(str(item.id), pick(item.title_th, item.title_en, language))
                for item in learning_session.agenda_items
            ),
        ]


class UploadForm(_MaterialFields):
    file = FileField(_l("File"))

    def validate_file(self, field: FileField) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choose a file to upload."))


class EditMaterialForm(_MaterialFields):
    pass


class RecordingForm(FlaskForm):
    recording_url = URLField(
        _l("Recording link"),
        validators=[Length(max=1000, message=_l("Keep the link under 1000 characters.")), http_url],
    )
