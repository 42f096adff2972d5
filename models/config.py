from dataclasses import dataclass


@dataclass(frozen=True)
class ModelConfig:
    """What to load. None everywhere means the embedded, offline defaults."""

    embedder_path: str | None = None
    summariser: str | None = None
    qa_model: str | None = None
    torch_threads: int | None = None
