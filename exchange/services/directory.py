"""Agencies, people and topics under /manage: create, edit, merge duplicates, delete unused ones.

Functions flush, never commit: the view commits once. Every change is written to the audit log
in the same transaction. A rule that refuses a change raises DirectoryError *before* anything
is changed; its message is safe to show and ``field`` names the form field it belongs to.

Merging moves every link of the duplicate to the record that is kept with bulk UPDATEs. For the
plain many-to-many tables (takeaway_agency, session_topic, takeaway_topic) a row moves only
when the kept record is not already linked to the same takeaway or session; what is left is
deleted, so no pair is ever doubled. Then the duplicate is deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from exchange.db import db
from exchange.i18n import current_language
from exchange.labels import role_label
from exchange.models import (
    Agency,
    AgencyKind,
    Appearance,
    LearningSession,
    NoteSection,
    Person,
    Registration,
    Topic,
    User,
    session_topic,
    takeaway_agency,
    takeaway_topic,
)
from exchange.services import audit
from exchange.services.slugs import slugify, unique_slug

Usage = dict[str, int]  # {"appearances": 3, "sessions": 1, …}, kinds with no links left out

# Every column that points at an agency, a person or a topic, by kind of link.
AGENCY_LINKS: dict[str, Any] = {
    "sessions": LearningSession.organiser_id,
    "appearances": Appearance.agency_id,
    "takeaways": takeaway_agency.c.agency_id,
    "note_sections": NoteSection.agency_id,
    "registrations": Registration.agency_id,
    "users": User.agency_id,
    "children": Agency.parent_id,
}
PERSON_LINKS: dict[str, Any] = {"appearances": Appearance.person_id}
TOPIC_LINKS: dict[str, Any] = {
    "sessions": session_topic.c.topic_id,
    "takeaways": takeaway_topic.c.topic_id,
}


class DirectoryError(Exception):
    """A rule refused the change; nothing was changed.

    ``errors`` maps each form field at fault to its message (``field`` is the first one);
    it is empty when the message belongs to no one field.
    """

    def __init__(
        self, message: str, field: str | None = None, errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.errors = errors or ({field: message} if field else {})
        self.field = next(iter(self.errors), None)


@dataclass(frozen=True)
class AgencyData:
    name_th: str
    name_en: str = ""
    abbr_th: str = ""
    abbr_en: str = ""
    kind: AgencyKind = AgencyKind.OTHER
    parent_id: int | None = None
    website: str = ""
    slug: str = ""  # empty: made from the names (on create)


@dataclass(frozen=True)
class PersonData:
    name_th: str
    prefix_th: str = ""
    prefix_en: str = ""
    name_en: str = ""
    slug: str = ""


@dataclass(frozen=True)
class TopicData:
    name_th: str
    name_en: str = ""
    description_th: str = ""
    description_en: str = ""
    slug: str = ""


@dataclass
class AgencyNode:
    """An agency in the management tree, with its links and whether it matched the search."""

    agency: Agency
    usage: Usage
    matched: bool = True
    children: list[AgencyNode] = field(default_factory=list)


# --- reading ---------------------------------------------------------------------------------


def usage_of(links: dict[str, Any], ids: Collection[int] | None = None) -> dict[int, Usage]:
    """Links per record id and kind in one grouped query (all records when *ids* is None)."""
    if ids is not None and not ids:
        return {}
    parts = []
    for kind, column in links.items():
        # The kind is one of our own constant names, never user input.
        part = select(sa.literal_column(f"'{kind}'").label("kind"), column, func.count())
        part = part.where(column.is_not(None) if ids is None else column.in_(ids))
        parts.append(part.group_by(column))
    query = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    usage: dict[int, Usage] = defaultdict(dict)
    for kind, owner_id, count in db.session.execute(query):
        usage[owner_id][kind] = count
    return usage


def agency_tree(search: str = "") -> list[AgencyNode]:
    """Every agency under its parent (ministries first), with links; two queries in all.

    With *search*, only agencies whose names, abbreviations or slug contain it, and their
    ancestors (``matched`` False) so that each is still seen under its ministry.
    """
    agencies = list(db.session.scalars(select(Agency).order_by(Agency.name_th, Agency.id)))
    usage = usage_of(AGENCY_LINKS)
    nodes = {a.id: AgencyNode(a, usage.get(a.id, {})) for a in agencies}
    roots: list[AgencyNode] = []
    for agency in agencies:
        parent = nodes.get(agency.parent_id) if agency.parent_id else None
        (parent.children if parent else roots).append(nodes[agency.id])
    needle = search.strip().casefold()
    if not needle:
        return roots
    for node in nodes.values():
        node.matched = _matches(node.agency, needle, ("name_th", "name_en", "abbr_th", "abbr_en"))
    return _prune(roots)


def _matches(obj: object, needle: str, names: Iterable[str]) -> bool:
    values = [getattr(obj, name) or "" for name in names] + [getattr(obj, "slug", "")]
    return any(needle in value.casefold() for value in values)


def _prune(nodes: list[AgencyNode]) -> list[AgencyNode]:
    kept = []
    for node in nodes:
        node.children = _prune(node.children)
        if node.matched or node.children:
            kept.append(node)
    return kept


def agency_options(language: str, exclude_id: int | None = None) -> list[tuple[int, int, str]]:
    """(id, depth, name) of every agency in tree order, without *exclude_id* and its subtree."""

    def walk(nodes: list[AgencyNode], depth: int) -> Iterable[tuple[int, int, str]]:
        ordered = sorted(nodes, key=lambda n: n.agency.loc("name", language).casefold())
        for node in ordered:
            if node.agency.id == exclude_id:
                continue
            yield node.agency.id, depth, node.agency.loc("name", language)
            yield from walk(node.children, depth + 1)

    agencies = list(db.session.scalars(select(Agency)))
    nodes = {a.id: AgencyNode(a, {}) for a in agencies}
    roots = []
    for agency in agencies:
        parent = nodes.get(agency.parent_id) if agency.parent_id else None
        (parent.children if parent else roots).append(nodes[agency.id])
    return list(walk(roots, 0))


def descendant_ids(agency_id: int) -> set[int]:
    """Ids of the agencies below *agency_id*, at any depth (one query)."""
    children: dict[int, list[int]] = defaultdict(list)
    for child_id, parent_id in db.session.execute(select(Agency.id, Agency.parent_id)):
        if parent_id is not None:
            children[parent_id].append(child_id)
    found: set[int] = set()
    stack = list(children[agency_id])
    while stack:
        current = stack.pop()
        if current not in found:  # a cycle already in the data must not loop forever
            found.add(current)
            stack.extend(children[current])
    return found


def people_query(search: str = "") -> Select[tuple[Person]]:
    """People by Thai name, optionally those whose name, prefix or slug contains *search*."""
    query = select(Person).order_by(Person.name_th, Person.id)
    if needle := search.strip():
        columns = (Person.name_th, Person.name_en, Person.prefix_th, Person.prefix_en, Person.slug)
        query = query.where(sa.or_(*(c.icontains(needle, autoescape=True) for c in columns)))
    return query


def topic_list(search: str = "") -> list[Topic]:
    query = select(Topic).order_by(Topic.name_th, Topic.id)
    if needle := search.strip():
        columns = (Topic.name_th, Topic.name_en, Topic.slug)
        query = query.where(sa.or_(*(c.icontains(needle, autoescape=True) for c in columns)))
    return list(db.session.scalars(query))


def usage_phrases(usage: Usage) -> list[str]:
    """ "3 appearances in sessions", … in a fixed order, for pages and refusals."""
    phrases = {
        "sessions": lambda n: ngettext("%(num)d session", "%(num)d sessions", n),
        "appearances": lambda n: ngettext(
            "%(num)d appearance in a session", "%(num)d appearances in sessions", n
        ),
        "takeaways": lambda n: ngettext("%(num)d takeaway", "%(num)d takeaways", n),
        "note_sections": lambda n: ngettext(
            "%(num)d section of a summary", "%(num)d sections of summaries", n
        ),
        "registrations": lambda n: ngettext("%(num)d registration", "%(num)d registrations", n),
        "users": lambda n: ngettext("%(num)d user account", "%(num)d user accounts", n),
        "children": lambda n: ngettext("%(num)d agency under it", "%(num)d agencies under it", n),
    }
    return [phrases[kind](usage[kind]) for kind in phrases if usage.get(kind)]


# --- agencies --------------------------------------------------------------------------------


def create_agency(data: AgencyData, *, user_id: int | None) -> Agency:
    _check_parent(None, data.parent_id)
    return _create(Agency, data, "agency", user_id=user_id)


def update_agency(agency: Agency, data: AgencyData, *, user_id: int | None) -> Agency:
    _check_parent(agency.id, data.parent_id)
    return _update(agency, data, user_id=user_id)


def merge_agencies(duplicate: Agency, keep: Agency, *, user_id: int | None) -> Agency:
    """Move every link of *duplicate* to *keep*, then delete *duplicate*."""
    if duplicate.id == keep.id:
        raise DirectoryError(_("An agency cannot be merged into itself."), field="target")
    _lock(Agency, duplicate.id, keep.id)
    if keep.id in descendant_ids(duplicate.id):
        raise DirectoryError(
            _("%(name)s is under the agency being merged: choose one that is not below it.")
            % {"name": keep.name_th},
            field="target",
        )
    return _merge(duplicate, keep, AGENCY_LINKS, _move_agency_links, user_id=user_id)


def _move_agency_links(old: int, new: int) -> None:
    for column in (
        LearningSession.organiser_id,
        Appearance.agency_id,
        NoteSection.agency_id,
        Registration.agency_id,
        User.agency_id,
        Agency.parent_id,
    ):
        _move(column, old, new)
    _move_pairs(takeaway_agency, "agency_id", "takeaway_id", old, new)


def delete_agency(agency: Agency, *, user_id: int | None) -> None:
    _delete_unused(agency, AGENCY_LINKS, _("This agency"), user_id=user_id)


# --- people ----------------------------------------------------------------------------------


def create_person(data: PersonData, *, user_id: int | None) -> Person:
    return _create(Person, data, "person", user_id=user_id)


def update_person(person: Person, data: PersonData, *, user_id: int | None) -> Person:
    return _update(person, data, user_id=user_id)


def merge_people(duplicate: Person, keep: Person, *, user_id: int | None) -> Person:
    """Move every appearance of *duplicate* to *keep*, then delete *duplicate*.

    Refused when both appear in one session in the same role: one of the two appearances
    would have to go, and which one is the organiser's choice, not ours.
    """
    if duplicate.id == keep.id:
        raise DirectoryError(_("A person cannot be merged into themselves."), field="target")
    _lock(Person, duplicate.id, keep.id)  # before the check: no appearance is added meanwhile
    other = sa.orm.aliased(Appearance)
    clashes = db.session.execute(
        select(LearningSession, Appearance.role)
        .join(Appearance, Appearance.session_id == LearningSession.id)
        .join(
            other,
            sa.and_(other.session_id == Appearance.session_id, other.role == Appearance.role),
        )
        .where(Appearance.person_id == duplicate.id, other.person_id == keep.id)
        .order_by(LearningSession.starts_at)
    ).all()
    if clashes:
        language = current_language()
        sessions = ", ".join(
            f"“{s.loc('title', language)}” ({role_label(role)})" for s, role in clashes[:5]
        ) + ("…" if len(clashes) > 5 else "")
        raise DirectoryError(
            _(
                "Both people appear in the same session in the same role: %(sessions)s. "
                "Remove one of the two appearances from the session first, then merge."
            )
            % {"sessions": sessions},
            field="target",
        )
    if keep.user_id is None and duplicate.user_id is not None:
        keep.user_id, duplicate.user_id = duplicate.user_id, None  # keep the account link
    return _merge(duplicate, keep, PERSON_LINKS, _move_appearances, user_id=user_id)


def _move_appearances(old: int, new: int) -> None:
    _move(Appearance.person_id, old, new)


def delete_person(person: Person, *, user_id: int | None) -> None:
    _delete_unused(person, PERSON_LINKS, _("This person"), user_id=user_id)


# --- topics ----------------------------------------------------------------------------------


def create_topic(data: TopicData, *, user_id: int | None) -> Topic:
    return _create(Topic, data, "topic", user_id=user_id)


def update_topic(topic: Topic, data: TopicData, *, user_id: int | None) -> Topic:
    return _update(topic, data, user_id=user_id)


def merge_topics(duplicate: Topic, keep: Topic, *, user_id: int | None) -> Topic:
    """Move the sessions and takeaways of *duplicate* to *keep*, then delete *duplicate*."""
    if duplicate.id == keep.id:
        raise DirectoryError(_("A topic cannot be merged into itself."), field="target")
    _lock(Topic, duplicate.id, keep.id)
    return _merge(duplicate, keep, TOPIC_LINKS, _move_topic_links, user_id=user_id)


def _move_topic_links(old: int, new: int) -> None:
    _move_pairs(session_topic, "topic_id", "session_id", old, new)
    _move_pairs(takeaway_topic, "topic_id", "takeaway_id", old, new)


def delete_topic(topic: Topic, *, user_id: int | None) -> None:
    _delete_unused(topic, TOPIC_LINKS, _("This topic"), user_id=user_id)


# --- shared steps ----------------------------------------------------------------------------


Record = TypeVar("Record", Agency, Person, Topic)


def _create(
    model: type[Record],
    data: AgencyData | PersonData | TopicData,
    fallback: str,
    *,
    user_id: int | None,
) -> Record:
    """A new record: Thai name required, slug typed or made from the names, audited."""
    _check_names(data.name_th)
    slug = _slug_for(model, data.slug, data.name_en, data.name_th, fallback=fallback)
    record = model(**{**_values(data), "slug": slug})
    _flush_new(record)
    audit.record(
        "create", record, user_id=user_id, changes=_created(data, slug), summary=_summary(record)
    )
    return record


def _update(
    record: Record, data: AgencyData | PersonData | TopicData, *, user_id: int | None
) -> Record:
    _check_names(data.name_th)
    slug = _slug_for(type(record), data.slug, exclude_id=record.id)
    _apply(record, {**_values(data), "slug": slug}, user_id=user_id)
    return record


def _values(data: AgencyData | PersonData | TopicData) -> dict[str, Any]:
    return {f.name: getattr(data, f.name) for f in fields(data) if f.name != "slug"}


def _created(data: AgencyData | PersonData | TopicData, slug: str) -> dict[str, tuple]:
    values = {**_values(data), "slug": slug}
    return {name: (None, value) for name, value in values.items() if value not in ("", None)}


def _check_names(name_th: str) -> None:
    if not name_th.strip():
        raise DirectoryError(_("Enter the name in Thai."), field="name_th")


def _check_parent(agency_id: int | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    if agency_id is not None:
        # Two edits that would close a loop between them (A under B, B under A) wait for each
        # other here, and the second one then sees the first and is refused.
        _lock(Agency, agency_id, parent_id)
    if db.session.get(Agency, parent_id) is None:
        raise DirectoryError(_("Choose an agency from the list."), field="parent_id")
    if agency_id is not None and (parent_id == agency_id or parent_id in descendant_ids(agency_id)):
        raise DirectoryError(
            _("An agency cannot be placed under itself or under one of its own sub-agencies."),
            field="parent_id",
        )


def _slug_for(
    model: type, typed: str, *names: str, fallback: str = "item", exclude_id: int | None = None
) -> str:
    """The typed slug if it is free, else an error; with none typed, one made from *names*."""

    def taken(slug: str) -> bool:
        query = select(model.id).where(model.slug == slug)  # type: ignore[attr-defined]
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)  # type: ignore[attr-defined]
        return db.session.scalar(query) is not None

    if typed:
        if taken(typed):
            raise DirectoryError(_slug_taken_message(), field="slug")
        return typed
    if not names:
        raise DirectoryError(_("Enter the web address name."), field="slug")
    return unique_slug(slugify(*names, fallback=fallback), taken)


def _slug_taken_message() -> str:
    return _("This web address name is already used by another record: choose another.")


def _flush_new(obj: Agency | Person | Topic) -> None:
    try:
        with db.session.begin_nested():  # a slug taken in a race undoes only this insert
            db.session.add(obj)
    except IntegrityError:
        raise DirectoryError(_slug_taken_message(), field="slug") from None


def _apply(obj: Agency | Person | Topic, values: dict[str, Any], *, user_id: int | None) -> None:
    """Set *values*, flush, and record what changed (nothing recorded when nothing did)."""
    for name, value in values.items():
        setattr(obj, name, value)
    changes = audit.pending_changes(obj)
    if not changes:
        return
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DirectoryError(_slug_taken_message(), field="slug") from None
    audit.record("update", obj, user_id=user_id, changes=changes, summary=_summary(obj))


def _lock(model: Any, *ids: int) -> None:
    """Row locks in id order (PostgreSQL): links added meanwhile wait, then see the result."""
    query = select(model.id).where(model.id.in_(ids)).order_by(model.id).with_for_update()
    db.session.execute(query).all()


def _move(attribute: Any, old: int, new: int) -> None:
    """``UPDATE <model> SET <attribute> = new WHERE <attribute> = old``."""
    db.session.execute(
        sa.update(attribute.class_).where(attribute == old).values({attribute.key: new}),
        execution_options={"synchronize_session": False},  # expire_all follows in _merge
    )


def _move_pairs(table: sa.Table, owner: str, other: str, old: int, new: int) -> None:
    """Re-point (other, old) rows to *new* unless (other, new) exists; drop the rest."""
    twin = table.alias("twin")
    already = (
        select(twin.c[other]).where(twin.c[owner] == new, twin.c[other] == table.c[other]).exists()
    )
    db.session.execute(sa.update(table).where(table.c[owner] == old, ~already).values({owner: new}))
    db.session.execute(sa.delete(table).where(table.c[owner] == old))


def _merge(
    duplicate: Agency | Person | Topic,
    keep: Agency | Person | Topic,
    links: dict[str, Any],
    move: Callable[[int, int], None],
    *,
    user_id: int | None,
) -> Any:
    """*move* the links, delete *duplicate*; audit both (links before → after).

    The caller has locked both rows (see _lock).
    """
    db.session.flush()  # pending changes first: expire_all below would discard them
    before = usage_of(links, [keep.id]).get(keep.id, {})
    entity_type = type(duplicate).__name__.lower()  # agency, person, topic
    duplicate_id, duplicate_fields = duplicate.id, _fields_of(duplicate)
    label = f"{_summary(duplicate)} ({duplicate.slug})"
    move(duplicate.id, keep.id)
    db.session.expire_all()  # bulk UPDATEs bypassed the identity map; reload what is read next
    db.session.delete(duplicate)
    db.session.flush()
    after = usage_of(links, [keep.id]).get(keep.id, {})
    changes: dict[str, tuple[Any, Any]] = {"merged_from": (None, label)}
    for kind in links:
        if before.get(kind, 0) != after.get(kind, 0):
            changes[kind] = (before.get(kind, 0), after.get(kind, 0))
    audit.record("merge", keep, user_id=user_id, changes=changes, summary=_summary(keep))
    audit.record(
        "delete",
        _Gone(duplicate_id),
        entity_type=entity_type,
        user_id=user_id,
        changes=duplicate_fields,
        summary=label,
    )
    return keep


@dataclass(frozen=True)
class _Gone:
    """What audit.record needs of a record that was deleted: its id."""

    id: int


def _summary(obj: Agency | Person | Topic) -> str:
    """The record's name for the audit log (in Thai, the catalogue's first language)."""
    return obj.display_name("th") if isinstance(obj, Person) else obj.name_th


def _fields_of(obj: Agency | Person | Topic) -> dict[str, tuple]:
    names = [c.key for c in sa.inspect(type(obj)).column_attrs if c.key not in ("id", "created_at")]
    return {
        name: (getattr(obj, name), None) for name in names if getattr(obj, name) not in ("", None)
    }


def _delete_unused(
    obj: Agency | Person | Topic, links: dict[str, Any], what: str, *, user_id: int | None
) -> None:
    usage = usage_of(links, [obj.id]).get(obj.id, {})
    if usage:
        raise DirectoryError(
            _(
                "%(what)s cannot be deleted because it is still used: %(uses)s. "
                "Merge it into another record, or remove those links first."
            )
            % {"what": what, "uses": ", ".join(usage_phrases(usage))}
        )
    audit.record("delete", obj, user_id=user_id, changes=_fields_of(obj), summary=_summary(obj))
    db.session.delete(obj)
    db.session.flush()
