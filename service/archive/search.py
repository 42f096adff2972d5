"""Archive search: keywords and meaning together.

Keyword candidates come from the database's full-text index (service/store/fulltext.py), meaning candidates from
the vector index (service/archive/index.py) for the query's MiniLM vector; the two rankings are fused by weighted
reciprocal rank (Cormack et al., 2009), which needs no calibration between BM25 and cosine scales: an article both
find near the top beats one only one of them finds. Each hit shows its best-matching sentence: the one sharing the
most query words, or, for a story found by meaning alone, its lead (what its vector was made from)."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from models.answers import content_words
from models.presets import load_ranking
from models.registry import Models
from models.sentences import Sentence, split_sentences
from service.archive.index import ArchiveIndex
from service.model_gate import UNLIMITED, ModelAccess
from service.related import LAZY_FILL_LIMIT, store_missing_vectors
from service.store.articles import get_articles
from service.store.fulltext import keyword_matches
from service.store.tables import ArticleRow

# How deep each ranking is read before fusing: beyond the first few dozen, neither adds a hit worth showing.
CANDIDATES = 50
# How the two rankings are weighed, and how close a story found by meaning alone must be: fitted data.
WEIGHTS = load_ranking()["search"]


class SearchMode(StrEnum):
    fused = "fused"
    keywords = "keywords"
    meaning = "meaning"


@dataclass(frozen=True, slots=True)
class Hit:
    article: ArticleRow
    score: float
    matched_by: tuple[str, ...]
    sentence: Sentence


def query_words(query: str) -> list[str]:
    """The query's words that can tell articles apart (no stop words), each once, in order."""
    return list(dict.fromkeys(content_words(query)))


def search_articles(
    session: Session,
    models: Models,
    index: ArchiveIndex,
    query: str,
    limit: int,
    mode: SearchMode = SearchMode.fused,
    access: ModelAccess = UNLIMITED,
) -> list[Hit]:
    """The stored articles that best match the query, best first."""
    words = query_words(query)
    rankings: dict[str, list[int]] = {}
    if mode is not SearchMode.meaning:
        rankings["keywords"] = keyword_matches(session, words, CANDIDATES)
    if mode is not SearchMode.keywords:
        with access.admit("search", len(query)):
            vector = models.embedder.embed([query])[0]
            # Articles stored without the models (precis add, ingest) are found by meaning once they have a vector:
            # a few at a time here, all of them by `precis batch` or `precis index rebuild`.
            if index.lacks_vectors(session):
                store_missing_vectors(session, models, LAZY_FILL_LIMIT)
        index.sync(session)
        closest, floor = index.nearest(vector, CANDIDATES), WEIGHTS["min_query_similarity"]
        rankings["meaning"] = [article_id for article_id, cosine in closest if cosine >= floor]
    fused = reciprocal_rank_fusion(rankings)[:limit]
    rows = {row.id: row for row in get_articles(session, [article_id for article_id, _, _ in fused])}
    return [
        Hit(rows[article_id], score, matched_by, best_sentence(rows[article_id].text, words))
        for article_id, score, matched_by in fused
        if article_id in rows  # deleted since it was ranked
    ]


def reciprocal_rank_fusion(rankings: dict[str, list[int]]) -> list[tuple[int, float, tuple[str, ...]]]:
    """(id, fused score, the rankings that hold it) over every ranked id, best first; ties keep the first
    ranking's order. Each ranking counts with its weight in prompts/ranking.toml [search]."""
    scores: dict[int, float] = {}
    holders: dict[int, list[str]] = {}
    for name, ranking in rankings.items():
        for rank, article_id in enumerate(ranking, start=1):
            scores[article_id] = scores.get(article_id, 0.0) + WEIGHTS[name] / (WEIGHTS["rrf_k"] + rank)
            holders.setdefault(article_id, []).append(name)
    order = sorted(scores, key=lambda article_id: -scores[article_id])
    return [(article_id, round(scores[article_id], 6), tuple(holders[article_id])) for article_id in order]


def best_sentence(text: str, words: Sequence[str]) -> Sentence:
    """The sentence sharing the most distinct query words (the earliest on a tie); the lead when none does."""
    sentences = split_sentences(text)
    if not sentences:
        return Sentence(text, 0, len(text))
    wanted = set(words)
    best, best_overlap = sentences[0], 0
    for sentence in sentences:
        overlap = len(wanted.intersection(content_words(sentence.text)))
        if overlap > best_overlap:
            best, best_overlap = sentence, overlap
    return best
