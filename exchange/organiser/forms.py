"""Forms of the organiser workspace."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange, Optional

from exchange.forms.sessions import MAX_CAPACITY, SeatCountField


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
