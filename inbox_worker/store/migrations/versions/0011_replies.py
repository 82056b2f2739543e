"""replies: staff signatures, a reply's Cc addresses and its attachments

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

A staff member's signature (set on "Min profil") is appended to their replies; a reply may carry Cc
addresses (its envelope's other recipients) and attachments, stored like inbound ones and added as MIME
parts when the outbox sends it.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cc', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table(
        'outbox_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('stored_path', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_outbox_attachments_outbox_id', 'outbox_attachments', ['outbox_id'])


def downgrade() -> None:
    op.drop_index('ix_outbox_attachments_outbox_id', table_name='outbox_attachments')
    op.drop_table('outbox_attachments')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('cc')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('signature')
