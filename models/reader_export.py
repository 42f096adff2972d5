"""The trained reader as an ONNX graph, exported once into the same cache as the embedder's and checked against torch.

Run in the exporting child process (`python -m models.onnx_export reader DIR TARGET`, models/onnx_cache.py). The graph
takes `input_ids`, `attention_mask` and `token_type_ids` (int64, windows x tokens) and returns
`start_logits` and `end_logits` (windows x tokens). Like the embedder's it is rewritten with fused attention, and its
weights are kept in a file beside it.
"""

from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, PreTrainedModel

from models.embedder import bundled_minilm_path
from models.onnx_cache import ExportError
from models.onnx_export import (
    export_workspace,
    install,
    optimise_bert,
    register_classic_attention,
    trace_to_onnx,
    with_weights_beside,
)
from models.reader_files import SPAN_OUTPUTS as OUTPUTS
from models.reader_files import span_model

# fp32 export differs from torch by rounding; a logit is a few units, so 1e-3 is far below any decision.
VERIFY_MAX_DIFFERENCE = 1e-3
_PROBE = [
    ("Who opened the bridge?", "The mayor, Helen Carter, opened the £48m bridge across the harbour on Tuesday."),
    ("How much did it cost?", "Shares fell 12%."),
]


class SpanLogitsGraph(torch.nn.Module):
    """Embeddings -> encoder -> span head. The additive mask is built here, as in the embedder's graph, rather than
    by transformers' mask utilities, whose shortcuts for unpadded inputs would be baked into a trace."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.encoder = model.base_model
        self.head = model.qa_outputs

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        embedded = self.encoder.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        additive = (1.0 - attention_mask[:, None, None, :].to(embedded.dtype)) * -10000.0
        hidden = self.encoder.encoder(embedded, attention_mask=additive).last_hidden_state
        start, end = self.head(hidden).split(1, dim=-1)
        return start.squeeze(-1), end.squeeze(-1)


def export_reader(directory: Path, target: Path) -> None:
    """Exports, optimises and verifies the graph of the reader written to `directory` by `precis train reader`, then
    renames it and its weights into place as `target`."""
    model = span_model(directory)
    tokenizer = AutoTokenizer.from_pretrained(bundled_minilm_path())
    if model.config.model_type != "bert":
        raise ExportError(f"only BERT-style readers are exported to ONNX, not {model.config.model_type!r}")
    model.set_attn_implementation(register_classic_attention())
    graph = SpanLogitsGraph(model).eval()
    encoded = tokenizer(
        [q for q, _ in _PROBE], [c for _, c in _PROBE], padding=True, return_tensors="pt", return_token_type_ids=True
    )
    probe = {name: encoded[name].to(torch.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
    with export_workspace(target) as work:
        raw = work / "raw.onnx"
        trace_to_onnx(graph, probe, {name: {0: "batch", 1: "tokens"} for name in OUTPUTS}, raw)
        with torch.inference_mode():
            expected = [value.numpy() for value in graph(**probe)]
        final = work / "final.onnx"
        optimise_bert(raw, final, model.config.num_attention_heads, model.config.hidden_size)
        placed = with_weights_beside(final, work / target.name)
        _verify(placed, {name: value.numpy() for name, value in probe.items()}, expected)
        install(placed, target)


def _verify(graph: Path, inputs: dict[str, np.ndarray], expected: list[np.ndarray]) -> None:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    got = session.run(list(OUTPUTS), inputs)
    mask = inputs["attention_mask"].astype(bool)
    # Padding positions are never read, so they need not match.
    difference = max(float(np.abs(g - e)[mask].max()) for g, e in zip(got, expected, strict=True))
    if difference > VERIFY_MAX_DIFFERENCE:
        raise ExportError(f"the exported reader does not reproduce the torch logits (difference {difference:.2e})")
