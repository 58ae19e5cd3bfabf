"""Changes to a session that matter to calendars: rescheduling, moving, renaming, cancelling.

For the organiser workspace (and the API, the CLI, tests)::

    changed = schedule.update_session(learning_session, now, starts_at=..., ends_at=...)
    schedule.cancel_session(learning_session, now, message="...")

Both take the session's row lock first (``registration.lock_session``), flush and never commit:
the caller commits once, together with the e-mails queued here. A change to the time, timezone,
place (format, venue, platform, join link) or title raises the session's ``ical_sequence`` once
and sends every confirmed registrant an updated invite (METHOD:REQUEST, same UID, higher
SEQUENCE), so that calendars move the entry instead of adding a second one; cancelling sends
METHOD:CANCEL. Rules broken raise ``ScheduleError``, whose message is safe to show.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from exchange.db import db
from exchange.ics.builder import CANCEL, REQUEST
from exchange.models import (
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionFormat,
    SessionStatus,
)
from exchange.models.learning_session import is_known_timezone
from exchange.services import calendars
from exchange.services.join_links import personal_link_for
from exchange.services.registration import lock_session

# What a calendar shows, grouped as the e-mail names them. Not the platform link: registrants
# have their personal link (/j/<token>), which follows a new one without anything re-sent.
CHANGE_GROUPS = {
    "time": frozenset({"starts_at", "ends_at", "timezone"}),
    "place": frozenset({"format", "venue", "platform"}),
    "title": frozenset({"title_th", "title_en"}),
}
CALENDAR_FIELDS = frozenset().union(*CHANGE_GROUPS.values())
# What update_session may set. Status goes through cancel_session (or the organiser's publish
# step); the sequence and the timestamps are ours.
EDITABLE_FIELDS = CALENDAR_FIELDS | {
    "join_url",
    "slug",
    "description_th",
    "description_en",
    "organiser_id",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
}

SUBJECTS = {
    "session_updated": lambda title: _l("Updated: %(title)s", title=title),
    "session_cancelled": lambda title: _l("Cancelled: %(title)s", title=title),
}


class ScheduleError(Exception):
    """A rule prevented the change; the message is safe to show, ``code`` is for the API."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def update_session(learning_session: LearningSession, now: datetime, **fields: object) -> set[str]:
    """Set *fields* on the session and return the names of those whose value changed.

    A change that calendars show raises ``ical_sequence`` by one (however many fields changed)
    and queues an updated invite for every confirmed registrant of a published session.
    Raises ``ScheduleError`` for an end not after the start, a missing or naive time, or an
    unknown timezone, and ``TypeError`` for a field that cannot be set here.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_session() cannot set: {', '.join(sorted(unknown))}")
    if "format" in fields:
        fields["format"] = SessionFormat(fields["format"])
    locked = lock_session(learning_session.id)
    _check(locked, fields)
    before = {
        "starts_at": locked.starts_at,
        "ends_at": locked.ends_at,
        "timezone": locked.timezone,
    }
    changed = set()
    for name, value in fields.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.add(name)
    if changed & CALENDAR_FIELDS:
        locked.ical_sequence += 1
    db.session.flush()
    if changed & CALENDAR_FIELDS and locked.status is SessionStatus.PUBLISHED:
        groups = [group for group, names in CHANGE_GROUPS.items() if changed & names]
        for registration in _registrations(locked, (RegistrationStatus.CONFIRMED,)):
            _tell(
                registration,
                locked,
                "session_updated",
                now,
                invite=REQUEST,
                changes=groups,
                before=before if "time" in groups else None,
            )
    return changed


def cancel_session(learning_session: LearningSession, now: datetime, message: str = "") -> None:
    """Cancel the session: confirmed registrants get METHOD:CANCEL with their e-mail; people
    on the waitlist or still to confirm get the same e-mail without it. *message* (the
    organiser's, plain text) is in every e-mail. Cancelling it again changes nothing.

    The registrations stay as they were (who had a seat is history); the session stays public,
    marked cancelled, and in the feeds as STATUS:CANCELLED, so that calendars remove it.
    """
    locked = lock_session(learning_session.id)
    if locked.status is SessionStatus.CANCELLED:
        return
    if locked.status is SessionStatus.DRAFT:
        raise ScheduleError(
            _("A draft cannot be cancelled: it was never published."), code="session_draft"
        )
    if locked.ends_at <= now:
        raise ScheduleError(_("This session has already taken place."), code="session_finished")
    locked.status = SessionStatus.CANCELLED
    locked.ical_sequence += 1
    db.session.flush()
    waiting = (RegistrationStatus.WAITLISTED, RegistrationStatus.PENDING)
    for registration in _registrations(locked, (RegistrationStatus.CONFIRMED, *waiting)):
        had_seat = registration.status is RegistrationStatus.CONFIRMED
        _tell(
            registration,
            locked,
            "session_cancelled",
            now,
            invite=CANCEL if had_seat else "",
            message=message.strip(),
            had_seat=had_seat,
        )


def _check(locked: LearningSession, fields: dict[str, object]) -> None:
    for name in ("starts_at", "ends_at"):
        if name in fields:
            value = fields[name]
            if value is None:
                raise ScheduleError(
                    _("A session needs both a start and an end time."), code="time_missing"
                )
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ScheduleError(
                    _("Times must be given with their timezone."), code="time_not_aware"
                )
    starts = fields.get("starts_at", locked.starts_at)
    ends = fields.get("ends_at", locked.ends_at)
    if ends <= starts:  # type: ignore[operator]
        raise ScheduleError(_("The session must end after it starts."), code="ends_before_start")
    if "timezone" in fields and not is_known_timezone(fields["timezone"]):
        raise ScheduleError(
            _(
                "Unknown timezone: %(name)s. Use a name such as Asia/Bangkok.",
                name=fields["timezone"],
            ),
            code="unknown_timezone",
        )
    if "title_th" in fields and not str(fields["title_th"] or "").strip():
        raise ScheduleError(_("A session needs a title in Thai."), code="title_missing")


def _registrations(
    locked: LearningSession, statuses: tuple[RegistrationStatus, ...]
) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.session_id == locked.id, Registration.status.in_(statuses))
            .options(joinedload(Registration.user))
            .order_by(Registration.id)
        )
    )


def _tell(
    registration: Registration,
    locked: LearningSession,
    template: str,
    now: datetime,
    *,
    invite: str,
    **context: object,
) -> None:
    """Queue one participant's e-mail, in their language, with the invite if any."""
    from exchange.services.mail import queue_mail

    user = registration.user
    language = calendars.feed_language(user.locale)
    join_url = personal_link_for(registration)  # never the platform's own link
    queue_mail(
        to_address=user.email,
        to_name=user.display_name,
        language=language,
        template=template,
        subject=SUBJECTS[template](locked.loc("title", language)),
        learning_session=locked,
        registration=registration,
        user=user,
        session_url=url_for("sessions.detail", slug=locked.slug, _external=True),
        me_url=url_for("me.index", _external=True),
        join_url=join_url,
        ics=calendars.invite(locked, user, invite, now, language=language, join_url=join_url)
        if invite
        else "",
        ics_method=invite,
        **context,
    )
