from fastapi import APIRouter

from service.api import error_responses
from service.auth import OPEN_TO_READERS, ModelAccessDep
from service.briefings import brief_articles
from service.deps import ArchiveIndexDep, ModelsDep, SessionDep
from service.schemas import BriefingRequest, BriefingResponse

router = APIRouter(tags=["briefings"])


@router.post(
    "/v1/briefings",
    response_model=BriefingResponse,
    responses=error_responses(401, 403, 404, 422, 429, 503),
    openapi_extra=OPEN_TO_READERS,
)
def create_briefing(
    access: ModelAccessDep, request: BriefingRequest, models: ModelsDep, index: ArchiveIndexDep, session: SessionDep
) -> BriefingResponse:
    """One summary across the stored articles named by `article_ids`, or across the archive's best matches for
    `query`: each fact once, newest first, every sentence with its article and offsets."""
    return brief_articles(session, models, index, request, access)
