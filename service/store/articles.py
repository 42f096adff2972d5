"""Repository functions for articles: plain functions over a session."""

import hashlib
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.schemas import ArticleIn
from service.store.tables import ArticleRow


def content_hash(text: str) -> str:
    """The identity of an article's text: the same story pasted twice is one article."""
    normalised = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def add_article(session: Session, article: ArticleIn) -> tuple[ArticleRow, bool]:
    """Stores the article unless its text is already stored; returns the row and whether it is new."""
    digest = content_hash(article.text)
    existing = session.scalar(select(ArticleRow).where(ArticleRow.content_hash == digest))
    if existing is not None:
        return existing, False
    row = ArticleRow(content_hash=digest, **article.model_dump())
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        # Another writer stored the same text between our read and our insert.
        session.rollback()
        return session.scalars(select(ArticleRow).where(ArticleRow.content_hash == digest)).one(), False
    return row, True


def get_article(session: Session, article_id: int) -> ArticleRow | None:
    return session.get(ArticleRow, article_id)


def list_articles(session: Session, limit: int, offset: int) -> tuple[list[ArticleRow], int]:
    rows = session.scalars(
        select(ArticleRow).order_by(ArticleRow.id.desc()).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(ArticleRow)) or 0
    return list(rows), total
