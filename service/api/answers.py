from fastapi import APIRouter

from service.api import error_responses
from service.archive.answers import answer_from_archive
from service.auth import OPEN_TO_READERS, ModelAccessDep
from service.deps import ArchiveIndexDep, ArticleDep, ModelsDep, SessionDep, SettingsDep
from service.operations import answer_about_article, answer_question
from service.schemas import AnswerResponse, QuestionRequest, TextQuestionRequest

router = APIRouter(tags=["answers"])


@router.post(
    "/v1/articles/{article_id}/answers",
    response_model=AnswerResponse,
    responses=error_responses(401, 403, 404, 413, 422, 429, 503),
    openapi_extra=OPEN_TO_READERS,
)
def answer_about_stored_article(
    access: ModelAccessDep,
    request: QuestionRequest,
    article: ArticleDep,
    models: ModelsDep,
    session: SessionDep,
    settings: SettingsDep,
) -> AnswerResponse:
    return answer_about_article(session, models, settings, article, request.question, access)


@router.post(
    "/v1/answers",
    response_model=AnswerResponse,
    responses=error_responses(401, 403, 413, 422, 429, 503),
    openapi_extra=OPEN_TO_READERS,
)
def answer_about_posted_text_or_archive(
    access: ModelAccessDep,
    request: TextQuestionRequest,
    models: ModelsDep,
    settings: SettingsDep,
    index: ArchiveIndexDep,
    session: SessionDep,
) -> AnswerResponse:
    """Answers from the text sent, or, without one, from the stored article that answers best (its id and
    headline cite it; other articles' answers follow in `alternatives`)."""
    if request.text is None:
        return answer_from_archive(session, models, index, settings, request.question, access)
    return answer_question(models, settings, request.text, request.question, access)
