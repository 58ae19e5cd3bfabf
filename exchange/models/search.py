"""The search index: one row per public thing a reader can find (session, note, takeaway,
agency, person), written by ``exchange.search.index`` whenever that thing changes.

``title``/``body`` keep the original text (plain, for snippets); ``search_*`` hold the same
text as search units (``exchange.search.thai``). The full-text index over them is
dialect-specific and lives outside the model, created by the DDL events below (for
``db.create_all``) and by the same statements in the migration:

- SQLite: an FTS5 table ``search_fts`` over the three ``search_*`` columns (external content,
  kept in step by triggers);
- PostgreSQL: a stored generated ``tsv`` column (title weight A, text B, tags D) and ``tsv_title``
  (the title alone), each with one partial GIN index per kind (``WHERE kind = 'note'``: a
  search gathers each kind's newest matches from that kind's own index); both also hold the
  id-bucket lexeme (``SCOPE_LEXEMES``); ``tsv_head`` (no index) ranks the candidates.

``SCHEMA_OBJECTS`` names them so that Alembic's autogenerate comparison leaves them alone.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Index, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import db


class SearchKind(enum.StrEnum):
    """In the order the results page shows its groups."""

    SESSION = "session"
    NOTE = "note"
    TAKEAWAY = "takeaway"
    AGENCY = "agency"
    PERSON = "person"


class SearchDocument(db.Model):
    __tablename__ = "search_document"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        # a kind's newest document: where its bands of ids start (exchange.search.postgresql)
        Index("ix_search_document_kind_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SearchKind]
    ref_id: Mapped[int]  # the id of the session, note, takeaway, agency or person
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_session.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    search_title: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_tags: Mapped[str] = mapped_column(Text, default="")  # agency, topic, people names

    def __repr__(self) -> str:
        return f"<SearchDocument {self.kind} {self.ref_id}>"


# What a document may be filtered by: the agencies and topics it belongs to.
search_document_agency = Table(
    "search_document_agency",
    db.metadata,
    Column("document_id", ForeignKey("search_document.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True, index=True),
)

search_document_topic = Table(
    "search_document_topic",
    db.metadata,
    Column("document_id", ForeignKey("search_document.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True, index=True),
)

FTS5_TOKENIZE = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "search_title, search_text, search_tags, content='search_document', content_rowid='id', "
    f'tokenize="{FTS5_TOKENIZE}")',
    """CREATE TRIGGER IF NOT EXISTS search_document_ai AFTER INSERT ON search_document BEGIN
        INSERT INTO search_fts(rowid, search_title, search_text, search_tags)
        VALUES (new.id, new.search_title, new.search_text, new.search_tags); END""",
    """CREATE TRIGGER IF NOT EXISTS search_document_ad AFTER DELETE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, search_title, search_text, search_tags)
        VALUES ('delete', old.id, old.search_title, old.search_text, old.search_tags); END""",
    """CREATE TRIGGER IF NOT EXISTS search_document_au AFTER UPDATE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, search_title, search_text, search_tags)
        VALUES ('delete', old.id, old.search_title, old.search_text, old.search_tags);
        INSERT INTO search_fts(rowid, search_title, search_text, search_tags)
        VALUES (new.id, new.search_title, new.search_text, new.search_tags); END""",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",  # rows already there, if any
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_fts",
)
# Every tsvector also holds two lexemes no search unit can spell (units have no "_"): the
# document's bucket of ids, so that exchange.search.postgresql can look for the newest matches
# inside the GIN index instead of reading every matching row, and its kind (which the type
# filter used before the partial indexes; it stays until the columns are next generated
# again, as dropping it rewrites the table).
# tsv_head (title, the first HEAD_CHARS of the text cut after a whole unit, tags) is small
# enough to stay in the row: candidates are ranked on it, and a phrase found in it needs no
# reading of the whole tsv (out of line, compressed, for a long note).
ID_BUCKET = 1000
HEAD_CHARS = 600
SCOPE_LEXEMES = f"array_to_tsvector(ARRAY['_k_' || kind, '_b_' || (id / {ID_BUCKET})::text])"
_HEAD_TEXT = f"regexp_replace(left(search_text, {HEAD_CHARS + 1}), '\\S*$', '')"
POSTGRESQL_CREATE = (
    f"""ALTER TABLE search_document ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A')
        || setweight(to_tsvector('simple', search_text), 'B')
        || setweight(to_tsvector('simple', search_tags), 'D')
        || {SCOPE_LEXEMES}) STORED""",
    f"""ALTER TABLE search_document ADD COLUMN tsv_title tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', search_title) || {SCOPE_LEXEMES}) STORED""",
    f"""ALTER TABLE search_document ADD COLUMN tsv_head tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A')
        || setweight(to_tsvector('simple', {_HEAD_TEXT}), 'B')
        || setweight(to_tsvector('simple', search_tags), 'D')) STORED""",
)
# one GIN index per column and kind: a kind's posting lists hold its documents only
KIND_INDEXES = {
    f"ix_search_document_{column}_{kind.value}": (
        f"CREATE INDEX ix_search_document_{column}_{kind.value} ON search_document "
        f"USING gin ({column}) WHERE kind = '{kind.value}'"
    )
    for column in ("tsv", "tsv_title")
    for kind in SearchKind
}
POSTGRESQL_CREATE += tuple(KIND_INDEXES.values())
POSTGRESQL_DROP = (
    *(f"DROP INDEX IF EXISTS {name}" for name in KIND_INDEXES),
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv_head",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv_title",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv",
)

# Names Alembic must not compare (see exchange.models.search.include_in_migrations).
SCHEMA_OBJECTS = frozenset(
    {
        "search_fts",
        "search_fts_data",
        "search_fts_idx",
        "search_fts_docsize",
        "search_fts_config",
        "search_fts_content",
        "tsv",
        "tsv_title",
        "tsv_head",
        *KIND_INDEXES,
    }
)


def include_in_migrations(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: skip the full-text objects made outside the models."""
    return name not in SCHEMA_OBJECTS


for _dialect, _statements in (("sqlite", SQLITE_CREATE), ("postgresql", POSTGRESQL_CREATE)):
    for _sql in _statements:
        sa.event.listen(
            SearchDocument.__table__, "after_create", sa.DDL(_sql).execute_if(dialect=_dialect)
        )
for _dialect, _statements in (("sqlite", SQLITE_DROP), ("postgresql", POSTGRESQL_DROP)):
    for _sql in _statements:
        sa.event.listen(
            SearchDocument.__table__, "before_drop", sa.DDL(_sql).execute_if(dialect=_dialect)
        )
