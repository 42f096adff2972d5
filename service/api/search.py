from typing import Annotated

from fastapi import APIRouter, Query

from service.api import error_responses
from service.archive.search import SearchMode
from service.auth import OPEN_TO_READERS, ModelAccessDep
from service.deps import ArchiveIndexDep, ModelsDep, SessionDep, SettingsDep
from service.operations import search_archive
from service.schemas import SearchResults

router = APIRouter(tags=["archive"])


@router.get(
    "/v1/search",
    response_model=SearchResults,
    responses=error_responses(401, 403, 422, 429, 503),
    openapi_extra=OPEN_TO_READERS,
)
def search(
    access: ModelAccessDep,
    models: ModelsDep,
    index: ArchiveIndexDep,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, pattern=r"\S", description="What to look for, in words or meaning.")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    mode: Annotated[
        SearchMode, Query(description="fused: keywords and meaning together; or one of them alone.")
    ] = SearchMode.fused,
) -> SearchResults:
    return search_archive(session, models, index, settings, q, limit, mode, access)
