"""Speed and memory of Precis on this machine, competitors in the same run. Four benchmarks:

    python -m scripts.bench models   # the table and charts: latency vs the FLOP bound, vs article length, against
                                     # sentence-transformers and sumy LexRank; start-up and memory of `precis serve`
    python -m scripts.bench batch    # archive pre-summariser vs a naive per-article loop, same articles, same run
    python -m scripts.bench http     # cached summary over HTTP: p50 latency, requests/s with a concurrent client
    python -m scripts.bench startup  # `precis serve` second starts: launch -> /readyz 200, RSS after load

`models` prints one table and writes docs/bench-latency.png and docs/bench-flops.png (needs the `bench` extra:
pip install -e '.[bench]'); `batch`, `http` and `startup` print a JSON report. `http` measures throughput with wrk
(Debian package `wrk`) against `precis serve --workers N`.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from scripts.archive_sample import NEWS_SUMMARIES, sample_archive

QUESTIONS = [
    "Who is the article about?",
    "When did it happen?",
    "Where did it happen?",
    "How many people were involved?",
    "What did the police say?",
]
DOCS = Path(__file__).resolve().parent.parent / "docs"
# Article lengths (words) of the latency-against-length curves.
LENGTHS = (600, 2_500, 5_000, 10_000, 20_000)
# sumy's LexRank compares every pair of sentences in Python: minutes beyond this.
LEXRANK_MAX_WORDS = 5_000
MIXED_REQUESTS = 500
# For a server every benchmark request reaches from 127.0.0.1: the per-address rate limit would be all it measured.
NO_RATE_LIMIT = {"PRECIS_RATE_LIMIT": "100000000/minute"}


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def news_articles(path: Path) -> list[str]:
    return [json.loads(line)["article"] for line in path.read_text(encoding="utf-8").splitlines() if line]


def articles_near(path: Path, words: int, count: int) -> list[str]:
    """The `count` articles whose length is closest to `words`."""
    return sorted(news_articles(path), key=lambda text: abs(len(text.split()) - words))[:count]


def article_of(words: int, articles: list[str]) -> str:
    """One article of about `words` words: the shared articles one after another, whole, up to that length."""
    chosen: list[str] = []
    for text in articles:
        if chosen and sum(len(t.split()) for t in chosen) + len(text.split()) / 2 > words:
            break
        chosen.append(text)
    return "\n".join(chosen)


def timed_ms(function: Callable[..., Any], *args: Any) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def _load_models(**settings: Any):  # type: ignore[no-untyped-def]
    """The served models, or with these settings changed."""
    from service.model_loading import load_models
    from service.settings import Settings

    return load_models(Settings(**settings))


def mflop_per_token(model_dir: Path) -> float:
    """Multiply-adds x 2 of a BERT encoder's projections and feed-forward layers, per token (attention scores, which
    grow with the sentence, add under 2% on news sentences)."""
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    hidden, inner = config["hidden_size"], config["intermediate_size"]
    return 2 * config["num_hidden_layers"] * (4 * hidden * hidden + 2 * hidden * inner) / 1e6


def peak_gflops(threads: int, rows: int = 2048) -> float:
    """What ONNX Runtime achieves here on one fp32 matmul of MiniLM's feed-forward shape: the best of 40 runs."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    hidden, inner = 384, 1536
    weights = numpy_helper.from_array(np.random.default_rng(0).standard_normal((hidden, inner), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, hidden])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, inner])],
        [weights],
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(
        helper.make_model(graph).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    x = np.random.default_rng(1).standard_normal((rows, hidden), np.float32)
    best = min(timed_ms(session.run, None, {"x": x}) for _ in range(40))
    onnx.checker.check_model(helper.make_model(graph))
    return 2 * rows * hidden * inner / (best / 1000) / 1e9


def slope(words: list[int], ms: list[float]) -> tuple[float, float]:
    """(ms per 1,000 words, ms at 0 words) of the least-squares line."""
    per_thousand, at_zero = np.polyfit(np.array(words) / 1000, np.array(ms), 1)
    return float(per_thousand), float(at_zero)


def bench_serving(texts: list[str]) -> dict[str, Any]:
    """Start-up and memory of a real `precis serve`: a first start (empty ONNX cache, the graphs exported by a child
    process), then second starts; RSS after load and after MIXED_REQUESTS requests (uncached summaries and answers
    of different texts, stored articles' cached summaries)."""
    import httpx

    from tests.server import running_server

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'serve.db'}"
        with running_server(url, XDG_CACHE_HOME=str(Path(directory) / "cache")) as server:
            figures["first_start_s"], figures["first_start_rss_mib"] = server.ready_seconds, rss_mib(server.pid)
        launches = []
        for _ in range(2):
            with running_server(url) as server:
                launches.append(server.ready_seconds)
        with (
            running_server(url, **NO_RATE_LIMIT) as server,
            httpx.Client(base_url=server.url, headers=server.auth, timeout=120) as client,
        ):
            pid = server.pid
            launches.append(server.ready_seconds)
            figures["rss_after_load_mib"] = rss_mib(pid)
            ids = [
                client.post("/v1/articles", json={"title": f"Article {i}", "text": text}).json()["id"]
                for i, text in enumerate(texts)
            ]
            for i in range(MIXED_REQUESTS):
                text, kind = texts[i % len(texts)], i % 4
                if kind == 0:  # uncached: the text is new to the store
                    response = client.post("/v1/summaries", json={"text": f"{text}\nRequest {i}."})
                elif kind == 1:
                    response = client.post("/v1/answers", json={"text": text, "question": QUESTIONS[i % 5]})
                elif kind == 2:
                    response = client.post(f"/v1/articles/{ids[i % len(ids)]}/answers", json={"question": QUESTIONS[0]})
                else:
                    response = client.get(f"/v1/articles/{ids[i % len(ids)]}/summary")
                response.raise_for_status()
            figures["rss_after_requests_mib"] = rss_mib(pid)
        figures["launch_s"] = statistics.median(launches)
    return figures


def bench_models(args: argparse.Namespace) -> dict[str, Any]:
    # Torch (sentence-transformers) runs in this process too: its OpenMP threads must not spin after each call,
    # stealing the cores from the next system timed.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from sentence_transformers import SentenceTransformer

    from models.answers import text_index
    from models.embedder import MAX_TOKENS, bundled_minilm_path, length_batches
    from models.extractive import candidate_count
    from models.presets import load_presets, load_ranking
    from models.sentences import split_sentences
    from service.evaluation.baselines import sumy_picker

    started = time.perf_counter()
    models = _load_models()
    load_seconds = time.perf_counter() - started
    # The other precision of each model: the embedder in fp32 (PRECIS_EMBEDDER_INT8=false), the reader in int8
    # (PRECIS_READER_INT8=true).
    other = _load_models(embedder_int8=False, reader_int8=True)
    embedder = models.embedder
    # The best the machine did in this run: measured before the timings and after them, since load on the shared
    # machine comes and goes.
    peak_before = peak_gflops(embedder.threads)
    per_token = mflop_per_token(bundled_minilm_path())
    texts = articles_near(args.data, 600, args.articles)
    preset = load_presets()["medium"]
    cap = candidate_count(preset.sentences, load_ranking()["summary"])
    lexrank = sumy_picker("lexrank")
    competitor = SentenceTransformer(str(bundled_minilm_path()), device="cpu")

    def competitor_embed(sentences: list[str]) -> None:
        competitor.encode(sentences, batch_size=32, normalize_embeddings=True)

    def lexrank_summary(text: str) -> None:
        lexrank(split_sentences(text), preset.sentences)

    # Every system on every article in turn, round after round: the machine's load falls on all alike.
    timings: dict[str, list[float]] = {
        key: []
        for key in (
            *("summary", "embed", "summary_fp32", "embed_fp32", "st_same", "st_all", "lexrank"),
            *("answer_first", "answer_next", "answer_int8_first", "answer_int8_next"),
        )
    }
    tokens, padded = [], []
    for text in texts:
        ids = embedder.tokenizer.ids([s.text for s in split_sentences(text, cap)], MAX_TOKENS)
        lengths = [len(row) for row in ids]
        tokens.append(sum(lengths))
        padded.append(sum(len(b) * max(lengths[i] for i in b) for b in length_batches(lengths, embedder.batch_size)))
    for _ in range(args.repeats):
        for text in texts:
            sentences = [s.text for s in split_sentences(text)]
            timings["summary"].append(timed_ms(models.summariser.summarise, text, None, preset))
            timings["embed"].append(timed_ms(embedder.embed, sentences[:cap]))
            timings["summary_fp32"].append(timed_ms(other.summariser.summarise, text, None, preset))
            timings["embed_fp32"].append(timed_ms(other.embedder.embed, sentences[:cap]))
            timings["st_same"].append(timed_ms(competitor_embed, sentences[:cap]))
            timings["st_all"].append(timed_ms(competitor_embed, sentences))
            timings["lexrank"].append(timed_ms(lexrank_summary, text))
            text_index.cache_clear()  # a text never asked about
            timings["answer_first"].append(timed_ms(models.answers.answer, text, QUESTIONS[0]))
            timings["answer_next"].extend(timed_ms(models.answers.answer, text, q) for q in QUESTIONS[1:])
            text_index.cache_clear()
            timings["answer_int8_first"].append(timed_ms(other.answers.answer, text, QUESTIONS[0]))
            timings["answer_int8_next"].extend(timed_ms(other.answers.answer, text, q) for q in QUESTIONS[1:])
    p50 = {key: percentile(values, 0.5) for key, values in timings.items()}
    peak = max(peak_before, peak_gflops(embedder.threads))
    bounds = [count * per_token / peak for count in padded]  # MFLOP / GFLOPS = ms

    shared = news_articles(args.data)
    curves: dict[str, list[float]] = {
        key: [] for key in ("summary", "answer_first", "answer_next", "st_all", "lexrank")
    }
    words = []
    for length in LENGTHS:
        text = article_of(length, shared)
        words.append(len(text.split()))
        sentences = [s.text for s in split_sentences(text)]
        curves["summary"].append(
            statistics.median(timed_ms(models.summariser.summarise, text, None, preset) for _ in range(3))
        )
        first = []
        for _ in range(3):
            text_index.cache_clear()
            first.append(timed_ms(models.answers.answer, text, QUESTIONS[0]))
        curves["answer_first"].append(statistics.median(first))
        curves["answer_next"].append(statistics.median(timed_ms(models.answers.answer, text, q) for q in QUESTIONS[1:]))
        curves["st_all"].append(timed_ms(competitor_embed, sentences))
        curves["lexrank"].append(timed_ms(lexrank_summary, text) if words[-1] <= LEXRANK_MAX_WORDS else float("nan"))

    # A later question about a 20,000-word article, the fp32 reader (the default) and the int8 one in turn.
    long_text = article_of(LENGTHS[-1], shared)
    long_ms: dict[str, list[float]] = {"fp32": [], "int8": []}
    for _ in range(args.repeats):
        for question in QUESTIONS:
            long_ms["fp32"].append(timed_ms(models.answers.answer, long_text, question))
            long_ms["int8"].append(timed_ms(other.answers.answer, long_text, question))

    serving = bench_serving(texts)
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "cpus": embedder.threads,
        "model_load_s": load_seconds,
        "peak_gflops": peak,
        "mflop_per_token": per_token,
        "article_words_mean": statistics.mean(len(t.split()) for t in texts),
        "summary_tokens_mean": statistics.mean(tokens),
        "summary_padded_tokens_mean": statistics.mean(padded),
        "padding_share": 1 - sum(tokens) / sum(padded),
        "padded_bound_ms_p50": statistics.median(bounds),
        "unpadded_bound_ms_p50": statistics.median(t * per_token / peak for t in tokens),
        "embed_gflops": statistics.median(tokens) * per_token / p50["embed"],  # MFLOP / ms = GFLOPS
        "summary_ms_p50": p50["summary"],
        "summary_ms_p95": percentile(timings["summary"], 0.95),
        **{f"{key}_ms_p50": value for key, value in p50.items() if key != "summary"},
        "words": words,
        "curves_ms": curves,
        "embed_fp32_gflops": statistics.median(tokens) * per_token / p50["embed_fp32"],
        "long_answer_next_ms_p50": {key: statistics.median(values) for key, values in long_ms.items()},
        **serving,
    }
    report["summary_vs_padded_bound"] = report["summary_ms_p50"] / report["padded_bound_ms_p50"]
    report["summary_fp32_vs_padded_bound"] = report["summary_fp32_ms_p50"] / report["padded_bound_ms_p50"]
    for key in ("summary", "answer_first", "answer_next", "st_all"):
        report[f"{key}_ms_per_1000_words"], report[f"{key}_ms_at_0_words"] = slope(words, curves[key])
    print_table(report)
    draw_charts(report, args.charts)
    return report


def print_table(r: dict[str, Any]) -> None:
    rows = [
        ("model load in-process (MiniLM + reader)", f"{r['model_load_s']:.2f} s", ""),
        (
            "launch `precis serve` -> /readyz 200, second start (median of 3)",
            f"{r['launch_s']:.2f} s (first start, empty ONNX cache: {r['first_start_s']:.1f} s)",
            "<= 2 s",
        ),
        (
            "server RSS after load / after 500 mixed requests",
            f"{r['rss_after_load_mib']:.0f} / {r['rss_after_requests_mib']:.0f} MiB "
            f"(first start: {r['first_start_rss_mib']:.0f} MiB)",
            "<= 400 / 450 MiB",
        ),
        ("ONNX Runtime fp32 matmul, the machine's peak", f"{r['peak_gflops']:.0f} GFLOPS", ""),
        (
            f"a summary's sentences: tokens / padded (~{r['article_words_mean']:.0f}-word articles)",
            f"{r['summary_tokens_mean']:.0f} / {r['summary_padded_tokens_mean']:.0f} "
            f"({100 * r['padding_share']:.1f}% padding)",
            "< 10% padding",
        ),
        (
            "FLOP bound of a summary's embedding, unpadded / padded (p50)",
            f"{r['unpadded_bound_ms_p50']:.1f} / {r['padded_bound_ms_p50']:.1f} ms",
            "",
        ),
        (
            "uncached summary p50 / p95 (embedding alone p50), int8 embedder (the default)",
            f"{r['summary_ms_p50']:.1f} / {r['summary_ms_p95']:.1f} ms ({r['embed_ms_p50']:.1f} ms, "
            f"{r['embed_gflops']:.0f} fp32-equivalent GFLOPS)",
            "",
        ),
        (
            "uncached summary p50 / padded FLOP bound (fp32 peak): int8 embedder (the default) / fp32",
            f"{r['summary_vs_padded_bound']:.2f}x / {r['summary_fp32_vs_padded_bound']:.2f}x "
            f"(fp32 summary {r['summary_fp32_ms_p50']:.1f} ms, embedding {r['embed_fp32_ms_p50']:.1f} ms, "
            f"{r['embed_fp32_gflops']:.0f} GFLOPS)",
            "<= 1.5x",
        ),
        (
            "sentence-transformers, the same sentences / all sentences (p50)",
            f"{r['st_same_ms_p50']:.1f} / {r['st_all_ms_p50']:.1f} ms (Precis's summary "
            f"{r['st_same_ms_p50'] / r['summary_ms_p50']:.1f}x faster than the first; fp32 "
            f"{r['st_same_ms_p50'] / r['summary_fp32_ms_p50']:.1f}x)",
            ">= 3x",
        ),
        ("sumy LexRank summary p50", f"{r['lexrank_ms_p50']:.1f} ms", ""),
        (
            "answer p50, first / later question on a text: fp32 reader (the default); int8 (PRECIS_READER_INT8=true)",
            f"{r['answer_first_ms_p50']:.1f} / {r['answer_next_ms_p50']:.1f} ms; "
            f"{r['answer_int8_first_ms_p50']:.1f} / {r['answer_int8_next_ms_p50']:.1f} ms",
            "<= 40 ms",
        ),
        (
            f"later question on a {r['words'][-1]:,}-word article: fp32 reader (the default); int8",
            f"{r['long_answer_next_ms_p50']['fp32']:.1f} ms; {r['long_answer_next_ms_p50']['int8']:.1f} ms",
            "<= 30 ms",
        ),
        (
            "cost per 1,000 words: summary / first answer / later answer",
            f"{r['summary_ms_per_1000_words']:.2f} / {r['answer_first_ms_per_1000_words']:.2f} / "
            f"{r['answer_next_ms_per_1000_words']:.2f} ms",
            "<= 0.4 / 0.8 ms",
        ),
    ]
    width = max(len(figure) for figure, _, _ in rows)
    print(f"Precis on this machine, {r['date']}, {r['cpus']} CPUs")
    for figure, result, target in rows:
        print(f"{figure:<{width}}  {result}  {('target ' + target) if target else ''}".rstrip())


def draw_charts(r: dict[str, Any], directory: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2))
    labels = {
        "summary": "Precis summary",
        "answer_first": "Precis answer, first question",
        "answer_next": "Precis answer, later question",
        "st_all": "sentence-transformers, all sentences",
        "lexrank": "sumy LexRank",
    }
    for key, label in labels.items():
        axes.plot(r["words"], r["curves_ms"][key], marker="o", label=label)
    axes.set_xlabel("article length (words)")
    axes.set_ylabel("latency (ms, log scale)")
    axes.set_yscale("log")
    axes.set_title(f"Latency against article length ({r['date']}, {r['cpus']}-core CPU)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(directory / "bench-latency.png", dpi=120)
    plt.close(figure)

    flops = r["mflop_per_token"] * r["summary_tokens_mean"] / 1000  # GFLOP of a summary's useful work
    bars = {
        "ONNX Runtime\nmatmul peak": r["peak_gflops"],
        "bound with\nPrecis's padding": r["peak_gflops"] * (1 - r["padding_share"]),
        "Precis fp32\nembedding": r["embed_fp32_gflops"],
        "Precis int8\nembedding": r["embed_gflops"],
        "Precis int8\nwhole summary": flops / r["summary_ms_p50"] * 1000,
        "sentence-transformers\nsame sentences": flops / r["st_same_ms_p50"] * 1000,
    }
    figure, axes = plt.subplots(figsize=(7, 4.2))
    axes.bar(list(bars), list(bars.values()), color=["#888", "#bbb", "#1f77b4", "#1f77b4", "#1f77b4", "#ff7f0e"])
    for position, value in enumerate(bars.values()):
        axes.text(position, value, f"{value:.0f}", ha="center", va="bottom")
    # int8 does the same useful work in fewer fp32 operations: its bar is fp32-equivalent and may pass the fp32 peak.
    axes.set_ylabel("useful GFLOPS (MiniLM, 21.2 MFLOP a token)")
    axes.set_title(f"A medium summary's embedding against the bound ({r['date']})", fontsize=10)
    axes.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    figure.savefig(directory / "bench-flops.png", dpi=120)
    plt.close(figure)


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
        # The loop only summarises; the batch then also stores related-article vectors and finds entities.
        "batch_articles_per_s": round(report.articles / report.summarising_seconds, 1),
        "speedup": round(naive_seconds / report.summarising_seconds, 2),
        "batch_with_vectors_and_entities_s": round(report.seconds, 1),
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


def bench_startup(args: argparse.Namespace) -> dict[str, Any]:
    """Second starts of `precis serve` (its ONNX graphs exported already), timed as `models` times them
    (tests/server.py running_server: launch -> /readyz 200) on one SQLite file, whose first start (schema, vector
    index file) is not counted. The load average is reported too: on a shared machine it moves the figure."""
    from tests.server import running_server

    launches, rss = [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'serve.db'}"
        with running_server(url):
            pass
        for _ in range(args.starts):
            with running_server(url) as server:
                launches.append(server.ready_seconds)
                rss.append(rss_mib(server.pid))
    return {
        "launch_s_median": round(statistics.median(launches), 3),
        "launch_s": [round(seconds, 3) for seconds in launches],
        "rss_after_load_mib_median": round(statistics.median(rss)),
        "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Precis benchmarks; each prints a JSON report.")
    benches = parser.add_subparsers(dest="bench", required=True)
    models = benches.add_parser("models", help="the table and charts: latency, FLOP bound, competitors, memory")
    models.add_argument("--data", type=Path, default=NEWS_SUMMARIES, help="JSONL with an 'article' field")
    models.add_argument("--articles", type=int, default=20, help="how many ~600-word articles to time")
    models.add_argument("--repeats", type=int, default=3)
    models.add_argument("--charts", type=Path, default=DOCS, help="where the PNG charts go")
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
    startup = benches.add_parser("startup", help="second starts of precis serve: launch -> /readyz 200")
    startup.add_argument("--starts", type=int, default=5)
    startup.set_defaults(run=bench_startup)
    args = parser.parse_args()
    report = args.run(args)
    if args.bench != "models":  # models prints its table
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
