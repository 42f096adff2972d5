"""Stored article vectors for related articles: plain functions over a session."""

from collections.abc import Mapping

import numpy as np
from sqlalchemy import Exists, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.store.tables import ArticleRow, ArticleVectorRow

_DTYPE = np.dtype("<f4")


def _has_vector(model: str) -> Exists:
    return exists().where(ArticleVectorRow.content_hash == ArticleRow.content_hash, ArticleVectorRow.model == model)


def has_vector(session: Session, content_hash: str, model: str) -> bool:
    return session.get(ArticleVectorRow, (content_hash, model)) is not None


def any_without_vector(session: Session, model: str) -> bool:
    """Whether some stored article has no vector for this model (one EXISTS query, no row read)."""
    return bool(session.scalar(select(exists(select(ArticleRow.id).where(~_has_vector(model))))))


def articles_without_vector(session: Session, model: str, limit: int) -> list[ArticleRow]:
    rows = session.scalars(select(ArticleRow).where(~_has_vector(model)).order_by(ArticleRow.id).limit(limit))
    return list(rows)


def ids_without_vector(session: Session, model: str) -> list[int]:
    return list(session.scalars(select(ArticleRow.id).where(~_has_vector(model)).order_by(ArticleRow.id)))


def put_vectors(session: Session, model: str, vectors: Mapping[str, np.ndarray]) -> None:
    """Stores one vector per content hash, in one transaction; a vector another process stored first is kept."""
    session.add_all(_row(content_hash, model, vector) for content_hash, vector in vectors.items())
    try:
        session.commit()
    except IntegrityError:
        # Two requests filled in the same articles at once; store ours only where theirs is missing.
        session.rollback()
        for content_hash, vector in vectors.items():
            if not has_vector(session, content_hash, model):
                session.add(_row(content_hash, model, vector))
        session.commit()


def _row(content_hash: str, model: str, vector: np.ndarray) -> ArticleVectorRow:
    return ArticleVectorRow(content_hash=content_hash, model=model, vector=vector.astype(_DTYPE).tobytes())


def all_vectors(session: Session, model: str) -> tuple[np.ndarray, np.ndarray]:
    """The ids of every stored article with a vector for this model, and their vectors as the rows of a matrix.

    Only ids and vectors are read: ~0.1-0.2 s for 20 000 articles on SQLite on two busy cores."""
    rows = session.execute(
        select(ArticleRow.id, ArticleVectorRow.vector)
        .join(ArticleVectorRow, ArticleVectorRow.content_hash == ArticleRow.content_hash)
        .where(ArticleVectorRow.model == model)
    ).all()
    ids = np.fromiter((row.id for row in rows), dtype=np.int64, count=len(rows))
    dimension = len(rows[0].vector) // _DTYPE.itemsize if rows else 0
    matrix = np.frombuffer(b"".join(row.vector for row in rows), dtype=_DTYPE).reshape(len(rows), dimension)
    return ids, matrix
