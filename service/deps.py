"""Typed FastAPI dependencies for the shared state: settings, store sessions, models, the archive's vector index,
the entity worker.

A dependency that neither blocks nor waits is `async def`: FastAPI runs a plain `def` dependency in its thread pool,
and those hand-offs between threads were a third of what a stored summary cost."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from models.registry import Models
from service.archive.index import ArchiveIndex
from service.entity_worker import EntityWorker
from service.errors import ArticleNotFound, NotReady
from service.model_gate import ModelGate
from service.settings import Settings
from service.store.articles import get_article
from service.store.tables import MAX_ID, ArticleRow


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _session(request: Request) -> AsyncIterator[Session]:
    # Making a session touches no database; closing it returns its connection (a rollback), which may wait on the
    # network, so that part runs in a thread.
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


def loaded_models(request: Request) -> Models:
    """The models; NotReady (503) while they load."""
    models: Models | None = request.app.state.models
    if models is None:
        raise NotReady("The models are still loading; try again shortly.")
    return models


async def _models(request: Request) -> Models:
    return loaded_models(request)


async def _archive_index(request: Request) -> ArchiveIndex:
    index: ArchiveIndex | None = request.app.state.archive_index
    if index is None:
        raise NotReady("The archive's vector index is still loading; try again shortly.")
    return index


async def _gate(request: Request) -> ModelGate:
    return request.app.state.gate


async def _entity_worker(request: Request) -> EntityWorker:
    return request.app.state.entity_worker


SettingsDep = Annotated[Settings, Depends(_settings)]
GateDep = Annotated[ModelGate, Depends(_gate)]
SessionDep = Annotated[Session, Depends(_session)]
ModelsDep = Annotated[Models, Depends(_models)]
ArchiveIndexDep = Annotated[ArchiveIndex, Depends(_archive_index)]
EntityWorkerDep = Annotated[EntityWorker, Depends(_entity_worker)]


# A number past the store's id range could never name an article (service/store/tables.py MAX_ID).
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _article(article_id: ArticleId, session: SessionDep) -> ArticleRow:
    article = get_article(session, article_id)
    if article is None:
        raise ArticleNotFound(article_id)
    return article


ArticleDep = Annotated[ArticleRow, Depends(_article)]
