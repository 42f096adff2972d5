"""Related articles, as functions the HTTP API, the reader page and the CLI call.

Each stored article gets one vector (models/related.py) when it is stored through the API. Articles stored
without the models loaded (`precis add`, `precis ingest`) get theirs from `precis batch`, or up to LAZY_FILL_LIMIT
at a time when related articles are next asked for, so no request waits for a whole archive to be embedded."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from models.registry import Models
from models.related import MIN_SIMILARITY, article_vectors, vector_model_id
from service.archive.index import ArchiveIndex
from service.model_gate import UNLIMITED, ModelAccess
from service.schemas import RelatedArticle, RelatedArticles
from service.store import vectors
from service.store.articles import get_articles
from service.store.tables import ArticleRow

# The most vectors a reader's request fills in for other articles: 64 headline-and-lead texts took 2.3 s on two
# heavily loaded cores (ONNX embedder), far less on idle ones.
LAZY_FILL_LIMIT = 64
_CHUNK = 64


def store_vectors(session: Session, models: Models, rows: Sequence[ArticleRow]) -> int:
    """Stores the vectors these articles lack; returns how many that was."""
    model_id = vector_model_id(models.embedder.name)
    missing = [row for row in rows if not vectors.has_vector(session, row.content_hash, model_id)]
    if missing:
        matrix = article_vectors(models.embedder, [(row.title, row.text) for row in missing])
        by_hash = {row.content_hash: vector for row, vector in zip(missing, matrix, strict=True)}
        vectors.put_vectors(session, model_id, by_hash)
    return len(missing)


def store_missing_vectors(session: Session, models: Models, limit: int | None = None) -> int:
    """Fills in vectors for stored articles that have none (at most `limit`); returns how many it stored."""
    model_id = vector_model_id(models.embedder.name)
    stored = 0
    while limit is None or stored < limit:
        chunk_size = _CHUNK if limit is None else min(_CHUNK, limit - stored)
        rows = vectors.articles_without_vector(session, model_id, chunk_size)
        if not rows:
            break
        store_vectors(session, models, rows)
        stored += len(rows)
    return stored


def related_articles(
    session: Session,
    models: Models,
    index: ArchiveIndex,
    article: ArticleRow,
    limit: int,
    access: ModelAccess = UNLIMITED,
) -> RelatedArticles:
    """The stored articles closest in meaning to this one, best first."""
    model_id = vector_model_id(models.embedder.name)
    # Only filling in missing vectors (this article's among them) needs the models; with them all stored, this
    # is a read that flows even when the models are busy.
    found = vectors.vectors_of(session, model_id, [article.id])
    if not found or index.lacks_vectors(session):
        with access.admit("vectors"):
            store_vectors(session, models, [article])
            store_missing_vectors(session, models, LAZY_FILL_LIMIT)
        found = vectors.vectors_of(session, model_id, [article.id])
    index.sync(session)
    [(_, own)] = found
    # Below MIN_SIMILARITY two stories share little more than being news: "related" would mislead.
    scores = {id_: score for id_, score in index.nearest(own, limit, exclude=[article.id]) if score >= MIN_SIMILARITY}
    items = [
        RelatedArticle(
            id=row.id, title=row.title, source=row.source, published_at=row.published_at, score=round(scores[row.id], 4)
        )
        for row in get_articles(session, list(scores))
    ]
    return RelatedArticles(article_id=article.id, items=items, model=model_id)
