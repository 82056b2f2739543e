"""Alembic environment: runs migrations on the connection handed over by inbox_worker.store.db.migrate."""

from alembic import context
from sqlalchemy import create_engine

from inbox_worker.store.models import Base
from inbox_worker.store.search import is_index_table

config = context.config
target_metadata = Base.metadata


def _include_name(name: str | None, kind: str, _parents: object) -> bool:
    """Autogenerate leaves the search index alone: its tables are the triggers' own (store/search.py)."""
    return not (kind == "table" and is_index_table(str(name)))


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the alembic command line: `alembic -x url=... upgrade head`
        url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///var/inbox.db")
        with create_engine(url).begin() as own:
            context.configure(connection=own, target_metadata=target_metadata, render_as_batch=True,
                              include_name=_include_name)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      include_name=_include_name)
    with context.begin_transaction():
        context.run_migrations()


run()
