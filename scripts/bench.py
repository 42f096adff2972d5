"""Speed and memory of Precis on this machine. Three benchmarks, each printing a JSON report:

    python -m scripts.bench models   # load time, uncached summary / answer latency (~600-word articles), RSS
    python -m scripts.bench batch    # archive pre-summariser vs a naive per-article loop, same articles, same run
    python -m scripts.bench http     # cached summary over HTTP: p50 latency, requests/s with a concurrent client

`http` measures throughput with wrk (Debian package `wrk`) against `precis serve --workers N`.
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.archive_sample import NEWS_SUMMARIES, sample_archive

QUESTIONS = [
    "Who is the article about?",
    "When did it happen?",
    "Where did it happen?",
    "How many people were involved?",
    "What did the police say?",
]


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def articles_near(path: Path, words: int, count: int) -> list[str]:
    """The `count` articles whose length is closest to `words`."""
    texts = [json.loads(line)["article"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    return sorted(texts, key=lambda text: abs(len(text.split()) - words))[:count]


def timed_ms(function: Callable[..., Any], *args: Any) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def _load_models():  # type: ignore[no-untyped-def]
    from service.model_loading import load_models
    from service.settings import Settings

    return load_models(Settings())


def bench_models(args: argparse.Namespace) -> dict[str, Any]:
    from models.entity_answers import EntityAnswerFinder, load_ner
    from models.presets import load_presets

    started = time.perf_counter()
    models = _load_models()
    load_seconds = time.perf_counter() - started
    rss_after_load = rss_mib()
    texts = articles_near(args.data, 600, args.articles)
    preset = load_presets()["medium"]
    summary_ms = [
        timed_ms(models.summariser.summarise, text, None, preset) for _ in range(args.repeats) for text in texts
    ]
    answer_ms = [
        timed_ms(models.answers.answer, text, question)
        for _ in range(args.repeats)
        for text in texts
        for question in QUESTIONS
    ]
    # The previous answer method (entity narrowing, no reader) in the same run: the baseline for the reader's cost.
    previous = EntityAnswerFinder(models.embedder, load_ner())
    previous_ms = [
        timed_ms(previous.answer, text, question)
        for _ in range(args.repeats)
        for text in texts
        for question in QUESTIONS
    ]
    return {
        "model_load_s": round(load_seconds, 2),
        "rss_after_load_mib": round(rss_after_load),
        "rss_after_runs_mib": round(rss_mib()),
        "article_words_mean": round(statistics.mean(len(t.split()) for t in texts)),
        "summary_ms_p50": round(percentile(summary_ms, 0.5), 1),
        "summary_ms_p95": round(percentile(summary_ms, 0.95), 1),
        "answer_ms_p50": round(percentile(answer_ms, 0.5), 1),
        "answer_ms_p95": round(percentile(answer_ms, 0.95), 1),
        "previous_answer_ms_p50": round(percentile(previous_ms, 0.5), 1),
        "summaries_timed": len(summary_ms),
        "answers_timed": len(answer_ms),
    }


def _archive_database(directory: Path, name: str, count: int) -> str:
    from service.store.articles import NewArticle, add_article
    from service.store.database import make_engine, make_session_factory

    url = f"sqlite:///{directory / name}"
    with make_session_factory(make_engine(url))() as session:
        for fields in sample_archive(count):
            add_article(session, NewArticle(**fields))
    return url


def bench_batch(args: argparse.Namespace) -> dict[str, Any]:
    from service.batch.local import BatchPlan, run_batch
    from service.operations import summarise_article
    from service.settings import Settings
    from service.store.database import make_engine, make_session_factory
    from service.store.tables import ArticleRow

    presets = args.presets.split(",")
    models = _load_models()
    with tempfile.TemporaryDirectory() as directory:
        naive_url = _archive_database(Path(directory), "naive.db", args.articles)
        batch_url = _archive_database(Path(directory), "batch.db", args.articles)
        naive_sessions = make_session_factory(make_engine(naive_url))
        settings = Settings(database_url=naive_url)
        with naive_sessions() as session:
            rows = session.query(ArticleRow).order_by(ArticleRow.id).all()
            words = statistics.mean(len(row.text.split()) for row in rows)
            started = time.perf_counter()
            # What a client calling the API for every article and preset would cause: one at a time.
            for row in rows:
                for preset in presets:
                    summarise_article(session, models, settings, row, preset)
            naive_seconds = time.perf_counter() - started
        report = run_batch(make_session_factory(make_engine(batch_url)), models, BatchPlan(presets=presets))
    return {
        "articles": args.articles,
        "article_words_mean": round(words),
        "presets": presets,
        "naive_loop_articles_per_s": round(args.articles / naive_seconds, 1),
        "batch_articles_per_s": round(report.articles / report.seconds, 1),
        "speedup": round(naive_seconds / report.seconds, 2),
        "summaries_stored": report.total,
    }


def _wrk_requests_per_second(url: str, seconds: int, connections: int) -> float | None:
    if shutil.which("wrk") is None:
        return None
    command = ["wrk", f"-t{2}", f"-c{connections}", f"-d{seconds}s", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    return float(match.group(1)) if match else None


def bench_http(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    from service.batch.local import BatchPlan, run_batch
    from service.store.database import make_engine, make_session_factory
    from tests.server import running_server

    with tempfile.TemporaryDirectory() as directory:
        url = _archive_database(Path(directory), "http.db", 50)
        run_batch(make_session_factory(make_engine(url)), _load_models(), BatchPlan(presets=["medium"]), False)
        with running_server(url, args.workers) as server, httpx.Client(base_url=server.url) as client:
            paths = [f"/v1/articles/{article_id}/summary" for article_id in range(1, 51)]
            assert client.get(paths[0]).json()["cached"] is True
            latencies = [timed_ms(client.get, paths[i % len(paths)]) for i in range(args.requests)]
            throughput = _wrk_requests_per_second(f"{server.url}{paths[0]}", args.seconds, args.connections)
    return {
        "workers": args.workers,
        "cached_summary_ms_p50": round(percentile(latencies, 0.5), 2),
        "cached_summary_ms_p95": round(percentile(latencies, 0.95), 2),
        "requests_timed": len(latencies),
        "wrk_connections": args.connections,
        "requests_per_s": round(throughput) if throughput else "wrk not installed (apt-get install wrk)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Precis benchmarks; each prints a JSON report.")
    benches = parser.add_subparsers(dest="bench", required=True)
    models = benches.add_parser("models", help="model load, uncached summary and answer latency, memory")
    models.add_argument("--data", type=Path, default=NEWS_SUMMARIES, help="JSONL with an 'article' field")
    models.add_argument("--articles", type=int, default=20, help="how many ~600-word articles to time")
    models.add_argument("--repeats", type=int, default=3)
    models.set_defaults(run=bench_models)
    batch = benches.add_parser("batch", help="the archive pre-summariser against a naive per-article loop")
    batch.add_argument("--articles", type=int, default=500)
    batch.add_argument("--presets", default="short,bullets")
    batch.set_defaults(run=bench_batch)
    http = benches.add_parser("http", help="cached summaries over HTTP")
    http.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    http.add_argument("--requests", type=int, default=1000, help="sequential requests for the latency figure")
    http.add_argument("--connections", type=int, default=32, help="wrk's concurrent connections")
    http.add_argument("--seconds", type=int, default=10, help="how long wrk runs")
    http.set_defaults(run=bench_http)
    args = parser.parse_args()
    print(json.dumps(args.run(args), indent=2))


if __name__ == "__main__":
    main()
