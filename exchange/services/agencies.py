"""Read queries for agency pages."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from exchange.db import db
from exchange.models import (
    Agency,
    Appearance,
    ContentStatus,
    LearningSession,
    Person,
    Takeaway,
    takeaway_agency,
)
from exchange.models.bilingual import Bilingual
from exchange.services.knowledge import published_takeaways
from exchange.services.sessions import PUBLIC_STATUSES, card_options, public_sessions, took_part


@dataclass
class AgencyNode:
    """An agency in the tree with its children and what it has shared."""

    agency: Agency
    children: list[AgencyNode]
    sessions: int
    takeaways: int


@dataclass(frozen=True)
class AgencyChoice(Bilingual):
    """An agency as a filter's <option> shows it (``|loc('name')`` works as on the model)."""

    slug: str
    name_th: str
    name_en: str


def filter_choices() -> list[AgencyChoice]:
    """Every agency for a filter menu, by Thai name: three columns, not loaded models (list
    pages offer all of them; with 2,000 agencies, loading the models cost more than the rest
    of the page)."""
    rows = db.session.execute(
        select(Agency.slug, Agency.name_th, Agency.name_en).order_by(Agency.name_th)
    )
    return [AgencyChoice(*row) for row in rows]


def agency_tree() -> list[AgencyNode]:
    """All agencies as a tree (ministries first level), in three queries whatever the size."""
    agencies = list(db.session.scalars(select(Agency).order_by(Agency.name_th)))
    session_counts = _session_counts()
    takeaway_counts = dict(
        db.session.execute(
            select(takeaway_agency.c.agency_id, sa.func.count())
            .join(Takeaway, Takeaway.id == takeaway_agency.c.takeaway_id)
            .join(LearningSession, LearningSession.id == Takeaway.session_id)
            .where(
                Takeaway.status == ContentStatus.PUBLISHED,
                LearningSession.status.in_(PUBLIC_STATUSES),
            )
            .group_by(takeaway_agency.c.agency_id)
        ).all()
    )
    nodes = {
        a.id: AgencyNode(a, [], session_counts.get(a.id, 0), takeaway_counts.get(a.id, 0))
        for a in agencies
    }
    roots: list[AgencyNode] = []
    for agency in agencies:
        parent = nodes.get(agency.parent_id) if agency.parent_id else None
        (parent.children if parent else roots).append(nodes[agency.id])
    return roots


def _session_counts() -> dict[int, int]:
    """Public sessions per agency, counting organised and appeared-in once each."""
    pairs = sa.union(
        select(LearningSession.organiser_id.label("agency_id"), LearningSession.id.label("sid"))
        .where(LearningSession.organiser_id.is_not(None))
        .where(LearningSession.status.in_(PUBLIC_STATUSES)),
        select(Appearance.agency_id, Appearance.session_id)
        .join(LearningSession, LearningSession.id == Appearance.session_id)
        .where(Appearance.agency_id.is_not(None))
        .where(LearningSession.status.in_(PUBLIC_STATUSES)),
    ).subquery()
    return dict(
        db.session.execute(
            select(pairs.c.agency_id, sa.func.count()).group_by(pairs.c.agency_id)
        ).all()
    )


def agency_by_slug(slug: str) -> Agency | None:
    query = (
        select(Agency)
        .where(Agency.slug == slug)
        .options(joinedload(Agency.parent), selectinload(Agency.children))
    )
    return db.session.scalars(query).one_or_none()


def agency_sessions(agency: Agency) -> list[LearningSession]:
    query = (
        public_sessions()
        .where(took_part(agency.id))
        .options(*card_options())
        .order_by(LearningSession.starts_at.desc(), LearningSession.id)
    )
    return list(db.session.scalars(query))


@dataclass
class AgencyPerson:
    person: Person
    appearances: list[Appearance]


def agency_people(agency: Agency) -> list[AgencyPerson]:
    """People who appeared for the agency, each with their positions at those sessions."""
    query = (
        select(Appearance)
        .join(Appearance.learning_session)
        .where(Appearance.agency_id == agency.id, LearningSession.status.in_(PUBLIC_STATUSES))
        .options(joinedload(Appearance.person), joinedload(Appearance.learning_session))
        .order_by(LearningSession.starts_at.desc(), Appearance.sort_order, Appearance.id)
    )
    people: dict[int, AgencyPerson] = {}
    for appearance in db.session.scalars(query):
        entry = people.setdefault(appearance.person_id, AgencyPerson(appearance.person, []))
        entry.appearances.append(appearance)
    return list(people.values())


def agency_takeaways(agency: Agency) -> list[Takeaway]:
    return list(db.session.scalars(published_takeaways(agency=agency)))
