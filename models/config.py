from dataclasses import dataclass
from typing import Literal

# How the sentence embedder runs (models/embedder.py).
EmbedderBackend = Literal["onnx", "torch"]


@dataclass(frozen=True)
class ModelConfig:
    """What to load. None everywhere means the embedded, offline defaults."""

    embedder_path: str | None = None
    embedder_backend: EmbedderBackend = "onnx"
    summariser: str | None = None
    qa_model: str | None = None
    torch_threads: int | None = None
