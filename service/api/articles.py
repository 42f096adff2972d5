from fastapi import APIRouter, Query, Request, Response, status

from service.api import error_responses
from service.auth import OPEN_TO_READERS, ReaderDep, WriterDep
from service.deps import ArticleDep, EntityWorkerDep, GateDep, ModelsDep, SessionDep, SettingsDep
from service.entities import store_entities_later
from service.errors import UnreadableArticle
from service.ingest.sources import RecordError, article_from_submission
from service.model_gate import ModelAccess
from service.operations import check_length, store_article
from service.schemas import ArticleCreated, ArticleListItem, ArticleOut, ArticlePage, ArticleSubmission
from service.store.articles import delete_article, list_articles

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ArticleCreated,
    responses={
        200: {"model": ArticleCreated, "description": "The same text was already stored."},
        **error_responses(401, 403, 413, 422, 503),
    },
)
def create_article(
    _: WriterDep,
    submission: ArticleSubmission,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    models: ModelsDep,
    gate: GateDep,
    entity_worker: EntityWorkerDep,
    response: Response,
) -> ArticleCreated:
    if submission.html is not None:
        check_length("html", submission.html, settings.max_html_chars)
    try:
        article = article_from_submission(submission, request.app.state.extractor.extract)
    except RecordError as error:
        raise UnreadableArticle(str(error)) from error
    row, created = store_article(session, article, settings.max_text_chars, models, ModelAccess(gate))
    if not created:
        response.status_code = status.HTTP_200_OK
    elif settings.entities_when_stored:
        store_entities_later(entity_worker, request.app.state.sessions, row)
    return ArticleCreated(id=row.id, content_hash=row.content_hash, created=created)


@router.get("", response_model=ArticlePage, responses=error_responses(401, 403, 422), openapi_extra=OPEN_TO_READERS)
def read_articles(
    _: ReaderDep,
    session: SessionDep,
    limit: int = Query(20, ge=1, le=200),
    # The store's integers are 64-bit; no archive needs an offset past 2^31.
    offset: int = Query(0, ge=0, le=2**31 - 1),
    q: str | None = Query(None, max_length=200, description="Only articles whose title contains this text."),
) -> ArticlePage:
    rows, total = list_articles(session, limit, offset, q)
    return ArticlePage(
        items=[ArticleListItem.model_validate(row) for row in rows], total=total, limit=limit, offset=offset
    )


@router.get(
    "/{article_id}",
    response_model=ArticleOut,
    responses=error_responses(401, 403, 404, 422),
    openapi_extra=OPEN_TO_READERS,
)
def read_article(_: ReaderDep, article: ArticleDep) -> ArticleOut:
    return ArticleOut.model_validate(article)


@router.delete(
    "/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        204: {"description": "Deleted, with its summaries, answers, vector and entities."},
        **error_responses(401, 403, 404, 422),
    },
)
def remove_article(_: WriterDep, article: ArticleDep, session: SessionDep) -> Response:
    delete_article(session, article)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
