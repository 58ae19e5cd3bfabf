"""Read queries for session pages, each loading what its page shows in a fixed number of
queries (the query-count tests hold them to it)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased, joinedload, selectinload, with_loader_criteria

from exchange.db import db
from exchange.models import (
    Agency,
    Appearance,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    SessionStatus,
    Takeaway,
    Topic,
    session_topic,
)

PUBLIC_STATUSES = (SessionStatus.PUBLISHED, SessionStatus.CANCELLED)


class When(enum.StrEnum):
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


def card_options(entity: Any = LearningSession) -> tuple:
    """What a session card shows: organiser and topics (of *entity*, the model or an alias)."""
    return (
        joinedload(entity.organiser),
        selectinload(entity.topics),
    )


def public_sessions() -> Select[tuple[LearningSession]]:
    return select(LearningSession).where(LearningSession.status.in_(PUBLIC_STATUSES))


def took_part(agency_id: int) -> sa.ColumnElement[bool]:
    """The agency organised the session or someone appeared in it on the agency's behalf."""
    appeared = (
        select(Appearance.id)
        .where(Appearance.session_id == LearningSession.id, Appearance.agency_id == agency_id)
        .exists()
    )
    return sa.or_(LearningSession.organiser_id == agency_id, appeared)


def session_list(
    now: datetime, when: When, topic: Topic | None = None, agency: Agency | None = None
) -> Select[tuple[LearningSession]]:
    """Sessions for the list page: upcoming soonest first, past latest first."""
    query = public_sessions().options(*card_options())
    if when is When.UPCOMING:
        query = query.where(LearningSession.ends_at > now).order_by(LearningSession.starts_at)
    elif when is When.PAST:
        query = query.where(LearningSession.ends_at <= now).order_by(
            LearningSession.starts_at.desc()
        )
    else:
        query = query.order_by(LearningSession.starts_at.desc())
    if topic is not None:
        query = query.where(
            LearningSession.id.in_(
                select(session_topic.c.session_id).where(session_topic.c.topic_id == topic.id)
            )
        )
    if agency is not None:
        query = query.where(took_part(agency.id))
    return query.order_by(LearningSession.id)


def upcoming(now: datetime, limit: int) -> list[LearningSession]:
    """The next published sessions (or those under way), soonest first.

    Those not yet ended are gathered first, through the (status, ends_at) index, in a
    materialised CTE, then sorted: ordering the table by starts_at directly, PostgreSQL walks the
    (status, starts_at) index from the oldest session, past every one that has ended. The CTE
    holds only ids and start times (a few hundred narrow rows); the *limit* first sessions are
    then loaded whole, with what their cards show."""
    not_ended = (
        select(LearningSession.id, LearningSession.starts_at)
        .where(LearningSession.status == SessionStatus.PUBLISHED, LearningSession.ends_at > now)
        .cte("not_ended")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    first = (
        select(not_ended.c.id)
        .order_by(not_ended.c.starts_at, not_ended.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    query = (
        select(LearningSession)
        .where(LearningSession.id.in_(first))
        .options(*card_options())
        .order_by(LearningSession.starts_at, LearningSession.id)
    )
    return list(db.session.scalars(query))


def latest_summaries(limit: int, *, with_sections: bool = False) -> list[LearningSession]:
    """Sessions with a published summary, newest summary first, notes preloaded (and their
    sections, for the feed, which shows them whole).

    Each session's newest published note is the one no other published note of the session
    follows (an anti-join on the session's notes), so PostgreSQL walks the notes' published_at
    index backwards and stops after *limit* rows instead of grouping every note."""
    newer = aliased(Note)
    superseded = (
        select(newer.id)
        .where(
            newer.session_id == Note.session_id,
            newer.status == ContentStatus.PUBLISHED,
            sa.or_(
                newer.published_at > Note.published_at,
                sa.and_(newer.published_at == Note.published_at, newer.id > Note.id),
            ),
        )
        .exists()
    )
    query = (
        public_sessions()
        .join(Note, Note.session_id == LearningSession.id)
        .where(
            Note.status == ContentStatus.PUBLISHED,
            Note.published_at.is_not(None),
            ~superseded,
        )
        .options(
            *card_options(),
            (
                selectinload(LearningSession.notes)
                .selectinload(Note.sections)
                .joinedload(NoteSection.agency)
                if with_sections
                else selectinload(LearningSession.notes)
            ),
            with_loader_criteria(Note, Note.status == ContentStatus.PUBLISHED),
        )
        .order_by(Note.published_at.desc(), LearningSession.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def public_session(slug: str) -> LearningSession | None:
    """A published or cancelled session, without its relations."""
    return db.session.scalars(public_sessions().where(LearningSession.slug == slug)).one_or_none()


def session_page(slug: str, *, include_drafts: bool = False) -> LearningSession | None:
    """One public session with everything its page shows (published notes and takeaways)."""
    base = select(LearningSession) if include_drafts else public_sessions()
    query = base.where(LearningSession.slug == slug).options(
        joinedload(LearningSession.organiser).joinedload(Agency.parent),
        selectinload(LearningSession.topics),
        selectinload(LearningSession.agenda_items),
        selectinload(LearningSession.materials),
        selectinload(LearningSession.appearances).options(
            joinedload(Appearance.person),
            joinedload(Appearance.agency).joinedload(Agency.parent),
        ),
        selectinload(LearningSession.notes)
        .selectinload(Note.sections)
        .joinedload(NoteSection.agency),
        selectinload(LearningSession.takeaways).options(
            selectinload(Takeaway.agencies), selectinload(Takeaway.topics)
        ),
        with_loader_criteria(Note, Note.status == ContentStatus.PUBLISHED),
        with_loader_criteria(Takeaway, Takeaway.status == ContentStatus.PUBLISHED),
    )
    return db.session.scalars(query).one_or_none()


def appearances_by_item(learning_session: LearningSession) -> dict[int | None, list[Appearance]]:
    """The session's people grouped by agenda item (None: the session as a whole)."""
    groups: dict[int | None, list[Appearance]] = {}
    for appearance in learning_session.appearances:
        groups.setdefault(appearance.agenda_item_id, []).append(appearance)
    return groups


def note_for(learning_session: LearningSession, language: str) -> Note | None:
    """The published summary in *language*, else the original (Thai), else any."""
    notes = {note.language: note for note in learning_session.notes}
    return notes.get(language) or notes.get("th") or next(iter(notes.values()), None)
