"""Stored named entities of articles: plain functions over a session."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Exists, Row, exists, func, select
from sqlalchemy.orm import Session

from models.entities import MAX_NAME_CHARS, Entity, name_key
from service.store.articles import readable
from service.store.database import insert_new_rows
from service.store.tables import ArticleEntityRow, ArticleRow, RecognisedTextRow, utc_now


def _recognised(model: str) -> Exists:
    return exists().where(RecognisedTextRow.content_hash == ArticleRow.content_hash, RecognisedTextRow.model == model)


def get_entities(session: Session, content_hash: str, model: str) -> list[ArticleEntityRow] | None:
    """The text's stored entities, most mentioned first; None when the recogniser has not read it yet."""
    if not has_entities(session, content_hash, model):
        return None
    rows = session.scalars(
        select(ArticleEntityRow).where(ArticleEntityRow.content_hash == content_hash, ArticleEntityRow.model == model)
    )
    # Most mentioned first, then in the order the article first mentions them (as models.entities.group does).
    return sorted(rows, key=lambda row: (-row.count, row.mentions[0][0]))


def has_entities(session: Session, content_hash: str, model: str) -> bool:
    return session.get(RecognisedTextRow, (content_hash, model)) is not None


def articles_without_entities(session: Session, model: str, limit: int) -> list[ArticleRow]:
    """Articles in a language the recogniser reads whose text it has not read, oldest first."""
    query = select(ArticleRow).where(readable(), ~_recognised(model)).order_by(ArticleRow.id).limit(limit)
    return list(session.scalars(query))


def ids_without_entities(session: Session, model: str) -> list[int]:
    return list(session.scalars(select(ArticleRow.id).where(readable(), ~_recognised(model)).order_by(ArticleRow.id)))


def _entity_rows(content_hash: str, model: str, entities: Sequence[Entity]) -> list[ArticleEntityRow]:
    return [
        ArticleEntityRow(
            content_hash=content_hash,
            model=model,
            kind=entity.kind,
            name_key=name_key(entity.name),
            name=entity.name,
            count=entity.count,
            mentions=[list(mention) for mention in entity.mentions],
        )
        for entity in entities
    ]


def put_entities(session: Session, model: str, by_hash: Mapping[str, Sequence[Entity]]) -> None:
    """Stores each text's entities, in one transaction; a text another process stored first keeps its rows, and
    one whose article was deleted while it was being read is left out."""
    stored = session.scalars(select(ArticleRow.content_hash).where(ArticleRow.content_hash.in_(by_hash))).all()
    # A text's RecognisedTextRow stands for all its entity rows: whoever inserts it first stores the entities too,
    # and a request racing the background fill for the same text stores nothing.
    claimed = insert_new_rows(
        session,
        RecognisedTextRow,
        [{"content_hash": content_hash, "model": model, "created_at": utc_now()} for content_hash in stored],
        returning=RecognisedTextRow.content_hash,
    )
    session.add_all(row for content_hash in claimed for row in _entity_rows(content_hash, model, by_hash[content_hash]))
    session.commit()


def articles_mentioning(
    session: Session, model: str, name: str, kind: str | None, limit: int, newest_first: bool = False
) -> Sequence[Row[tuple[int, str, str | None, datetime | None, datetime, int]]]:
    """The articles that mention the entity so named (any kind, or `kind`): most mentions first, then newest; or
    newest first. An article's date is its publication date, or when it was stored if it has none.

    Each row: the article's id, title, source, published_at, created_at, and `count`, how often it mentions the
    entity (read it as row._mapping["count"]: row.count is the tuple's method)."""
    key = name_key(name)
    # No stored entity has such a name (and PostgreSQL refuses a NUL in text outright).
    if not key or "\x00" in key or len(key) > MAX_NAME_CHARS:
        return []
    counts = (
        select(ArticleEntityRow.content_hash, func.sum(ArticleEntityRow.count).label("count"))
        .where(ArticleEntityRow.name_key == key, ArticleEntityRow.model == model)
        .group_by(ArticleEntityRow.content_hash)
    )
    if kind is not None:
        counts = counts.where(ArticleEntityRow.kind == kind)
    counted = counts.subquery()
    newest = (func.coalesce(ArticleRow.published_at, ArticleRow.created_at).desc(), ArticleRow.id.desc())
    order = newest if newest_first else (counted.c.count.desc(), *newest)
    query = (
        select(
            ArticleRow.id,
            ArticleRow.title,
            ArticleRow.source,
            ArticleRow.published_at,
            ArticleRow.created_at,
            counted.c.count,
        )
        .join(counted, counted.c.content_hash == ArticleRow.content_hash)
        .order_by(*order)
        .limit(limit)
    )
    return session.execute(query).all()
