"""search_document: one partial GIN index per kind, and an index on (kind, id)

A search gathered its candidates as the newest matches of all kinds together: after a reindex
the newest documents are people, so "mindset" found 500 people and no takeaway. Each kind's
candidates now come from that kind's own GIN indexes (``WHERE kind = '<kind>'``), whose
posting lists hold that kind's documents only, starting at that kind's newest id (the
``(kind, id)`` index). On PostgreSQL the two GIN indexes over every kind are replaced by ten
partial ones (the same size in all); SQLite gets the (kind, id) index only (FTS5 is
unchanged). The statements are the DDL of ``exchange/models/search.py`` at this revision.

Revision ID: e3a7c9d1f5b2
Revises: d1e8f0a2b4c6
Create Date: 2026-11-27 04:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e3a7c9d1f5b2"
down_revision = "d1e8f0a2b4c6"
branch_labels = None
depends_on = None

_KINDS = ("session", "note", "takeaway", "agency", "person")
_COLUMNS = ("tsv", "tsv_title")
_WHOLE = tuple(f"ix_search_document_{column}" for column in _COLUMNS)


def upgrade():
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.create_index("ix_search_document_kind_id", ["kind", "id"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _COLUMNS:
        for kind in _KINDS:
            op.execute(
                f"CREATE INDEX ix_search_document_{column}_{kind} ON search_document "
                f"USING gin ({column}) WHERE kind = '{kind}'"
            )
    for name in _WHOLE:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for column, name in zip(_COLUMNS, _WHOLE, strict=True):
            op.execute(f"CREATE INDEX {name} ON search_document USING gin ({column})")
        for column in _COLUMNS:
            for kind in _KINDS:
                op.execute(f"DROP INDEX IF EXISTS ix_search_document_{column}_{kind}")
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_index("ix_search_document_kind_id")
