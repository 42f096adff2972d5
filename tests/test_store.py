"""The store's schema: created once, however many processes start on a fresh database at the same moment, and
brought to the newest migration without loading alembic when it is there already."""

import multiprocessing
import subprocess
import sys
from pathlib import Path
from threading import Barrier

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from service.store.database import MIGRATIONS, make_engine, migration_heads

PROCESSES = 4


def _migrate(url: str, barrier: Barrier) -> str:
    barrier.wait()  # all at once, as uvicorn's workers start
    try:
        make_engine(url).dispose()
    except Exception as error:  # the test reports what went wrong in the child
        return f"{type(error).__name__}: {error}"
    return "ok"


@pytest.mark.parametrize("trial", range(5))
def test_processes_starting_on_a_fresh_sqlite_file_together_all_succeed(tmp_path: Path, trial: int) -> None:
    """`precis serve --workers N` on a new SQLite file: every worker runs the migrations at start. Before the
    write lock was taken first, nine trials in ten had a worker die on "table articles already exists"."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        barrier = manager.Barrier(PROCESSES)
        with context.Pool(PROCESSES) as pool:
            results = pool.starmap(_migrate, [(url, barrier)] * PROCESSES)
    assert results == ["ok"] * PROCESSES
    assert {"articles", "summaries", "answers", "article_vectors"} <= set(inspect(make_engine(url)).get_table_names())


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def test_the_heads_read_from_the_migration_files_are_alembics() -> None:
    assert migration_heads() == set(ScriptDirectory.from_config(_alembic_config()).get_heads())


def test_a_database_at_an_older_migration_is_upgraded_to_the_newest(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    make_engine(database_url).dispose()
    with engine.connect() as connection:
        assert set(connection.scalars(text("SELECT version_num FROM alembic_version"))) == migration_heads()
    assert {"article_entities", "recognised_texts"} <= set(inspect(engine).get_table_names())
    engine.dispose()


# Run as `python -c PROGRAM DATABASE_URL`: opens the store, stores a summary (an INSERT ... ON CONFLICT, which each
# dialect writes its own way) and prints which of alembic and PostgreSQL's dialect the process then holds.
_OPEN_AND_WRITE = """
import sys
from service.store.cache import get_summary, put_summary
from service.store.database import make_engine, make_session_factory

engine = make_engine(sys.argv[1])
with make_session_factory(engine)() as session:
    put_summary(session, "hash", "model", "short", {"sentences": []})
    put_summary(session, "hash", "model", "short", {"sentences": []})
    session.commit()
    assert get_summary(session, "hash", "model", "short") == {"sentences": []}
engine.dispose()
print(" ".join(name for name in ("alembic", "sqlalchemy.dialects.postgresql") if name in sys.modules))
"""


def test_a_store_at_the_newest_migration_opens_and_writes_without_alembic_or_another_dialect(database_url: str) -> None:
    make_engine(database_url).dispose()
    opened = subprocess.run(
        [sys.executable, "-c", _OPEN_AND_WRITE, database_url], capture_output=True, text=True, check=True
    )
    # The PostgreSQL dialect is imported by an engine on PostgreSQL, and only there.
    expected = [] if database_url.startswith("sqlite") else ["sqlalchemy.dialects.postgresql"]
    assert opened.stdout.split() == expected
