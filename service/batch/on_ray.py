"""`precis batch --engine ray`: the same pre-summariser, with Ray Data actors doing the model work.

The driver loads no model: it lists the articles still lacking a summary, a related-articles vector or their
entities, by the ids the configuration gives (`models.registry.summariser_id`, `vectors_id`,
`models.entities.entities_model_id`). Ray splits them into blocks of `chunk_size`; each actor loads the models
once and runs `summarise_chunk` on its blocks, writing to the shared database, and stores the blocks' missing
vectors and entities (spaCy loaded in the actor on first need). The claim inside `summarise_chunk` (only
still-pending ids, row locks on PostgreSQL) keeps the job exactly-once even with other batch runs going at the
same time. With `PRECIS_RAY_ADDRESS` unset, Ray starts on this machine.
"""

import time

import numpy as np
import ray

from models.config import ModelConfig
from models.entities import entities_model_id, find_entities
from models.registry import load_models, summariser_id, vectors_id
from service.batch.local import BatchPlan, BatchReport, summarise_chunk
from service.entities import store_entities
from service.related import store_vectors
from service.settings import Settings
from service.store.articles import get_articles
from service.store.cache import pending_articles
from service.store.database import make_engine, make_session_factory
from service.store.entities import ids_without_entities
from service.store.tables import ArticleRow
from service.store.vectors import ids_without_vector


class ChunkSummariser:
    """A Ray actor: models and a database connection pool, created once, then one chunk per call."""

    def __init__(self, database_url: str, model_config: ModelConfig, plan: BatchPlan) -> None:
        self.models = load_models(model_config)
        self.sessions = make_session_factory(make_engine(database_url))
        self.plan = plan

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        ids = [int(article_id) for article_id in batch["id"]]
        with self.sessions() as session:
            claimed, stored = summarise_chunk(
                session, self.models, self.plan.presets, self.plan.since, len(ids), only_ids=ids
            )
            rows = get_articles(session, ids)
            vectors = store_vectors(session, self.models, rows)
            entities = store_entities(session, find_entities, rows)
        return {"articles": np.array([claimed]), "vectors": np.array([vectors]), "entities": np.array([entities])} | {
            preset: np.array([stored.get(preset, 0)]) for preset in self.plan.presets
        }


def run_batch_on_ray(settings: Settings, plan: BatchPlan) -> BatchReport:
    ray.init(address=settings.ray_address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = True
    # Each actor gets an equal share of the cores instead of every actor's torch claiming all of them.
    cpus = int(ray.cluster_resources().get("CPU", 1))
    workers = settings.ray_workers or cpus
    model_config = settings.model_config_for_loading()
    actor_config = ModelConfig(**{**vars(model_config), "torch_threads": max(1, cpus // workers)})
    sessions = make_session_factory(make_engine(settings.database_url))
    started = time.perf_counter()
    with sessions() as session:
        query = pending_articles(summariser_id(model_config), plan.presets, plan.since)
        pending = session.scalars(query.with_only_columns(ArticleRow.id).limit(plan.limit))
        ids = sorted(
            set(pending)
            | set(ids_without_vector(session, vectors_id(model_config)))
            | set(ids_without_entities(session, entities_model_id()))
        )
    report = BatchReport(stored=dict.fromkeys(plan.presets, 0))
    if ids:
        results = (
            ray.data.from_items([{"id": article_id} for article_id in ids])
            .map_batches(
                ChunkSummariser,
                fn_constructor_kwargs={
                    "database_url": settings.database_url,
                    "model_config": actor_config,
                    "plan": plan,
                },
                batch_size=plan.chunk_size,
                concurrency=workers,
                num_cpus=cpus / workers,
            )
            .to_pandas()
        )
        report.articles = int(results["articles"].sum())
        report.vectors = int(results["vectors"].sum())
        report.entities = int(results["entities"].sum())
        report.add({preset: int(results[preset].sum()) for preset in plan.presets})
    report.seconds = time.perf_counter() - started
    return report
