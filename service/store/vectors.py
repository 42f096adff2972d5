"""Stored article vectors (related articles, the vector index) and the log the index follows: plain functions over
a session."""

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from sqlalchemy import Exists, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from service.store.database import insert_new_rows
from service.store.tables import ArticleRow, ArticleVectorRow, VectorIndexLogRow, utc_now

_DTYPE = np.dtype("<f4")


def _has_vector(model: str) -> Exists:
    return exists().where(ArticleVectorRow.content_hash == ArticleRow.content_hash, ArticleVectorRow.model == model)


def has_vector(session: Session, content_hash: str, model: str) -> bool:
    return session.get(ArticleVectorRow, (content_hash, model)) is not None


def first_without_vector(session: Session, model: str, after: int = 0) -> int | None:
    """The lowest id above `after` of a stored article with no vector for this model; None when there is none.
    Reads only ids above `after` (the primary key's order), so a caller that remembers how far every article had
    one looks only at articles stored since."""
    return session.scalar(select(func.min(ArticleRow.id)).where(ArticleRow.id > after, ~_has_vector(model)))


def last_article_id(session: Session) -> int:
    return session.scalar(select(func.max(ArticleRow.id))) or 0


def articles_without_vector(session: Session, model: str, limit: int) -> list[ArticleRow]:
    rows = session.scalars(select(ArticleRow).where(~_has_vector(model)).order_by(ArticleRow.id).limit(limit))
    return list(rows)


def ids_without_vector(session: Session, model: str) -> list[int]:
    return list(session.scalars(select(ArticleRow.id).where(~_has_vector(model)).order_by(ArticleRow.id)))


def put_vectors(session: Session, model: str, vectors: Mapping[str, np.ndarray]) -> None:
    """Stores one vector per content hash, in one transaction with their entries in the vector index's log; a
    vector another writer stored first is kept."""
    if not vectors:
        return
    now = utc_now()
    rows = [
        {"content_hash": content_hash, "model": model, "vector": vector.astype(_DTYPE).tobytes(), "created_at": now}
        for content_hash, vector in vectors.items()
    ]
    # Only the vectors this call stored are logged: a writer that stored one first logged it with its own.
    stored = insert_new_rows(session, ArticleVectorRow, rows, returning=ArticleVectorRow.content_hash)
    log_vector_changes(session, stored)
    session.commit()


def log_vector_changes(session: Session, content_hashes: Sequence[str]) -> None:
    """Appends the articles with these texts to the log every process's vector index follows (uncommitted: it
    commits with the change it records)."""
    if not content_hashes:
        return
    session.flush()
    session.execute(
        insert(VectorIndexLogRow).from_select(
            ["article_id", "created_at"],
            select(ArticleRow.id, literal(utc_now(), VectorIndexLogRow.created_at.type)).where(
                ArticleRow.content_hash.in_(content_hashes)
            ),
        )
    )


def count_vectors(session: Session, model: str) -> int:
    """How many stored articles have a vector for this model."""
    return session.scalar(select(func.count()).select_from(_by_article(model).subquery())) or 0


def last_logged(session: Session) -> int:
    """The newest entry of the vector index's log (0 when it is empty)."""
    return session.scalar(select(func.max(VectorIndexLogRow.seq))) or 0


def logged_after(session: Session, seq: int) -> list[tuple[int, int]]:
    """(seq, article id) of the log's entries after `seq`."""
    entries = select(VectorIndexLogRow.seq, VectorIndexLogRow.article_id).where(VectorIndexLogRow.seq > seq)
    return [(row.seq, row.article_id) for row in session.execute(entries)]


def _by_article(model: str):  # type: ignore[no-untyped-def]
    return (
        select(ArticleRow.id, ArticleVectorRow.vector)
        .join(ArticleVectorRow, ArticleVectorRow.content_hash == ArticleRow.content_hash)
        .where(ArticleVectorRow.model == model)
    )


def vectors_of(session: Session, model: str, article_ids: Sequence[int]) -> list[tuple[int, np.ndarray]]:
    """(article id, vector) of those of these articles that are stored and have a vector for this model."""
    rows = session.execute(_by_article(model).where(ArticleRow.id.in_(article_ids))).all()
    return [(row.id, np.frombuffer(row.vector, dtype=_DTYPE)) for row in rows]


def vector_chunks(session: Session, model: str, size: int = 10_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every stored article's id and vector for this model, as (ids, matrix) chunks in id order; only ids and
    vectors are read, a chunk at a time, so a million articles never sit in memory twice."""
    after = 0
    while True:
        chunk = _by_article(model).where(ArticleRow.id > after).order_by(ArticleRow.id).limit(size)
        rows = session.execute(chunk).all()
        if not rows:
            return
        ids = np.fromiter((row.id for row in rows), dtype=np.uint64, count=len(rows))
        dimension = len(rows[0].vector) // _DTYPE.itemsize
        yield ids, np.frombuffer(b"".join(row.vector for row in rows), dtype=_DTYPE).reshape(len(rows), dimension)
        after = rows[-1].id
