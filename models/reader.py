"""Extractive QA reader: the character span of a context that answers a question, or "no answer".

A span model (start and end logits per token, the null answer at [CLS] as in SQuAD 2.0) reads (question, context)
windows. A context longer than the model's input is covered by overlapping windows, never truncated. Like a
transformers Pipeline the work is split into preprocess (tokenise into windows), forward (logits, in ONNX Runtime
or torch) and postprocess (the best span against the null answer, in character offsets).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.embedder import length_batches
from models.tokenization import TextTokenizer

# Context tokens shared by neighbouring windows (the transformers QA pipeline's doc_stride), so an answer cut
# at one window's edge is whole in the next.
DEFAULT_STRIDE = 96
# Windows per forward pass: bounds memory on a very long context.
WINDOWS_PER_BATCH = 16
# Windows are batched only with others of about their length (as the embedder batches sentences): a question's ~3
# passages padded to the longest spent ~13% of the reader's work on padding, and running them at their own widths
# measured faster (p50 66 vs 76 ms a question on the loaded 2-core machine, same run), with bit-identical logits.
MAX_PADDING = 0.08

# Takes int64 arrays named as the tokenizer's input names (windows x tokens), returns (start_logits, end_logits).
SpanLogits = Callable[[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class Span:
    """The best answer span of one context. `margin` is its log-probability minus the null answer's: above the
    reader's threshold it is an answer, below it the context does not answer the question. The two log-probabilities
    are kept for the verifier (models/verifier.py), which judges the span by more than their difference."""

    start: int
    end: int
    margin: float
    # log p(start) + log p(end) of the span, in the window it was read in.
    span_logprob: float = 0.0
    # log p(null start) + log p(null end) of the context's window most sure an answer exists.
    null_logprob: float = 0.0
    # The span's share of the probability of every span its window allows: low when the reader hesitates
    # between several.
    share: float = 1.0
    # How far (in log-probability) the best span that does not overlap it falls behind: a close rival elsewhere
    # in the passage is a reason to doubt.
    rival_gap: float = 30.0


@dataclass(frozen=True)
class ReaderWindows:
    """Tokenised (question, context) windows and what postprocess needs to map tokens back to characters."""

    inputs: dict[str, np.ndarray]  # what the model takes (the tokenizer's input names), shape (windows, tokens)
    offsets: np.ndarray  # (windows, tokens, 2): character offsets into the window's context
    context_mask: np.ndarray  # (windows, tokens): True on context tokens, the only ones an answer may use
    context_of: np.ndarray  # (windows,): which of the contexts the window reads
    null_index: np.ndarray  # (windows,): the [CLS] position, which stands for "no answer"
    lengths: np.ndarray  # (windows,): tokens of each window before padding


class QAReader:
    def __init__(
        self,
        tokenizer: TextTokenizer,
        logits: SpanLogits,
        name: str,
        max_length: int,
        threshold: float = 0.0,
        stride: int = DEFAULT_STRIDE,
        max_answer_tokens: int = 30,
        windows_per_batch: int = WINDOWS_PER_BATCH,
    ) -> None:
        """`windows_per_batch` 1 runs each window alone: an int8 graph quantizes its activations with one scale per
        run, so a window's logits would otherwise depend on the windows (and padding) it shares a batch with."""
        self.tokenizer = tokenizer
        self.logits = logits
        self.name = name
        self.max_length = max_length
        self.threshold = threshold
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.windows_per_batch = windows_per_batch

    def read(self, question: str, contexts: list[str]) -> list[Span | None]:
        """For each context, its best span (whatever its margin), or None for an empty context."""
        readable = [i for i, context in enumerate(contexts) if context.strip()]
        found: list[Span | None] = [None] * len(contexts)
        if not readable:
            return found
        windows = self.preprocess(question, [contexts[i] for i in readable])
        start_logits, end_logits = self.forward(windows)
        for position, span in enumerate(self.postprocess(windows, start_logits, end_logits, len(readable))):
            found[readable[position]] = span
        return found

    def preprocess(self, question: str, contexts: list[str]) -> ReaderWindows:
        windows = self.tokenizer.pair_windows(question, contexts, self.max_length, self._stride(question))
        arrays = {
            "input_ids": windows.input_ids,
            "attention_mask": windows.attention_mask,
            "token_type_ids": windows.token_type_ids,
        }
        inputs = {name: arrays[name] for name in self.tokenizer.input_names if name in arrays}
        # argmax finds the first [CLS] (not always the first token); 0 for a tokenizer without one.
        null_index = (windows.input_ids == self.tokenizer.cls_token_id).argmax(axis=1)
        lengths = windows.attention_mask.sum(axis=1)
        return ReaderWindows(inputs, windows.offsets, windows.context_mask, windows.context_of, null_index, lengths)

    def forward(self, windows: ReaderWindows) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits, each of shape (windows, tokens). Each batch runs at its longest window's width;
        the logits of the padding beyond it stay 0, which postprocess never reads."""
        starts = np.zeros(windows.context_mask.shape, dtype=np.float32)
        ends = np.zeros(windows.context_mask.shape, dtype=np.float32)
        for batch in length_batches(windows.lengths.tolist(), self.windows_per_batch, MAX_PADDING):
            width = int(windows.lengths[batch].max())
            start, end = self.logits({name: values[batch, :width] for name, values in windows.inputs.items()})
            starts[batch, :width] = start
            ends[batch, :width] = end
        return starts, ends

    def postprocess(
        self, windows: ReaderWindows, start_logits: np.ndarray, end_logits: np.ndarray, contexts: int
    ) -> list[Span]:
        """Per context: the most probable span over its windows, scored against the null answer."""
        # Log-probabilities over the window's context tokens and [CLS] (the null answer): question,
        # special and padding tokens can neither start nor end an answer.
        allowed = windows.context_mask.copy()
        every = np.arange(len(windows.null_index))
        allowed[every, windows.null_index] = True
        start = _log_softmax(np.where(allowed, start_logits, -np.inf))
        end = _log_softmax(np.where(allowed, end_logits, -np.inf))
        null = start[every, windows.null_index] + end[every, windows.null_index]

        spans = start[:, :, None] + end[:, None, :]  # (windows, start token, end token)
        length = spans.shape[-1]
        # end >= start and at most max_answer_tokens long: a band above the diagonal.
        band = np.triu(np.ones((length, length), dtype=bool)) & ~np.triu(
            np.ones((length, length), dtype=bool), self.max_answer_tokens
        )
        valid = band & windows.context_mask[:, :, None] & windows.context_mask[:, None, :]
        spans = np.where(valid, spans, -np.inf)
        flat = spans.reshape(spans.shape[0], -1)
        best = flat.argmax(axis=1)
        best_score = flat[every, best]

        found = []
        for context in range(contexts):
            rows = np.flatnonzero(windows.context_of == context)
            window = int(rows[best_score[rows].argmax()])
            first, last = divmod(int(best[window]), length)
            # The window most sure an answer exists speaks for "no answer", as in the transformers QA pipeline.
            null_logprob = float(null[rows].min())
            span_logprob = float(best_score[window])
            scores = spans[window]
            finite = scores[np.isfinite(scores)]
            total = float(finite.max() + np.log(np.exp(finite - finite.max()).sum())) if finite.size else 0.0
            # Spans that share no token with the best: starting after it, or ending before it.
            apart = scores.copy()
            apart[: last + 1, first:] = -np.inf
            rival = float(apart.max())
            found.append(
                Span(
                    int(windows.offsets[window, first, 0]),
                    int(windows.offsets[window, last, 1]),
                    span_logprob - null_logprob,
                    span_logprob,
                    null_logprob,
                    float(np.exp(span_logprob - total)) if finite.size else 0.0,
                    min(span_logprob - rival, 30.0) if np.isfinite(rival) else 30.0,
                )
            )
        return found

    def _stride(self, question: str) -> int:
        """The overlap, shrunk when a long question leaves little room for context in each window."""
        question_tokens = self.tokenizer.count(question)
        room = self.max_length - question_tokens - self.tokenizer.special_tokens(pair=True)
        if room < 2:
            raise ValueError(
                f"a question of {question_tokens} tokens leaves no room for context in {self.name}'s "
                f"{self.max_length}-token input"
            )
        return min(self.stride, room // 2)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=-1, keepdims=True)
    shifted = logits - top
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
