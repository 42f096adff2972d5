"""Exports a BERT-style sentence encoder (or the trained reader, models/reader_export.py) to one ONNX graph.

Run as `python -m models.onnx_export embedder|reader SOURCE_DIR TARGET` by models/onnx_cache.py, in a child process:
the export needs torch and transformers, whose memory must not stay in the server. The embedder's graph takes
`input_ids` and `attention_mask` (int64, batch x tokens, right-padded) and returns the L2-normalised mean-pooled
sentence vectors, so pooling runs inside ONNX Runtime too. For BERT models the graph is then rewritten by ONNX
Runtime's transformer optimiser (fused attention and bias+GELU). The model stays fp32: the vectors match torch's to
rounding (cosine > 0.99999). The graph is written to a temporary file with its weights in a second one (ONNX Runtime
maps that file rather than parsing 90 MB of weights out of the graph and copying them: a session took 0.03 s of CPU
to create instead of 0.10 s, and 40 MiB less memory), checked against the torch model, then both are renamed into
place, the weights first.
"""

import argparse
import logging
import math
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from models.onnx_cache import INT8_OPTIONS, OPSET, WORK_PREFIX, ExportError, weights_beside

log = logging.getLogger(__name__)

INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "embeddings"
# The exported graph must reproduce the torch vectors (fp32 export differs only by rounding, ~1e-7).
VERIFY_MIN_COSINE = 0.9999
CLASSIC_ATTENTION = "precis_onnx_export"
_PROBES = [
    "The council voted on Tuesday to build a £48m bridge across the harbour.",
    "Police said.",
    "",
    "Shares in the company fell 12% after it warned that profits would be lower than expected this year, "
    "blaming rising energy costs, a weaker pound and a slowdown in orders from its biggest customers in Europe.",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m models.onnx_export", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["embedder", "reader", "int8"])
    parser.add_argument(
        "source", type=Path, help="the model directory (embedder), reader directory (reader) or fp32 graph (int8)"
    )
    parser.add_argument("target", type=Path, help="the graph file to write")
    args = parser.parse_args(argv)
    try:
        if args.kind == "embedder":
            export(args.source, args.target)
        elif args.kind == "int8":
            quantize(args.source, args.target)
        else:
            from models.reader_export import export_reader

            export_reader(args.source, args.target)
    except Exception as error:  # the parent reads the last line of stderr as the reason
        sys.exit(f"{type(error).__name__}: {error}")


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
        placed = with_weights_beside(final, work / target.name)
        _verify(placed, {key: value.numpy() for key, value in probe.items()}, expected)
        install(placed, target)


@contextmanager
def export_workspace(target: Path) -> Iterator[Path]:
    """A scratch directory beside `target` (so the final rename stays on one file system), removed afterwards."""
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f"{WORK_PREFIX}{target.stem}-") as work:
        yield Path(work)


def with_weights_beside(graph: Path, placed: Path) -> Path:
    """`graph` written again as `placed`, its weights in weights_beside(placed), which the graph names by file name
    alone: so the pair can be checked in the workspace and then renamed into the cache."""
    import onnx

    model = onnx.load(str(graph))
    onnx.save_model(
        model,
        str(placed),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=weights_beside(placed).name,
    )
    return placed


def install(placed: Path, target: Path) -> None:
    """Renames a checked graph and its weights into the cache, the weights first: a graph that is there always has
    its weights (ensure_graph looks for the graph alone)."""
    # onnx writes the weights readable by their owner alone; they are as readable as the graph was before.
    weights_beside(placed).chmod(placed.stat().st_mode)
    os.replace(weights_beside(placed), weights_beside(target))
    os.replace(placed, target)


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


def quantize(source: Path, target: Path) -> None:
    """The fp32 graph `source` (the embedder's or the reader's) with dynamic int8 quantization (INT8_OPTIONS),
    renamed to `target` once ONNX Runtime has run it. How close its outputs are is a question of quality, measured
    by `precis eval answers` and `precis eval summaries`."""
    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    options = dict(INT8_OPTIONS)
    weight_type = QuantType[str(options.pop("weight_type"))]
    with export_workspace(target) as work:
        final = work / "final.onnx"
        # The optimised graph holds com.microsoft operators (fused attention, bias+GELU) whose outputs ONNX's shape
        # inference cannot type; they are all fp32.
        untyped = {"DefaultTensorType": onnx.TensorProto.FLOAT}
        quantize_dynamic(source, final, weight_type=weight_type, extra_options=untyped, **options)
        placed = with_weights_beside(final, work / target.name)
        session = onnxruntime.InferenceSession(str(placed), providers=["CPUExecutionProvider"])
        probe = np.array([[101, 2040, 102, 1996, 3664, 102]], dtype=np.int64)  # [CLS] who [SEP] the mayor [SEP]
        inputs = {"input_ids": probe, "attention_mask": np.ones_like(probe), "token_type_ids": np.zeros_like(probe)}
        feeds = {graph_input.name: inputs[graph_input.name] for graph_input in session.get_inputs()}
        if not all(np.isfinite(output).all() for output in session.run(None, feeds)):
            raise ExportError("the quantized graph computes non-finite outputs")
        install(placed, target)


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


if __name__ == "__main__":
    main()
