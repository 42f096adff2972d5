"""Related articles: one MiniLM vector per article, from its headline and lead, compared by cosine similarity."""

from collections.abc import Sequence

import numpy as np

from models.embedder import Embedder
from models.sentences import split_sentences

# A news story's headline and first sentences say what it is about; the rest is detail, quotes and background
# that would pull the vector towards whatever the article happens to mention.
LEAD_SENTENCES = 2
# Below this cosine two stories share little more than being news; "related" would mislead. Measured on
# tests/data: stories on the same topic 0.39-0.87, on different topics at most 0.21.
MIN_SIMILARITY = 0.25


def lead_text(title: str, text: str) -> str:
    """What an article's vector is made from: the headline and the first sentences of the story."""
    lead = " ".join(sentence.text for sentence in split_sentences(text)[:LEAD_SENTENCES])
    return f"{title}. {lead}" if lead else title


def vector_model_id(embedder_name: str) -> str:
    """The key of stored vectors: a new embedder or a new recipe for the text means new vectors."""
    return f"{embedder_name}+lead{LEAD_SENTENCES}"


def article_vectors(embedder: Embedder, articles: Sequence[tuple[str, str]]) -> np.ndarray:
    """Unit vectors, one row per (title, text), in input order."""
    return embedder.embed([lead_text(title, text) for title, text in articles])


def most_similar(query: np.ndarray, candidates: np.ndarray, limit: int, exclude: int) -> list[tuple[int, float]]:
    """(row, cosine) of at most `limit` candidate rows closest to `query`, best first, each at least
    MIN_SIMILARITY, never row `exclude`.

    The vectors are unit length, so a dot product is the cosine. A brute-force pass over every stored vector
    takes milliseconds for a news archive of tens of thousands of articles; far beyond that an approximate
    nearest-neighbour index would be needed."""
    scores = candidates @ query
    scores[exclude] = -np.inf
    count = min(limit, len(scores) - 1)
    if count <= 0:
        return []
    best = np.argpartition(-scores, count - 1)[:count]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(row), float(scores[row])) for row in best if scores[row] >= MIN_SIMILARITY]
