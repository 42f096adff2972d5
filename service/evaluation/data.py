"""The shared evaluation sets, read where they live (../shared/eval); never copied into the repo."""

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from models.squad import SHARED_EVAL_DIR, Question

DATA_DIR = SHARED_EVAL_DIR
NEWS_FILE = DATA_DIR / "news-summaries.jsonl"

# A Daily Mail URL ends in ".../article-3042680/Veep-star-Julia-Louis-Dreyfus-reveals-....html",
# a CNN URL in ".../2015/04/08/us/feat-nasa-scientist-alien-life/": the slug is the headline.
_SLUG = re.compile(r"/(?:article-\d+/)?([A-Za-z0-9]+(?:-[A-Za-z0-9]+){2,})(?:\.html|/index\.html|/)?$")
_SLUG_NOISE = {"feat"}


@dataclass(frozen=True)
class NewsItem:
    id: str
    article: str
    reference: str
    # The data set has no headline field; the URL slug stands in for it.
    title: str | None


def title_from_url(url: str) -> str | None:
    found = _SLUG.search(url)
    if not found:
        return None
    words = [w for w in found.group(1).split("-") if w.lower() not in _SLUG_NOISE]
    return " ".join(words) or None


def load_news(path: Path = NEWS_FILE, limit: int | None = None) -> list[NewsItem]:
    """The first `limit` articles, in file order (the same subset on every run)."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        items.append(NewsItem(row["id"], row["article"], row["reference"], title_from_url(row.get("url", ""))))
    return items[:limit] if limit else items


def sample(questions: list[Question], limit: int | None, seed: int = 0) -> list[Question]:
    """A fixed random sample: the same `limit` and `seed` always give the same questions."""
    if not limit or limit >= len(questions):
        return list(questions)
    return random.Random(seed).sample(questions, limit)


def distractor_contexts(questions: list[Question], pool: list[Question], seed: int = 0) -> list[str]:
    """For each question, a paragraph about another topic: a text that cannot answer it.
    SQuAD v1.1 has no unanswerable questions; these pairs measure the no-answer threshold."""
    rng = random.Random(seed + 1)
    contexts = sorted({(q.topic, q.context) for q in pool})
    picked = []
    for question in questions:
        while True:
            topic, context = rng.choice(contexts)
            if topic != question.topic:
                picked.append(context)
                break
    return picked
