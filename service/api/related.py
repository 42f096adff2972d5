from fastapi import APIRouter, Query

from service.api import error_responses
from service.auth import OPEN_TO_READERS, ModelAccessDep
from service.deps import ArchiveIndexDep, ArticleDep, ModelsDep, SessionDep
from service.related import related_articles
from service.schemas import RelatedArticles

router = APIRouter(tags=["articles"])


@router.get(
    "/v1/articles/{article_id}/related",
    response_model=RelatedArticles,
    responses=error_responses(401, 403, 404, 422, 429, 503),
    openapi_extra=OPEN_TO_READERS,
)
def read_related_articles(
    access: ModelAccessDep,
    article: ArticleDep,
    models: ModelsDep,
    index: ArchiveIndexDep,
    session: SessionDep,
    limit: int = Query(5, ge=1, le=50),
) -> RelatedArticles:
    return related_articles(session, models, index, article, limit, access)
