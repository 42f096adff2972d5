from fastapi import APIRouter, Header, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from service.api import error_responses
from service.auth import OPEN_TO_READERS, ModelAccessDep
from service.deps import ArticleId, ModelsDep, SettingsDep, loaded_models
from service.operations import summarise_text, summary_of_stored_article
from service.schemas import DEFAULT_PRESET, PresetName, SummaryRequest, SummaryResponse

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
async def summarise_stored_article(
    request: Request,
    access: ModelAccessDep,
    article_id: ArticleId,
    preset: PresetName = DEFAULT_PRESET,  # type: ignore[valid-type]
    if_none_match: str | None = Header(None),
) -> Response:
    # async, with all of the store's work in one hand-off to a thread: as a plain `def` taking the article and a
    # session as dependencies it made three (the article, the route, closing the session). The shared state is
    # read here rather than through ModelsDep, SettingsDep and a sessions dependency: each dependency FastAPI
    # resolves costs some microseconds, and this is the route a news site calls most.
    state = request.app.state
    client_etags = {tag.strip() for tag in if_none_match.split(",")} if if_none_match is not None else set()
    found = await run_in_threadpool(
        summary_of_stored_article,
        state.sessions,
        loaded_models(request),
        state.settings,
        article_id,
        preset.value,
        client_etags,
        access,
    )
    headers = {"ETag": found.etag, "Cache-Control": CACHE_CONTROL}
    if found.summary is None:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    # Serialised here, once: returned as a model, it would be validated again against response_model (already
    # its type) and converted twice, which was a good part of what a stored summary cost.
    return Response(found.summary.model_dump_json(), media_type="application/json", headers=headers)


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
