"""Personal join links (/j/<token>): one secret per registration, so the platform link can
change at any time without re-sending anything, and opening it records online attendance.

What a link does, decided by :func:`decide`:

- A confirmed registrant of a published session that has a platform link is sent there (303),
  always reading the session's *current* ``join_url``.
- **Before the join window** (more than ``JOIN_OPENS_MINUTES`` before the start) the link
  still redirects, so that people can test their setup or bookmark the meeting, but it records
  nothing: only opening it from ``JOIN_OPENS_MINUTES`` before the start until the end counts as
  having attended online.
- **During the window** it redirects and records attendance: ``joined_online_at`` the first
  time, ``last_joined_at`` and ``join_count`` every time, in one UPDATE that adds to the stored
  count (two clicks at once both count).
- HEAD requests (link checkers, mail scanners) are answered like GET but never recorded.
- **After the end** it no longer redirects: the registrant gets a page pointing to the
  session's page, where the recording and materials are.
- Everyone else gets a clear page and never the link: an unknown token; a cancelled, waitlisted
  (with their place in line) or unconfirmed registration; a cancelled or unpublished session;
  a session whose organiser has not added the platform link yet.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from exchange.db import db
from exchange.markup import safe_href
from exchange.models import (
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionFormat,
    SessionStatus,
)

TOKEN_MAX_LENGTH = 64  # the column's length: anything longer cannot be a token


class Outcome(enum.StrEnum):
    """What opening a personal link leads to."""

    JOIN = "join"  # redirect to the platform
    UNKNOWN = "unknown"
    REGISTRATION_CANCELLED = "registration_cancelled"
    WAITLISTED = "waitlisted"
    PENDING = "pending"
    SESSION_CANCELLED = "session_cancelled"
    UNAVAILABLE = "unavailable"  # the session is not published (back to draft)
    NO_LINK_YET = "no_link_yet"
    ENDED = "ended"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    registration: Registration | None = None
    target: str = ""  # the platform link, only for JOIN
    record: bool = False  # inside the join window: count it as online attendance


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 bits


def ensure_join_token(registration: Registration) -> str:
    """The registration's token, made on first use. Flushes (for a stored row), never commits."""
    if not registration.join_token:
        if registration.id is None:  # not stored yet: the INSERT carries it
            registration.join_token = new_token()
        else:
            _store_tokens({registration.id: registration})
    assert registration.join_token
    return registration.join_token


def ensure_join_tokens(registrations: Iterable[Registration]) -> bool:
    """Give each confirmed registration here a token if it has none (rows from before personal
    links); True when one was made: the caller commits then. Flushes, never commits."""
    missing = {
        r.id: r
        for r in registrations
        if not r.join_token and r.id is not None and r.status is RegistrationStatus.CONFIRMED
    }
    if not missing:
        return False
    _store_tokens(missing)
    return True


def _store_tokens(missing: dict[int, Registration]) -> None:
    """A conditional UPDATE (only where there is none yet) in one statement for all of them, then
    one read back: two first page views at once end with one token per registration."""
    table = Registration.__table__
    db.session.execute(
        table.update()
        .where(table.c.id == bindparam("rid"), table.c.join_token.is_(None))
        .values(join_token=bindparam("new_token")),
        [{"rid": rid, "new_token": new_token()} for rid in missing],
    )
    rows = db.session.execute(
        select(Registration.id, Registration.join_token).where(Registration.id.in_(missing))
    )
    for rid, token in rows:
        set_committed_value(missing[rid], "join_token", token)


def personal_join_url(registration: Registration, *, external: bool = True) -> str:
    """The address a registrant is given instead of the platform's link."""
    return url_for("join.follow", token=ensure_join_token(registration), _external=external)


def offers_join_link(learning_session: LearningSession) -> bool:
    """Whether confirmed registrants get a personal link: online or hybrid, or a link is set.

    The link is given even before the organiser adds the platform link: it works once they do.
    """
    return bool(learning_session.join_url) or learning_session.format is not SessionFormat.ONSITE


def personal_link_for(registration: Registration | None) -> str:
    """The personal link to show *registration*'s owner, or "" when they get none."""
    if registration is None or registration.status is not RegistrationStatus.CONFIRMED:
        return ""
    learning_session = registration.learning_session
    if learning_session.status is not SessionStatus.PUBLISHED:
        return ""
    return personal_join_url(registration) if offers_join_link(learning_session) else ""


def window_opens(learning_session: LearningSession) -> datetime:
    minutes = current_app.config["JOIN_OPENS_MINUTES"]
    return learning_session.starts_at - timedelta(minutes=minutes)


def by_token(token: str) -> Registration | None:
    """The registration with this token, its session loaded, or None."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return db.session.scalars(
        select(Registration)
        .filter_by(join_token=token)
        .options(joinedload(Registration.learning_session))
    ).one_or_none()


_REGISTRATION_OUTCOMES = {
    RegistrationStatus.CANCELLED: Outcome.REGISTRATION_CANCELLED,
    RegistrationStatus.WAITLISTED: Outcome.WAITLISTED,
    RegistrationStatus.PENDING: Outcome.PENDING,
}


def decide(registration: Registration | None, now: datetime) -> Decision:
    """Where this link leads at *now* (see the module's docstring)."""
    if registration is None:
        return Decision(Outcome.UNKNOWN)
    learning_session = registration.learning_session
    if learning_session.status is SessionStatus.CANCELLED:
        return Decision(Outcome.SESSION_CANCELLED, registration)
    if learning_session.status is not SessionStatus.PUBLISHED:
        return Decision(Outcome.UNAVAILABLE, registration)
    if registration.status is not RegistrationStatus.CONFIRMED:
        return Decision(_REGISTRATION_OUTCOMES[registration.status], registration)
    if now >= learning_session.ends_at:
        return Decision(Outcome.ENDED, registration)
    target = safe_href(learning_session.join_url)
    if not target or target.startswith("mailto:"):
        return Decision(Outcome.NO_LINK_YET, registration)
    record = now >= window_opens(learning_session)
    return Decision(Outcome.JOIN, registration, target=target, record=record)


def record_attendance(registration_id: int, now: datetime) -> None:
    """Count one opening of the link as online attendance. Flushes, never commits.

    The count is added in the database (``join_count = join_count + 1``), not read and written
    back, so that simultaneous clicks are all counted.
    """
    db.session.execute(
        update(Registration)
        .where(
            Registration.id == registration_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .values(
            join_count=Registration.join_count + 1,
            # The earliest and the latest of all clicks, whichever order they commit in.
            last_joined_at=case(
                (Registration.last_joined_at > now, Registration.last_joined_at), else_=now
            ),
            joined_online_at=case(
                (Registration.joined_online_at < now, Registration.joined_online_at), else_=now
            ),
        )
        .execution_options(synchronize_session=False)
    )
