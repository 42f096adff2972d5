"""The one way the server, the commands and the developer tools load the models: from the PRECIS_* settings."""

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from models.registry import Models
from models.registry import load_models as load_configured
from service.memory import keep_malloc_lean
from service.settings import Settings

log = logging.getLogger(__name__)


def load_models(settings: Settings, default_threads: int | None = None, with_verifier: bool = True) -> Models:
    """The configured models, loaded once. `default_threads` applies when PRECIS_TORCH_THREADS is unset: the
    evaluations use 1, since on the shared 2-core machine torch's spinning worker threads made a batch of
    embeddings 25x slower when other processes were busy. `with_verifier` False loads the reader without its
    verifier (`precis train verifier` fits a new one, whatever is beside the reader)."""
    config = settings.model_config_for_loading()
    return load_configured(replace(config, torch_threads=config.torch_threads or default_threads), with_verifier)


def load_models_in_background(settings: Settings) -> Future[Models]:
    """load_models on a thread of its own. Most of the loading (ONNX Runtime building its sessions, hashing the
    weights) runs outside the GIL, so the caller's own start (imports, the store) goes on beside it."""
    keep_malloc_lean()  # before the loading threads take their malloc arenas
    log.info("loading models; the port opens when they are ready")
    loader = ThreadPoolExecutor(1, thread_name_prefix="model-load")
    try:
        return loader.submit(load_models, settings)
    finally:
        loader.shutdown(wait=False)  # its thread ends once the models are loaded
