"""What each kind of thing contributes to the search index, built from loaded models.

Only public content becomes a document: published or cancelled sessions, published notes and
published takeaways of such sessions, and every agency and person (their pages are public).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from exchange.markup import plain_text
from exchange.models import (
    Agency,
    Appearance,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    Person,
    SearchKind,
    Takeaway,
)
from exchange.search.thai import normalise, search_tokens
from exchange.services.sessions import PUBLIC_STATUSES

Alive = Callable[[object], bool]


@dataclass
class Document:
    kind: SearchKind
    ref_id: int
    session_id: int | None
    title: list[str]  # the parts shown and searched as the title
    body: list[str]  # the parts shown in snippets and searched as the text
    tags: list[str] = field(default_factory=list)  # searched, never shown: names around it
    agency_ids: set[int] = field(default_factory=set)
    topic_ids: set[int] = field(default_factory=set)
    extra_title: list[str] = field(default_factory=list)  # searched as title, not shown

    def row(self) -> dict[str, object]:
        title = _join(self.title)
        body = _join(self.body)
        return {
            "kind": self.kind,
            "ref_id": self.ref_id,
            "session_id": self.session_id,
            "title": title,
            "body": body,
            "search_title": search_tokens(" ".join([title, *self.extra_title])),
            "search_text": search_tokens(body),
            "search_tags": search_tokens(" ".join(self.tags)),
        }


def _join(parts: Iterable[str]) -> str:
    """Plain parts, each normalised (what snippets show), one per line, empty ones dropped."""
    return "\n".join(p for p in (normalise(part).strip() for part in parts) if p)


def _names(agency: Agency | None) -> list[str]:
    if agency is None:
        return []
    return [agency.name_th, agency.name_en, agency.abbr_th, agency.abbr_en]


def _session_is_public(learning_session: LearningSession) -> bool:
    return learning_session.status in PUBLIC_STATUSES


def _session_context(learning_session: LearningSession, alive: Alive) -> tuple[list, set, set]:
    """Names, agency ids and topic ids around a session (organiser, who appeared, topics)."""
    appearances = [a for a in learning_session.appearances if alive(a)]
    agencies = [learning_session.organiser, *(a.agency for a in appearances)]
    agencies = [a for a in agencies if a is not None and alive(a)]
    topics = [t for t in learning_session.topics if alive(t)]
    names = [n for a in agencies for n in _names(a)]
    names += [n for t in topics for n in (t.name_th, t.name_en)]
    return names, {a.id for a in agencies}, {t.id for t in topics}


def session_documents(session: Session, ids: list[int], alive: Alive) -> list[Document]:
    query = (
        select(LearningSession)
        .where(LearningSession.id.in_(ids))
        .options(
            joinedload(LearningSession.organiser),
            selectinload(LearningSession.topics),
            selectinload(LearningSession.appearances).options(
                joinedload(Appearance.person), joinedload(Appearance.agency)
            ),
        )
    )
    documents = []
    for s in session.scalars(query):
        if not _session_is_public(s):
            continue
        names, agency_ids, topic_ids = _session_context(s, alive)
        people = [a.person for a in s.appearances if alive(a) and alive(a.person)]
        names += [n for p in people for n in (p.name_th, p.name_en)]
        documents.append(
            Document(
                SearchKind.SESSION,
                s.id,
                s.id,
                [s.title_th, s.title_en],
                [plain_text(s.description_th), plain_text(s.description_en)],
                names,
                agency_ids,
                topic_ids,
            )
        )
    return documents


def _context_options(relationship: object) -> object:
    return joinedload(relationship).options(
        joinedload(LearningSession.organiser),
        selectinload(LearningSession.topics),
        selectinload(LearningSession.appearances).joinedload(Appearance.agency),
    )


def note_documents(session: Session, ids: list[int], alive: Alive) -> list[Document]:
    query = (
        select(Note)
        .where(Note.id.in_(ids))
        .options(
            _context_options(Note.learning_session),
            selectinload(Note.sections).joinedload(NoteSection.agency),
        )
    )
    documents = []
    for note in session.scalars(query):
        s = note.learning_session
        if note.status != ContentStatus.PUBLISHED or not _session_is_public(s):
            continue
        names, agency_ids, topic_ids = _session_context(s, alive)
        sections = [x for x in note.sections if alive(x)]
        body = [plain_text(note.body)]
        for section in sections:
            body += [section.heading, plain_text(section.body)]
            if section.agency is not None and alive(section.agency):
                names += _names(section.agency)
                agency_ids.add(section.agency.id)
        body.append(plain_text(note.conclusion))
        title = [note.title] if note.title else [s.title_th, s.title_en]
        documents.append(
            Document(SearchKind.NOTE, note.id, s.id, title, body, names, agency_ids, topic_ids)
        )
    return documents


def takeaway_documents(session: Session, ids: list[int], alive: Alive) -> list[Document]:
    query = (
        select(Takeaway)
        .where(Takeaway.id.in_(ids))
        .options(
            joinedload(Takeaway.learning_session),
            selectinload(Takeaway.agencies),
            selectinload(Takeaway.topics),
        )
    )
    documents = []
    for t in session.scalars(query):
        if t.status != ContentStatus.PUBLISHED or not _session_is_public(t.learning_session):
            continue
        agencies = [a for a in t.agencies if alive(a)]
        topics = [x for x in t.topics if alive(x)]
        names = [n for a in agencies for n in _names(a)]
        names += [n for x in topics for n in (x.name_th, x.name_en)]
        documents.append(
            Document(
                SearchKind.TAKEAWAY,
                t.id,
                t.session_id,
                [],
                [t.statement_th, t.statement_en],
                names,
                {a.id for a in agencies},
                {x.id for x in topics},
            )
        )
    return documents


def agency_documents(session: Session, ids: list[int], alive: Alive) -> list[Document]:
    query = select(Agency).where(Agency.id.in_(ids)).options(joinedload(Agency.parent))
    documents = []
    for a in session.scalars(query):
        parent = a.parent if a.parent is not None and alive(a.parent) else None
        documents.append(
            Document(
                SearchKind.AGENCY,
                a.id,
                None,
                [a.name_th, a.name_en],
                [" · ".join(x for x in (a.abbr_th, a.abbr_en) if x)],
                _names(parent),
                {a.id} | ({parent.id} if parent else set()),
                extra_title=[a.abbr_th, a.abbr_en],
            )
        )
    return documents


def person_documents(session: Session, ids: list[int], alive: Alive) -> list[Document]:
    agencies: dict[int, list[Agency]] = {}
    rows = session.execute(
        select(Appearance.person_id, Agency)
        .join(Appearance.agency)
        .where(Appearance.person_id.in_(ids))
        .distinct()
    )
    for person_id, agency in rows:
        agencies.setdefault(person_id, []).append(agency)
    documents = []
    for p in session.scalars(select(Person).where(Person.id.in_(ids))):
        theirs = [a for a in agencies.get(p.id, []) if alive(a)]
        documents.append(
            Document(
                SearchKind.PERSON,
                p.id,
                None,
                [f"{p.prefix_th}{p.name_th}", f"{p.prefix_en} {p.name_en}".strip()],
                [],
                [n for a in theirs for n in _names(a)],
                {a.id for a in theirs},
            )
        )
    return documents


BUILDERS = {
    SearchKind.SESSION: session_documents,
    SearchKind.NOTE: note_documents,
    SearchKind.TAKEAWAY: takeaway_documents,
    SearchKind.AGENCY: agency_documents,
    SearchKind.PERSON: person_documents,
}
MODELS = {
    SearchKind.SESSION: LearningSession,
    SearchKind.NOTE: Note,
    SearchKind.TAKEAWAY: Takeaway,
    SearchKind.AGENCY: Agency,
    SearchKind.PERSON: Person,
}
