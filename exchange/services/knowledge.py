"""Read queries for what was learned: takeaways, topics, people."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from exchange.db import db
from exchange.models import (
    Agency,
    Appearance,
    ContentStatus,
    LearningSession,
    Person,
    Takeaway,
    TakeawayKind,
    Topic,
    takeaway_agency,
    takeaway_topic,
)
from exchange.services.sessions import PUBLIC_STATUSES, card_options, public_sessions


def takeaway_options() -> tuple:
    """What a takeaway in a list shows: its agencies, topics and session."""
    return (
        selectinload(Takeaway.agencies),
        selectinload(Takeaway.topics),
        joinedload(Takeaway.learning_session),
    )


def published_takeaways(
    agency: Agency | None = None,
    topic: Topic | None = None,
    kind: TakeawayKind | None = None,
) -> Select[tuple[Takeaway]]:
    """Published takeaways of public sessions, newest session first, in the session's order."""
    query = (
        select(Takeaway)
        .join(Takeaway.learning_session)
        .where(
            Takeaway.status == ContentStatus.PUBLISHED,
            LearningSession.status.in_(PUBLIC_STATUSES),
        )
        .options(*takeaway_options())
        .order_by(LearningSession.starts_at.desc(), Takeaway.position, Takeaway.id)
    )
    if agency is not None:
        query = query.where(
            Takeaway.id.in_(
                select(takeaway_agency.c.takeaway_id).where(
                    takeaway_agency.c.agency_id == agency.id
                )
            )
        )
    if topic is not None:
        query = query.where(
            Takeaway.id.in_(
                select(takeaway_topic.c.takeaway_id).where(takeaway_topic.c.topic_id == topic.id)
            )
        )
    if kind is not None:
        query = query.where(Takeaway.kind == kind)
    return query


def recent_takeaways(limit: int) -> list[Takeaway]:
    return list(db.session.scalars(published_takeaways().limit(limit)))


def group_by_kind(takeaways: list[Takeaway]) -> list[tuple[TakeawayKind, list[Takeaway]]]:
    """Takeaways grouped by kind, in the kinds' order (initiatives first, conclusions last)."""
    groups = {kind: [t for t in takeaways if t.kind is kind] for kind in TakeawayKind}
    return [(kind, items) for kind, items in groups.items() if items]


def topics_with_counts() -> list[tuple[Topic, int, int]]:
    """Every topic with how many public sessions and published takeaways it has."""
    session_counts = dict(
        db.session.execute(
            select(Topic.id, sa.func.count(LearningSession.id))
            .join(LearningSession.topics)
            .where(LearningSession.status.in_(PUBLIC_STATUSES))
            .group_by(Topic.id)
        ).all()
    )
    takeaway_counts = dict(
        db.session.execute(
            select(takeaway_topic.c.topic_id, sa.func.count())
            .join(Takeaway, Takeaway.id == takeaway_topic.c.takeaway_id)
            .where(Takeaway.status == ContentStatus.PUBLISHED)
            .group_by(takeaway_topic.c.topic_id)
        ).all()
    )
    topics = db.session.scalars(select(Topic).order_by(Topic.name_th))
    return [(t, session_counts.get(t.id, 0), takeaway_counts.get(t.id, 0)) for t in topics]


def topic_sessions(topic: Topic) -> list[LearningSession]:
    query = (
        public_sessions()
        .join(LearningSession.topics)
        .where(Topic.id == topic.id)
        .options(*card_options())
        .order_by(LearningSession.starts_at.desc(), LearningSession.id)
    )
    return list(db.session.scalars(query))


def person_appearances(person: Person) -> list[Appearance]:
    """Every public appearance of *person*, latest first, with the agency as it was then."""
    query = (
        select(Appearance)
        .join(Appearance.learning_session)
        .where(Appearance.person_id == person.id, LearningSession.status.in_(PUBLIC_STATUSES))
        .options(
            joinedload(Appearance.learning_session).options(*card_options()),
            joinedload(Appearance.agency),
            joinedload(Appearance.agenda_item),
        )
        .order_by(LearningSession.starts_at.desc(), Appearance.id)
    )
    return list(db.session.scalars(query).unique())


def split_takeaways(
    learning_session: LearningSession,
) -> tuple[list[tuple[Agency, list[tuple[TakeawayKind, list[Takeaway]]]]], list[Takeaway]]:
    """A session's takeaways as its page shows them: agency by agency (in the order the
    agencies appeared), then the shared ones (a conclusion, or one attributed to several)."""
    order = {a.agency_id: a.sort_order for a in learning_session.appearances if a.agency_id}
    by_agency: dict[int, tuple[Agency, list[Takeaway]]] = {}
    shared: list[Takeaway] = []
    for takeaway in learning_session.takeaways:
        if takeaway.kind is TakeawayKind.CONCLUSION or len(takeaway.agencies) != 1:
            shared.append(takeaway)
            continue
        agency = takeaway.agencies[0]
        by_agency.setdefault(agency.id, (agency, []))[1].append(takeaway)
    ordered = sorted(by_agency.values(), key=lambda pair: (order.get(pair[0].id, 1_000_000),))
    return [(agency, group_by_kind(items)) for agency, items in ordered], shared
