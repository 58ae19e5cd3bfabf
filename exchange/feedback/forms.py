"""The evaluation form: one 1–5 score per question of the session, and a comment."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from exchange.models import FeedbackQuestion
from exchange.services.feedback import COMMENT_MAX_LENGTH, SCORES

CHOICES = [SelectChoice(str(score), str(score)) for score in SCORES]


class AnswerForm(FlaskForm):
    comment = TextAreaField(
        _l("Anything else you would like to tell the organisers? (optional)"),
        validators=[
            Length(
                max=COMMENT_MAX_LENGTH,
                message=_l("Keep the comment to %(max)d characters."),
            )
        ],
        render_kw={"rows": 5, "maxlength": COMMENT_MAX_LENGTH},
    )

    def score_fields(self) -> list[tuple[FeedbackQuestion, RadioField]]:
        return [(question, self[f"q{question.id}"]) for question in self._questions]

    def scores(self) -> dict[int, int]:
        return {question.id: int(field.data) for question, field in self.score_fields()}


def _one_of_the_scores(form: Form, field: Field) -> None:
    if field.data not in {choice.value for choice in CHOICES}:
        raise ValidationError(_l("Choose a score from 1 to 5."))


def answer_form(questions: Sequence[FeedbackQuestion]) -> AnswerForm:
    """A form with a radio group ``q<id>`` per question (other posted fields are ignored)."""

    class _Form(AnswerForm):
        pass

    for question in questions:
        # The choice check is ours, so that 0, 6 and "x" get the same clear message.
        setattr(
            _Form,
            f"q{question.id}",
            RadioField(choices=CHOICES, validate_choice=False, validators=[_one_of_the_scores]),
        )
    form = _Form()
    form._questions = list(questions)
    return form
