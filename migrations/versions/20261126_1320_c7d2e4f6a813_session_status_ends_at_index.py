"""learning_session: an index on (status, ends_at), for upcoming sessions

"Not ended yet, soonest first" (the home page, /sessions, topic pages) walked the
(status, starts_at) index from the oldest session past every one that had ended; with this
PostgreSQL reads the range of sessions not yet ended (a few hundred) and sorts them.

Revision ID: c7d2e4f6a813
Revises: a5c3e8f1d246
Create Date: 2026-11-26 13:20:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = 'c7d2e4f6a813'
down_revision = 'a5c3e8f1d246'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('learning_session', schema=None) as batch_op:
        batch_op.create_index(
            'ix_learning_session_status_ends_at', ['status', 'ends_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('learning_session', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_session_status_ends_at')
