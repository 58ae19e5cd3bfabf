"""A session's reminders: "N minutes, hours or days before", added and removed by the
organisers who manage the session (note-takers may not). Routes of the organiser blueprint;
the worker (exchange.services.followups) sends them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from exchange.db import db
from exchange.models import LearningSession, SessionReminder
from exchange.organiser.notes import submitted_button, writable_session, writing_page
from exchange.organiser.views import bp
from exchange.services import reminders as reminders_service
from exchange.services.reminders import MAX_REMINDER_MINUTES, ReminderError

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")


class WholeNumberField(IntegerField):
    """A whole number, with our own (translated) message for anything else."""

    def process_formdata(self, valuelist: list) -> None:
        raw = str(valuelist[0]).strip() if valuelist else ""
        if not raw:
            self.data = None
            return
        if not _WHOLE_NUMBER.fullmatch(raw):
            self.data = None
            raise ValueError(_l("Enter a whole number, like 1 or 24."))
        self.data = int(raw)


class ReminderForm(FlaskForm):
    amount = WholeNumberField(
        _l("How long before the start"),
        validators=[InputRequired(message=_l("Enter a whole number, like 1 or 24."))],
        render_kw={"min": 1, "step": 1, "inputmode": "numeric"},
    )
    unit = SelectField(
        _l("Unit"),
        choices=[
            SelectChoice("minutes", _l("minutes")),
            SelectChoice("hours", _l("hours")),
            SelectChoice("days", _l("days")),
        ],
        default="hours",
        validate_choice=False,  # checked below, with a translated message
    )

    @property
    def minutes(self) -> int:
        return int(self.amount.data) * UNITS[self.unit.data]

    def validate_unit(self, field: SelectField) -> None:
        if field.data not in UNITS:
            raise ValidationError(_("Choose minutes, hours or days."))

    def validate_amount(self, field: WholeNumberField) -> None:
        if field.errors or field.data is None or self.unit.data not in UNITS:
            return
        if field.data < 1:
            raise ValidationError(_("A reminder must come before the start: enter 1 or more."))
        if field.data * UNITS[self.unit.data] > MAX_REMINDER_MINUTES:
            raise ValidationError(_("A reminder can be at most 30 days before the start."))


@dataclass(frozen=True)
class ReminderRow:
    reminder: SessionReminder
    label: str
    due_at: datetime
    sent: int


def _rows(learning_session: LearningSession) -> list[ReminderRow]:
    sent = reminders_service.reminders_sent(learning_session.id)
    return [
        ReminderRow(
            reminder,
            reminders_service.reminder_label(reminder.minutes_before),
            learning_session.starts_at - timedelta(minutes=reminder.minutes_before),
            sent.get(reminder.minutes_before, 0),
        )
        for reminder in learning_session.reminders
    ]


def _add(learning_session: LearningSession, form: ReminderForm) -> bool:
    """Validate and add; False (with the errors on *form*) when refused."""
    if not form.validate_on_submit():
        return False
    try:
        reminders_service.add_reminder(learning_session, form.minutes, user_id=current_user.id)
    except ReminderError as exc:
        db.session.rollback()
        form.amount.errors.append(str(exc))
        return False
    db.session.commit()
    return True


@bp.route("/sessions/<slug>/reminders", methods=["GET", "POST"])
def reminders(slug: str) -> Response | tuple[str, int, dict[str, str]]:
    learning_session = writable_session(slug, manage=True)
    form = ReminderForm()
    if request.method == "POST":
        if _add(learning_session, form):
            flash(_("The reminder is added."), "success")
            return redirect(url_for("organiser.reminders", slug=slug))
        learning_session = writable_session(slug, manage=True)
    return writing_page(
        "organiser/reminders.html",
        learning_session,
        400 if request.method == "POST" else 200,
        form=form,
        rows=_rows(learning_session),
    )


@bp.post("/sessions/<slug>/reminders/<int:reminder_id>/delete")
def remove_reminder(slug: str, reminder_id: int) -> Response:
    learning_session = submitted_button(slug, manage=True)
    if not reminders_service.remove_reminder(
        learning_session, reminder_id, user_id=current_user.id
    ):
        abort(404)
    db.session.commit()
    flash(_("The reminder is removed."), "info")
    return redirect(url_for("organiser.reminders", slug=slug))
