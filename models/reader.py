"""Extractive QA reader: the character span of a context that answers a question, by a transformers model.

A context longer than the model's input is split into overlapping windows and the best span over all windows
wins. Like a transformers Pipeline, the work is split into preprocess, forward and postprocess.
"""

import math
from dataclasses import dataclass

import torch
from transformers import AutoModelForQuestionAnswering

from models.hub import load_pretrained, max_input_tokens, model_label

# Context tokens shared by neighbouring windows (the transformers QA pipeline's doc_stride), so an answer cut
# at one window's edge is whole in the next.
DEFAULT_STRIDE = 128
# Windows per forward pass: bounds memory on a very long context.
WINDOWS_PER_BATCH = 8


@dataclass(frozen=True)
class ReaderWindows:
    """Tokenised (question, context) windows and what postprocess needs to map tokens back to characters."""

    inputs: dict[str, torch.Tensor]  # what the model takes, shape (windows, tokens)
    offsets: torch.Tensor  # (windows, tokens, 2): character offsets into the context
    context_mask: torch.Tensor  # (windows, tokens): True on context tokens, the only ones an answer may use
    null_index: torch.Tensor  # (windows,): the CLS position, which stands for "no answer"


class QAReader:
    def __init__(self, name_or_path: str, max_answer_tokens: int = 30, stride: int = DEFAULT_STRIDE) -> None:
        self.tokenizer, self.model = load_pretrained(
            "PRECIS_QA_MODEL", name_or_path, AutoModelForQuestionAnswering
        )
        self.name = f"reader/{model_label(name_or_path)}"
        self.max_length = max_input_tokens(self.tokenizer, self.model)
        self.max_answer_tokens = max_answer_tokens
        self.stride = stride

    def read(self, question: str, context: str) -> tuple[int, int, float] | None:
        """(start, end, probability) of the answer in `context`, or None when the model prefers no answer."""
        if not context.strip():
            return None
        windows = self.preprocess(question, context)
        start_logits, end_logits = self.forward(windows)
        return self.postprocess(windows, start_logits, end_logits)

    def preprocess(self, question: str, context: str) -> ReaderWindows:
        encoded = self.tokenizer(
            question,
            context,
            truncation="only_second",
            max_length=self.max_length,
            stride=self._stride(question),
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
            return_tensors="pt",
        )
        count = encoded["input_ids"].shape[0]
        context_mask = torch.tensor([[sid == 1 for sid in encoded.sequence_ids(i)] for i in range(count)])
        # argmax finds the first CLS; 0 for a tokenizer without one.
        null_index = (encoded["input_ids"] == self.tokenizer.cls_token_id).int().argmax(dim=1)
        inputs = {name: encoded[name] for name in self.tokenizer.model_input_names if name in encoded}
        return ReaderWindows(inputs, encoded["offset_mapping"], context_mask, null_index)

    def forward(self, windows: ReaderWindows) -> tuple[torch.Tensor, torch.Tensor]:
        """Start and end logits, each of shape (windows, tokens)."""
        starts, ends = [], []
        count = windows.context_mask.shape[0]
        with torch.inference_mode():
            for first in range(0, count, WINDOWS_PER_BATCH):
                batch = {
                    name: values[first : first + WINDOWS_PER_BATCH] for name, values in windows.inputs.items()
                }
                output = self.model(**batch)
                starts.append(output.start_logits)
                ends.append(output.end_logits)
        return torch.cat(starts), torch.cat(ends)

    def postprocess(
        self, windows: ReaderWindows, start_logits: torch.Tensor, end_logits: torch.Tensor
    ) -> tuple[int, int, float] | None:
        """The most probable span over all windows, unless "no answer" is more probable than it."""
        rows = torch.arange(start_logits.shape[0])
        # Probabilities over the window's context tokens and its null position: question, special and padding
        # tokens can neither start nor end an answer.
        allowed = windows.context_mask.clone()
        allowed[rows, windows.null_index] = True
        start = torch.log_softmax(start_logits.masked_fill(~allowed, -torch.inf), dim=-1)
        end = torch.log_softmax(end_logits.masked_fill(~allowed, -torch.inf), dim=-1)
        null = start[rows, windows.null_index] + end[rows, windows.null_index]

        spans = start.unsqueeze(2) + end.unsqueeze(1)  # (windows, start token, end token)
        length = spans.shape[-1]
        # end >= start and at most max_answer_tokens long: a band above the diagonal.
        band = torch.ones(length, length, dtype=torch.bool).triu().tril(self.max_answer_tokens - 1)
        valid = band & windows.context_mask.unsqueeze(2) & windows.context_mask.unsqueeze(1)
        spans = spans.masked_fill(~valid, -torch.inf)

        best = int(spans.flatten().argmax())
        window, rest = divmod(best, length * length)
        first, last = divmod(rest, length)
        score = float(spans[window, first, last])
        # The window most sure an answer exists speaks for "no answer", as in the transformers QA pipeline.
        if score == -math.inf or float(null.min()) > score:
            return None
        start_char = int(windows.offsets[window, first, 0])
        end_char = int(windows.offsets[window, last, 1])
        return start_char, end_char, math.exp(score)

    def _stride(self, question: str) -> int:
        """The overlap, shrunk when a long question leaves little room for context in each window."""
        question_tokens = len(self.tokenizer(question, add_special_tokens=False)["input_ids"])
        room = self.max_length - question_tokens - self.tokenizer.num_special_tokens_to_add(pair=True)
        if room < 2:
            raise ValueError(
                f"a question of {question_tokens} tokens leaves no room for context in {self.name}'s "
                f"{self.max_length}-token input"
            )
        return min(self.stride, room // 2)
