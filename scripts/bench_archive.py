"""Archive search and asking the archive, measured on data nothing in Precis was tuned on:

    python -m scripts.bench_archive search   # find each of the 151 shared news articles from one of its reference
                                              # highlights: recall@10 and MRR, keyword-only, meaning-only, fused
    python -m scripts.bench_archive ask      # tests/data/archive_questions.jsonl over the same 151 articles: the
                                              # right article cited, answer EM/F1, no_answer on unanswerable ones
    python -m scripts.bench_archive scale    # the vector index at 10^6 synthetic vectors: build, memory, search
                                              # and related p50 (python -m scripts.bench_archive scale --n 1000000)

Each prints a markdown table. The 151 articles are stored in a temporary SQLite database through the product's own
store path (service/operations.store_article), with their headlines from the URL slug as in `precis eval`.
"""

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.registry import Models
from models.sentences import split_sentences
from models.squad import squad_em_f1
from scripts.bench import percentile, rss_mib
from service.archive.answers import answer_from_archive
from service.archive.index import ArchiveIndex, archive_index_for, open_archive_index
from service.archive.search import SearchMode, search_articles
from service.evaluation.data import load_news
from service.model_loading import load_models
from service.operations import store_article
from service.related import related_articles
from service.settings import Settings
from service.store import vectors
from service.store.articles import NewArticle, get_article
from service.store.database import make_engine, make_session_factory
from service.store.tables import ArticleRow, ArticleVectorRow

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "archive_questions.jsonl"


@dataclass
class Archive:
    settings: Settings
    models: Models
    session: Session
    index: ArchiveIndex
    # The shared set's article id (e.g. "cnn-test-…") → its id in the store.
    ids: dict[str, int]


@contextmanager
def shared_archive() -> Iterator[Archive]:
    """The 151 shared news articles, stored with their vectors in a new SQLite database."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/archive.db", index_dir=Path(folder) / "index")
        models = load_models(settings)
        with make_session_factory(make_engine(settings.database_url))() as session:
            ids = {}
            for item in load_news():
                article = NewArticle(title=item.title or "Untitled", text=item.article)
                row, _ = store_article(session, article, settings.max_text_chars, models)
                ids[item.id] = row.id
            index = open_archive_index(settings, models, session)
            yield Archive(settings, models, session, index, ids)


def bench_search(limit: int = 10) -> None:
    with shared_archive() as archive:
        # Every reference highlight of every article is a query; the fusion weights were chosen on the odd-numbered
        # articles' (prompts/ranking.toml [search]), so the even-numbered ones are reported apart.
        queries = [
            (position % 2 == 0, archive.ids[item.id], highlight.text)
            for position, item in enumerate(load_news())
            for highlight in split_sentences(item.reference)
        ]
        print(f"{len(queries)} queries (the reference highlights), {len(archive.ids)} articles\n")
        print("| ranking | recall@1 | recall@10 | MRR@10 | MRR@10, held-out half | p50 ms |")
        print("|---|---|---|---|---|---|")
        for mode in SearchMode:
            ranks, held_out, times = [], [], []
            for unseen, wanted, query in queries:
                started = time.perf_counter()
                hits = search_articles(archive.session, archive.models, archive.index, query, limit, mode)
                times.append((time.perf_counter() - started) * 1000)
                found = [hit.article.id for hit in hits]
                rank = 1 / (found.index(wanted) + 1) if wanted in found else 0.0
                ranks.append(rank)
                if unseen:
                    held_out.append(rank)
            print(
                f"| {mode.value} | {sum(r == 1 for r in ranks) / len(ranks):.3f} "
                f"| {sum(r > 0 for r in ranks) / len(ranks):.3f} | {statistics.mean(ranks):.4f} "
                f"| {statistics.mean(held_out):.4f} | {statistics.median(times):.1f} |"
            )


def bench_ask() -> None:
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with shared_archive() as archive:
        cited, em, f1, answered_unanswerable, unsure_unanswerable, times = 0, 0.0, 0.0, 0, 0, []
        given, unsure, wrong = 0, 0, 0
        answerable = [q for q in questions if q["article_id"]]
        for question in questions:
            started = time.perf_counter()
            answer = answer_from_archive(
                archive.session, archive.models, archive.index, archive.settings, question["question"]
            )
            times.append((time.perf_counter() - started) * 1000)
            if question["article_id"] is None:
                answered_unanswerable += answer.answer is not None
                unsure_unanswerable += answer.reason == "not_sure"
                continue
            # The article cited for the answer, or for the span offered as "not sure".
            right = answer.article_id == archive.ids[question["article_id"]]
            cited += right
            exact, overlap = squad_em_f1(answer.answer if right else None, question["answers"])
            em, f1 = em + exact, f1 + overlap
            given += answer.answer is not None
            unsure += answer.reason == "not_sure"
            wrong += answer.answer is not None and overlap == 0
        unanswerable = len(questions) - len(answerable)
        print(f"{len(answerable)} answerable and {unanswerable} unanswerable questions, {len(archive.ids)} articles\n")
        print(
            "| right article cited (answer or not sure) | answered | wrong among given | not sure | EM | F1 "
            "| unanswerable: answered / not sure | p50 ms | p95 ms |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        print(
            f"| {cited / len(answerable):.3f} ({cited}/{len(answerable)}) | {given}/{len(answerable)} "
            f"| {wrong}/{given} | {unsure}/{len(answerable)} | {em / len(answerable):.3f} "
            f"| {f1 / len(answerable):.3f} | {answered_unanswerable}/{unanswerable} / {unsure_unanswerable} "
            f"| {statistics.median(times):.0f} | {percentile(times, 0.95):.0f} |"
        )


def synthetic_archive(database_url: str, count: int, model_id: str, dimension: int, seed: int = 0) -> None:
    """`count` articles of words drawn from the shared news articles' vocabulary (Zipf-like, as real text is), each
    with a unit vector near one of 2 000 topic centres, written straight into the store's tables (the triggers of
    migration 0005 fill the full-text index as for any insert)."""
    rng = np.random.default_rng(seed)
    words = [word for item in load_news() for word in item.article.split() if word.isalpha()]
    vocabulary, counts = np.unique(np.array(words), return_counts=True)
    weights = counts / counts.sum()
    centres = rng.standard_normal((2_000, dimension)).astype(np.float32)
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for first in range(0, count, 10_000):
            size = min(10_000, count - first)
            picks = rng.choice(len(vocabulary), size=(size, 48), p=weights)
            vectors = centres[rng.integers(0, len(centres), size)] + 0.6 * rng.standard_normal((size, dimension))
            vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype("<f4")
            hashes = [f"synthetic-{first + row}" for row in range(size)]
            connection.execute(
                ArticleRow.__table__.insert(),
                [
                    {
                        "content_hash": hashes[row],
                        "title": " ".join(vocabulary[picks[row, :8]]).capitalize(),
                        "text": " ".join(vocabulary[picks[row, 8:]]) + ".",
                        "created_at": now,
                    }
                    for row in range(size)
                ],
            )
            connection.execute(
                ArticleVectorRow.__table__.insert(),
                [
                    {"content_hash": digest, "model": model_id, "vector": vectors[row].tobytes(), "created_at": now}
                    for row, digest in enumerate(hashes)
                ],
            )
    engine.dispose()


def index_recall(session: Session, index: ArchiveIndex, queries: int = 200) -> float:
    """The index's recall@10 against exact search over every stored vector, for stored vectors moved slightly
    (a new article close to an old one)."""
    chunks = list(vectors.vector_chunks(session, index.model_id, 50_000))
    ids = np.concatenate([chunk_ids for chunk_ids, _ in chunks])
    matrix = np.concatenate([chunk for _, chunk in chunks])
    rng = np.random.default_rng(5)
    near = matrix[rng.choice(len(ids), queries, replace=False)]
    near = near + 0.02 * rng.standard_normal(near.shape).astype(np.float32)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    found = 0
    for query in near:
        exact = set(ids[np.argpartition(-(matrix @ query), 10)[:10]].tolist())
        found += len(exact & {article_id for article_id, _ in index.nearest(query, 10)})
    return found / (10 * queries)


def bench_scale(count: int, keep: Path | None) -> None:
    """With `keep`, the synthetic store and its index stay in that folder, and a second run there reuses them
    (loading the saved index instead of building it)."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        settings = Settings(database_url=f"sqlite:///{folder}/scale.db", index_dir=folder / "index")
        models = load_models(settings)
        index = archive_index_for(settings, models)
        written = None
        if not (folder / "scale.db").exists():
            started = time.perf_counter()
            synthetic_archive(settings.database_url, count, index.model_id, index.dimension)
            written = time.perf_counter() - started
        with make_session_factory(make_engine(settings.database_url))() as session:
            count = int(session.scalar(select(func.count()).select_from(ArticleRow)) or 0)
            before = rss_mib()
            started = time.perf_counter()
            built = index.open(session)
            opened = time.perf_counter() - started
            index_mib = rss_mib() - before
            file_mib = sum(path.stat().st_size for path in (folder / "index").rglob("*.usearch")) / 2**20
            queries = [split_sentences(item.reference)[0].text for item in load_news()]
            search_ms = []
            for query in queries:
                started = time.perf_counter()
                search_articles(session, models, index, query, 10)
                search_ms.append((time.perf_counter() - started) * 1000)
            recall = index_recall(session, index)
            rng = np.random.default_rng(1)
            related_ms = []
            for article_id in rng.integers(1, count + 1, 200):
                article = get_article(session, int(article_id))
                started = time.perf_counter()
                related_articles(session, models, index, article, 5)
                related_ms.append((time.perf_counter() - started) * 1000)
    stored = f"stored in {written:.0f} s" if written is not None else "stored by an earlier run"
    print(f"{count:,} synthetic articles ({stored}), {len(queries)} search queries, 200 related\n")
    print("| index ready | index memory (RSS) | index file | recall@10 | search p50 / p95 | related p50 / p95 |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {'built' if built else 'loaded'} in {opened:.0f} s | {index_mib:.0f} MiB | {file_mib:.0f} MiB "
        f"| {recall:.3f} "
        f"| {statistics.median(search_ms):.1f} / {percentile(search_ms, 0.95):.1f} ms "
        f"| {statistics.median(related_ms):.1f} / {percentile(related_ms, 0.95):.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    benchmarks = parser.add_subparsers(dest="benchmark", required=True)
    benchmarks.add_parser("search", help="search quality by ranking")
    benchmarks.add_parser("ask", help="asking the archive: citations and answers")
    scale = benchmarks.add_parser("scale", help="search and related articles over a synthetic archive")
    scale.add_argument("--n", type=int, default=1_000_000, help="articles (default 1 000 000)")
    scale.add_argument("--keep", type=Path, help="a folder to keep the synthetic store and index in, and reuse")
    arguments = parser.parse_args()
    if arguments.benchmark == "scale":
        bench_scale(arguments.n, arguments.keep)
    else:
        {"search": bench_search, "ask": bench_ask}[arguments.benchmark]()


if __name__ == "__main__":
    main()
