"""Organisers' changes to sessions: create, duplicate, publish, the agenda and the people.

Changes that matter to calendars (time, place, title, cancellation) go through
``exchange.services.schedule`` so that registrants' calendars follow. Functions flush, never
commit, and record every change in the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from exchange.db import db
from exchange.models import (
    AgendaItem,
    Appearance,
    LearningSession,
    Person,
    Role,
    SessionReminder,
    SessionStatus,
    Topic,
)
from exchange.services import audit, directory, schedule
from exchange.services import registration as registration_service
from exchange.services.directory import PersonData
from exchange.services.reminders import default_reminders
from exchange.services.slugs import slugify, unique_slug


class AuthoringError(Exception):
    """A rule prevented the change; ``field`` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def slug_taken(slug: str, except_id: int | None = None) -> bool:
    query = select(func.count()).select_from(LearningSession).where(LearningSession.slug == slug)
    if except_id is not None:
        query = query.where(LearningSession.id != except_id)
    return bool(db.session.scalar(query))


def new_slug(title_en: str, title_th: str, starts_at: datetime) -> str:
    base = slugify(title_en, title_th, fallback="session")
    return unique_slug(f"{base}-{starts_at.year}"[:80], slug_taken)


def create_session(fields: dict, topics: list[Topic], *, user_id: int) -> LearningSession:
    """A new draft session; ``fields`` are LearningSession columns."""
    fields = dict(fields)
    if not fields.get("slug"):
        fields["slug"] = new_slug(
            fields.get("title_en", ""), fields["title_th"], fields["starts_at"]
        )
    elif slug_taken(fields["slug"]):
        raise AuthoringError(_("Another session already uses this address."), field="slug")
    learning_session = LearningSession(
        status=SessionStatus.DRAFT, topics=topics, reminders=default_reminders(), **fields
    )
    db.session.add(learning_session)
    db.session.flush()
    audit.record("create", learning_session, user_id=user_id, summary=learning_session.title_th)
    return learning_session


def set_status(learning_session: LearningSession, status: SessionStatus, *, user_id: int) -> None:
    """Publish or unpublish (cancelling goes through schedule.cancel_session)."""
    if learning_session.status is SessionStatus.CANCELLED:
        raise AuthoringError(_("A cancelled session cannot be published again."))
    if learning_session.status is status:
        return
    before = learning_session.status
    learning_session.status = status
    db.session.flush()
    action = "publish" if status is SessionStatus.PUBLISHED else "unpublish"
    audit.record(
        action,
        learning_session,
        user_id=user_id,
        changes={"status": (before, status)},
        summary=learning_session.title_th,
    )


def update_session(
    learning_session: LearningSession,
    fields: dict,
    *,
    capacity: int | None,
    topics: list[Topic],
    user_id: int,
    now: datetime,
) -> dict[str, tuple]:
    """Apply an edit (the form's or the API's): ``fields`` are LearningSession columns.

    A published session's calendar-relevant changes notify its registrants (see
    ``schedule.update_session``); more seats promote from the waitlist, fewer than those given
    are refused. Returns what changed, as recorded in the audit log. Raises AuthoringError
    (with the field), ``registration.RegistrationError`` or ``schedule.ScheduleError``.
    """
    fields = dict(fields)
    slug = fields.get("slug") or learning_session.slug
    if slug != learning_session.slug and slug_taken(slug, learning_session.id):
        raise AuthoringError(_("Another session already uses this address."), field="slug")
    fields["slug"] = slug
    before = {name: getattr(learning_session, name) for name in fields}
    if learning_session.status is SessionStatus.PUBLISHED:
        schedule.update_session(learning_session, now, **fields)
    else:
        for name, value in fields.items():
            setattr(learning_session, name, value)
    if capacity != learning_session.capacity:
        before["capacity"] = learning_session.capacity
        registration_service.set_capacity(learning_session, capacity, now)
    if {t.id for t in topics} != {t.id for t in learning_session.topics}:
        before["topics"] = ", ".join(sorted(t.slug for t in learning_session.topics))
        learning_session.topics = list(topics)
        learning_session.updated_at = now
    db.session.flush()
    after = {name: getattr(learning_session, name) for name in before if name != "topics"}
    if "topics" in before:
        after["topics"] = ", ".join(sorted(t.slug for t in learning_session.topics))
    changes = {n: (before[n], after[n]) for n in before if before[n] != after[n]}
    if changes:
        audit.record(
            "update",
            learning_session,
            user_id=user_id,
            changes=changes,
            summary=learning_session.title_th,
        )
    return changes


def cancel_session(
    learning_session: LearningSession, *, message: str, user_id: int, now: datetime
) -> bool:
    """Cancel a session and tell everyone registered; False when it was already cancelled."""
    if learning_session.status is SessionStatus.CANCELLED:
        return False
    before = learning_session.status
    schedule.cancel_session(learning_session, now, message=message)
    audit.record(
        "cancel",
        learning_session,
        user_id=user_id,
        changes={"status": (before, SessionStatus.CANCELLED)},
        summary=learning_session.title_th,
    )
    return True


def duplicate_session(
    source: LearningSession, starts_at: datetime, *, user_id: int
) -> LearningSession:
    """A draft copy for the next session of a series: same texts, place, topics, agenda and
    people (positions as they were), moved to *starts_at*; no registrations, notes or takeaways.
    """
    shift = starts_at - source.starts_at
    copy = LearningSession(
        slug=new_slug(source.title_en, source.title_th, starts_at),
        title_th=source.title_th,
        title_en=source.title_en,
        description_th=source.description_th,
        description_en=source.description_en,
        organiser_id=source.organiser_id,
        format=source.format,
        venue=source.venue,
        platform=source.platform,
        join_url="",  # a new meeting usually has a new link
        starts_at=starts_at,
        ends_at=source.ends_at + shift,
        timezone=source.timezone,
        capacity=source.capacity,
        registration_opens_at=_shifted(source.registration_opens_at, shift),
        registration_closes_at=_shifted(source.registration_closes_at, shift),
        status=SessionStatus.DRAFT,
        topics=list(source.topics),
        reminders=[SessionReminder(minutes_before=r.minutes_before) for r in source.reminders],
    )
    items = {}
    for item in source.agenda_items:
        items[item.id] = AgendaItem(
            position=item.position,
            title_th=item.title_th,
            title_en=item.title_en,
            description_th=item.description_th,
            description_en=item.description_en,
            starts_at=item.starts_at + shift,
            ends_at=_shifted(item.ends_at, shift),
        )
    copy.agenda_items = list(items.values())
    copy.appearances = [
        Appearance(
            person_id=a.person_id,
            role=a.role,
            position_title_th=a.position_title_th,
            position_title_en=a.position_title_en,
            agency_id=a.agency_id,
            sort_order=a.sort_order,
            agenda_item=items.get(a.agenda_item_id),
        )
        for a in source.appearances
    ]
    db.session.add(copy)
    db.session.flush()
    audit.record(
        "duplicate",
        copy,
        user_id=user_id,
        changes={"copied_from": (None, source.slug)},
        summary=copy.title_th,
    )
    return copy


def _shifted(value: datetime | None, shift: timedelta) -> datetime | None:
    return None if value is None else value + shift


# --- the agenda -----------------------------------------------------------------------------


def check_agenda_times(
    learning_session: LearningSession, starts_at: datetime, ends_at: datetime | None
) -> None:
    if not learning_session.starts_at <= starts_at < learning_session.ends_at:
        raise AuthoringError(_("The item must start during the session."), field="starts_at")
    if ends_at is not None and not starts_at < ends_at <= learning_session.ends_at:
        raise AuthoringError(
            _("The item must end after it starts and by the end of the session."),
            field="ends_at",
        )


def save_agenda_item(
    learning_session: LearningSession,
    fields: dict,
    *,
    user_id: int,
    item: AgendaItem | None = None,
) -> AgendaItem:
    check_agenda_times(learning_session, fields["starts_at"], fields.get("ends_at"))
    if item is None:
        position = max((i.position for i in learning_session.agenda_items), default=-1) + 1
        item = AgendaItem(session_id=learning_session.id, position=position)
        db.session.add(item)
    for name, value in fields.items():
        setattr(item, name, value)
    changes = audit.pending_changes(item)
    db.session.flush()
    _touch(learning_session)
    audit.record(
        "agenda",
        learning_session,
        user_id=user_id,
        changes=changes,
        summary=item.title_th,
    )
    return item


def delete_agenda_item(item: AgendaItem, *, user_id: int) -> None:
    learning_session = item.learning_session
    title = item.title_th
    db.session.delete(item)  # its people stay in the session (agenda_item_id SET NULL)
    db.session.flush()
    _renumber(sorted(learning_session.agenda_items, key=lambda i: i.position), "position")
    _touch(learning_session)
    audit.record("agenda_delete", learning_session, user_id=user_id, summary=title)


def move(items: list, target: object, step: int, attribute: str) -> None:
    """Move *target* one place up (-1) or down (+1) among *items*, renumbering from 0."""
    ordered = sorted(items, key=lambda i: (getattr(i, attribute), i.id))
    index = ordered.index(target)
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    _renumber(ordered, attribute)
    db.session.flush()


def _renumber(ordered: list, attribute: str) -> None:
    for n, obj in enumerate(ordered):
        setattr(obj, attribute, n)


# --- people in roles -------------------------------------------------------------------------


def add_appearance(
    learning_session: LearningSession,
    *,
    person: Person | PersonData,
    role: Role,
    position_title_th: str,
    position_title_en: str,
    agency_id: int | None,
    agenda_item_id: int | None,
    user_id: int,
) -> Appearance:
    if isinstance(person, PersonData):  # a new person, typed in with the appearance
        person = directory.create_person(person, user_id=user_id)
    duplicate = any(
        a.person_id == person.id and a.role is role for a in learning_session.appearances
    )
    if duplicate:
        raise AuthoringError(_("This person already has this role in the session."), "role")
    if agenda_item_id is not None and agenda_item_id not in {
        i.id for i in learning_session.agenda_items
    }:
        raise AuthoringError(_("Choose an item of this session's agenda."), "agenda_item")
    appearance = Appearance(
        session_id=learning_session.id,
        person_id=person.id,
        role=role,
        position_title_th=position_title_th,
        position_title_en=position_title_en,
        agency_id=agency_id,
        agenda_item_id=agenda_item_id,
        sort_order=max((a.sort_order for a in learning_session.appearances), default=-1) + 1,
    )
    db.session.add(appearance)
    db.session.flush()
    _touch(learning_session)
    audit.record(
        "person_add",
        learning_session,
        user_id=user_id,
        changes={"person": (None, person.name_th), "role": (None, role)},
        summary=learning_session.title_th,
    )
    return appearance


def remove_appearance(appearance: Appearance, *, user_id: int) -> None:
    learning_session = appearance.learning_session
    name = appearance.person.name_th
    db.session.delete(appearance)
    db.session.flush()
    _renumber(sorted(learning_session.appearances, key=lambda a: a.sort_order), "sort_order")
    _touch(learning_session)
    audit.record(
        "person_remove",
        learning_session,
        user_id=user_id,
        changes={"person": (name, None)},
        summary=learning_session.title_th,
    )


def _touch(learning_session: LearningSession) -> None:
    """Pages and feeds key their caches on updated_at: a change to the agenda or people is one."""
    from exchange.db import utcnow

    learning_session.updated_at = utcnow()
    db.session.flush()
