from dataclasses import dataclass
from typing import Literal

# How a model runs: ONNX Runtime (a graph exported once and cached) or torch.
Backend = Literal["onnx", "torch"]


@dataclass(frozen=True)
class ModelConfig:
    """What to load. None everywhere means the embedded, offline defaults."""

    embedder_path: str | None = None
    embedder_backend: Backend = "onnx"
    summariser: str | None = None
    qa_model: str | None = None
    reader_backend: Backend = "onnx"
    torch_threads: int | None = None
