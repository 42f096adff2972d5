"""The on-disk cache of exported ONNX graphs, and the export run in a subprocess when a graph is missing.

A cache file is named after the model and a hash of its weights, its config and the versions of everything that
shapes the graph, so new weights or a new torch/transformers/onnxruntime export afresh. The versions are read from
the installed packages' metadata: this module, like the serving process, never imports torch or transformers.

The export itself (models/onnx_export.py) needs torch and transformers, some 300 MiB that would stay resident after
it: it runs as `python -m models.onnx_export` in a child process, which writes to a temporary file, checks the graph
against the torch model and renames it into place, so a concurrent process never reads half a file.
"""

import hashlib
import logging
import mmap
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

log = logging.getLogger(__name__)

# Bump when the exported graph changes (wrapper, opset, optimiser settings): old cache files are then ignored.
# 3: the weights are kept in a file beside the graph (weights_beside), which ONNX Runtime maps instead of parsing
# them out of the graph and copying them.
EXPORT_FORMAT = 3
OPSET = 17
# Scratch directories of an export start with this, beside the graph (so that the final rename stays on one file
# system); ensure_graph clears those a killed exporter left behind.
WORK_PREFIX = ".export-"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# How an int8 graph is made from an fp32 one (onnxruntime.quantization.quantize_dynamic's options: weights int8,
# activations quantized at run time); part of the int8 graph's cache name, so other options quantize afresh.
# Measured on the reader (`precis eval answers`' 1,118 questions; fp32 EM/F1 0.555/0.659, 5.2% made up):
# - per-tensor MatMul weights: F1 0.589; per-channel (a scale per output column): 0.649, 1.35x as fast as fp32;
# - per-channel with the fused attention's projections too: 0.648, twice as fast as fp32;
# - keeping the first layer's feed-forward output in fp32 (where BERT's activation outliers are) gives back the rest
#   at the same speed: EM/F1 0.555/0.657, 5.0% made up, with each window run alone (models/reader.py); keeping the
#   last layer's or the last two's changed nothing (0.648, 0.650), all six cost a third of the speed for 0.658.
# The embedder with the same recipe, each text run alone (models/embedder.py): 563 of 604 summaries (4 presets, 151
# articles) the same as fp32's, ROUGE-Lsum within 0.001 on every preset.
INT8_OPTIONS: dict[str, object] = {
    "weight_type": "QInt8",
    "op_types_to_quantize": ["MatMul", "Attention"],
    "per_channel": True,
    "nodes_to_exclude": ["/encoder/layer.0/output/dense/MatMul"],
}
# SHA-256 of files by (path, size, mtime, inode), and the lock that lets one thread hash a file while another waits
# for it: the embedder's graph name and the reader's check both hash MiniLM's 86 MiB of weights (0.06 s each).
_digests: dict[tuple[str, int, int, int], bytes] = {}
_digests_lock = threading.Lock()


class ExportError(RuntimeError):
    """The model could not be exported, or the exported graph does not reproduce the torch outputs."""


def weights_beside(graph: Path) -> Path:
    """The file holding a cached graph's weights; it is renamed into place before the graph."""
    return graph.with_name(graph.name + ".data")


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "precis" / "onnx"


def weights_file(model_dir: Path) -> Path:
    for name in _WEIGHT_FILES:
        if (model_dir / name).is_file():
            return model_dir / name
    raise ExportError(f"no weights file ({' or '.join(_WEIGHT_FILES)}) in {model_dir}")


def _versions() -> str:
    # The same strings as the modules' __version__ (torch's "2.13.0+cpu" included), so graphs cached before
    # this module read them from metadata are still found.
    return (
        f"format={EXPORT_FORMAT} opset={OPSET} torch={version('torch')} transformers={version('transformers')} "
        f"onnx={version('onnx')} onnxruntime={version('onnxruntime')}"
    )


def file_sha256(path: Path) -> bytes:
    """The file's SHA-256, computed once in this process while the file keeps its size, time and inode.

    The file is hashed mapped, in one call that releases the GIL once: hashlib.file_digest takes the GIL back after
    every 256 KiB, and with the server's imports running beside it each time cost a wait for the GIL, which made
    MiniLM's 86 MiB take 0.31 s instead of 0.06 s."""
    status = path.stat()
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns, status.st_ino)
    with _digests_lock:
        if key not in _digests:
            with path.open("rb") as handle:
                if status.st_size == 0:  # mmap refuses an empty file
                    _digests[key] = hashlib.sha256().digest()
                else:
                    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                        _digests[key] = hashlib.sha256(mapped).digest()
        return _digests[key]


def cache_path(model_dir: Path, name: str, cache_dir: Path | str | None = None) -> Path:
    """Where the embedder graph for these weights and these library versions lives (whether or not it exists yet)."""
    fingerprint = file_sha256(weights_file(model_dir))
    return graph_path(name, fingerprint + (model_dir / "config.json").read_bytes(), cache_dir)


def graph_path(name: str, fingerprint: bytes, cache_dir: Path | str | None = None) -> Path:
    """The cache file for a graph built from what `fingerprint` identifies, under these library versions."""
    digest = hashlib.sha256(fingerprint)
    digest.update(_versions().encode())
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "model"
    return Path(cache_dir or default_cache_dir()).expanduser() / f"{safe_name}-{digest.hexdigest()[:16]}.onnx"


def ensure_onnx(model_dir: Path, name: str, cache_dir: Path | str | None = None) -> Path:
    """The cached embedder graph for this model, exported first if it is not there yet."""
    return ensure_graph(cache_path(model_dir, name, cache_dir), "embedder", model_dir)


def ensure_int8(graph: Path) -> Path:
    """The int8 copy (INT8_OPTIONS) of the cached fp32 `graph`, beside it, quantized first if it is not there yet;
    its name holds the fp32 graph's (which holds the weights' and libraries' fingerprint) and the options'."""
    options = hashlib.sha256(repr(INT8_OPTIONS).encode()).hexdigest()[:8]
    return ensure_graph(graph.with_name(f"{graph.stem}-int8-{options}.onnx"), "int8", graph)


def ensure_graph(target: Path, kind: str, source: Path) -> Path:
    """`target`, exported first from the `kind` ("embedder" or "reader") model in `source`, or quantized ("int8")
    from the fp32 graph `source`, if it is not there yet, by a child process; one exporter at a time."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.with_name(target.name + ".lock")):
        if target.is_file():  # another process exported it while this one waited for the lock
            return target
        for stale in target.parent.glob(f"{WORK_PREFIX}{target.stem}-*"):  # from a killed exporter of this graph
            shutil.rmtree(stale, ignore_errors=True)
        # The first start spends seconds here with the port still closed: say why.
        log.info("exporting a model to ONNX Runtime, once; later starts reuse it", extra={"path": str(target)})
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "models.onnx_export", kind, str(source), str(target)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not target.is_file():
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            raise ExportError(lines[-1] if lines else f"the exporter exited with {done.returncode}")
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
