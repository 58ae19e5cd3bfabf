"""data_version: one number raised by every transaction that changes data

The page cache (exchange/page_cache.py) serves a page kept in memory only while the version it
was made at is current.

Revision ID: d1e8f0a2b4c6
Revises: c7d2e4f6a813
Create Date: 2026-11-26 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd1e8f0a2b4c6'
down_revision = 'c7d2e4f6a813'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade():
    op.drop_table('data_version')
