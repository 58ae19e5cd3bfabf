"""The organiser dashboard: upcoming sessions with their fill rate, attendance and agencies
across past sessions (``/manage``), and one session's registrations over time (its dashboard).

Routes on the organiser blueprint (``exchange.organiser.views.bp``); the numbers come from
``exchange.services.dashboard`` in a fixed number of grouped queries; the charts are drawn by
the macros in ``templates/_macros/charts.html``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from exchange.db import utcnow
from exchange.i18n import current_language
from exchange.models import UserRole
from exchange.organiser.views import PRIVATE, _managed_session, bp
from exchange.permissions import organiser_required
from exchange.services import dashboard as dashboard_service
from exchange.services import registration as registration_service

UPCOMING_LIMIT = 30  # more: narrow the dates
PAST_LIMIT = 12  # bars in the attendance chart; the latest ones
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2299  # anything else is a typo (or a Buddhist-Era year)


def parse_day(raw: str) -> tuple[date | None, str | None]:
    """An ISO date (YYYY-MM-DD) from the query string: (the date, None) or (None, a message)."""
    match = _ISO_DATE.fullmatch(raw)
    if match is None:
        return None, _("Enter the date as year-month-day, for example 2024-12-13.")
    year = int(match.group(1))
    if year > LATEST_YEAR and EARLIEST_YEAR <= year - 543 <= LATEST_YEAR:
        return None, _(
            "Enter the year in the Common Era: %(year)d B.E. is %(common)d C.E.",
            year=year,
            common=year - 543,
        )
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None, _(
            "Enter a year between %(first)d and %(last)d.", first=EARLIEST_YEAR, last=LATEST_YEAR
        )
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, _("There is no such day.")


def _period() -> tuple[dashboard_service.Period, dict[str, str], dict[str, str]]:
    """The ``?from=&to=`` range, the message for each bad field, and the values as typed.

    A bad date is left out of the filter (the page still shows); so is a range whose end
    comes before its start.
    """
    typed = {key: request.args.get(key, "").strip()[:40] for key in ("from", "to")}
    days: dict[str, date | None] = {"from": None, "to": None}
    errors: dict[str, str] = {}
    for key, raw in typed.items():
        if raw:
            days[key], message = parse_day(raw)
            if message:
                errors[key] = message
    start, end = days["from"], days["to"]
    if start and end and end < start:
        errors["to"] = _("The end date is before the start date.")
        start = end = None
    return dashboard_service.Period(start, end), errors, typed


def _noon(day: date | None, timezone: str) -> datetime | None:
    """A date as an aware datetime for the ``day`` filter (noon: the same date in any zone)."""
    return None if day is None else datetime.combine(day, time(12), ZoneInfo(timezone))


@bp.get("")
@organiser_required
def dashboard() -> tuple[str, int, dict[str, str]]:
    """Upcoming sessions I manage with their seats; attendance and agencies across past ones."""
    period, errors, typed = _period()
    now = utcnow()
    timezone = current_app.config["DEFAULT_TIMEZONE"]
    language = current_language()
    upcoming, more_upcoming = dashboard_service.upcoming(
        current_user, now, period, timezone, UPCOMING_LIMIT
    )
    past, more_past = dashboard_service.past(current_user, now, period, timezone, PAST_LIMIT)
    agencies = dashboard_service.agencies_attending(current_user, now, period, timezone, language)
    return (
        render_template(
            "organiser/dashboard.html",
            now=now,
            timezone=timezone,
            upcoming=upcoming,
            more_upcoming=more_upcoming,
            upcoming_limit=UPCOMING_LIMIT,
            past=past,
            more_past=more_past,
            agencies=agencies,
            top_agencies=dashboard_service.TOP_AGENCIES,
            agency=current_user.agency,  # the reader's own: "sessions organised by …"
            filtered=period.start is not None or period.end is not None,
            period_start=_noon(period.start, timezone),
            period_end=_noon(period.end, timezone),
            errors=errors,
            typed=typed,
            date_min=date(EARLIEST_YEAR, 1, 1).isoformat(),
            date_max=date(LATEST_YEAR, 12, 31).isoformat(),
            is_admin=current_user.role is UserRole.ADMIN,
            no_agency=current_user.role is not UserRole.ADMIN and current_user.agency_id is None,
        ),
        200,
        PRIVATE,
    )


@bp.get("/sessions/<slug>/dashboard")
def session_dashboard(slug: str) -> tuple[str, int, dict[str, str]]:
    """One session: its numbers, registrations over time, participants by agency."""
    learning_session = _managed_session(slug)
    now = utcnow()
    zone = ZoneInfo(learning_session.timezone)
    # The line runs on to today, or to the session's day once it has begun.
    until = min(now.astimezone(zone).date(), learning_session.starts_at.astimezone(zone).date())
    counts = registration_service.counts(learning_session.id)
    capacity = learning_session.capacity
    return (
        render_template(
            "organiser/dashboard_session.html",
            s=learning_session,
            now=now,
            counts=counts,
            fill_rate=counts.confirmed / capacity if capacity else None,
            seats_left=None if capacity is None else max(0, capacity - counts.confirmed),
            attendance=counts.checked_in / counts.confirmed if counts.confirmed else None,
            days=dashboard_service.registrations_by_day(learning_session, until=until),
            agencies=dashboard_service.session_agencies(learning_session.id, current_language()),
            top_agencies=dashboard_service.TOP_AGENCIES,
        ),
        200,
        PRIVATE,
    )
