"""Alembic environment: one migration history for SQLite and PostgreSQL.

Run by `service.store.database.make_engine` on every start (upgrade to head), or by hand:
`alembic upgrade head` (alembic.ini at the repository root; the URL comes from PRECIS_DATABASE_URL).
"""

from alembic import context
from sqlalchemy import Connection

from service.settings import get_settings
from service.store.tables import Base


def _run(connection: Connection) -> None:
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from service.store.database import create_engine_for

    with create_engine_for(get_settings().database_url).connect() as own_connection:
        _run(own_connection)
