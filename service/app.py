"""create_app(settings): wires routers, error handlers, the store and model loading."""

import logging
from collections.abc import AsyncIterator
from concurrent.futures import Future
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from models.registry import Models
from service.api import answers, articles, briefings, docs, entities, health, related, search, summaries
from service.archive.index import open_archive_index
from service.asgi import RefuseNul
from service.auth import document_keys_required_for_reads
from service.body_limit import BodyLimit
from service.early_refusal import RefuseWhenSaturated
from service.entity_worker import EntityWorker
from service.errors import install_error_handlers
from service.http_methods import HttpMethods
from service.ingest.extraction_worker import ExtractionWorker
from service.memory import keep_malloc_lean
from service.model_gate import ModelGate
from service.model_loading import load_models_in_background
from service.rate_limits import RateLimits
from service.request_context import RequestContext
from service.security_headers import SecurityHeaders
from service.settings import Settings, get_settings
from service.store.database import make_engine, make_session_factory
from service.web import pages

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, models: Models | None = None, loading: Future[Models] | None = None
) -> FastAPI:
    """The ASGI app. Pass `models` to share already-loaded models (tests, the benchmark), or `loading`, models
    being loaded already (`precis serve` starts them before it imports the app)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keep_malloc_lean()
        # Loaded before the first request is accepted, so that a misconfigured model fails the start, loudly; on a
        # thread of their own while the store and the workers are set up.
        pending = loading
        if models is None and pending is None:
            pending = load_models_in_background(settings)
        engine = make_engine(settings.database_url, settings.database_connect_timeout)
        app.state.sessions = make_session_factory(engine)
        app.state.extractor = ExtractionWorker(
            settings.extraction_timeout_seconds, settings.extraction_memory_mib, settings.model_queue
        )
        # Its process starts when entities are first needed.
        app.state.entity_worker = EntityWorker()
        app.state.models = models if pending is None else pending.result()
        with app.state.sessions() as session:
            app.state.archive_index = open_archive_index(settings, app.state.models, session)
        log.info("precis ready", extra={"database": engine.url.render_as_string(hide_password=True)})
        yield
        # What this process added since it loaded the index is in the log too; saving only shortens the next
        # start's replay.
        app.state.archive_index.save()
        app.state.extractor.close()
        app.state.entity_worker.close()
        engine.dispose()

    app = FastAPI(
        title="Precis",
        version="0.1.0",
        summary="Article summaries and answers for a news site.",
        lifespan=lifespan,
        # FastAPI's own /docs loads Swagger UI from a CDN, blank on a server without internet: service/api/docs.py
        # serves it from the fastapi-offline package instead. No ReDoc: one set of docs.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.models = None
    app.state.archive_index = None
    app.state.gate = ModelGate(settings.model_slots, settings.model_queue, max_chars=settings.model_queue_chars)
    app.state.rate_limits = RateLimits(settings.rate_limit, settings.rate_limit_storage)
    install_error_handlers(app)
    # Added innermost first: a request meets RequestContext, SecurityHeaders, CORS, BodyLimit, RefuseWhenSaturated,
    # RefuseNul, HttpMethods, then the routes; so a 413, a 422, a 503 or a preflight also carries its request id
    # and security headers.
    app.add_middleware(HttpMethods)
    app.add_middleware(RefuseNul)
    app.add_middleware(RefuseWhenSaturated)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"],
            expose_headers=["ETag", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)
    for module in (articles, summaries, answers, related, search, briefings, entities, health, docs):
        app.include_router(module.router)
    app.include_router(pages.router)
    if settings.require_key_for_reads:
        document_keys_required_for_reads(app)
    app.mount("/static/docs", StaticFiles(directory=docs.SWAGGER_UI_DIR), name="docs-assets")
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    return app
