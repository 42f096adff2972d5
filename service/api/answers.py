from fastapi import APIRouter

from service.api import error_responses
from service.auth import OPEN_TO_READERS, ModelAccessDep
from service.deps import ArticleDep, ModelsDep, SessionDep, SettingsDep
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
def answer_about_posted_text(
    access: ModelAccessDep, request: TextQuestionRequest, models: ModelsDep, settings: SettingsDep
) -> AnswerResponse:
    return answer_question(models, settings, request.text, request.question, access)
