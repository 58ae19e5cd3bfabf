"""Registering for sessions: seats, the waitlist and its order, cancelling, checking in.

Every change takes the session's row lock first (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite every writing transaction is ``BEGIN IMMEDIATE``, see exchange.db), so that counting
seats and taking one is atomic even with many workers. Functions flush, never commit: the view
or command that calls them commits once, together with the e-mails they queue.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from exchange.db import db
from exchange.ics.builder import CANCEL, REQUEST
from exchange.models import (
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
    User,
)


class RegistrationError(Exception):
    """A rule prevented the change; the message is safe to show, ``code`` is for the API."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class Closed(enum.StrEnum):
    """Why a session does not take registrations now."""

    DRAFT = "draft"
    CANCELLED = "cancelled"
    FINISHED = "finished"
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"


def closed_reason(learning_session: LearningSession, now: datetime) -> Closed | None:
    """None when registration is open. Without a closing time it stays open until the end."""
    if learning_session.status is SessionStatus.DRAFT:
        return Closed.DRAFT
    if learning_session.status is SessionStatus.CANCELLED:
        return Closed.CANCELLED
    if learning_session.ends_at <= now:
        return Closed.FINISHED
    opens, closes = learning_session.registration_opens_at, learning_session.registration_closes_at
    if opens is not None and now < opens:
        return Closed.NOT_OPEN_YET
    if closes is not None and now >= closes:
        return Closed.CLOSED
    return None


def closed_message(reason: Closed) -> str:
    return {
        Closed.DRAFT: _("This session is not published."),
        Closed.CANCELLED: _("This session has been cancelled."),
        Closed.FINISHED: _("This session has already taken place."),
        Closed.NOT_OPEN_YET: _("Registration has not opened yet."),
        Closed.CLOSED: _("Registration has closed."),
    }[reason]


@dataclass(frozen=True)
class Counts:
    confirmed: int = 0
    waitlisted: int = 0
    pending: int = 0
    cancelled: int = 0
    checked_in: int = 0
    joined_online: int = 0  # opened their personal join link during the session


def counts(session_id: int) -> Counts:
    """Registrations of a session by status, in one query."""
    rows = db.session.execute(
        select(
            Registration.status,
            func.count(),
            func.count(Registration.checked_in_at),
            func.count(Registration.joined_online_at),
        )
        .where(Registration.session_id == session_id)
        .group_by(Registration.status)
    ).all()
    by_status = {status: n for status, n, _, _ in rows}
    return Counts(
        confirmed=by_status.get(RegistrationStatus.CONFIRMED, 0),
        waitlisted=by_status.get(RegistrationStatus.WAITLISTED, 0),
        pending=by_status.get(RegistrationStatus.PENDING, 0),
        cancelled=by_status.get(RegistrationStatus.CANCELLED, 0),
        checked_in=sum(checked for _, _, checked, _ in rows),
        joined_online=sum(joined for _, _, _, joined in rows),
    )


def lock_session(session_id: int) -> LearningSession:
    """The session, re-read under its row lock (every registration change starts here)."""
    return db.session.scalars(
        select(LearningSession)
        .where(LearningSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def find(session_id: int, user_id: int) -> Registration | None:
    return db.session.scalars(
        select(Registration).filter_by(session_id=session_id, user_id=user_id)
    ).one_or_none()


def register(
    learning_session: LearningSession,
    user: User,
    now: datetime,
    *,
    agency_id: int | None = None,
    pending: bool = False,
) -> Registration:
    """Give *user* a seat, or a place on the waitlist when the session is full.

    Registering again changes nothing. ``pending=True`` holds the registration (without a
    seat) until the e-mailed link is followed (see ``confirm_pending``).
    """
    locked = lock_session(learning_session.id)
    existing = find(locked.id, user.id)
    if existing is not None and existing.status is not RegistrationStatus.CANCELLED:
        return existing
    if (reason := closed_reason(locked, now)) is not None:
        raise RegistrationError(closed_message(reason), code=f"registration_{reason.value}")
    registration = existing or Registration(session_id=locked.id, user_id=user.id)
    registration.status = RegistrationStatus.PENDING  # no seat until _seat_or_queue gives one
    registration.agency_id = agency_id if agency_id is not None else user.agency_id
    registration.queued_at = _queue_time(locked.id, now)
    registration.cancelled_at = None
    registration.checked_in_at = None
    if existing is None:
        db.session.add(registration)
    if pending:
        db.session.flush()
        return registration
    _seat_or_queue(locked, registration, now)
    return registration


def confirm_pending(registration: Registration, now: datetime) -> Registration:
    """The e-mailed link was followed: take a seat or a waitlist place (only once)."""
    locked = lock_session(registration.session_id)
    db.session.refresh(registration)
    if registration.status is not RegistrationStatus.PENDING:
        return registration
    if (reason := closed_reason(locked, now)) is not None:
        raise RegistrationError(closed_message(reason), code=f"registration_{reason.value}")
    registration.queued_at = _queue_time(locked.id, now)
    _seat_or_queue(locked, registration, now)
    return registration


def cancel(registration: Registration, now: datetime) -> Registration:
    """Cancel a registration; a freed seat goes to the first person on the waitlist."""
    locked = lock_session(registration.session_id)
    db.session.refresh(registration)
    if registration.status is RegistrationStatus.CANCELLED:
        return registration
    if locked.ends_at <= now:
        raise RegistrationError(
            _("This session has already taken place."), code="registration_finished"
        )
    had_seat = registration.status is RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    db.session.flush()
    # Only a seat was in the person's calendar (the invite came with it): withdraw it.
    notify(registration, "registration_cancelled", now, invite=CANCEL if had_seat else "")
    if had_seat:
        promote_waitlist(locked, now)
    return registration


def set_capacity(learning_session: LearningSession, capacity: int | None, now: datetime) -> None:
    """Change the number of seats; never below those already given. More seats promote."""
    locked = lock_session(learning_session.id)
    if capacity is not None and capacity < 0:
        raise RegistrationError(_("Capacity cannot be negative."), code="capacity_negative")
    confirmed = _confirmed_count(locked.id)
    if capacity is not None and capacity < confirmed:
        raise RegistrationError(
            _(
                "%(confirmed)d people already have a seat: capacity cannot be lower.",
                confirmed=confirmed,
            ),
            code="capacity_below_confirmed",
        )
    locked.capacity = capacity
    db.session.flush()
    promote_waitlist(locked, now)


def promote_waitlist(locked: LearningSession, now: datetime) -> list[Registration]:
    """Confirm waitlisted people in order while seats are free; tell each of them."""
    free = _free_seats(locked)
    if free is not None and free <= 0:
        return []
    query = (
        select(Registration)
        .where(
            Registration.session_id == locked.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.queued_at, Registration.id)
    )
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
    db.session.flush()
    for registration in promoted:
        notify(registration, "registration_promoted", now, invite=REQUEST)
    return promoted


def waitlist_place(registration: Registration) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if registration.status is not RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.session_id == registration.session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            sa.or_(
                Registration.queued_at < registration.queued_at,
                sa.and_(
                    Registration.queued_at == registration.queued_at,
                    Registration.id < registration.id,
                ),
            ),
        )
    )
    return (ahead or 0) + 1


def status_message(registration: Registration) -> str:
    """What the participant is told after registering."""
    if registration.status is RegistrationStatus.CONFIRMED:
        return _("You are registered: your seat is confirmed.")
    if registration.status is RegistrationStatus.WAITLISTED:
        return _(
            "The session is full: you are number %(place)d on the waitlist. We will e-mail you "
            "if a seat frees up.",
            place=waitlist_place(registration) or 0,
        )
    if registration.status is RegistrationStatus.PENDING:
        return _("Almost done: follow the link we have e-mailed you to confirm.")
    return _("Your registration is cancelled.")


def registrations_of(user_id: int) -> list[Registration]:
    """A user's registrations with their sessions, by the session's start."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(Registration.learning_session)
            .where(Registration.user_id == user_id)
            .options(
                joinedload(Registration.learning_session).joinedload(LearningSession.organiser)
            )
            .order_by(LearningSession.starts_at, Registration.id)
        )
    )


def waitlist_places(registrations: list[Registration]) -> dict[int, int]:
    """Place in line for each waitlisted registration given, in one query (window function)."""
    waiting = [r for r in registrations if r.status is RegistrationStatus.WAITLISTED]
    if not waiting:
        return {}
    place = (
        func.row_number()
        .over(
            partition_by=Registration.session_id,
            order_by=(Registration.queued_at, Registration.id),
        )
        .label("place")
    )
    line = (
        select(Registration.id, place)
        .where(
            Registration.session_id.in_({r.session_id for r in waiting}),
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .subquery()
    )
    ids = [r.id for r in waiting]
    rows = db.session.execute(select(line.c.id, line.c.place).where(line.c.id.in_(ids)))
    return {registration_id: place for registration_id, place in rows}


def check_in(registration: Registration, now: datetime, *, undo: bool = False) -> None:
    """Record (or undo) arrival at the door; only people with a seat check in."""
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise RegistrationError(
            _("Only confirmed participants can be checked in."), code="not_confirmed"
        )
    registration.checked_in_at = None if undo else (registration.checked_in_at or now)
    db.session.flush()


def _queue_time(session_id: int, now: datetime) -> datetime:
    """*now*, or just after the last person in this session's line.

    Called under the session's lock, so the line keeps the order in which the lock was taken,
    although *now* was read before waiting for it (or on another machine's clock).
    """
    latest = db.session.scalar(
        select(func.max(Registration.queued_at)).where(
            Registration.session_id == session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
    )
    return now if latest is None or now > latest else latest + timedelta(microseconds=1)


def _confirmed_count(session_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.session_id == session_id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        or 0
    )


def _free_seats(locked: LearningSession) -> int | None:
    if locked.capacity is None:
        return None
    return locked.capacity - _confirmed_count(locked.id)


def _seat_or_queue(locked: LearningSession, registration: Registration, now: datetime) -> None:
    free = _free_seats(locked)
    waiting = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.session_id == locked.id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.id != registration.id,
        )
    )
    # Nobody jumps the line: with people waiting, a newcomer waits too.
    if free is None or (free > 0 and not waiting):
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        db.session.flush()
        notify(registration, "registration_confirmed", now, invite=REQUEST)
    else:
        registration.status = RegistrationStatus.WAITLISTED
        db.session.flush()
        # No invite: a waitlist place is not a seat (it comes if one frees up).
        notify(registration, "registration_waitlisted", now, place=waitlist_place(registration))


# Subjects stay lazy: the mail module renders them in the recipient's language.
SUBJECTS = {
    "registration_confirmed": lambda title: _l("You have a seat: %(title)s", title=title),
    "registration_waitlisted": lambda title: _l("You are on the waitlist: %(title)s", title=title),
    "registration_promoted": lambda title: _l("A seat is yours: %(title)s", title=title),
    "registration_cancelled": lambda title: _l("Registration cancelled: %(title)s", title=title),
}


def notify(
    registration: Registration,
    template: str,
    now: datetime,
    *,
    invite: str = "",
    **extra: object,
) -> None:
    """Queue the e-mail for this change, in the participant's language, in this transaction.

    *invite* (REQUEST or CANCEL) attaches the calendar invite for the session, stamped *now*:
    one event with the participant as ATTENDEE, their personal join link in a REQUEST.
    """
    from exchange.services import calendars
    from exchange.services.join_links import personal_link_for
    from exchange.services.mail import queue_mail

    user = db.session.get(User, registration.user_id)
    learning_session = db.session.get(LearningSession, registration.session_id)
    assert user is not None
    assert learning_session is not None
    # The personal link (/j/<token>), never the platform's: it follows the organiser's changes.
    join_url = personal_link_for(registration)
    queue_mail(
        to_address=user.email,
        to_name=user.display_name,
        language=user.locale,
        template=template,
        subject=SUBJECTS[template](learning_session.loc("title", user.locale)),
        registration=registration,
        learning_session=learning_session,
        user=user,
        session_url=url_for("sessions.detail", slug=learning_session.slug, _external=True),
        me_url=url_for("me.index", _external=True),
        join_url=join_url,
        ics=calendars.invite(learning_session, user, invite, now, join_url=join_url)
        if invite
        else "",
        ics_method=invite,
        **extra,
    )
