"""ticket_version: a version number per ticket, for optimistic concurrency in the web UI

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Every update of a ticket adds one (the ORM's version_id_col, and the pipeline's own statements); a staff
form sends the version its page showed, and an action on a page that is out of date is refused.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('version')
