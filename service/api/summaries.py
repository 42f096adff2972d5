from fastapi import APIRouter

from service.api import error_responses
from service.deps import ArticleDep, ModelsDep, SettingsDep
from service.operations import summarise_text
from service.schemas import DEFAULT_PRESET, PresetName, SummaryRequest, SummaryResponse

router = APIRouter(tags=["summaries"])


@router.get(
    "/v1/articles/{article_id}/summary",
    response_model=SummaryResponse,
    responses=error_responses(404, 413, 422, 503),
)
def summarise_stored_article(
    article: ArticleDep,
    models: ModelsDep,
    settings: SettingsDep,
    preset: PresetName = DEFAULT_PRESET,  # type: ignore[valid-type]
) -> SummaryResponse:
    summary = summarise_text(models, settings, article.text, article.title, preset.value)
    return summary.model_copy(update={"article_id": article.id})


@router.post("/v1/summaries", response_model=SummaryResponse, responses=error_responses(413, 422, 503))
def summarise_posted_text(
    request: SummaryRequest, models: ModelsDep, settings: SettingsDep
) -> SummaryResponse:
    return summarise_text(models, settings, request.text, request.title, request.preset.value)
