"""privacy: the erasures and retention runs (GDPR, issue 16), and which record erased or anonymised each ticket

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

`privacy_erasures` holds who erased what, when and why, and how many of each kind, never the erased data;
its id is the pseudonym's number ("Slettet person #7"). `privacy_tickets` names the record that erased a
ticket's person or anonymised its text (a table of its own: the tickets table is left as it is).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('privacy_erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_privacy_erasures_customer_id', 'privacy_erasures', ['customer_id'])
    op.create_table('privacy_tickets',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('erasure_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['erasure_id'], ['privacy_erasures.id']),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    op.create_index('ix_privacy_tickets_erasure_id', 'privacy_tickets', ['erasure_id'])


def downgrade() -> None:
    op.drop_table('privacy_tickets')
    op.drop_table('privacy_erasures')
