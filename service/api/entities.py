from typing import Annotated

from fastapi import APIRouter, Path, Query

from models.entities import Kind
from service.api import error_responses
from service.auth import OPEN_TO_READERS, ModelAccessDep, ReaderDep
from service.deps import ArticleDep, EntityWorkerDep, SessionDep
from service.entities import article_entities, entity_articles
from service.schemas import ArticleEntities, EntityArticles

router = APIRouter()


@router.get(
    "/v1/articles/{article_id}/entities",
    tags=["articles"],
    response_model=ArticleEntities,
    responses=error_responses(401, 403, 404, 422, 429, 503),
    openapi_extra=OPEN_TO_READERS,
)
def read_article_entities(
    access: ModelAccessDep, article: ArticleDep, worker: EntityWorkerDep, session: SessionDep
) -> ArticleEntities:
    return article_entities(session, worker.find, article, access)


# {name:path}: a name may hold a slash ("AC/DC", "24/11/2026"); one holding a line break matches no route (404).
@router.get(
    "/v1/entities/{name:path}/articles",
    tags=["entities"],
    response_model=EntityArticles,
    responses=error_responses(401, 403, 404, 422),
    openapi_extra=OPEN_TO_READERS,
)
def read_entity_articles(
    _: ReaderDep,
    session: SessionDep,
    name: Annotated[str, Path(description="As the article's entities name it; case, 'the' and 's are ignored.")],
    kind: Annotated[Kind | None, Query(description="Only mentions of this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> EntityArticles:
    return entity_articles(session, name, kind, limit)
