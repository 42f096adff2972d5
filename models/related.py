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
    lead = " ".join(sentence.text for sentence in split_sentences(text, LEAD_SENTENCES))
    return f"{title}. {lead}" if lead else title


def vector_model_id(embedder_name: str) -> str:
    """The key of stored vectors: a new embedder or a new recipe for the text means new vectors."""
    return f"{embedder_name}+lead{LEAD_SENTENCES}"


def article_vectors(embedder: Embedder, articles: Sequence[tuple[str, str]]) -> np.ndarray:
    """Unit vectors, one row per (title, text), in input order."""
    return embedder.embed([lead_text(title, text) for title, text in articles])
