"""response_clocks: a ticket's first-response and resolution targets, due moments and their history

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Tickets get the targets of rules/response.toml (or staff's), the due moments on the working-time
calendar, what met them and the nearest open due moment (indexed: the queue sorts and filters by it;
ix_tickets_due and next_due_at as the last column of ix_tickets_facets keep the queue's page and counts fast).
response_events is the clocks' history; response_warnings the one warning per ticket and target.
Tickets from before this revision have no clocks: they show none and are reported as such.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOMENTS = ('clock_started_at', 'first_response_due_at', 'first_response_at', 'resolution_due_at', 'paused_at',
            'resolved_at', 'next_due_at')
_FACETS = ('status', 'customer_id', 'category', 'coverage_status', 'priority_rank')  # ix_tickets_facets of 0003


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_rule', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('response_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('first_response_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clock_mode', sa.String(length=16), nullable=True))
        for name in _MOMENTS:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_minutes', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_tickets_next_due_at'), ['next_due_at'], unique=False)
        # The queue: by nearest due moment within a status, and "overskredet" counted with the other filters in
        # the same index-only scan (the facets index gains next_due_at as its last column).
        batch_op.create_index('ix_tickets_due', ['status', 'next_due_at'], unique=False)
        batch_op.drop_index('ix_tickets_facets')
        batch_op.create_index('ix_tickets_facets', [*_FACETS, 'next_due_at'], unique=False)
    op.create_table('response_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=True),
    sa.Column('first_response_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('response_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_events_ticket_id'), ['ticket_id'], unique=False)
    op.create_table('response_warnings',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'target')
    )


def downgrade() -> None:
    op.drop_table('response_warnings')
    with op.batch_alter_table('response_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_events_ticket_id'))
    op.drop_table('response_events')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_facets')
        batch_op.create_index('ix_tickets_facets', list(_FACETS), unique=False)
        batch_op.drop_index('ix_tickets_due')
        batch_op.drop_index(batch_op.f('ix_tickets_next_due_at'))
        for name in ('paused_minutes', *reversed(_MOMENTS), 'clock_mode', 'resolution_minutes',
                     'first_response_minutes', 'response_reason', 'response_rule'):
            batch_op.drop_column(name)
