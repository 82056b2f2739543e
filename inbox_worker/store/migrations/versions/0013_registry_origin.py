"""registry_origin: which customers, contacts, aliases and devices staff made in the web UI

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

`registry import` updates what its file lists and used to be the only writer of the registry; staff now
create customers, contacts and aliases from a ticket of an unknown sender. `origin` says who made a row
("registry": the file, "staff": the web UI), and `staff_aliases` which of a contact's aliases staff added,
so a re-import keeps them and reports, rather than loses, what the file no longer lists.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ('customers', 'contacts', 'devices')


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('origin', sa.String(length=16), nullable=False, server_default='registry'))
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_aliases', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('staff_aliases')
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('origin')
