from fastapi import APIRouter, Query, Response, status

from service.api import error_responses
from service.deps import ArticleDep, SessionDep, SettingsDep
from service.operations import check_length
from service.schemas import ArticleCreated, ArticleIn, ArticleListItem, ArticleOut, ArticlePage
from service.store.articles import add_article, list_articles

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ArticleCreated,
    responses={
        200: {"model": ArticleCreated, "description": "The same text was already stored."},
        **error_responses(413, 422),
    },
)
def create_article(
    article: ArticleIn, session: SessionDep, settings: SettingsDep, response: Response
) -> ArticleCreated:
    check_length("text", article.text, settings.max_text_chars)
    row, created = add_article(session, article)
    if not created:
        response.status_code = status.HTTP_200_OK
    return ArticleCreated(id=row.id, content_hash=row.content_hash, created=created)


@router.get("", response_model=ArticlePage, responses=error_responses(422))
def read_articles(
    session: SessionDep,
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> ArticlePage:
    rows, total = list_articles(session, limit, offset)
    return ArticlePage(
        items=[ArticleListItem.model_validate(row) for row in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{article_id}", response_model=ArticleOut, responses=error_responses(404, 422))
def read_article(article: ArticleDep) -> ArticleOut:
    return ArticleOut.model_validate(article)
