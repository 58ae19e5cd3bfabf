"""Schedules for conference apps (frab/pretalx schedule.xml and schedule.json): which sessions,
the dates asked for, the version, and the loaded sessions for ``exchange.schedule_export.frab``.

Only published sessions: drafts are private and cancelled ones are left out (an app shows
what takes place; calendar feeds are where cancellations are announced). The version comes
from one aggregate query (``calendars.feed_version``), so that an unchanged schedule is
answered with 304 without loading a session; the sessions and everything an event shows come
in a fixed number of queries, however many there are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from exchange.db import db
from exchange.ics.builder import uid_domain
from exchange.labels import format_label
from exchange.models import (
    Appearance,
    LearningSession,
    SessionFormat,
    SessionStatus,
    session_topic,
)
from exchange.schedule_export import frab
from exchange.services import calendars
from exchange.services.sessions import took_part

MAX_DAYS = 366  # a leap year: the longest range one request may ask for
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only


class RangeError(ValueError):
    """A ``from``/``to`` that is not a date, is reversed, or spans too long; safe to show."""


@dataclass(frozen=True)
class DateRange:
    """Days in the site's timezone, both ends included; ``last`` None: no end."""

    first: date
    last: date | None

    def key(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat() if self.last else ''}"


def parse_range(first: str | None, last: str | None, today: date) -> DateRange:
    """``?from=`` and ``?to=`` (YYYY-MM-DD). Without ``from``: FEED_PAST_DAYS before *today*,
    or ``to`` if that is earlier. Without ``to``: everything from ``from`` on, which may then
    be at most MAX_DAYS ago. Raises RangeError."""
    end = _parse_date(last) if last else None
    start = _parse_date(first) if first else None
    if start is None:
        start = today - timedelta(days=current_app.config["FEED_PAST_DAYS"])
        if end is not None and end < start:
            start = end
    if end is None:  # open-ended like the default: what is to come, and a bounded past
        if (today - start).days > MAX_DAYS:
            raise RangeError(
                _(
                    "Without an end date (to), the start date (from) may be at most"
                    " %(days)d days ago.",
                    days=MAX_DAYS,
                )
            )
    elif end < start:
        raise RangeError(_("The end date (to) is before the start date (from)."))
    elif (end - start).days + 1 > MAX_DAYS:
        raise RangeError(_("A schedule covers at most %(days)d days.", days=MAX_DAYS))
    return DateRange(start, end)


def _parse_date(text: str) -> date:
    if len(text) == 10 and _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise RangeError(_("Write dates as YYYY-MM-DD, for example 2025-01-31."))


def _midnight(day: date, zone: ZoneInfo, days_later: int = 0) -> datetime | None:
    """The start of *day* (plus *days_later*) in *zone*, as UTC; None beyond the calendar."""
    try:
        return datetime.combine(day + timedelta(days=days_later), time(), zone).astimezone(UTC)
    except OverflowError:
        return None


def criteria(
    date_range: DateRange, *, agency_id: int | None = None, topic_id: int | None = None
) -> list[sa.ColumnElement[bool]]:
    """Published sessions that overlap the range, of one agency or topic if given."""
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    conditions: list[sa.ColumnElement[bool]] = [LearningSession.status == SessionStatus.PUBLISHED]
    if (start := _midnight(date_range.first, zone)) is not None:
        conditions.append(LearningSession.ends_at > start)
    if date_range.last is not None and (end := _midnight(date_range.last, zone, 1)) is not None:
        conditions.append(LearningSession.starts_at < end)
    if agency_id is not None:
        conditions.append(took_part(agency_id))
    if topic_id is not None:
        conditions.append(
            LearningSession.id.in_(
                select(session_topic.c.session_id).where(session_topic.c.topic_id == topic_id)
            )
        )
    return conditions


def version(conditions: list[sa.ColumnElement[bool]]) -> calendars.Version:
    """The schedule's version, in one aggregate query (count, newest change, checksums)."""
    return calendars.feed_version(conditions)


def version_label(found: calendars.Version) -> str:
    """The ``<version>`` apps show: the newest change and a digest of what is included, the
    same for the XML and the JSON, in both languages, and from one day to the next."""
    digest = found.etag("schedule")[:8]
    if found.last_modified is None:
        return digest
    return f"{found.last_modified:%Y-%m-%d %H:%M} ({digest})"


def schedule_sessions(conditions: list[sa.ColumnElement[bool]]) -> list[LearningSession]:
    """The sessions with all an event shows, soonest first, in four queries."""
    return list(
        db.session.scalars(
            select(LearningSession)
            .where(*conditions)
            .options(
                joinedload(LearningSession.organiser),
                selectinload(LearningSession.topics),
                selectinload(LearningSession.agenda_items),
                selectinload(LearningSession.appearances).joinedload(Appearance.person),
            )
            .order_by(LearningSession.starts_at, LearningSession.id)
        )
    )


def settings() -> frab.Settings:
    config = current_app.config
    return frab.Settings(
        uid_domain=uid_domain(config),
        timezone=config["DEFAULT_TIMEZONE"],
        base_url=url_for("main.index", _external=True),
    )


def wording(language: str) -> frab.Wording:
    """The words schedules show, in *language*."""
    with force_locale(language):
        return frab.Wording(
            language=language,
            online=_("Online"),
            agenda=_("Agenda"),
            formats={kind.value: format_label(kind) for kind in SessionFormat},
        )


def entries(sessions: list[LearningSession], language: str) -> list[frab.Entry]:
    return [frab.Entry(s, calendars.session_url(s, language)) for s in sessions]


def today() -> date:
    """Today in the site's timezone."""
    return datetime.now(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()
