"""The one way the server, the commands and the developer tools load the models: from the PRECIS_* settings."""

from dataclasses import replace

from models.registry import Models
from models.registry import load_models as load_configured
from service.settings import Settings


def load_models(settings: Settings, default_threads: int | None = None) -> Models:
    """The configured models, loaded once. `default_threads` applies when PRECIS_TORCH_THREADS is unset: the
    evaluations use 1, since on the shared 2-core machine torch's spinning worker threads made a batch of
    embeddings 25x slower when other processes were busy."""
    config = settings.model_config_for_loading()
    return load_configured(replace(config, torch_threads=config.torch_threads or default_threads))
