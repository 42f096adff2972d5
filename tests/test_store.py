"""The store's schema: created once, however many processes start on a fresh database at the same moment."""

import multiprocessing
from pathlib import Path
from threading import Barrier

import pytest
from sqlalchemy import inspect

from service.store.database import make_engine

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
