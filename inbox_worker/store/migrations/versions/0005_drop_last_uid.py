"""mailbox_state.last_uid goes: it was written and never read (done mail is moved or flagged on the server)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        batch_op.drop_column('last_uid')


def downgrade() -> None:
    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_uid', sa.BigInteger(), server_default='0', nullable=False))
