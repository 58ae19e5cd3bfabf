"""Forms of the organiser workspace."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

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


class CapacityForm(FlaskForm):
    """How many seats the session has; empty means unlimited."""

    capacity = SeatCountField(
        _l("Seats"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_CAPACITY,
                # NumberRange fills in %(min)d and %(max)d itself.
                message=_l("Enter a number from %(min)d to %(max)d, or leave it empty."),
            ),
        ],
        render_kw={"min": 0, "max": MAX_CAPACITY, "step": 1, "inputmode": "numeric"},
    )
