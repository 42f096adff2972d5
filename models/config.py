import os
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
    # The ONNX graphs with int8 weights (models/onnx_cache.py INT8_OPTIONS): twice as fast, results a little apart.
    embedder_int8: bool = True
    reader_int8: bool = False
    # Overrides the verifier's fitted answer threshold (models/verifier.py).
    answer_min_confidence: float | None = None
    torch_threads: int | None = None

    @property
    def embedder_runs_int8(self) -> bool:
        return runs_int8(self.embedder_int8, self.embedder_backend)


def runs_int8(int8: bool, backend: Backend) -> bool:
    """Whether a model asked for int8 runs int8 weights: they are an ONNX graph's, not torch's."""
    return int8 and backend == "onnx"


def cpu_threads(requested: int | None = None) -> int:
    """Threads per process for the models: `requested` (PRECIS_TORCH_THREADS) when set, else one per CPU this
    process may run on (what torch itself chose on this machine), found without importing torch."""
    if requested:
        return requested
    # sched_getaffinity honours a CPU set the process was confined to; it is missing on macOS.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
