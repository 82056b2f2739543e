"""Every fetched copy of a mail is stored; a duplicate is the same Message-ID *and* the same content

raw_messages.dedupe_key is no longer unique: a different mail that reuses a Message-ID, a second copy
of a mail and a complete copy of a truncated one each get a row (and their bytes). What is unique is
`identity` (Message-ID + content fingerprint) on the one copy that is handled. Rows stored before this
revision keep their old key as identity; their fingerprint is computed when a copy turns up.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's unique constraint from 0001 has no name; this convention gives it one to drop.
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique() -> str:
    return "raw_messages_dedupe_key_key" if op.get_bind().dialect.name == "postgresql" \
        else "uq_raw_messages_dedupe_key"


def upgrade() -> None:
    with op.batch_alter_table('raw_messages', schema=None, naming_convention=_NAMES) as batch_op:
        batch_op.drop_constraint(_old_unique(), type_='unique')
        batch_op.add_column(sa.Column('identity', sa.String(length=1100), nullable=True))
        batch_op.add_column(sa.Column('content_sha', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_raw_messages_dedupe_key'), ['dedupe_key'], unique=False)
        batch_op.create_unique_constraint('uq_raw_messages_identity', ['identity'])
        batch_op.create_foreign_key('fk_raw_messages_duplicate_of', 'raw_messages', ['duplicate_of_id'], ['id'])
        batch_op.create_foreign_key('fk_raw_messages_superseded_by', 'raw_messages', ['superseded_by_id'], ['id'])
    op.execute("UPDATE raw_messages SET identity = dedupe_key")


def downgrade() -> None:
    with op.batch_alter_table('raw_messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_raw_messages_superseded_by', type_='foreignkey')
        batch_op.drop_constraint('fk_raw_messages_duplicate_of', type_='foreignkey')
        batch_op.drop_constraint('uq_raw_messages_identity', type_='unique')
        batch_op.drop_index(batch_op.f('ix_raw_messages_dedupe_key'))
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('arrived_at')
        batch_op.drop_column('content_sha')
        batch_op.drop_column('identity')
    op.execute("DELETE FROM raw_messages WHERE state IN ('duplicate', 'superseded')")
    with op.batch_alter_table('raw_messages', schema=None, naming_convention=_NAMES) as batch_op:
        batch_op.create_unique_constraint('uq_raw_messages_dedupe_key', ['dedupe_key'])
