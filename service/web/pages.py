"""The reader's pages: the article list, an article with its AI features panel (driven by static/reader.js) and
its entities, and the articles that mention an entity."""

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from models.entities import KINDS, Kind, entities_model_id
from models.language import is_supported
from models.presets import load_presets
from models.registry import Models
from service.archive.answers import answer_from_archive
from service.archive.index import ArchiveIndex
from service.archive.search import search_articles
from service.auth import PageModelAccessDep
from service.deps import ArchiveIndexDep, EntityWorkerDep, ModelsDep, SessionDep, SettingsDep
from service.entities import article_entities
from service.entity_worker import EntityWorker
from service.errors import PrecisError
from service.model_gate import ModelAccess
from service.related import related_articles
from service.schemas import BRIEFING_MAX_ARTICLES, DEFAULT_PRESET, EntityOut, RelatedArticles
from service.store.articles import get_article, list_articles
from service.store.entities import articles_mentioning
from service.store.tables import ArticleRow

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
PAGE_SIZE = 20
SEARCH_RESULTS = 20
RELATED_COUNT = 5
ENTITY_PAGE_SIZE = 50
# The most mentioned of each kind: a long report can name hundreds of dates and places.
CHIPS_PER_KIND = 20
KIND_LABELS: dict[Kind, str] = {
    "person": "People",
    "organisation": "Organisations",
    "place": "Places",
    "money": "Money",
    "date": "Dates",
}
# Longer ids cannot be stored; rejecting them here keeps the database from being asked.
_ARTICLE_ID = re.compile(r"[0-9]{1,18}")
# Checked here rather than by FastAPI, whose error is the API's JSON; the length keeps the offset in a 64-bit integer.
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
_LINE = re.compile(r"[^\n]+")
_PRESET_LABELS = {"bullets": "Key points"}
# Nothing on these pages is inline, so the browser may refuse any script or style an article smuggles in:
# a second wall behind the templates' escaping.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
}

router = APIRouter(include_in_schema=False)


def _long_date(value: datetime) -> str:
    return f"{value.day} {value:%B %Y}"


_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, undefined=StrictUndefined
)
_environment.filters["long_date"] = _long_date
templates = Jinja2Templates(env=_environment)


@dataclass(frozen=True)
class Paragraph:
    start: int  # offset of the paragraph's first character in the article text
    text: str


@dataclass(frozen=True)
class PresetChoice:
    name: str
    label: str
    description: str


def paragraphs(text: str) -> list[Paragraph]:
    """The stored text, one paragraph per line, unaltered: the API's character offsets then land exactly."""
    return [Paragraph(line.start(), line.group()) for line in _LINE.finditer(text) if line.group().strip()]


def preset_choices() -> list[PresetChoice]:
    return [
        PresetChoice(name, _PRESET_LABELS.get(name, name.capitalize()), preset.description)
        for name, preset in load_presets().items()
    ]


def web_link(url: str | None) -> str | None:
    """Only http(s) links are shown: a stored `javascript:` URL must not become a link a reader can click."""
    return url if url and url.lower().startswith(("https://", "http://")) else None


def _render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code, headers=_SECURITY_HEADERS)


def _list_url(page: int) -> str:
    return f"/?{urlencode({'page': page})}" if page > 1 else "/"


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    # Browsers ask for /favicon.ico whatever the pages link to; every modern one draws an SVG.
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


@router.get("/", response_class=HTMLResponse)
def article_list(
    request: Request,
    session: SessionDep,
    models: ModelsDep,
    index: ArchiveIndexDep,
    access: PageModelAccessDep,
    settings: SettingsDep,
    q: str = "",
    ask: str = "",
    page: str = "1",
) -> HTMLResponse:
    """The newest articles; with `q`, the archive searched by keywords and meaning; with `ask`, the archive's answer."""
    if not _PAGE_NUMBER.fullmatch(page):
        return _render(request, "invalid_page.html", {}, status_code=422)
    q, ask, number = q.strip(), ask.strip(), max(int(page), 1)
    context: dict[str, Any] = {"q": q, "ask": ask, "hits": [], "answer": None, "problem": None}
    try:
        if ask:
            context["answer"] = answer_from_archive(session, models, index, settings, ask, access)
        elif q:
            context["hits"] = search_articles(session, models, index, q, SEARCH_RESULTS, access=access)
    except PrecisError as error:
        # The archive's answer and search are extras of the page: a busy server or an over-long question is a
        # sentence on it, not an error page.
        context["problem"] = error.message
    if q or ask:
        return _render(request, "articles.html", context | {"articles": [], "total": 0, "page": 1, "pages": 1})
    rows, total = list_articles(session, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    pages = max(1, ceil(total / PAGE_SIZE))
    context |= {
        "articles": rows,
        "total": total,
        "page": number,
        "pages": pages,
        "newer_url": _list_url(min(number - 1, pages)) if number > 1 else None,
        "older_url": _list_url(number + 1) if number < pages else None,
    }
    return _render(request, "articles.html", context)


def _related(session: Session, models: Models, index: ArchiveIndex, article: ArticleRow) -> RelatedArticles | None:
    try:
        return related_articles(session, models, index, article, RELATED_COUNT)
    except Exception:
        # The list is an extra; the article must still be readable when the list cannot be made.
        log.exception("related articles failed", extra={"article_id": article.id})
        session.rollback()
        return None


def _entities_by_kind(
    session: Session, worker: EntityWorker, access: ModelAccess, article: ArticleRow
) -> dict[str, list[EntityOut]] | None:
    """The article's entities under their kinds' labels, in KINDS order, for the chips.

    Rendered here rather than fetched by reader.js: one markup for them, links that work without script, and the
    page needs them from the store in all but a rare case (they are found in the background when an article is
    stored through the API, and by `precis batch`). In that case they are found now, through the worker, as
    related articles' missing vectors are: tens of milliseconds, about a second if its process must start."""
    try:
        found = article_entities(session, worker.find, article, access)
    except Exception:
        # The chips are an extra; the article must still be readable when they cannot be made.
        log.exception("entities failed", extra={"article_id": article.id})
        session.rollback()
        return None
    return {KIND_LABELS[kind]: [e for e in found.items if e.kind == kind] for kind in KINDS}


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(
    request: Request,
    article_id: str,
    session: SessionDep,
    models: ModelsDep,
    index: ArchiveIndexDep,
    entity_worker: EntityWorkerDep,
    access: PageModelAccessDep,
) -> HTMLResponse:
    article = get_article(session, int(article_id)) if _ARTICLE_ID.fullmatch(article_id) else None
    if article is None:
        return _render(request, "not_found.html", {}, status_code=404)
    related = _related(session, models, index, article)
    readable = is_supported(article.language)
    context = {
        "article": article,
        "original_url": web_link(article.url),
        "paragraphs": paragraphs(article.text),
        "presets": preset_choices(),
        "default_preset": DEFAULT_PRESET.value,
        "related": related,
        "readable": readable,
        # "Brief me on this story": this article and its related ones.
        "briefing_ids": ([article.id] + [item.id for item in related.items])[:BRIEFING_MAX_ARTICLES] if related else [],
        # Read by an English recogniser: an article in another language has none (its page says why).
        "entities": _entities_by_kind(session, entity_worker, access, article) if readable else {},
        "chips_per_kind": CHIPS_PER_KIND,
    }
    return _render(request, "article.html", context)


# {name:path}: a name may hold a slash ("AC/DC", "24/11/2026").
@router.get("/entities/{name:path}", response_class=HTMLResponse)
def entity_page(request: Request, name: str, session: SessionDep, kind: str = "") -> HTMLResponse:
    """The stored articles that mention the entity, newest first; `kind` (as the chips link it) keeps one kind of
    thing so named, an unknown one is ignored."""
    chosen = cast(Kind, kind) if kind in KINDS else None
    # The store's rows, not the API's items: with created_at, the list says when an undated article was added, as
    # "/" does.
    articles = articles_mentioning(session, entities_model_id(), name, chosen, ENTITY_PAGE_SIZE, newest_first=True)
    context = {"name": name, "kind": chosen, "articles": articles, "more": len(articles) == ENTITY_PAGE_SIZE}
    return _render(request, "entity.html", context)
