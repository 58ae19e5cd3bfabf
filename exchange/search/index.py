"""Keeping the search index in step with every change, whoever makes it.

SQLAlchemy session events see every flush: `before_flush` notes which watched objects change
(and, while the old rows are still there, which documents show a renamed or deleted agency,
topic or person); `after_flush` rewrites those documents in the same transaction. A session's
status, organiser or topics changing rewrites its notes' and takeaways' documents too.
Bulk `update()`/`delete()` statements bypass the ORM and therefore this module: run
`flask exchange reindex` after one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from exchange.models import (
    Agency,
    Appearance,
    LearningSession,
    Note,
    NoteSection,
    Person,
    SearchDocument,
    SearchKind,
    Takeaway,
    Topic,
    search_document_agency,
    search_document_topic,
)
from exchange.search.documents import BUILDERS, MODELS, Document

Key = tuple[SearchKind, int]
_DOCUMENT = SearchDocument.__table__
_BATCH = 500

# Attributes whose change alters a document (other changes, e.g. ical_sequence, do not).
_SESSION_TEXT = ("title_th", "title_en", "description_th", "description_en")
_SESSION_SCOPE = ("status", "organiser_id", "organiser", "topics")  # also its notes, takeaways
_NAMES = {
    Agency: ("name_th", "name_en", "abbr_th", "abbr_en", "parent_id", "parent"),
    Topic: ("name_th", "name_en"),
    Person: ("prefix_th", "name_th", "prefix_en", "name_en"),
}


@dataclass
class _Pending:
    objects: list[object] = field(default_factory=list)
    keys: set[Key] = field(default_factory=set)
    gone: set[int] = field(default_factory=set)  # id() of objects deleted in this flush


def _changed(obj: object, attributes: Iterable[str]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _before_flush(session: Session, flush_context: object, instances: object) -> None:
    pending = session.info.setdefault("search_pending", _Pending())
    deleted = set(session.deleted)
    for obj in [*session.new, *session.dirty, *deleted]:
        kind = type(obj)
        if kind is LearningSession:
            wanted = obj in deleted or obj in session.new
            wanted = wanted or _changed(obj, _SESSION_TEXT + _SESSION_SCOPE)
        elif kind in _NAMES:
            wanted = obj in deleted or obj in session.new or _changed(obj, _NAMES[kind])
            if wanted and obj not in session.new:
                pending.keys |= _showing(session, obj)
        elif kind in (Note, NoteSection, Takeaway, Appearance):
            wanted = obj in deleted or obj in session.new or session.is_modified(obj)
        else:
            continue
        if wanted:
            pending.objects.append(obj)
        if obj in deleted:
            pending.gone.add(id(obj))


def _showing(session: Session, obj: object) -> set[Key]:
    """Documents that show this agency's, topic's or person's name (before it changes)."""
    if isinstance(obj, Person):
        ids = session.scalars(select(Appearance.session_id).where(Appearance.person_id == obj.id))
        return {(SearchKind.SESSION, i) for i in ids}
    link = search_document_agency if isinstance(obj, Agency) else search_document_topic
    column = link.c.agency_id if isinstance(obj, Agency) else link.c.topic_id
    rows = session.execute(
        select(_DOCUMENT.c.kind, _DOCUMENT.c.ref_id)
        .join(link, link.c.document_id == _DOCUMENT.c.id)
        .where(column == obj.id)
    )
    return {(SearchKind(kind), ref_id) for kind, ref_id in rows}


def _after_flush(session: Session, flush_context: object) -> None:
    pending: _Pending | None = session.info.pop("search_pending", None)
    if pending is None or not (pending.objects or pending.keys):
        return
    keys = set(pending.keys)
    whole_sessions: set[int] = set()
    for obj in pending.objects:
        keys |= _keys_of(obj, whole_sessions)
    if whole_sessions:
        for kind, model in ((SearchKind.NOTE, Note), (SearchKind.TAKEAWAY, Takeaway)):
            ids = session.scalars(select(model.id).where(model.session_id.in_(whole_sessions)))
            keys |= {(kind, i) for i in ids}
    gone = pending.gone
    refresh(session, keys, alive=lambda obj: id(obj) not in gone)


def _keys_of(obj: object, whole_sessions: set[int]) -> set[Key]:
    state = sa.inspect(obj)

    def values(name: str) -> set[int]:
        """The attribute's value now and before the flush (a moved object leaves its old home)."""
        history = state.attrs[name].history
        return {v for v in (*history.added, *history.unchanged, *history.deleted) if v}

    if isinstance(obj, LearningSession):
        if obj.id is not None:
            if state.deleted or state.was_deleted or _changed(obj, _SESSION_SCOPE):
                whole_sessions.add(obj.id)
            return {(SearchKind.SESSION, obj.id)}
        return set()
    if isinstance(obj, Note):
        return {(SearchKind.NOTE, obj.id)}
    if isinstance(obj, NoteSection):
        return {(SearchKind.NOTE, i) for i in values("note_id")}
    if isinstance(obj, Takeaway):
        return {(SearchKind.TAKEAWAY, obj.id)}
    if isinstance(obj, Appearance):
        keys = {(SearchKind.SESSION, i) for i in values("session_id")}
        return keys | {(SearchKind.PERSON, i) for i in values("person_id")}
    kind = {Agency: SearchKind.AGENCY, Person: SearchKind.PERSON}.get(type(obj))
    return {(kind, obj.id)} if kind is not None else set()


def refresh(session: Session, keys: Iterable[Key], alive=lambda obj: True) -> int:
    """Rewrite the documents for *keys*: delete them, then insert those still public."""
    by_kind: dict[SearchKind, list[int]] = {}
    for kind, ref_id in keys:
        by_kind.setdefault(kind, []).append(ref_id)
    written = 0
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), _BATCH):
            batch = sorted(set(ids[start : start + _BATCH]))
            session.execute(
                _DOCUMENT.delete().where(_DOCUMENT.c.kind == kind, _DOCUMENT.c.ref_id.in_(batch))
            )
            written += _insert(session, BUILDERS[kind](session, batch, alive))
    return written


def _insert(session: Session, documents: list[Document]) -> int:
    if not documents:
        return 0
    inserted = session.execute(
        _DOCUMENT.insert().returning(_DOCUMENT.c.id, sort_by_parameter_order=True),
        [d.row() for d in documents],
    ).scalars()
    agencies, topics = [], []
    for document_id, document in zip(inserted, documents, strict=True):
        agencies += [{"document_id": document_id, "agency_id": a} for a in document.agency_ids]
        topics += [{"document_id": document_id, "topic_id": t} for t in document.topic_ids]
    if agencies:
        session.execute(search_document_agency.insert(), agencies)
    if topics:
        session.execute(search_document_topic.insert(), topics)
    return len(documents)


def rebuild(session: Session) -> dict[SearchKind, int]:
    """Empty the index and write every public document again; counts per kind."""
    session.execute(_DOCUMENT.delete())
    counts = {}
    for kind, model in MODELS.items():
        ids = list(session.scalars(select(model.id).order_by(model.id)))
        counts[kind] = 0
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            counts[kind] += _insert(session, BUILDERS[kind](session, batch, lambda obj: True))
    return counts


def install() -> None:
    """Listen to every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
