"""Read queries for what was learned: takeaways, topics, people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from exchange.db import db
from exchange.models import (
    Agency,
    Appearance,
    ContentStatus,
    LearningSession,
    Note,
    Person,
    Takeaway,
    TakeawayKind,
    Topic,
    session_topic,
    takeaway_agency,
    takeaway_topic,
)
from exchange.services.sessions import (
    PUBLIC_STATUSES,
    When,
    card_options,
    session_list,
)


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
    year: int | None = None,
) -> Select[tuple[Takeaway]]:
    """Published takeaways of public sessions, newest session first, in the session's order.
    *year* is the calendar year the session started in, in the site's timezone."""
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
    if year is not None:
        start, end = year_bounds(year)
        query = query.where(LearningSession.starts_at >= start, LearningSession.starts_at < end)
    return query


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January of *year* and of the next, midnight in the site's timezone, as UTC."""
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    start, end = (datetime(y, 1, 1, tzinfo=zone).astimezone(UTC) for y in (year, year + 1))
    return start, end


def takeaway_years() -> list[int]:
    """The years (newest first) in which sessions with published takeaways started."""
    first, last = db.session.execute(
        select(sa.func.min(LearningSession.starts_at), sa.func.max(LearningSession.starts_at))
        .where(LearningSession.status.in_(PUBLIC_STATUSES))
        .where(
            sa.exists().where(
                Takeaway.session_id == LearningSession.id,
                Takeaway.status == ContentStatus.PUBLISHED,
            )
        )
    ).one()
    if first is None:
        return []
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    years = range(first.astimezone(zone).year, last.astimezone(zone).year + 1)
    return sorted(years, reverse=True)


def group_by_topic(takeaways: list[Takeaway]) -> list[tuple[Topic | None, list[Takeaway]]]:
    """Takeaways under each of their topics (one may sit under several), topics by name;
    those without a topic last, under None."""
    groups: dict[int | None, tuple[Topic | None, list[Takeaway]]] = {}
    for takeaway in takeaways:
        for topic in takeaway.topics or [None]:
            key = topic.id if topic else None
            groups.setdefault(key, (topic, []))[1].append(takeaway)
    named = sorted((g for k, g in groups.items() if k is not None), key=lambda g: g[0].name_th)
    return named + ([groups[None]] if None in groups else [])


TOPIC_AGENCIES = 20  # agencies a topic page's aside lists; a busy topic has over a thousand


def topic_agencies(topic: Topic, limit: int | None = None) -> list[tuple[Agency, int]]:
    """Agencies that have said something on *topic*, with how many takeaways, most first; at
    most *limit* of them (ask for one more to know whether there are more)."""
    count = sa.func.count(sa.distinct(Takeaway.id))
    query = (
        select(Agency, count)
        .join(takeaway_agency, takeaway_agency.c.agency_id == Agency.id)
        .join(Takeaway, Takeaway.id == takeaway_agency.c.takeaway_id)
        .join(takeaway_topic, takeaway_topic.c.takeaway_id == Takeaway.id)
        .join(LearningSession, LearningSession.id == Takeaway.session_id)
        .where(
            takeaway_topic.c.topic_id == topic.id,
            Takeaway.status == ContentStatus.PUBLISHED,
            LearningSession.status.in_(PUBLIC_STATUSES),
        )
        .group_by(Agency.id)
        .order_by(count.desc(), Agency.name_th, Agency.id)
        .limit(limit)
    )
    return [(agency, n) for agency, n in db.session.execute(query).all()]


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
            .join(LearningSession, LearningSession.id == Takeaway.session_id)
            .where(
                Takeaway.status == ContentStatus.PUBLISHED,
                LearningSession.status.in_(PUBLIC_STATUSES),  # not a draft session's
            )
            .group_by(takeaway_topic.c.topic_id)
        ).all()
    )
    topics = db.session.scalars(select(Topic).order_by(Topic.name_th))
    return [(t, session_counts.get(t.id, 0), takeaway_counts.get(t.id, 0)) for t in topics]


TOPIC_SESSIONS = 12  # upcoming and past sessions a topic page shows, each; the rest: /sessions


@dataclass
class TopicSessions:
    """What a topic page shows of its sessions: a bounded window, not all of them (a busy topic
    has hundreds), and how many there are, for the link to the full, paginated list."""

    upcoming: list[LearningSession]  # soonest first
    past: list[LearningSession]  # latest first
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.upcoming) + len(self.past)


def topic_sessions(topic: Topic, now: datetime, limit: int = TOPIC_SESSIONS) -> TopicSessions:
    """The next *limit* sessions on *topic* and the latest *limit* past ones, with the total."""
    on_topic = LearningSession.id.in_(
        select(session_topic.c.session_id).where(session_topic.c.topic_id == topic.id)
    )
    total = db.session.scalar(
        select(sa.func.count(LearningSession.id)).where(
            LearningSession.status.in_(PUBLIC_STATUSES), on_topic
        )
    )
    upcoming, past = (
        list(db.session.scalars(session_list(now, when, topic=topic).limit(limit)))
        for when in (When.UPCOMING, When.PAST)
    )
    return TopicSessions(upcoming, past, total or 0)


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


@dataclass
class Comparison:
    """A session's takeaways as a table: agencies down, topics across, who said what; what
    several agencies said together is one more row (``agency`` None), not repeated in each."""

    agencies: list[Agency]
    topics: list[Topic | None]  # None: takeaways without a topic
    cells: dict[tuple[int | None, int | None], list[Takeaway]]

    @property
    def has_shared(self) -> bool:
        return any(agency is None for agency, _ in self.cells)

    def cell(self, agency: Agency | None, topic: Topic | None) -> list[Takeaway]:
        return self.cells.get((agency.id if agency else None, topic.id if topic else None), [])


def compare(learning_session: LearningSession) -> Comparison:
    """Agencies in the order they appeared, topics by name (no topic last); a takeaway with
    several topics sits under each of them."""
    order = {a.agency_id: a.sort_order for a in learning_session.appearances if a.agency_id}
    agencies: dict[int, Agency] = {}
    topics: dict[int | None, Topic | None] = {}
    cells: dict[tuple[int | None, int | None], list[Takeaway]] = {}
    for takeaway in learning_session.takeaways:
        if len(takeaway.agencies) == 1:
            agency: Agency | None = takeaway.agencies[0]
            agencies.setdefault(agency.id, agency)
        else:
            agency = None  # shared by several (or attributed to none)
        for topic in takeaway.topics or [None]:
            topics.setdefault(topic.id if topic else None, topic)
            key = (agency.id if agency else None, topic.id if topic else None)
            cells.setdefault(key, []).append(takeaway)
    rows = sorted(agencies.values(), key=lambda a: (order.get(a.id, 1_000_000), a.name_th))
    named = sorted((t for t in topics.values() if t is not None), key=lambda t: t.name_th)
    columns: list[Topic | None] = [*named, *([None] if None in topics else [])]
    return Comparison(rows, columns, cells)


@dataclass(frozen=True)
class FeedVersion:
    updated: datetime  # the last change to any published summary (or its session)
    etag: str


def summaries_version() -> FeedVersion:
    """One aggregate query that changes whenever the summaries feed would."""
    row = db.session.execute(
        select(
            sa.func.count(Note.id),
            sa.func.max(Note.updated_at),
            sa.func.max(LearningSession.updated_at),
            sa.func.sum(Note.id),
        )
        .join(LearningSession, LearningSession.id == Note.session_id)
        .where(Note.status == ContentStatus.PUBLISHED)
        .where(LearningSession.status.in_(PUBLIC_STATUSES))
    ).one()
    count, notes_changed, sessions_changed, id_sum = row
    moments = [m for m in (notes_changed, sessions_changed) if m is not None]
    updated = max(moments) if moments else datetime(2021, 1, 1, tzinfo=UTC)
    updated = updated.replace(microsecond=0)
    return FeedVersion(updated, f"{count}-{id_sum or 0}-{int(updated.timestamp())}")


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


def public_people() -> Select[tuple[Person]]:
    """People who appeared in at least one public session, by Thai name."""
    appeared = (
        select(Appearance.id)
        .join(Appearance.learning_session)
        .where(Appearance.person_id == Person.id, LearningSession.status.in_(PUBLIC_STATUSES))
        .exists()
    )
    return select(Person).where(appeared).order_by(Person.name_th, Person.id)
