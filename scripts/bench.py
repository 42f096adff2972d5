"""Speed and memory of the embedded models on this machine.

    python -m scripts.bench [--data ../shared/eval/news-summaries.jsonl] [--repeats 5]

Figures: model load time, uncached summary latency for ~600-word news articles (p50/p95),
answer latency (p50/p95) and the process's resident memory after loading.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "news-summaries.jsonl"
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


def timed_ms(function, *args) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSONL with an 'article' field")
    parser.add_argument("--articles", type=int, default=20, help="how many ~600-word articles to time")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from models.config import ModelConfig
    from models.presets import load_presets
    from models.registry import load_models

    started = time.perf_counter()
    models = load_models(ModelConfig())
    load_seconds = time.perf_counter() - started
    rss_after_load = rss_mib()

    texts = articles_near(args.data, 600, args.articles)
    preset = load_presets()["medium"]
    summary_ms = [
        timed_ms(models.summariser.summarise, text, None, preset)
        for _ in range(args.repeats)
        for text in texts
    ]
    answer_ms = [
        timed_ms(models.answers.answer, text, question)
        for _ in range(args.repeats)
        for text in texts
        for question in QUESTIONS
    ]
    report = {
        "model_load_s": round(load_seconds, 2),
        "rss_after_load_mib": round(rss_after_load, 0),
        "rss_after_runs_mib": round(rss_mib(), 0),
        "article_words_mean": round(statistics.mean(len(t.split()) for t in texts)),
        "summary_ms_p50": round(percentile(summary_ms, 0.5), 1),
        "summary_ms_p95": round(percentile(summary_ms, 0.95), 1),
        "answer_ms_p50": round(percentile(answer_ms, 0.5), 1),
        "answer_ms_p95": round(percentile(answer_ms, 0.95), 1),
        "summaries_timed": len(summary_ms),
        "answers_timed": len(answer_ms),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
