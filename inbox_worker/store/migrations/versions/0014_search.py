"""search: the full-text search index of tickets, its triggers, and the documents of the tickets stored so far

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

PostgreSQL: table ticket_search (tsvector, GIN index) and PL/pgSQL triggers; SQLite: an FTS5 table and
triggers that stem through the Python function search_stems. store/search.py holds the definitions.
"""
from collections.abc import Sequence

from alembic import op

from inbox_worker.store import search

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    search.create_index(op.get_bind())


def downgrade() -> None:
    search.drop_index(op.get_bind())
