"""A session's registrations as organisers see them: the list query, its order, the CSV file.

Read-only helpers for this blueprint's views; they query but never write.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from exchange.db import db
from exchange.labels import registration_status_label
from exchange.models import Agency, Registration, RegistrationStatus, User

# The order of the list: seats first, then the line, then the unconfirmed, then the cancelled.
STATUS_ORDER = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.PENDING,
    RegistrationStatus.CANCELLED,
)

# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection");
# the full-width forms are read as formulas by some spreadsheet locales, too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

SEARCH_MAX_LENGTH = 200


def registrants(
    session_id: int, status: RegistrationStatus | None = None, search: str = ""
) -> Select[tuple[Registration]]:
    """A session's registrations with their user and agency, in list order.

    Within a status people are in the order they (last) joined, which for the waitlist is
    exactly the order it is served in (``queued_at``, then ``id``).
    """
    rank = sa.case(
        *((Registration.status == value, n) for n, value in enumerate(STATUS_ORDER)),
        else_=len(STATUS_ORDER),
    )
    query = (
        select(Registration)
        .join(Registration.user)
        .outerjoin(Registration.agency)
        .options(contains_eager(Registration.user), contains_eager(Registration.agency))
        .where(Registration.session_id == session_id)
        .order_by(rank, Registration.queued_at, Registration.id)
    )
    if status is not None:
        query = query.where(Registration.status == status)
    if search:
        pattern = f"%{escape_like(search)}%"
        query = query.where(
            sa.or_(
                User.display_name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
            )
        )
    return query


def all_registrants(session_id: int) -> list[Registration]:
    """Every registration of the session, in list order (for the export)."""
    return list(db.session.scalars(registrants(session_id)))


def escape_like(text: str) -> str:
    """*text* matched literally by LIKE … ESCAPE '\\': no wildcards of the user's own."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def csv_header() -> list[str]:
    return [
        _("Name"),
        _("E-mail"),
        _("Agency (Thai)"),
        _("Agency (English)"),
        _("Status"),
        _("Place in line"),
        _("Registered at"),
        _("Confirmed at"),
        _("Checked in at"),
        _("Joined online at"),
        _("Last joined online at"),
        _("Times joined online"),
    ]


def csv_rows(
    registrations: Iterable[Registration], places: dict[int, int], timezone: str
) -> Iterator[list[str]]:
    """One row per registration; times in ISO 8601 in the session's timezone."""
    zone = ZoneInfo(timezone)

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).isoformat(timespec="seconds") if value else ""

    for registration in registrations:
        agency: Agency | None = registration.agency
        place = places.get(registration.id)
        yield [
            registration.user.display_name,
            registration.user.email,
            agency.name_th if agency else "",
            agency.name_en if agency else "",
            registration_status_label(registration.status),
            str(place) if place else "",
            when(registration.queued_at),
            when(registration.confirmed_at),
            when(registration.checked_in_at),
            when(registration.joined_online_at),
            when(registration.last_joined_at),
            str(registration.join_count),
        ]


def neutralise(cell: str) -> str:
    """Make a spreadsheet show *cell* as text, never run it as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def to_csv(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The file line by line: a UTF-8 BOM first, so that Excel reads Thai as Thai."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # quotes as needed; lines end in CRLF (RFC 4180)
    buffer.write("\ufeff")
    for row in chain([header], rows):
        writer.writerow([neutralise(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
