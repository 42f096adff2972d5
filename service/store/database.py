"""Engine and session factory for any SQLAlchemy URL (SQLite by default, PostgreSQL via psycopg)."""

import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do: it only has to be the same for every Precis process sharing a PostgreSQL database.
_MIGRATION_LOCK_ID = 0x50524543
_SQLITE_ATTEMPTS = 5
# A migration file's own revision and its parents, as alembic's script template writes them.
_REVISION = re.compile(r'^revision(?:: [^=]+)? = "([^"]+)"$', re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:: [^=]+)? = (.+)$", re.MULTILINE)


def _tune_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # busy_timeout makes writers queue instead of failing; set first, so that switching a new file to WAL (which
    # needs the lock) waits too. WAL lets readers proceed while a writer commits.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or set up; the message is one sentence for the operator."""


def create_engine_for(url: str, connect_timeout_seconds: int = 10) -> Engine:
    if url.startswith("sqlite"):
        # As many connections kept open as the server has request threads (anyio's 40): a connection made per
        # request beyond a smaller pool, with its PRAGMAs, was a tenth of a stored summary's cost under load.
        engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=40, max_overflow=0)
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    # Without a connect timeout, a server that accepts the connection but never answers hangs the start for good.
    timeout = {"connect_timeout": connect_timeout_seconds}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=timeout)


def migration_heads() -> set[str] | None:
    """The newest revisions of the migration history, read from the files' `revision` and `down_revision` lines;
    None when a file does not read as expected (alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down_revision = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down_revision is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r'"([^"]+)"', down_revision.group(1)))
    return (revisions - parents) or None


def _at_head(engine: Engine) -> bool:
    """Whether the database is stamped with the newest migration. Asked before alembic is imported and reads its
    scripts, which took about 0.1 s of every server start, when the schema is nearly always at head already."""
    heads = migration_heads()
    # Outside the try: a database that cannot be reached fails here as it would in alembic.
    with engine.connect() as connection:
        try:
            stamped = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
        except DBAPIError:  # no alembic_version table: a new database
            return False
    return heads is not None and stamped == heads


def upgrade_schema(engine: Engine) -> None:
    """Brings the schema to the newest migration; safe when several processes start at once."""
    for attempt in range(_SQLITE_ATTEMPTS):
        try:
            if not _at_head(engine):
                _upgrade(engine)
            return
        except OperationalError as error:
            # SQLite answers "database is locked" at once, busy_timeout or not, where waiting could deadlock
            # (seen about once in a hundred starts of four processes on a new file). The next attempt finds
            # the schema at head, or takes its turn.
            if engine.dialect.name != "sqlite" or "locked" not in str(error) or attempt == _SQLITE_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def _upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        # One migrator at a time; the others wait, then find the schema at head and do nothing.
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        elif connection.dialect.name == "sqlite":
            # The database's write lock, taken before alembic reads the version (it waits up to busy_timeout).
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def make_engine(url: str, connect_timeout_seconds: int = 10) -> Engine:
    """An engine for `url` with the schema at the newest migration."""
    engine = create_engine_for(url, connect_timeout_seconds)
    try:
        upgrade_schema(engine)
    except OperationalError as error:
        engine.dispose()
        where = engine.url.render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise StoreUnavailable(f"cannot use the database at {where} ({reason}); check PRECIS_DATABASE_URL.") from None
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def engine_of(sessions: sessionmaker[Session]) -> Engine:
    """The engine a session factory binds: a read that needs no ORM takes a connection from it, not a Session,
    which costs some 45 µs more to make, begin and close."""
    engine: Engine = sessions.kw["bind"]
    return engine


def insert_new_rows(
    session: Session, table: type[DeclarativeBase], rows: Sequence[Mapping[str, Any]], returning: Any = None
) -> list[Any]:
    """Inserts rows into the session's transaction, skipping any whose unique key another writer stored first
    (ON CONFLICT DO NOTHING), and returns the `returning` column of the rows it did insert. Checking before
    inserting could still lose a race with a writer committing in between (a batch beside the server)."""
    if not rows:
        return []
    # Imported here, from the dialect in use: PostgreSQL's took 35 ms of every start of a server on SQLite, which
    # never needs it (an engine on PostgreSQL has imported it already).
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    statement = insert(table).values(list(rows)).on_conflict_do_nothing()
    if returning is None:
        session.execute(statement)
        return []
    return list(session.scalars(statement.returning(returning)))
