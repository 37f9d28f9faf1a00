"""Alembic environment of the operational store.

data/ops_store.py runs the migrations itself at start (under its lock, once per process) and
hands the connection in ``config.attributes["connection"]``. By hand, with ``MAMS_OPS_URL`` or
``MAMS_HOME`` set as the app has them: ``alembic -c data/migrations/alembic.ini current`` (or
``upgrade head``; ``revision --autogenerate -m "..."`` after a change to data/ops_schema.py
drafts the next revision).
"""

from __future__ import annotations

from alembic import context

from data import ops_schema

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=ops_schema.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic command line (a store of the release before SQLAlchemy: start the app first)
    from data import ops_store

    with ops_store.engine().connect() as own:
        _run(own)
        own.commit()
