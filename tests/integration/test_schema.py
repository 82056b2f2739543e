"""The Alembic migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from inbox_worker.store.models import Base
from inbox_worker.store.search import is_index_table


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        # The search index (store/search.py) is the triggers' own, outside the models.
        context = MigrationContext.configure(connection, opts={
            "include_name": lambda name, kind, _parents: not (kind == "table" and is_index_table(str(name)))})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
