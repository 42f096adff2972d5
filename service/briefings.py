"""Briefings: one summary across several stored articles, for the HTTP API, the CLI and the reader page.

Briefings are not stored. Each is made in a few hundred milliseconds from articles' leading sentences, and the same
set of articles is seldom asked for twice except from one article page; a stored briefing would need a key made of
a set of content hashes, would carry article ids and dates that the article rows own, and deleting any one of its
articles would have to find and delete it. Summaries and answers, keyed by one text, have none of these problems."""

import time

from sqlalchemy.orm import Session

from models.briefing import DatedArticle, brief
from models.language import is_supported
from models.presets import load_presets
from models.registry import Models
from service.archive.index import ArchiveIndex
from service.archive.search import search_articles
from service.errors import ArticleNotFound, NoMatchingArticles, UnsupportedLanguage
from service.model_gate import UNLIMITED, ModelAccess
from service.operations import elapsed_ms
from service.schemas import ArticleHeadline, BriefingRequest, BriefingResponse, BriefingSentenceOut
from service.store.articles import get_articles
from service.store.tables import ArticleRow

# A briefing on a query covers the archive's best matches, as many as a briefing of related articles holds.
QUERY_ARTICLES = 5


def articles_for_briefing(
    session: Session, models: Models, index: ArchiveIndex, request: BriefingRequest, access: ModelAccess = UNLIMITED
) -> list[ArticleRow]:
    """The stored articles the request names, in its order: by id (ArticleNotFound, a 404, for an id not stored;
    checked before the model gate, so it costs nothing and counts against no rate limit), or the best
    QUERY_ARTICLES that archive search finds for its query (NoMatchingArticles, a 404, when none)."""
    if request.query is not None:
        hits = search_articles(session, models, index, request.query, QUERY_ARTICLES, access=access)
        if not hits:
            raise NoMatchingArticles(request.query)
        return [hit.article for hit in hits]
    assert request.article_ids is not None  # the request's validator allows ids or a query
    rows = get_articles(session, request.article_ids)
    if len(rows) < len(request.article_ids):
        stored = {row.id for row in rows}
        raise ArticleNotFound(next(i for i in request.article_ids if i not in stored))
    return rows


def brief_articles(
    session: Session,
    models: Models,
    index: ArchiveIndex,
    request: BriefingRequest,
    access: ModelAccess = UNLIMITED,
) -> BriefingResponse:
    """The briefing on the requested articles. An article in a language the models do not read is left out (the
    response lists the articles used); when that leaves none, it is refused as a summary would be."""
    started = time.perf_counter()
    rows = articles_for_briefing(session, models, index, request, access)
    readable = [row for row in rows if is_supported(row.language)]
    if not readable:
        raise UnsupportedLanguage(str(rows[0].language))
    preset = load_presets()[request.preset.value]
    with access.admit("briefing", sum(len(row.text) for row in readable)):
        briefing = brief(
            models.embedder,
            [DatedArticle(row.text, row.title, id=row.id, published_at=row.published_at) for row in readable],
            preset,
        )
    by_id = {row.id: row for row in readable}
    return BriefingResponse(
        sentences=[
            BriefingSentenceOut(
                text=s.text,
                article_id=s.article_id,
                start=s.start,
                end=s.end,
                published_at=by_id[s.article_id].published_at,
                score=s.score,
            )
            for s in briefing.sentences
        ],
        articles=[
            ArticleHeadline.model_validate(by_id[article_id], from_attributes=True)
            for article_id in briefing.article_ids
        ],
        preset=briefing.preset,
        style=preset.style,
        model=briefing.model,
        elapsed_ms=elapsed_ms(started),
    )
