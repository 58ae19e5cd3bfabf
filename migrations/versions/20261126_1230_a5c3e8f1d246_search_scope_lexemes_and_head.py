"""search index on PostgreSQL: kind and id-bucket lexemes in the tsvectors, and tsv_head

PostgreSQL only (SQLite's FTS5 index is unchanged). ``tsv`` and ``tsv_title`` are generated
again with two more lexemes each, ``_k_<kind>`` and ``_b_<id // 1000>``, so that a type filter
and "the newest matches" are answered inside the GIN index (exchange/search/postgresql.py);
``tsv_head`` (title, the first 600 characters of the text, tags; no index) ranks the
candidates without reading a long note's whole tsvector. The statements are the DDL of
``exchange/models/search.py`` at this revision. The columns are generated from the rows
already there: no reindex is needed.

Revision ID: a5c3e8f1d246
Revises: 1e2c7dbea7b9
Create Date: 2026-11-26 12:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a5c3e8f1d246'
down_revision = '1e2c7dbea7b9'
branch_labels = None
depends_on = None

_SCOPE = "array_to_tsvector(ARRAY['_k_' || kind, '_b_' || (id / 1000)::text])"
_DROP = (
    "DROP INDEX IF EXISTS ix_search_document_tsv_title",
    "DROP INDEX IF EXISTS ix_search_document_tsv",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv_head",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv_title",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv",
)
UPGRADE = (
    *_DROP,
    f"""ALTER TABLE search_document ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A')
        || setweight(to_tsvector('simple', search_text), 'B')
        || setweight(to_tsvector('simple', search_tags), 'D')
        || {_SCOPE}) STORED""",
    "CREATE INDEX ix_search_document_tsv ON search_document USING gin (tsv)",
    f"""ALTER TABLE search_document ADD COLUMN tsv_title tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', search_title) || {_SCOPE}) STORED""",
    "CREATE INDEX ix_search_document_tsv_title ON search_document USING gin (tsv_title)",
    """ALTER TABLE search_document ADD COLUMN tsv_head tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A')
        || setweight(to_tsvector('simple', regexp_replace(left(search_text, 601), '\\S*$', '')), 'B')
        || setweight(to_tsvector('simple', search_tags), 'D')) STORED""",
)
DOWNGRADE = (  # as revision 7b3d5f9a1c20 made them
    *_DROP,
    """ALTER TABLE search_document ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A')
        || setweight(to_tsvector('simple', search_text), 'B')
        || setweight(to_tsvector('simple', search_tags), 'D')) STORED""",
    "CREATE INDEX ix_search_document_tsv ON search_document USING gin (tsv)",
    """ALTER TABLE search_document ADD COLUMN tsv_title tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', search_title)) STORED""",
    "CREATE INDEX ix_search_document_tsv_title ON search_document USING gin (tsv_title)",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
