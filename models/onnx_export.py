"""Exports a BERT-style sentence encoder to one ONNX graph, once, into an on-disk cache.

The graph takes `input_ids` and `attention_mask` (int64, batch x tokens, right-padded) and returns the
L2-normalised mean-pooled sentence vectors, so pooling runs inside ONNX Runtime too. For BERT models the graph is
then rewritten by ONNX Runtime's transformer optimiser (fused attention and bias+GELU). The model stays fp32: the
vectors match torch's to rounding (cosine > 0.99999).

The cache file is named after the model and a hash of its weights, its config and the versions of everything that
shapes the graph, so new weights or a new torch/transformers/onnxruntime export afresh. It is written to a temporary
file, checked against the torch model, and then renamed into place, so a concurrent process never reads half a file.
"""

import hashlib
import logging
import math
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)

# Bump when the exported graph changes (wrapper, opset, optimiser settings): old cache files are then ignored.
EXPORT_FORMAT = 2
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "embeddings"
# The exported graph must reproduce the torch vectors (fp32 export differs only by rounding, ~1e-7).
VERIFY_MIN_COSINE = 0.9999
CLASSIC_ATTENTION = "precis_onnx_export"
_WORK_PREFIX = ".export-"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_PROBES = [
    "The council voted on Tuesday to build a £48m bridge across the harbour.",
    "Police said.",
    "",
    "Shares in the company fell 12% after it warned that profits would be lower than expected this year, "
    "blaming rising energy costs, a weaker pound and a slowdown in orders from its biggest customers in Europe.",
]


class ExportError(RuntimeError):
    """The model could not be exported, or the exported graph does not reproduce the torch vectors."""


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "precis" / "onnx"


def weights_file(model_dir: Path) -> Path:
    for name in _WEIGHT_FILES:
        if (model_dir / name).is_file():
            return model_dir / name
    raise ExportError(f"no weights file ({' or '.join(_WEIGHT_FILES)}) in {model_dir}")


def _versions() -> str:
    import onnx
    import onnxruntime
    import transformers

    return (
        f"format={EXPORT_FORMAT} opset={OPSET} torch={torch.__version__} transformers={transformers.__version__} "
        f"onnx={onnx.__version__} onnxruntime={onnxruntime.__version__}"
    )


def cache_path(model_dir: Path, name: str, cache_dir: Path | str | None = None) -> Path:
    """Where the embedder graph for these weights and these library versions lives (whether or not it exists yet)."""
    with weights_file(model_dir).open("rb") as weights:
        fingerprint = hashlib.file_digest(weights, "sha256").digest()
    return graph_path(name, fingerprint + (model_dir / "config.json").read_bytes(), cache_dir)


def graph_path(name: str, fingerprint: bytes, cache_dir: Path | str | None = None) -> Path:
    """The cache file for a graph built from what `fingerprint` identifies, under these library versions."""
    digest = hashlib.sha256(fingerprint)
    digest.update(_versions().encode())
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "model"
    return Path(cache_dir or default_cache_dir()).expanduser() / f"{safe_name}-{digest.hexdigest()[:16]}.onnx"


def ensure_onnx(model_dir: Path, name: str, cache_dir: Path | str | None = None) -> Path:
    """The cached embedder graph for this model, exported first if it is not there yet."""
    return ensure_graph(cache_path(model_dir, name, cache_dir), lambda target: export(model_dir, target))


def ensure_graph(target: Path, build: Callable[[Path], None]) -> Path:
    """`target`, built first by `build(target)` if it is not there yet; one builder at a time."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.with_name(target.name + ".lock")):
        if target.is_file():  # another process exported it while this one waited for the lock
            return target
        for stale in target.parent.glob(f"{_WORK_PREFIX}{target.stem}-*"):  # from a killed exporter of this graph
            shutil.rmtree(stale, ignore_errors=True)
        # The first start spends seconds here with the port still closed: say why.
        log.info("exporting a model to ONNX Runtime, once; later starts reuse it", extra={"path": str(target)})
        started = time.perf_counter()
        build(target)
        log.info("model exported to ONNX", extra={"path": str(target), "seconds": time.perf_counter() - started})
    return target


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One exporting process at a time (others wait, then reuse its file); atomic renames keep readers safe anyway."""
    try:
        import fcntl
    except ImportError:  # not POSIX: concurrent exports just race, and the last rename wins
        yield
        return
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def export(model_dir: Path, target: Path) -> None:
    """Exports, optimises and verifies the graph, then renames it to `target`."""
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = _load_for_export(model_dir)
    probe = tokenizer(_PROBES, padding=True, truncation=True, max_length=64, return_tensors="pt")
    probe = {key: probe[key].to(torch.int64) for key in INPUT_NAMES}
    with export_workspace(target) as work:
        raw = work / "raw.onnx"
        trace_to_onnx(model, probe, {OUTPUT_NAME: {0: "batch"}}, raw)
        with torch.inference_mode():
            expected = model(**probe).numpy()
        final = work / "final.onnx"
        if config.model_type == "bert":
            optimise_bert(raw, final, config.num_attention_heads, config.hidden_size)
        else:
            raw.replace(final)
        _verify(final, {key: value.numpy() for key, value in probe.items()}, expected)
        os.replace(final, target)


@contextmanager
def export_workspace(target: Path) -> Iterator[Path]:
    """A scratch directory beside `target` (so the final rename stays on one file system), removed afterwards;
    `ensure_graph` clears those a killed exporter left behind."""
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f"{_WORK_PREFIX}{target.stem}-") as work:
        yield Path(work)


def trace_to_onnx(
    module: torch.nn.Module, probe: dict[str, torch.Tensor], outputs: dict[str, dict[int, str]], path: Path
) -> None:
    """Traces `module` on `probe` (int64 inputs, batch x tokens) into an ONNX graph whose batch and token axes stay
    dynamic; `outputs` names each output with its dynamic axes."""
    dynamic_axes = {name: {0: "batch", 1: "tokens"} for name in probe}
    dynamic_axes.update(outputs)
    with torch.inference_mode(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs onnxscript.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (),
            str(path),
            kwargs=dict(probe),
            input_names=list(probe),
            output_names=list(outputs),
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _load_for_export(model_dir: Path) -> "PooledEncoder":
    from transformers import AutoModel

    register_classic_attention()
    encoder = AutoModel.from_pretrained(model_dir, attn_implementation=CLASSIC_ATTENTION).eval()
    if not (hasattr(encoder, "embeddings") and hasattr(encoder, "encoder")):
        raise ExportError(f"{type(encoder).__name__} is not a BERT-style encoder (embeddings + encoder)")
    return PooledEncoder(encoder).eval()


def register_classic_attention() -> str:
    """Registers `classic_attention` with transformers; returns the name to pass as attn_implementation."""
    from transformers import AttentionInterface

    AttentionInterface.register(CLASSIC_ATTENTION, classic_attention)
    return CLASSIC_ATTENTION


def classic_attention(  # type: ignore[no-untyped-def]
    module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs
):
    """Eager attention written as the onnxruntime optimiser's BERT pattern (scores / sqrt(d) + additive mask)."""
    scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(query.shape[-1])
    if attention_mask is not None:
        scores = scores + attention_mask
    probabilities = torch.softmax(scores, dim=-1)
    return torch.matmul(probabilities, value).transpose(1, 2).contiguous(), None


class PooledEncoder(torch.nn.Module):
    """Embeddings -> encoder -> masked mean -> L2 norm. The additive mask is built here rather than by
    transformers' mask utilities, whose shortcuts for unpadded inputs would be baked into a trace."""

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        embedded = self.encoder.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids))
        additive = (1.0 - attention_mask[:, None, None, :].to(embedded.dtype)) * -10000.0
        hidden = self.encoder.encoder(embedded, attention_mask=additive).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)


def optimise_bert(source: Path, target: Path, num_heads: int, hidden_size: int) -> None:
    """Fuses attention and bias+GELU. The fused (Skip/Embed)LayerNormalization kernels are left out: on the 2-core
    Xeon they were slower than plain LayerNormalization (bulk 256 vs 284 sentences/s, same run)."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.enable_skip_layer_norm = False
    options.enable_bias_skip_layer_norm = False
    options.enable_embed_layer_norm = False
    with _quiet_optimiser_logs():
        optimised = optimize_model(
            str(source),
            model_type="bert",
            num_heads=num_heads,
            hidden_size=hidden_size,
            optimization_options=options,
            opt_level=0,
            use_gpu=False,
        )
        fused = optimised.get_fused_operator_statistics()
        optimised.save_model_to_file(str(target))
    if not fused.get("Attention"):
        log.warning("onnxruntime did not fuse the embedder's attention; the ONNX graph will be slower", extra=fused)


@contextmanager
def _quiet_optimiser_logs() -> Iterator[None]:
    """The optimiser's modules log every fusion at INFO under their bare module names; keep only warnings."""
    import onnxruntime.transformers

    # Its directory is on sys.path, so a module's logger is named by its bare file name ("fusion_base").
    package = Path(onnxruntime.transformers.__file__).parent
    loggers = [logging.getLogger(module.stem) for module in package.glob("*.py")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.level, logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _verify(graph: Path, inputs: dict[str, np.ndarray], expected: np.ndarray) -> None:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    # Each probe alone (no padding) and all together (padded): both must match the padded torch batch.
    widths = inputs["attention_mask"].sum(axis=1)
    alone = [
        session.run(None, {key: value[row : row + 1, : widths[row]] for key, value in inputs.items()})[0][0]
        for row in range(len(widths))
    ]
    for got in (session.run(None, inputs)[0], np.stack(alone)):
        cosine = (got * expected).sum(axis=1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1))
        if got.shape != expected.shape or not np.all(cosine >= VERIFY_MIN_COSINE):
            raise ExportError(f"the exported graph does not reproduce the torch vectors (cosine {cosine.min():.6f})")
