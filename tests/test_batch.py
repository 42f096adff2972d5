"""The archive pre-summariser: resumable, exactly-once, on SQLite and on PostgreSQL."""

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.config import ModelConfig
from models.registry import Models, summariser_id, vectors_id
from models.related import vector_model_id
from models.sentences import split_sentences
from scripts.archive_sample import sample_archive
from service.batch.local import BatchPlan, run_batch
from service.settings import Settings
from service.store.articles import NewArticle, add_article
from service.store.cache import count_pending
from service.store.database import make_engine, make_session_factory
from service.store.tables import ArticleRow, ArticleVectorRow, SummaryRow
from tests.conftest import SharedData, api_client
from tests.server import running_server

ARCHIVE_SIZE = 200


def _lead(text: str, sentences: int = 4) -> str:
    """The article's first few sentences: the same kind of prose, at a fraction of the model time."""
    parts = split_sentences(text)[:sentences]
    return text[parts[0].start : parts[-1].end]


@pytest.fixture
def archive(database_url: str, shared: SharedData) -> sessionmaker[Session]:
    # An article and its first part share a lead: keep the first ARCHIVE_SIZE distinct ones.
    articles = sample_archive(2 * ARCHIVE_SIZE, shared.news_summaries)
    leads = {_lead(fields["text"]): fields for fields in reversed(articles)}
    sessions = make_session_factory(make_engine(database_url))
    with sessions() as session:
        for text, fields in list(reversed(leads.items()))[:ARCHIVE_SIZE]:
            add_article(session, NewArticle(**{**fields, "text": text}))
        assert session.scalar(select(func.count()).select_from(ArticleRow)) == ARCHIVE_SIZE
    return sessions


def _summary_counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """(rows, distinct keys) in the summary store."""
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(SummaryRow)) or 0
        keys = select(SummaryRow.content_hash, SummaryRow.model, SummaryRow.preset).distinct().subquery()
        return rows, session.scalar(select(func.count()).select_from(keys)) or 0


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_batch(database_url: str, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "batch", "--presets", "short", "--chunk-size", "8", *options],
        env={**os.environ, "PRECIS_DATABASE_URL": database_url, "PRECIS_RAY_WORKERS": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Its own process group, so that a local Ray cluster it starts can be killed with it.
        start_new_session=True,
        # A shell starts a background job (`pytest &`) with SIGINT ignored, and children inherit that; Python
        # turns Ctrl-C into KeyboardInterrupt only when SIGINT starts out at its default.
        preexec_fn=_default_sigint,
    )


def _wait_for_rows(sessions: sessionmaker[Session], at_least: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180
    while _summary_counts(sessions)[0] < at_least:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the batch stored nothing in time"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_killed_batch_resumes_without_loss_or_duplicates(database_url, archive, stop_signal) -> None:
    first = _start_batch(database_url)
    _wait_for_rows(archive, 16, first)
    first.send_signal(stop_signal)
    _, stderr = first.communicate(timeout=60)
    stored_before, _ = _summary_counts(archive)
    assert 16 <= stored_before < ARCHIVE_SIZE, "the batch was stopped mid-run"
    if stop_signal != signal.SIGKILL:  # Ctrl-C, or a service manager's stop
        assert first.returncode == 1 and "run the same command again" in stderr

    second = _start_batch(database_url)
    stdout, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stderr
    assert f"stored {ARCHIVE_SIZE - stored_before} summaries" in stdout
    assert _summary_counts(archive) == (ARCHIVE_SIZE, ARCHIVE_SIZE)


def test_rerun_stores_nothing_new_and_the_api_serves_the_stored_summaries(
    database_url, archive, models: Models
) -> None:
    plan = BatchPlan(presets=["short", "bullets"], limit=20)
    first = run_batch(archive, models, plan, progress=False)
    assert first.stored == {"short": 20, "bullets": 20}
    assert run_batch(archive, models, BatchPlan(presets=["short"], limit=20), progress=False).stored == {"short": 20}
    assert _summary_counts(archive) == (60, 60)
    with archive() as session:
        first = session.scalars(select(ArticleRow).order_by(ArticleRow.id)).first()
    with api_client(Settings(database_url=database_url), models) as client:
        body = client.get(f"/v1/articles/{first.id}/summary", params={"preset": "bullets"}).json()
    assert body["cached"] is True and body["style"] == "bullets" and body["sentences"]
    assert all(first.text[s["start"] : s["end"]] == s["text"] for s in body["sentences"])


def test_since_and_limit_select_the_work(database_url, archive, models: Models) -> None:
    since = datetime(2024, 7, 1, tzinfo=UTC)  # the sample archive has one article a day from 2024-01-01
    with archive() as session:
        newer = session.scalar(select(func.count()).where(ArticleRow.published_at >= since)) or 0
    assert 0 < newer < ARCHIVE_SIZE
    report = run_batch(archive, models, BatchPlan(presets=["short"], since=since), progress=False)
    assert report.stored == {"short": newer}
    with archive() as session:
        assert count_pending(session, models.summariser_id, ["short"], since) == 0
        assert count_pending(session, models.summariser_id, ["short"], None) == ARCHIVE_SIZE - newer


def test_concurrent_workers_do_not_collide(database_url, archive, models: Models) -> None:
    plan = BatchPlan(presets=["short"], limit=40, chunk_size=4)
    reports = []
    workers = [
        threading.Thread(target=lambda: reports.append(run_batch(archive, models, plan, progress=False)))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stored = sum(report.stored["short"] for report in reports)
    claimed = sum(report.articles for report in reports)
    assert len(reports) == 2 and 40 <= stored <= 80
    if database_url.startswith("postgresql"):
        assert stored == claimed  # row locks: no article is claimed twice
    else:
        assert stored <= claimed  # SQLite: one may compute what the other stores; never stored twice
    assert _summary_counts(archive) == (stored, stored)


def test_the_ids_stored_results_are_keyed_by_are_known_from_the_configuration(models: Models) -> None:
    # What lets the Ray driver list the pending work without loading a model.
    assert summariser_id(ModelConfig()) == models.summariser_id
    assert vectors_id(ModelConfig()) == vector_model_id(models.embedder.name)


@pytest.mark.slow
def test_ray_engine_runs_the_same_job(tmp_path, shared: SharedData) -> None:
    """A small local Ray run: two actors, one shared SQLite store, and a rerun that finds nothing to do."""
    database_url = f"sqlite:///{tmp_path / 'ray.db'}"
    sessions = make_session_factory(make_engine(database_url))
    with sessions() as session:
        for fields in sample_archive(24, shared.news_summaries):
            add_article(session, NewArticle(**{**fields, "text": _lead(fields["text"])}))
    env = {**os.environ, "PRECIS_DATABASE_URL": database_url, "PRECIS_RAY_WORKERS": "2"}
    command = [
        sys.executable,
        "-m",
        "service.cli",
        "batch",
        "--engine",
        "ray",
        "--presets",
        "short,bullets",
        "--chunk-size",
        "4",
    ]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    assert (
        "stored 48 summaries (short 24, bullets 24) for 24 articles and 24 related-article vectors, "
        "and the entities of 24 articles" in first.stdout
    )
    assert _summary_counts(sessions) == (48, 48)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ArticleVectorRow)) == 24
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert (
        "stored 0 summaries (short 0, bullets 0) for 0 articles and 0 related-article vectors, "
        "and the entities of 0 articles" in again.stdout
    )


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGINT])
def test_killed_ray_batch_resumes_without_loss_or_duplicates(tmp_path, stop_signal, shared: SharedData) -> None:
    """The Ray engine stopped mid-run: SIGINT to the driver (Ctrl-C), or SIGKILL to the driver and the local Ray
    cluster it started (a crash of the machine's job); the rerun on a fresh cluster stores exactly the rest."""
    database_url = f"sqlite:///{tmp_path / 'ray.db'}"
    sessions = make_session_factory(make_engine(database_url))
    with sessions() as session:
        for fields in sample_archive(ARCHIVE_SIZE // 2, shared.news_summaries):
            add_article(session, NewArticle(**{**fields, "text": _lead(fields["text"])}))
    first = _start_batch(database_url, "--engine", "ray", "--chunk-size", "4")
    try:
        _wait_for_rows(sessions, 8, first)
        if stop_signal == signal.SIGKILL:
            os.killpg(first.pid, signal.SIGKILL)
        else:
            first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    finally:
        _kill_group(first.pid)
    stored_before, _ = _summary_counts(sessions)
    assert 8 <= stored_before < ARCHIVE_SIZE // 2, "the batch was stopped mid-run"

    second = _start_batch(database_url, "--engine", "ray", "--chunk-size", "4")
    try:
        stdout, stderr = second.communicate(timeout=600)
    finally:
        _kill_group(second.pid)
    assert second.returncode == 0, stderr[-3000:]
    # An actor of the killed run can commit the chunk in hand before it notices that its driver is gone, so
    # the rerun may find a few more done than were counted above; it stores exactly what is still missing.
    stored_by_rerun = int(re.search(r"stored (\d+) summaries", stdout).group(1))  # type: ignore[union-attr]
    assert 0 < stored_by_rerun <= ARCHIVE_SIZE // 2 - stored_before
    assert _summary_counts(sessions) == (ARCHIVE_SIZE // 2, ARCHIVE_SIZE // 2)


def _kill_group(process_group: int) -> None:
    """Whatever of a run's Ray processes outlived it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process_group, signal.SIGKILL)


# The load: twelve clients beside the batch.
WRITERS, READERS = 4, 8


@pytest.mark.slow
def test_a_batch_beside_the_server_and_its_writers_causes_no_errors(database_url, archive, shared) -> None:
    """The issue's case: `precis batch` on the store a live `precis serve` writes to, with clients storing
    articles and asking for uncached summaries and answers the whole time. No 5xx, and every acknowledged write
    is there afterwards."""
    fresh = sample_archive(3 * ARCHIVE_SIZE, shared.news_summaries)[2 * ARCHIVE_SIZE :]
    statuses: list[int] = []
    created: list[int] = []
    with running_server(database_url, PRECIS_RATE_LIMIT="100000/minute") as server:
        batch = _start_batch(database_url, "--presets", "short,medium,bullets", "--chunk-size", "32")
        stop = threading.Event()

        def write(offset: int) -> None:
            with httpx.Client(base_url=server.url, headers=server.auth, timeout=120) as client:
                for fields in fresh[offset::WRITERS]:
                    if stop.is_set():
                        return
                    response = client.post("/v1/articles", json={**fields, "text": _lead(fields["text"], 3)})
                    statuses.append(response.status_code)
                    if response.status_code == 201:
                        created.append(response.json()["id"])

        def read(seed: int) -> None:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                article_id = seed
                while not stop.is_set():
                    article_id = article_id * 7 % ARCHIVE_SIZE + 1
                    summary = client.get(f"/v1/articles/{article_id}/summary", params={"preset": "bullets"})
                    answer = client.post(f"/v1/articles/{article_id}/answers", json={"question": f"Who? {seed}"})
                    statuses.extend([summary.status_code, answer.status_code])

        clients = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        clients += [threading.Thread(target=read, args=(i,)) for i in range(1, READERS + 1)]
        for client in clients:
            client.start()
        try:
            _, err = batch.communicate(timeout=600)
        finally:
            stop.set()
            for client in clients:
                client.join()
    assert batch.returncode == 0, err
    # 503 is the model queue saying "busy, retry" (back-pressure, tested on its own); any other 5xx is a failure.
    assert statuses and not [status for status in statuses if status >= 500 and status != 503], Counter(statuses)
    assert created
    with archive() as session:
        stored = set(session.scalars(select(ArticleRow.id).where(ArticleRow.id.in_(created))))
    assert stored == set(created)


def test_on_sqlite_the_batch_never_holds_the_write_lock_while_a_model_runs(tmp_path, models: Models, shared) -> None:
    """What keeps a server beside the batch from waiting (and, past busy_timeout, failing) on model work."""
    path = tmp_path / "archive.db"
    sessions = make_session_factory(make_engine(f"sqlite:///{path}"))
    with sessions() as session:
        for fields in sample_archive(6, shared.news_summaries):
            add_article(session, NewArticle(**fields))
    could_write: list[bool] = []

    class WritesWhileSummarising:
        """The real summariser; before it runs, another connection tries to take the write lock without waiting."""

        name = models.summariser.name

        def summarise_each(self, articles, presets):  # type: ignore[no-untyped-def]
            other = sqlite3.connect(path, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.rollback()
                could_write.append(True)
            except sqlite3.OperationalError:
                could_write.append(False)
            finally:
                other.close()
            return models.summariser.summarise_each(articles, presets)

    spied = replace(models, summariser=WritesWhileSummarising())
    report = run_batch(sessions, spied, BatchPlan(presets=["short"], chunk_size=2), progress=False)
    assert report.stored == {"short": 6}
    assert could_write == [True, True, True]
