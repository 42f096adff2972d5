"""The archive pre-summariser behind `precis batch`: every stored article gets its summaries before readers ask.

Exactly-once, resumable: work is done in chunks, each in one transaction that claims its articles
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers never take the same article; on SQLite
the database's single write lock is taken only to store, never while a model runs, so the server beside it keeps
writing), computes their summaries and stores them. A chunk is stored whole or not at
all, so a run killed at any moment loses nothing that was committed and the next run starts with what is
still missing. The unique key on (content hash, model, preset) stops a second copy whatever happens.
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from models.entities import find_entities
from models.presets import load_presets
from models.registry import Models
from models.results import Article, Summary
from service.entities import store_missing_entities
from service.operations import stored_payload, summary_response
from service.related import store_missing_vectors
from service.store import cache
from service.store.tables import ArticleRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchPlan:
    presets: Sequence[str]
    since: datetime | None = None
    limit: int | None = None  # at most this many articles in this run
    chunk_size: int = 32


@dataclass
class BatchReport:
    stored: dict[str, int] = field(default_factory=dict)  # preset -> summaries stored by this run
    articles: int = 0
    vectors: int = 0  # related-article vectors stored by this run
    entities: int = 0  # articles whose entities this run stored
    seconds: float = 0.0
    summarising_seconds: float = 0.0  # of which the summaries (then come vectors and entities)

    @property
    def total(self) -> int:
        return sum(self.stored.values())

    def add(self, stored: dict[str, int]) -> None:
        for preset, count in stored.items():
            self.stored[preset] = self.stored.get(preset, 0) + count


def summarise_rows(models: Models, rows: Sequence[ArticleRow], preset_names: Sequence[str]) -> list[list[Summary]]:
    """One summary per preset for each row, through the summariser's batch path (the extractive one embeds all
    the chunk's sentences in one pass and reuses the vectors for every preset)."""
    presets = [load_presets()[name] for name in preset_names]
    return models.summariser.summarise_each([Article(row.text, row.title) for row in rows], presets)


def summarise_chunk(
    session: Session,
    models: Models,
    presets: Sequence[str],
    since: datetime | None,
    size: int,
    only_ids: Sequence[int] | None = None,
) -> tuple[int, dict[str, int]]:
    """Claims up to `size` pending articles, summarises and stores them in one transaction.

    Returns the number of articles claimed and the summaries stored per preset."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    query = cache.pending_articles(models.summariser_id, presets, since)
    if only_ids is not None:
        query = query.where(ArticleRow.id.in_(only_ids))
    # PostgreSQL: row locks claim the chunk, so concurrent workers never take the same article, while the
    # server goes on writing everything else. SQLite has only the one lock for the whole database: it is taken
    # after the models have run, just to store, so that a server beside the batch never waits on a model.
    if not sqlite:
        query = query.with_for_update(skip_locked=True, of=ArticleRow)
    rows = session.scalars(query.limit(size)).all()
    if not rows:
        session.rollback()
        return 0, {}
    started = time.perf_counter()
    summaries = summarise_rows(models, rows, presets)
    elapsed_ms = round((time.perf_counter() - started) * 1000 / len(rows), 2)
    if sqlite:
        # Two SQLite workers may have computed the same article; whichever stores second stores nothing.
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    done = cache.stored_keys(session, [row.content_hash for row in rows], models.summariser_id, presets)
    new = [
        (row.content_hash, preset, stored_payload(summary_response(summary, row.language, elapsed_ms)))
        for row, by_preset in zip(rows, summaries, strict=True)
        for preset, summary in zip(presets, by_preset, strict=True)
        if (row.content_hash, preset) not in done
    ]
    cache.add_summaries(session, models.summariser_id, new)
    session.commit()
    stored = dict.fromkeys(presets, 0)
    for _, preset, _ in new:
        stored[preset] += 1
    return len(rows), stored


def run_batch(sessions: sessionmaker[Session], models: Models, plan: BatchPlan, progress: bool = True) -> BatchReport:
    """Summarises every article that lacks a stored summary for any of the plan's presets."""
    report = BatchReport(stored=dict.fromkeys(plan.presets, 0))
    started = time.perf_counter()
    with sessions() as session:
        pending = cache.count_pending(session, models.summariser_id, plan.presets, plan.since)
    total = min(pending, plan.limit) if plan.limit is not None else pending
    with tqdm(total=total, desc="summarising", unit=" articles", disable=not progress) as bar:
        while report.articles < total:
            with sessions() as session:
                claimed, stored = summarise_chunk(
                    session, models, plan.presets, plan.since, min(plan.chunk_size, total - report.articles)
                )
            if claimed == 0:  # other workers took the rest
                break
            report.articles += claimed
            report.add(stored)
            bar.update(claimed)
    report.summarising_seconds = time.perf_counter() - started
    # Related-article vectors and entities as well, so that no reader's request has to fill them in. spaCy is
    # loaded in this process only if some article lacks its entities.
    with sessions() as session:
        report.vectors = store_missing_vectors(session, models)
        report.entities = store_missing_entities(session, find_entities)
    report.seconds = time.perf_counter() - started
    log.info(
        "batch done",
        extra={
            "articles": report.articles,
            "stored": report.stored,
            "entities": report.entities,
            "seconds": report.seconds,
        },
    )
    return report
