"""Writing what was learned: a session's notes (per language), its takeaways, its note-takers.

Used by the organiser workspace. Functions flush, never commit, and record every change in the
audit log against the session. A broken rule raises ``NotesError``, whose message is safe to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from exchange.db import db, utcnow
from exchange.models import (
    Agency,
    Appearance,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    NoteTaker,
    Takeaway,
    TakeawayKind,
    Topic,
    User,
)
from exchange.models.user import normalise_email
from exchange.services import audit
from exchange.services.authoring import move

LANGUAGES = ("th", "en")  # the Thai note is the original, the English one its translation
STATEMENT_MAX_LENGTH = 1000
_HTTP_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)


class NotesError(Exception):
    """A rule prevented the change; ``field`` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- reading, for the editor pages ------------------------------------------------------------


def note_of(learning_session_id: int, language: str) -> Note | None:
    """The session's note in *language*, any status, with its sections and their agencies."""
    return db.session.scalar(
        select(Note)
        .filter_by(session_id=learning_session_id, language=language)
        .options(selectinload(Note.sections).joinedload(NoteSection.agency))
    )


def editable_takeaways(learning_session_id: int) -> list[Takeaway]:
    """Every takeaway of the session, drafts included, in order, with agencies and topics."""
    query = (
        select(Takeaway)
        .filter_by(session_id=learning_session_id)
        .options(selectinload(Takeaway.agencies), selectinload(Takeaway.topics))
        .order_by(Takeaway.position, Takeaway.id)
    )
    return list(db.session.scalars(query))


def session_agency_ids(learning_session: LearningSession) -> list[int]:
    """The agencies taking part: the organiser, then the people's agencies in their order."""
    rows = db.session.scalars(
        select(Appearance.agency_id)
        .filter_by(session_id=learning_session.id)
        .where(Appearance.agency_id.is_not(None))
        .order_by(Appearance.sort_order, Appearance.id)
    )
    ids = [learning_session.organiser_id, *rows]
    return list(dict.fromkeys(i for i in ids if i is not None))


def agency_names(language: str) -> dict[int, str]:
    """Every agency's name in *language*, sorted by it (three columns, not whole rows)."""
    rows = db.session.execute(select(Agency.id, Agency.name_th, Agency.name_en)).all()
    named = [(i, (en or th) if language == "en" else (th or en)) for i, th, en in rows]
    return dict(sorted(named, key=lambda pair: pair[1]))


def topic_names(language: str) -> dict[int, str]:
    rows = db.session.execute(select(Topic.id, Topic.name_th, Topic.name_en)).all()
    named = [(i, (en or th) if language == "en" else (th or en)) for i, th, en in rows]
    return dict(sorted(named, key=lambda pair: pair[1]))


def note_takers(learning_session_id: int) -> list[NoteTaker]:
    query = (
        select(NoteTaker)
        .filter_by(session_id=learning_session_id)
        .options(joinedload(NoteTaker.user))
        .order_by(NoteTaker.granted_at, NoteTaker.user_id)
    )
    return list(db.session.scalars(query))


def sessions_taking_notes(user_id: int) -> list[LearningSession]:
    """The sessions *user_id* may write notes for as a note-taker, latest first."""
    query = (
        select(LearningSession)
        .join(NoteTaker, NoteTaker.session_id == LearningSession.id)
        .where(NoteTaker.user_id == user_id)
        .order_by(LearningSession.starts_at.desc())
    )
    return list(db.session.scalars(query))


# --- the note ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionData:
    """One section as the editor sends it; ``id`` is None for a new one."""

    id: int | None
    heading: str
    body: str
    agency_id: int | None = None


@dataclass(frozen=True)
class NoteData:
    title: str = ""
    body: str = ""
    conclusion: str = ""
    source_name: str = ""
    source_url: str = ""
    sections: list[SectionData] = field(default_factory=list)


NOTE_FIELDS = ("title", "body", "conclusion", "source_name", "source_url")


def save_note(
    learning_session: LearningSession, language: str, data: NoteData, *, user_id: int
) -> Note:
    """Create or update the note in *language*: its fields and its sections, in the given order
    (sections left out are removed). The status does not change."""
    if language not in LANGUAGES:
        raise NotesError(_("Choose Thai or English."))
    url = data.source_url.strip()
    if url and not _HTTP_URL.match(url):
        raise NotesError(_("Use a web address that starts with https:// or http://."), "source_url")
    _check_agencies({s.agency_id for s in data.sections if s.agency_id is not None}, "sections")
    note = note_of(learning_session.id, language)
    created = note is None
    if note is None:
        note = Note(session_id=learning_session.id, language=language, sections=[])
        db.session.add(note)
    values = {name: getattr(data, name).strip() for name in NOTE_FIELDS}
    values["body"], values["conclusion"] = data.body, data.conclusion  # Markdown kept as typed
    for name, value in values.items():
        setattr(note, name, value)
    changes = {} if created else audit.pending_changes(note)
    section_changes = _save_sections(note, data.sections)
    if section_changes:
        changes["sections"] = section_changes
    if created or changes:
        note.updated_at = learning_session.updated_at = utcnow()  # pages cache on updated_at
        db.session.flush()
        audit.record(
            "note_create" if created else "note_update",
            learning_session,
            user_id=user_id,
            changes=_markdown_lengths(changes),
            summary=f"{learning_session.title_th} — {language}",
        )
    return note


def _markdown_lengths(changes: dict) -> dict:
    """Long Markdown fields go to the audit log as their lengths, not their whole text."""
    return {
        name: (f"{len(a or '')} chars", f"{len(b or '')} chars")
        if name in ("body", "conclusion")
        else (a, b)
        for name, (a, b) in changes.items()
    }


def _save_sections(note: Note, sections: list[SectionData]) -> tuple[int, int] | None:
    """Apply the sections; returns (count before, count after) when anything changed."""
    existing = {s.id: s for s in note.sections}
    unknown = {s.id for s in sections if s.id is not None} - set(existing)
    if unknown:
        raise NotesError(_("A section was removed meanwhile: reload the page."), "sections")
    before = [(s.id, s.heading, s.body, s.agency_id, s.position) for s in note.sections]
    kept: list[NoteSection] = []
    for position, data in enumerate(sections):
        if not (data.heading.strip() or data.body.strip()):
            raise NotesError(_("Give every section a heading or a text."), "sections")
        section = existing.get(data.id) if data.id is not None else None
        if section is None:
            section = NoteSection()
        section.heading = data.heading.strip()
        section.body = data.body
        section.agency_id = data.agency_id
        section.position = position
        kept.append(section)
    note.sections = kept  # delete-orphan removes the ones left out
    after = [(s.id, s.heading, s.body, s.agency_id, s.position) for s in kept]
    return None if before == after else (len(before), len(kept))


def set_note_status(note: Note, status: ContentStatus, now: datetime, *, user_id: int) -> None:
    """Publish (``published_at`` is set the first time only) or return to draft."""
    if note.status is status:
        return
    if status is ContentStatus.PUBLISHED and not (
        note.body.strip() or note.conclusion.strip() or note.sections
    ):
        raise NotesError(_("Write an introduction, a section or a conclusion before publishing."))
    before = note.status
    note.status = status
    if status is ContentStatus.PUBLISHED and note.published_at is None:
        note.published_at = now
    note.learning_session.updated_at = now
    db.session.flush()
    audit.record(
        "note_publish" if status is ContentStatus.PUBLISHED else "note_unpublish",
        note.learning_session,
        user_id=user_id,
        changes={"status": (before, status)},
        summary=f"{note.learning_session.title_th} — {note.language}",
    )


# --- takeaways --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TakeawayData:
    statement_th: str
    kind: TakeawayKind
    statement_en: str = ""
    agency_ids: list[int] = field(default_factory=list)
    topic_ids: list[int] = field(default_factory=list)
    status: ContentStatus = ContentStatus.DRAFT


def save_takeaway(
    learning_session: LearningSession,
    data: TakeawayData,
    *,
    user_id: int,
    takeaway: Takeaway | None = None,
) -> Takeaway:
    """Add a takeaway at the end of the session's list, or change *takeaway*."""
    statement_th = data.statement_th.strip()
    statement_en = data.statement_en.strip()
    if not statement_th:
        raise NotesError(_("Write the statement in Thai."), "statement_th")
    for name, text in (("statement_th", statement_th), ("statement_en", statement_en)):
        if len(text) > STATEMENT_MAX_LENGTH:
            message = _("Keep it to %(count)d characters.", count=STATEMENT_MAX_LENGTH)
            raise NotesError(message, name)
    agencies = _check_agencies(set(data.agency_ids), "agencies")
    topics = _check_topics(set(data.topic_ids))
    if not agencies and data.kind is not TakeawayKind.CONCLUSION:
        raise NotesError(
            _("Choose the agency it comes from: only a conclusion may have none."), "agencies"
        )
    created = takeaway is None
    if takeaway is None:
        last = db.session.scalar(
            select(func.max(Takeaway.position)).filter_by(session_id=learning_session.id)
        )
        takeaway = Takeaway(
            session_id=learning_session.id, position=0 if last is None else last + 1
        )
        db.session.add(takeaway)
        before_links: tuple[list[int], list[int]] = ([], [])
    else:
        before_links = ([a.id for a in takeaway.agencies], [t.id for t in takeaway.topics])
    takeaway.statement_th, takeaway.statement_en = statement_th, statement_en
    takeaway.kind, takeaway.status = data.kind, data.status
    takeaway.agencies, takeaway.topics = agencies, topics
    changes = audit.pending_changes(takeaway) if not created else {}
    after_links = (sorted(a.id for a in agencies), sorted(t.id for t in topics))
    if not created and sorted(before_links[0]) != after_links[0]:
        changes["agencies"] = (sorted(before_links[0]), after_links[0])
    if not created and sorted(before_links[1]) != after_links[1]:
        changes["topics"] = (sorted(before_links[1]), after_links[1])
    db.session.flush()
    if created or changes:
        learning_session.updated_at = utcnow()
        audit.record(
            "takeaway_add" if created else "takeaway_update",
            learning_session,
            user_id=user_id,
            changes=changes if not created else {"kind": (None, data.kind)},
            summary=statement_th,
        )
    return takeaway


def remove_takeaway(learning_session: LearningSession, takeaway: Takeaway, *, user_id: int) -> None:
    statement = takeaway.statement_th
    db.session.delete(takeaway)
    db.session.flush()
    rest = editable_takeaways(learning_session.id)
    for position, other in enumerate(rest):
        other.position = position
    learning_session.updated_at = utcnow()
    db.session.flush()
    audit.record("takeaway_remove", learning_session, user_id=user_id, summary=statement)


def move_takeaway(
    learning_session: LearningSession, takeaway: Takeaway, step: int, *, user_id: int
) -> None:
    """One place up (-1) or down (+1) in the session's list."""
    rows = list(db.session.scalars(select(Takeaway).filter_by(session_id=learning_session.id)))
    move(rows, takeaway, step, "position")
    learning_session.updated_at = utcnow()
    db.session.flush()
    audit.record("takeaway_move", learning_session, user_id=user_id, summary=takeaway.statement_th)


def publish_draft_takeaways(learning_session: LearningSession, *, user_id: int) -> int:
    """Publish every draft takeaway of the session; returns how many."""
    drafts = list(
        db.session.scalars(
            select(Takeaway).filter_by(session_id=learning_session.id, status=ContentStatus.DRAFT)
        )
    )
    for takeaway in drafts:
        takeaway.status = ContentStatus.PUBLISHED
    if drafts:
        learning_session.updated_at = utcnow()
        db.session.flush()
        audit.record(
            "takeaway_publish",
            learning_session,
            user_id=user_id,
            changes={"takeaways": (None, len(drafts))},
            summary=learning_session.title_th,
        )
    return len(drafts)


def _check_agencies(ids: set[int], field_name: str) -> list[Agency]:
    if not ids:
        return []
    found = list(db.session.scalars(select(Agency).where(Agency.id.in_(ids))))
    if len(found) != len(ids):
        raise NotesError(_("Choose agencies from the list."), field_name)
    return found


def _check_topics(ids: set[int]) -> list[Topic]:
    if not ids:
        return []
    found = list(db.session.scalars(select(Topic).where(Topic.id.in_(ids))))
    if len(found) != len(ids):
        raise NotesError(_("Choose topics from the list."), "topics")
    return found


# --- note-takers ------------------------------------------------------------------------------


def grant_note_taker(learning_session: LearningSession, email: str, *, user_id: int) -> User:
    """Let the account with *email* write this session's notes; granting twice is harmless."""
    user = db.session.scalar(select(User).filter_by(email=normalise_email(email)))
    if user is None:
        raise NotesError(
            _("No account uses this e-mail address: ask the person to sign up first."), "email"
        )
    if db.session.get(NoteTaker, (learning_session.id, user.id)) is None:
        db.session.add(
            NoteTaker(session_id=learning_session.id, user_id=user.id, granted_by_id=user_id)
        )
        db.session.flush()
        audit.record(
            "note_taker_grant",
            learning_session,
            user_id=user_id,
            changes={"note_taker": (None, user.email)},
            summary=learning_session.title_th,
        )
    return user


def revoke_note_taker(learning_session: LearningSession, taker_id: int, *, user_id: int) -> bool:
    """Take the right away again; False when the user did not have it."""
    grant = db.session.get(NoteTaker, (learning_session.id, taker_id))
    if grant is None:
        return False
    email = grant.user.email
    db.session.delete(grant)
    db.session.flush()
    audit.record(
        "note_taker_revoke",
        learning_session,
        user_id=user_id,
        changes={"note_taker": (email, None)},
        summary=learning_session.title_th,
    )
    return True
