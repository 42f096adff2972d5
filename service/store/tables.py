"""The store's tables. The schema itself is created and changed by the Alembic migrations beside this file."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Ids are INTEGER columns: 32-bit on PostgreSQL (64-bit on SQLite). A larger number names no article on either
# store, and is refused before it reaches one (PostgreSQL would fail the query).
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    pass


def utc_now() -> datetime:
    return datetime.now(UTC)


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    # ISO 639-1, found when the article was stored; None when it could not be told (read as English).
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)


class SummaryRow(Base):
    """A computed summary, keyed by what determines it: the text, the model (with its version) and the preset."""

    __tablename__ = "summaries"
    __table_args__ = (UniqueConstraint("content_hash", "model", "preset", name="uq_summaries_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(300))
    preset: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class AnswerRow(Base):
    """A computed answer, keyed by the text, the model (with its version) and a hash of the normalised question."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("content_hash", "model", "question_hash", name="uq_answers_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(300))
    question_hash: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ArticleVectorRow(Base):
    """An article's MiniLM vector (headline + lead) for related articles, keyed like the caches: by the text and
    the versioned model, so a new embedder computes new vectors instead of mixing two vector spaces."""

    __tablename__ = "article_vectors"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    # float32, little-endian: 1.5 KB for MiniLM's 384 dimensions, the same bytes on SQLite and PostgreSQL.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class RecognisedTextRow(Base):
    """A text the entity recogniser (versioned model) has read, whatever it found: an article that mentions
    nothing is not read again. Stored in the same transaction as its ArticleEntityRows."""

    __tablename__ = "recognised_texts"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ArticleEntityRow(Base):
    """One entity an article's text mentions, keyed like the caches (text, versioned model) and by what names it
    (kind, name key): one row per entity, so the articles that mention one are found through an index."""

    __tablename__ = "article_entities"
    __table_args__ = (Index("ix_article_entities_name", "name_key", "model"),)

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    # models.entities.name_key of the name: what a lookup by name matches.
    name_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The most frequent way the article writes it.
    name: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer)
    # [[start, end], ...]: character offsets of each mention into the article text, in text order.
    mentions: Mapped[list[list[int]]] = mapped_column(JSON)


class ApiKeyRow(Base):
    """A client's key. Only its public prefix (to find the row) and a SHA-256 of the whole key are kept: a copy of
    the database lets no one write."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class VectorIndexLogRow(Base):
    """An article whose vector was stored or which was deleted, in commit order: what each process's vector index
    (service/archive_index.py) replays to stay consistent with the store."""

    __tablename__ = "vector_index_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
