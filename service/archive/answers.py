"""Asking the archive: a question with no article finds the stored articles likeliest to answer it (archive search),
asks the trained reader of each, and cites the article whose answer the reader is surest of; the others' answers
come along as alternatives. No answer when the reader is sure enough of none of them."""

import time

from sqlalchemy.orm import Session

from models.language import is_supported
from models.presets import load_ranking
from models.registry import Models
from service.archive.index import ArchiveIndex
from service.archive.search import search_articles
from service.model_gate import UNLIMITED, ModelAccess
from service.operations import answer_about_article, check_length, elapsed_ms
from service.schemas import AnswerCandidate, AnswerResponse, CitedAnswer
from service.settings import Settings
from service.store.tables import ArticleRow

# Articles read per question: the search's best few, each one reader pass (tens of ms; a stored answer is reused).
# On tests/data/archive_questions.jsonl the right article was search's first for all 80 answerable questions, and
# reading 1, 2, 3 or 5 articles cited it equally often; three leave room for the other articles' answers.
ARTICLES_READ = 3
# The reader's margin an answer from the archive must reach (fitted: prompts/ranking.toml [archive]).
MIN_ANSWER_SCORE = load_ranking()["archive"]["min_answer_score"]


def answer_from_archive(
    session: Session,
    models: Models,
    index: ArchiveIndex,
    settings: Settings,
    question: str,
    access: ModelAccess = UNLIMITED,
) -> AnswerResponse:
    check_length("question", question, settings.max_question_chars)
    started = time.perf_counter()
    hits = search_articles(session, models, index, question, ARTICLES_READ, access=access)
    answers = [
        (hit.article, answer_about_article(session, models, settings, hit.article, question, access))
        for hit in hits
        # The reader reads English only: another language's article cannot be cited.
        if is_supported(hit.article.language)
    ]
    # Sure answers first, the surest first (the verifier's confidence; without one, the margin).
    found = sorted(
        (
            (_cited(article, answer), answer.language)
            for article, answer in answers
            if answer.answer is not None and answer.score >= MIN_ANSWER_SCORE
        ),
        key=lambda pair: (-(pair[0].confidence or 0.0), -pair[0].score),
    )
    if not found:
        return _not_found(answers, models.answers_id, elapsed_ms(started))
    best, language = found[0]
    return AnswerResponse(
        **best.model_dump(exclude={"article_id", "title"}),
        model=models.answers_id,
        language=language,
        elapsed_ms=elapsed_ms(started),
        article_id=best.article_id,
        title=best.title,
        alternatives=[cited for cited, _ in found[1:]],
    )


def _not_found(answers: list[tuple[ArticleRow, AnswerResponse]], model: str, elapsed: float) -> AnswerResponse:
    """No article answers surely: the likeliest span any of them holds, as "not sure", or "no answer". Only a span
    that clears the archive's margin bar is offered (reading several articles makes a spurious span likelier than in
    one); an answer its article's verifier was sure of but under that bar is offered as "not sure" too."""
    unsure = [
        (article, answer, answer.candidate or _as_candidate(answer))
        for article, answer in answers
        if (answer.candidate is not None or answer.answer is not None) and answer.score >= MIN_ANSWER_SCORE
    ]
    if not unsure:
        return AnswerResponse(
            answer=None,
            start=None,
            end=None,
            score=max((answer.score for _, answer in answers), default=0.0),
            context=None,
            context_start=None,
            context_end=None,
            reason="no_answer",
            model=model,
            elapsed_ms=elapsed,
        )
    article, answer, candidate = max(unsure, key=lambda found: (found[2].confidence, found[1].score))
    return AnswerResponse(
        answer=None,
        start=None,
        end=None,
        score=answer.score,
        confidence=candidate.confidence,
        context=answer.context,
        context_start=answer.context_start,
        context_end=answer.context_end,
        reason="not_sure",
        candidate=candidate,
        model=model,
        language=answer.language,
        elapsed_ms=elapsed,
        article_id=article.id,
        title=article.title,
    )


def _as_candidate(answer: AnswerResponse) -> AnswerCandidate:
    assert answer.answer is not None and answer.start is not None and answer.end is not None
    return AnswerCandidate(text=answer.answer, start=answer.start, end=answer.end, confidence=answer.confidence or 0.0)


def _cited(article: ArticleRow, answer: AnswerResponse) -> CitedAnswer:
    return CitedAnswer(
        article_id=article.id,
        title=article.title,
        **answer.model_dump(
            include={"answer", "start", "end", "score", "confidence", "context", "context_start", "context_end"}
        ),
    )
