"""Numbers for the organiser dashboard: fill rates, attendance, agencies, registrations by day.

Every function sends one grouped statement, whatever the number of sessions or registrations,
so a dashboard page costs the same few queries on a quiet day and on a busy one (the
query-count tests in tests/test_dashboard.py hold them to it).

Who sees what: admins every session, organisers the sessions their agency organises
(``managed_by``, the same rule as ``exchange.permissions.can_manage_session``). Cancelled
sessions are left out: they have no fill rate and nobody attended them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager

from exchange.db import db
from exchange.models import (
    Agency,
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
    UserRole,
)

TOP_AGENCIES = 10  # the rest are summed up as "other agencies"


# --- who and when ------------------------------------------------------------------------------


def managed_by(user: Any) -> sa.ColumnElement[bool]:
    """The sessions *user* manages: all for admins, their agency's for organisers, else none."""
    if getattr(user, "role", None) is UserRole.ADMIN:
        return sa.true()
    if getattr(user, "role", None) is UserRole.ORGANISER and user.agency_id is not None:
        return LearningSession.organiser_id == user.agency_id
    return sa.false()


@dataclass(frozen=True)
class Period:
    """Sessions that start between two local dates, both included; None = open-ended."""

    start: date | None = None
    end: date | None = None

    def condition(self, timezone: str) -> sa.ColumnElement[bool]:
        """Compare ``starts_at`` with local midnights in *timezone*, converted to UTC."""
        zone = ZoneInfo(timezone)
        conditions: list[sa.ColumnElement[bool]] = []
        if self.start is not None:
            since = datetime.combine(self.start, time(), zone).astimezone(UTC)
            conditions.append(LearningSession.starts_at >= since)
        if self.end is not None:
            until = datetime.combine(self.end + timedelta(days=1), time(), zone).astimezone(UTC)
            conditions.append(LearningSession.starts_at < until)
        return sa.and_(sa.true(), *conditions)


# --- sessions with their numbers ---------------------------------------------------------------


@dataclass(frozen=True)
class SessionNumbers:
    """A session (organiser loaded) and its registrations counted by status."""

    session: LearningSession
    confirmed: int
    waitlisted: int
    pending: int
    checked_in: int

    @property
    def fill_rate(self) -> float | None:
        """Seats taken of the capacity (0–1); None when seats are unlimited or there are none."""
        capacity = self.session.capacity
        if not capacity:
            return None
        return self.confirmed / capacity

    @property
    def attendance(self) -> float | None:
        """Checked in of confirmed (0–1); None when nobody had a seat."""
        if not self.confirmed:
            return None
        return self.checked_in / self.confirmed


def _is(status: RegistrationStatus) -> sa.ColumnElement[bool]:
    return Registration.status == status


def _sessions_with_numbers(
    condition: sa.ColumnElement[bool], order_by: tuple[Any, ...], limit: int
) -> tuple[list[SessionNumbers], bool]:
    """Sessions matching *condition*, each with its counts, in one statement.

    Returns at most *limit* sessions and whether there were more. Grouping by the primary
    keys of the session and its organiser lets PostgreSQL select their other columns too.
    """
    confirmed = _is(RegistrationStatus.CONFIRMED)
    query = (
        select(
            LearningSession,
            func.count(case((confirmed, 1))).label("confirmed"),
            func.count(case((_is(RegistrationStatus.WAITLISTED), 1))).label("waitlisted"),
            func.count(case((_is(RegistrationStatus.PENDING), 1))).label("pending"),
            func.count(
                case((sa.and_(confirmed, Registration.checked_in_at.is_not(None)), 1))
            ).label("checked_in"),
        )
        .outerjoin(LearningSession.organiser)
        .outerjoin(Registration, Registration.session_id == LearningSession.id)
        .where(condition)
        .group_by(LearningSession.id, Agency.id)
        .options(contains_eager(LearningSession.organiser))
        .order_by(*order_by)
        .limit(limit + 1)
    )
    rows = db.session.execute(query).all()
    numbers = [SessionNumbers(row[0], *row[1:]) for row in rows[:limit]]
    return numbers, len(rows) > limit


def upcoming(
    user: Any, now: datetime, period: Period, timezone: str, limit: int
) -> tuple[list[SessionNumbers], bool]:
    """Sessions *user* manages that have not ended (drafts too), soonest first."""
    return _sessions_with_numbers(
        sa.and_(
            managed_by(user),
            period.condition(timezone),
            LearningSession.status != SessionStatus.CANCELLED,
            LearningSession.ends_at > now,
        ),
        (LearningSession.starts_at, LearningSession.id),
        limit,
    )


def _took_place(user: Any, now: datetime, period: Period, timezone: str) -> sa.ColumnElement:
    return sa.and_(
        managed_by(user),
        period.condition(timezone),
        LearningSession.status == SessionStatus.PUBLISHED,
        LearningSession.ends_at <= now,
    )


def past(
    user: Any, now: datetime, period: Period, timezone: str, limit: int
) -> tuple[list[SessionNumbers], bool]:
    """Published sessions *user* manages that have ended, the latest *limit*, oldest first."""
    numbers, more = _sessions_with_numbers(
        _took_place(user, now, period, timezone),
        (LearningSession.starts_at.desc(), LearningSession.id.desc()),
        limit,
    )
    return numbers[::-1], more  # a chart reads left to right, earliest first


# --- participants by agency --------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyCount:
    """Confirmed (and checked-in) participants of one agency, or of a group of them.

    ``agency`` is None for the group of people who gave no agency (``others == 0``) or for
    the ``others`` agencies outside the top ones, summed up.
    """

    agency: Agency | None
    confirmed: int
    checked_in: int
    others: int = 0

    @property
    def attendance(self) -> float | None:
        return self.checked_in / self.confirmed if self.confirmed else None


@dataclass(frozen=True)
class AgencyRanking:
    rows: list[AgencyCount]  # the top agencies, then "other agencies", then "not given"
    agencies: int  # how many different agencies in all
    confirmed: int
    checked_in: int


def _agency_ranking(
    condition: sa.ColumnElement[bool],
    *,
    by_attendance: bool,
    language: str,
    top: int = TOP_AGENCIES,
) -> AgencyRanking:
    """Confirmed participants by their own agency (``Registration.agency_id``), in one
    statement; ranked by those who checked in (*by_attendance*) or those confirmed."""
    counted = (
        select(
            Registration.agency_id.label("agency_id"),
            func.count().label("confirmed"),
            func.count(Registration.checked_in_at).label("checked_in"),
        )
        .join(LearningSession, LearningSession.id == Registration.session_id)
        .where(condition, _is(RegistrationStatus.CONFIRMED))
        .group_by(Registration.agency_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Agency, counted.c.confirmed, counted.c.checked_in).select_from(
            counted.outerjoin(Agency, Agency.id == counted.c.agency_id)
        )
    ).all()
    known = [AgencyCount(agency, n, checked) for agency, n, checked in rows if agency is not None]
    # Ties in a fixed order on every database: by the name the reader sees.
    known.sort(key=lambda row: row.agency.loc("name", language) if row.agency else "")
    if by_attendance:
        known.sort(key=lambda row: (row.checked_in, row.confirmed), reverse=True)
    else:
        known.sort(key=lambda row: (row.confirmed, row.checked_in), reverse=True)
    ranked = known[:top]
    if rest := known[top:]:
        ranked.append(
            AgencyCount(
                None,
                sum(row.confirmed for row in rest),
                sum(row.checked_in for row in rest),
                others=len(rest),
            )
        )
    unknown = [AgencyCount(None, n, checked) for agency, n, checked in rows if agency is None]
    ranked.extend(unknown)
    return AgencyRanking(
        rows=ranked,
        agencies=len(known),
        confirmed=sum(n for _, n, _ in rows),
        checked_in=sum(checked for _, _, checked in rows),
    )


def agencies_attending(
    user: Any, now: datetime, period: Period, timezone: str, language: str
) -> AgencyRanking:
    """Across the past sessions *user* manages: the agencies whose people attend most."""
    return _agency_ranking(
        _took_place(user, now, period, timezone), by_attendance=True, language=language
    )


def session_agencies(session_id: int, language: str) -> AgencyRanking:
    """One session's confirmed participants by agency, most first."""
    return _agency_ranking(LearningSession.id == session_id, by_attendance=False, language=language)


# --- registrations over time -------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """One local day of a session's registrations: what was added, and the running totals."""

    day: date
    moment: datetime  # the day's noon in the session's timezone, for the ``day`` filter
    new_confirmed: int
    new_waitlisted: int
    confirmed: int
    waitlisted: int

    @property
    def changed(self) -> bool:
        return bool(self.new_confirmed or self.new_waitlisted)


def registrations_by_day(learning_session: LearningSession, until: date | None = None) -> list[Day]:
    """Cumulative confirmed and waitlisted registrations by local day, one point per day.

    A confirmed person counts from the day they got their seat (``confirmed_at``), a waitlisted
    one from the day they joined the line (``queued_at``), so the last day's totals are today's
    counts. Days are those of the session's timezone: 23:30 UTC is the next morning in Bangkok.
    The series runs from the first registration to *until* (if later), without gaps.
    """
    zone = ZoneInfo(learning_session.timezone)
    confirmed = _is(RegistrationStatus.CONFIRMED)
    moment = case(
        (confirmed, func.coalesce(Registration.confirmed_at, Registration.queued_at)),
        else_=Registration.queued_at,
    )
    bucket = _local_bucket(moment, learning_session.timezone).label("bucket")
    rows = db.session.execute(
        select(Registration.status, bucket, func.count())
        .where(
            Registration.session_id == learning_session.id,
            Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)),
        )
        .group_by(Registration.status, bucket)
    ).all()
    added: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for status, value, n in rows:
        added[_to_local_date(value, zone)][status is not RegistrationStatus.CONFIRMED] += n
    if not added:
        return []
    first, last = min(added), max(added)
    if until is not None and until > last:
        last = until
    days, total_confirmed, total_waitlisted = [], 0, 0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        new_confirmed, new_waitlisted = added.get(day, (0, 0))
        total_confirmed += new_confirmed
        total_waitlisted += new_waitlisted
        days.append(
            Day(
                day=day,
                moment=datetime.combine(day, time(12), zone),
                new_confirmed=new_confirmed,
                new_waitlisted=new_waitlisted,
                confirmed=total_confirmed,
                waitlisted=total_waitlisted,
            )
        )
    return days


def _local_bucket(moment: sa.ColumnElement[Any], timezone: str) -> sa.ColumnElement[Any]:
    """What to group timestamps (naive UTC in the database) by, per database.

    PostgreSQL knows time zones, so it gives the local date itself. SQLite does not: it groups
    by the UTC minute, and Python turns each minute into a local date (every time zone's
    offset is a whole number of minutes, so a minute never straddles local midnight).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        utc_instant = func.timezone("UTC", moment)
        return sa.cast(func.timezone(timezone, utc_instant), sa.Date)
    return func.strftime("%Y-%m-%d %H:%M", moment)


def _to_local_date(value: date | str, zone: ZoneInfo) -> date:
    if isinstance(value, str):  # SQLite: a UTC minute
        instant = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        return instant.astimezone(zone).date()
    if isinstance(value, datetime):
        return value.date()
    return value
