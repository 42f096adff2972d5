"""What Precis does, as functions the HTTP API and the CLI both call."""

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.language import detect_language, is_supported
from models.presets import load_presets
from models.registry import Models
from models.results import Summary
from service import metrics
from service.archive.index import ArchiveIndex
from service.archive.search import SearchMode, search_articles
from service.errors import ArticleNotFound, Overloaded, TextTooLong, UnsupportedLanguage
from service.model_gate import UNLIMITED, ModelAccess
from service.related import store_vectors
from service.schemas import (
    AnswerCandidate,
    AnswerResponse,
    MatchedSentence,
    SearchHit,
    SearchResults,
    SummaryResponse,
    SummarySentenceOut,
)
from service.settings import Settings
from service.store import cache
from service.store.articles import NewArticle, add_article, content_hash_of, get_article
from service.store.database import engine_of
from service.store.tables import ArticleRow

log = logging.getLogger(__name__)

# Per-request fields; everything else in a response is determined by the cache key and is stored.
_NOT_STORED = {"elapsed_ms", "cached", "article_id", "title", "alternatives"}


def check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise TextTooLong(field, len(value), limit)


def store_article(
    session: Session,
    article: NewArticle,
    max_text_chars: int,
    models: Models | None = None,
    access: ModelAccess = UNLIMITED,
) -> tuple[ArticleRow, bool]:
    """The one way an article is stored (the API, `precis add` and `precis ingest`): returns the row and
    whether it is new. With `models`, its related-articles vector is stored at once, while the text is at hand;
    without (the commands load no models), `precis batch` or the first related-articles request adds it."""
    check_length("text", article.text, max_text_chars)
    row, created = add_article(session, article, detect_language(article.text))
    if models is not None:
        # The article is committed: from here on, nothing may turn its 201 into an error. A vector that cannot
        # be made now (models busy, store locked by a batch) is made later, as for articles from `precis add`.
        try:
            with access.admit("vectors"):
                store_vectors(session, models, [row])
        except (Overloaded, OperationalError) as error:
            session.rollback()
            log.warning("article stored without its vector; it is added later", extra={"error": str(error)})
    return row, created


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def readable_language(text: str) -> str | None:
    """The text's language (None when it cannot be told); refuses a language the models do not read."""
    language = detect_language(text)
    if not is_supported(language):
        raise UnsupportedLanguage(str(language))
    return language


def summarise_text(
    models: Models,
    settings: Settings,
    text: str,
    title: str | None,
    preset_name: str,
    access: ModelAccess = UNLIMITED,
) -> SummaryResponse:
    check_length("text", text, settings.max_text_chars)
    started = time.perf_counter()
    # Admitted before any work on the text: a refusal costs nothing.
    with access.admit("summary", len(text)):
        language = readable_language(text)
        summary = models.summariser.summarise(text, title, load_presets()[preset_name])
    return summary_response(summary, language, elapsed_ms(started))


def summary_response(summary: Summary, language: str | None, elapsed_ms: float) -> SummaryResponse:
    return SummaryResponse(
        sentences=[SummarySentenceOut(text=s.text, start=s.start, end=s.end, score=s.score) for s in summary.sentences],
        preset=summary.preset,
        style=load_presets()[summary.preset].style,
        model=summary.model,
        language=language,
        elapsed_ms=elapsed_ms,
    )


def stored_payload(response: SummaryResponse | AnswerResponse) -> dict[str, Any]:
    """What is kept in the store: the response without its per-request fields."""
    return response.model_dump(exclude=_NOT_STORED)


@dataclass(frozen=True)
class ArticleSummary:
    """A stored article's summary for one request: its ETag, and the summary unless the client's copy is current."""

    etag: str
    summary: SummaryResponse | None


def summary_of_stored_article(
    sessions: sessionmaker[Session],
    models: Models,
    settings: Settings,
    article_id: int,
    preset_name: str,
    client_etags: Collection[str] = (),
    access: ModelAccess = UNLIMITED,
) -> ArticleSummary:
    """The summary of a stored article: its ETag; then nothing more when that is one of `client_etags`, else the
    stored summary, or a new one, computed and stored. Raises ArticleNotFound.

    A stored summary is read on one connection (a Session costs more than the read): the article's content hash,
    then the summary, most often from this process's memory. The article's text is read only to summarise it."""
    with engine_of(sessions).connect() as connection:
        content_hash = content_hash_of(connection, article_id)
        if content_hash is None:
            raise ArticleNotFound(article_id)
        etag = cache.summary_etag(content_hash, models.summariser_id, preset_name)
        if etag in client_etags:
            return ArticleSummary(etag, None)
        stored = _stored_summary(connection, models, content_hash, preset_name, article_id)
    if stored is not None:
        return ArticleSummary(etag, stored)
    with sessions() as session:
        article = get_article(session, article_id)
        if article is None:  # deleted since
            raise ArticleNotFound(article_id)
        return ArticleSummary(etag, _new_summary(session, models, settings, article, preset_name, access))


def summarise_article(
    session: Session,
    models: Models,
    settings: Settings,
    article: ArticleRow,
    preset_name: str,
    access: ModelAccess = UNLIMITED,
) -> SummaryResponse:
    """The stored summary when there is one; otherwise computes it and stores it."""
    stored = _stored_summary(session, models, article.content_hash, preset_name, article.id)
    return stored if stored is not None else _new_summary(session, models, settings, article, preset_name, access)


def _stored_summary(
    store: Session | Connection, models: Models, content_hash: str, preset_name: str, article_id: int
) -> SummaryResponse | None:
    started = time.perf_counter()
    stored = cache.get_summary(store, content_hash, models.summariser_id, preset_name)
    metrics.CACHE.labels(kind="summary", outcome="miss" if stored is None else "hit").inc()
    if stored is None:
        return None
    return SummaryResponse(**stored, elapsed_ms=elapsed_ms(started), cached=True, article_id=article_id)


def _new_summary(
    session: Session, models: Models, settings: Settings, article: ArticleRow, preset_name: str, access: ModelAccess
) -> SummaryResponse:
    summary = summarise_text(models, settings, article.text, article.title, preset_name, access)
    cache.put_summary(session, article.content_hash, models.summariser_id, preset_name, stored_payload(summary))
    return summary.model_copy(update={"article_id": article.id})


def answer_question(
    models: Models, settings: Settings, text: str, question: str, access: ModelAccess = UNLIMITED
) -> AnswerResponse:
    check_length("text", text, settings.max_text_chars)
    check_length("question", question, settings.max_question_chars)
    started = time.perf_counter()
    with access.admit("answer", len(text)):
        language = readable_language(text)
        answer = models.answers.answer(text, question)
    candidate = answer.candidate
    return AnswerResponse(
        answer=answer.answer,
        start=answer.start,
        end=answer.end,
        score=answer.score,
        confidence=answer.confidence,
        context=answer.context,
        context_start=answer.context_start,
        context_end=answer.context_end,
        reason=answer.reason,
        candidate=AnswerCandidate(
            text=candidate.text, start=candidate.start, end=candidate.end, confidence=candidate.confidence
        )
        if candidate
        else None,
        model=answer.model,
        language=language,
        elapsed_ms=elapsed_ms(started),
    )


def answer_about_article(
    session: Session,
    models: Models,
    settings: Settings,
    article: ArticleRow,
    question: str,
    access: ModelAccess = UNLIMITED,
) -> AnswerResponse:
    """The stored answer to this question (up to case and spacing) when there is one; otherwise computes it."""
    check_length("question", question, settings.max_question_chars)
    started = time.perf_counter()
    stored = cache.get_answer(session, article.content_hash, models.answers_id, question)
    metrics.CACHE.labels(kind="answer", outcome="miss" if stored is None else "hit").inc()
    if stored is not None:
        return AnswerResponse(**stored, elapsed_ms=elapsed_ms(started), cached=True, article_id=article.id)
    answer = answer_question(models, settings, article.text, question, access)
    cache.put_answer(session, article.content_hash, models.answers_id, question, stored_payload(answer))
    return answer.model_copy(update={"article_id": article.id})


def search_archive(
    session: Session,
    models: Models,
    index: ArchiveIndex,
    settings: Settings,
    query: str,
    limit: int,
    mode: SearchMode = SearchMode.fused,
    access: ModelAccess = UNLIMITED,
) -> SearchResults:
    check_length("q", query, settings.max_question_chars)
    started = time.perf_counter()
    hits = search_articles(session, models, index, query, limit, mode, access)
    items = [
        SearchHit(
            id=hit.article.id,
            title=hit.article.title,
            source=hit.article.source,
            published_at=hit.article.published_at,
            score=hit.score,
            matched_by=list(hit.matched_by),
            sentence=MatchedSentence(text=hit.sentence.text, start=hit.sentence.start, end=hit.sentence.end),
        )
        for hit in hits
    ]
    return SearchResults(
        query=query, mode=mode.value, items=items, model=index.model_id, elapsed_ms=elapsed_ms(started)
    )
