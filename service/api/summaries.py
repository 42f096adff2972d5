from fastapi import APIRouter, Header, Response, status

from service.api import error_responses
from service.auth import OPEN_TO_READERS, ModelAccessDep
from service.deps import ArticleDep, ModelsDep, SessionDep, SettingsDep
from service.operations import summarise_article, summarise_text
from service.schemas import DEFAULT_PRESET, PresetName, SummaryRequest, SummaryResponse
from service.store.cache import summary_etag

router = APIRouter(tags=["summaries"])

# The ETag is a hash of the article text, model version and preset, so a cached copy is valid as long as the
# article is; max-age still bounds how long a browser or CDN keeps it without asking.
CACHE_CONTROL = "public, max-age=3600"


@router.get(
    "/v1/articles/{article_id}/summary",
    response_model=SummaryResponse,
    responses={
        304: {"description": "The client's copy (If-None-Match) is current."},
        **error_responses(401, 403, 404, 413, 422, 429, 503),
    },
    openapi_extra=OPEN_TO_READERS,
)
def summarise_stored_article(
    access: ModelAccessDep,
    article: ArticleDep,
    models: ModelsDep,
    session: SessionDep,
    settings: SettingsDep,
    preset: PresetName = DEFAULT_PRESET,  # type: ignore[valid-type]
    if_none_match: str | None = Header(None),
) -> Response:
    etag = summary_etag(article.content_hash, models.summariser_id, preset.value)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    summary = summarise_article(session, models, settings, article, preset.value, access)
    # Serialised here, once: returned as a model, it would be validated again against response_model (already
    # its type) and converted twice, which was a good part of what a stored summary cost.
    return Response(summary.model_dump_json(), media_type="application/json", headers=headers)


@router.post(
    "/v1/summaries",
    response_model=SummaryResponse,
    responses=error_responses(401, 403, 413, 422, 429, 503),
    openapi_extra=OPEN_TO_READERS,
)
def summarise_posted_text(
    access: ModelAccessDep, request: SummaryRequest, models: ModelsDep, settings: SettingsDep
) -> SummaryResponse:
    return summarise_text(models, settings, request.text, request.title, request.preset.value, access)
