"""Repository functions for articles: plain functions over a session."""

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from sqlalchemy import ColumnElement, Connection, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.language import SUPPORTED
from service.store.tables import (
    MAX_ID,
    AnswerRow,
    ArticleEntityRow,
    ArticleRow,
    ArticleVectorRow,
    RecognisedTextRow,
    SummaryRow,
    VectorIndexLogRow,
)


def _well_formed(value: str) -> str:
    # JSON can carry a lone surrogate ("\ud800"), which is no character: nothing could store or read it.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"holds an unpaired surrogate (\\u{ord(value[error.start]):04x}), which is not text") from None
    # PostgreSQL's text cannot hold a NUL, and no article or question needs one: refused on either store alike.
    if "\x00" in value:
        raise ValueError("holds a NUL character (\\u0000), which is not text")
    return value


def _not_blank(value: str) -> str:
    # Zero-width spaces and joiners are no more text than spaces are: one visible character is needed.
    if not any(character.isprintable() and not character.isspace() for character in value):
        raise ValueError("must not be empty or only whitespace")
    return value


def _text_or_datetime(value: object) -> object:
    # pydantic would read a number as seconds since 1970; the contract says RFC 3339 text, and a number is far
    # more often a mistake (a year, milliseconds) than a timestamp.
    if isinstance(value, int | float):
        raise ValueError("must be a date and time as RFC 3339 text, e.g. 2026-11-24T18:00:00Z")
    return value


def _utc(value: datetime) -> datetime:
    # SQLite keeps no offset: every time is stored, and given back, in UTC ("Z", RFC 3339); a time without an
    # offset is taken to be UTC already.
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+15:31 is a time before year 1 in UTC, which no datetime holds.
        raise ValueError("is out of range once converted to UTC") from None


# Every text field a client sends is one of these.
WellFormed = Annotated[str, AfterValidator(_well_formed)]
# The pattern documents the rule in the OpenAPI spec; the validator enforces it with a plainer message.
NonBlank = Annotated[WellFormed, AfterValidator(_not_blank), Field(json_schema_extra={"pattern": r"\S"})]
# Every timestamp in or out.
UtcDateTime = Annotated[datetime, BeforeValidator(_text_or_datetime), AfterValidator(_utc)]


class NewArticle(BaseModel):
    """An article as it is stored, checked against the columns' limits; the API's and the importers' input
    both end up as one of these."""

    title: NonBlank = Field(max_length=1000)
    text: NonBlank
    url: WellFormed | None = Field(None, max_length=2000)
    published_at: UtcDateTime | None = None
    source: WellFormed | None = Field(None, max_length=200)


def content_hash(text: str) -> str:
    """The identity of an article's text: the same story pasted twice is one article."""
    normalised = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def add_article(session: Session, article: NewArticle, language: str | None = None) -> tuple[ArticleRow, bool]:
    """Stores the article unless its text is already stored; returns the row and whether it is new."""
    digest = content_hash(article.text)
    existing = session.scalar(select(ArticleRow).where(ArticleRow.content_hash == digest))
    if existing is not None:
        return existing, False
    row = ArticleRow(content_hash=digest, language=language, **article.model_dump())
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        # Another writer stored the same text between our read and our insert.
        session.rollback()
        return session.scalars(select(ArticleRow).where(ArticleRow.content_hash == digest)).one(), False
    return row, True


def get_article(session: Session, article_id: int) -> ArticleRow | None:
    # The pages and the CLI take any number: one past the id range names nothing (and PostgreSQL would refuse it).
    if not 1 <= article_id <= MAX_ID:
        return None
    return session.get(ArticleRow, article_id)


# Built once, on the table's columns rather than the ORM's: executed as it is, with no statement to build, no ORM
# row and no text read, it is what a stored summary's request costs the store (≈ 35 µs on SQLite; a Session with
# get_article took ≈ 200).
_ARTICLES = ArticleRow.__table__.c
_CONTENT_HASH = select(_ARTICLES.content_hash).where(_ARTICLES.id == bindparam("article_id"))


def content_hash_of(connection: Connection, article_id: int) -> str | None:
    """The stored article's content hash (None: no such article), without reading its text."""
    return connection.scalar(_CONTENT_HASH, {"article_id": article_id})


def delete_article(session: Session, article: ArticleRow) -> None:
    """Removes the article with everything computed from its text: summaries, answers, its vector (and from the
    vector index, through its log) and its entities."""
    for table in (SummaryRow, AnswerRow, ArticleVectorRow, ArticleEntityRow, RecognisedTextRow):
        session.execute(delete(table).where(table.content_hash == article.content_hash))
    session.add(VectorIndexLogRow(article_id=article.id))
    session.delete(article)
    session.commit()


def readable() -> ColumnElement[bool]:
    """Articles in a language the models read (or too short to tell, read as English): an article found at ingest
    to be in another language is never summarised nor read for entities."""
    return or_(ArticleRow.language.is_(None), ArticleRow.language.in_(SUPPORTED))


def get_articles(session: Session, article_ids: Sequence[int]) -> list[ArticleRow]:
    """The stored articles among these ids, in the order given."""
    rows = {row.id: row for row in session.scalars(select(ArticleRow).where(ArticleRow.id.in_(article_ids)))}
    return [rows[article_id] for article_id in article_ids if article_id in rows]


def _title_contains(words: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on the headline (ILIKE on PostgreSQL, lower() LIKE on SQLite, where only
    ASCII letters fold); % and _ in what a reader typed match themselves."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ArticleRow.title.ilike(f"%{escaped}%", escape="\\")


def list_articles(
    session: Session, limit: int, offset: int, title_search: str | None = None
) -> tuple[list[ArticleRow], int]:
    """Newest first; with `title_search`, only articles whose headline contains it."""
    query = select(ArticleRow)
    words = (title_search or "").strip()
    if words:
        query = query.where(_title_contains(words))
    rows = session.scalars(query.order_by(ArticleRow.id.desc()).limit(limit).offset(offset)).all()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(rows), total
