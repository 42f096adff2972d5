"""What Precis does, as functions the HTTP API and the CLI both call."""

import time

from models.presets import load_presets
from models.registry import Models
from service.errors import TextTooLong
from service.schemas import AnswerResponse, SummaryResponse, SummarySentenceOut
from service.settings import Settings


def check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise TextTooLong(field, len(value), limit)


def summarise_text(
    models: Models, settings: Settings, text: str, title: str | None, preset_name: str
) -> SummaryResponse:
    check_length("text", text, settings.max_text_chars)
    preset = load_presets()[preset_name]
    started = time.perf_counter()
    summary = models.summariser.summarise(text, title, preset)
    return SummaryResponse(
        sentences=[
            SummarySentenceOut(text=s.text, start=s.start, end=s.end, score=s.score)
            for s in summary.sentences
        ],
        preset=summary.preset,
        style=preset.style,
        model=summary.model,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def answer_question(models: Models, settings: Settings, text: str, question: str) -> AnswerResponse:
    check_length("text", text, settings.max_text_chars)
    check_length("question", question, settings.max_question_chars)
    started = time.perf_counter()
    answer = models.answers.answer(text, question)
    return AnswerResponse(
        answer=answer.answer,
        start=answer.start,
        end=answer.end,
        score=answer.score,
        context=answer.context,
        context_start=answer.context_start,
        context_end=answer.context_end,
        reason=None if answer.answer is not None else "no_answer",
        model=answer.model,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )
