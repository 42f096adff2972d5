"""A realistic archive of any size, made from the shared CNN/Daily Mail articles (for tests and benchmarks).

The 151 articles come first, then each article cut into two, then into three parts, and so on: every piece is
real news prose, with its own text (so its own content hash) and a headline taken from the reference highlights.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.sentences import split_sentences
from models.squad import SHARED_EVAL_DIR

NEWS_SUMMARIES = SHARED_EVAL_DIR / "news-summaries.jsonl"
_FIRST_DAY = datetime(2024, 1, 1, tzinfo=UTC)


def _parts(text: str, count: int) -> list[str]:
    sentences = split_sentences(text)
    size = -(-len(sentences) // count)
    return [
        text[sentences[i].start : sentences[min(i + size, len(sentences)) - 1].end]
        for i in range(0, len(sentences), size)
    ]


def sample_archive(count: int, data: Path = NEWS_SUMMARIES) -> list[dict[str, str]]:
    """`count` articles as NewArticle fields (title, text, source, published_at), one day apart."""
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    articles: list[dict[str, str]] = []
    pieces = 1
    while len(articles) < count:
        for row in rows:
            headline = split_sentences(row["reference"])[0].text.rstrip(".")
            for number, part in enumerate(_parts(row["article"], pieces), start=1):
                title = headline if pieces == 1 else f"{headline} (part {number} of {pieces})"
                day = _FIRST_DAY + timedelta(days=len(articles))
                articles.append(
                    {"title": title, "text": part, "source": "CNN/Daily Mail", "published_at": day.isoformat()}
                )
        pieces += 1
    return articles[:count]
