"""Named entities (people, organisations, places, money, dates), as functions the HTTP API, the reader pages and
the CLI call.

An article's entities are found once per text (models/entities.py) and stored (service/store/entities.py): in the
background when the article is stored through the API (its 201 does not wait for them), by `precis batch` for
articles stored by the commands, or else when they are first asked for. The server finds them through its worker
process (service/entity_worker.py), the commands in their own process (models.entities.find_entities)."""

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from models.entities import Entity, Kind, entities_model_id
from models.language import is_supported
from service.entity_worker import EntityWorker
from service.errors import UnsupportedLanguage
from service.model_gate import UNLIMITED, ModelAccess
from service.schemas import ArticleEntities, EntityArticle, EntityArticles, EntityOut, Span
from service.store import entities
from service.store.tables import ArticleRow

# Texts -> each text's entities: EntityWorker.find in the server, models.entities.find_entities in a command.
FindEntities = Callable[[Sequence[str]], list[list[Entity]]]
_CHUNK = 64


def store_entities(session: Session, find: FindEntities, rows: Sequence[ArticleRow]) -> int:
    """Stores the entities of those articles whose text the recogniser has not read yet; returns how many."""
    model = entities_model_id()
    missing = [
        row
        for row in rows
        if is_supported(row.language) and not entities.has_entities(session, row.content_hash, model)
    ]
    if missing:
        found = find([row.text for row in missing])
        entities.put_entities(session, model, {row.content_hash: e for row, e in zip(missing, found, strict=True)})
    return len(missing)


def store_missing_entities(session: Session, find: FindEntities) -> int:
    """Stores the entities of every stored article lacking them; returns for how many articles."""
    stored = 0
    while rows := entities.articles_without_entities(session, entities_model_id(), _CHUNK):
        stored += store_entities(session, find, rows)
    return stored


def store_entities_later(worker: EntityWorker, sessions: sessionmaker[Session], article: ArticleRow) -> None:
    """Has the worker find the article's entities and stores them when they come, without waiting."""
    if not is_supported(article.language):
        return
    content_hash = article.content_hash

    def store(found: list[Entity]) -> None:
        with sessions() as session:
            entities.put_entities(session, entities_model_id(), {content_hash: found})

    worker.find_later(article.text, store)


def article_entities(
    session: Session, find: FindEntities, article: ArticleRow, access: ModelAccess = UNLIMITED
) -> ArticleEntities:
    """The article's entities, most mentioned first; found now if they are not stored yet."""
    if not is_supported(article.language):
        raise UnsupportedLanguage(str(article.language))
    model = entities_model_id()
    rows = entities.get_entities(session, article.content_hash, model)
    if rows is None:
        with access.admit("entities", len(article.text)):
            store_entities(session, find, [article])
        rows = entities.get_entities(session, article.content_hash, model) or []
    items = [
        EntityOut(
            name=row.name,
            kind=row.kind,  # type: ignore[arg-type]
            count=row.count,
            mentions=[Span(start=start, end=end) for start, end in row.mentions],
        )
        for row in rows
    ]
    return ArticleEntities(article_id=article.id, items=items, model=model)


def entity_articles(session: Session, name: str, kind: Kind | None, limit: int) -> EntityArticles:
    """The stored articles that mention the entity: most mentions first, then newest."""
    model = entities_model_id()
    rows = entities.articles_mentioning(session, model, name, kind, limit)
    items = [EntityArticle.model_validate(row._mapping) for row in rows]
    return EntityArticles(name=name, kind=kind, items=items, model=model)
