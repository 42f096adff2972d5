"""Abstractive summaries from a transformers seq2seq model, over token windows so no article is truncated.

Like a transformers Pipeline, the work is split into preprocess (text -> padded batches of token windows),
forward (generate) and postprocess (token ids -> text), each usable on its own.
"""

import math
from typing import Any

import torch
from transformers import AutoModelForSeq2SeqLM, BatchEncoding

from models.hub import load_pretrained, max_input_tokens, model_label
from models.presets import Preset
from models.results import Article, Summary, SummarySentence
from models.sentences import split_sentences

# Shared tokens between neighbouring windows, so a sentence cut at one window's edge is whole in the next.
DEFAULT_OVERLAP = 64
# Windows per generate call: bounds memory (windows x beams x full-length cross-attention) on long articles.
WINDOWS_PER_BATCH = 4


def balanced_stride(n_tokens: int, window: int, min_overlap: int) -> int:
    """The tokenizer `stride` (overlap) that covers `n_tokens` with the fewest windows, all about as long.

    With the minimum overlap the last window can be a scrap of a few tokens, which a summariser asked for
    `min_new_tokens` pads out with invention; widening the overlap spreads that slack over all windows.
    """
    if n_tokens <= window:
        return min_overlap
    count = math.ceil((n_tokens - min_overlap) / (window - min_overlap))
    step = math.ceil((n_tokens - window) / (count - 1))
    return window - step


class AbstractiveSummariser:
    def __init__(self, name_or_path: str, overlap: int = DEFAULT_OVERLAP) -> None:
        self.tokenizer, self.model = load_pretrained("PRECIS_SUMMARISER", name_or_path, AutoModelForSeq2SeqLM)
        self.name = f"abstractive/{model_label(name_or_path)}"
        self.max_length = max_input_tokens(self.tokenizer, self.model)
        # Article tokens per window: the limit less the tokens the tokenizer wraps each window in (<s>, </s>).
        self.window = self.max_length - self.tokenizer.num_special_tokens_to_add()
        # On a short-input model a fixed overlap could eat most of each window; a quarter re-reads enough.
        self.overlap = min(overlap, self.window // 4)

    def summarise_each(self, articles: list[Article], presets: list[Preset]) -> list[list[Summary]]:
        """For each article, one summary per preset. Generation has no shared work to batch: one at a time."""
        return [[self.summarise(a.text, a.title, preset) for preset in presets] for a in articles]

    def summarise(self, text: str, title: str | None, preset: Preset) -> Summary:
        # The title is not fed in: news summarisers are trained on article bodies alone.
        if not text.strip():
            # Given nothing, a model still generates min_new_tokens of invention.
            return Summary([], preset.name, self.name)
        pieces = self._summarise_windows(text, preset.generation)
        if len(pieces) > 1:
            # Every window's summary has the preset's length, so n windows would give n times the length
            # asked for: one more pass over the joined window summaries brings it back. That pass is not
            # repeated; if the joined summaries still span several windows (an article of dozens of windows),
            # their summaries are kept side by side, as every further pass costs a full generate and loses
            # more detail.
            pieces = self._summarise_windows(" ".join(pieces), preset.generation)
        # Line breaks end sentences, so a window summary cut off mid-sentence never runs into the next.
        sentences = split_sentences("\n".join(pieces))
        # Generated sentences have no place in the article and no rank among themselves: all score 1.0.
        return Summary([SummarySentence(s.text, None, None, 1.0) for s in sentences], preset.name, self.name)

    def windows(self, text: str) -> list[list[int]]:
        """The model's input ids, one list per window, each wrapped in the tokenizer's special tokens."""
        # Tokenising twice is cheap next to generation, and the token count is what balances the windows.
        # verbose=False: the warning that the text exceeds the model's limit is moot here, it gets windowed.
        n_tokens = len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])
        encoded = self.tokenizer(
            text,
            truncation=True,
            max_length=self.max_length,
            stride=balanced_stride(n_tokens, self.window, self.overlap),
            return_overflowing_tokens=True,
        )
        return encoded["input_ids"]

    def preprocess(self, text: str) -> list[BatchEncoding]:
        """Padded tensor batches of the text's windows, in order."""
        windows = self.windows(text)
        return [
            self.tokenizer.pad({"input_ids": windows[first : first + WINDOWS_PER_BATCH]}, return_tensors="pt")
            for first in range(0, len(windows), WINDOWS_PER_BATCH)
        ]

    def forward(self, batch: BatchEncoding, generation: dict[str, Any]) -> torch.Tensor:
        """Generated token ids, one row per window of the batch."""
        with torch.inference_mode():
            return self.model.generate(**batch, **generation)

    def postprocess(self, sequences: torch.Tensor) -> list[str]:
        texts = self.tokenizer.batch_decode(sequences, skip_special_tokens=True)
        return [text.strip() for text in texts]

    def _summarise_windows(self, text: str, generation: dict[str, Any]) -> list[str]:
        """One summary per window, empty ones dropped."""
        pieces = []
        for batch in self.preprocess(text):
            pieces.extend(self.postprocess(self.forward(batch, generation)))
        return [piece for piece in pieces if piece]
