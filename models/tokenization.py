"""Tokenisation with the Rust `tokenizers` library, read straight from a model's tokenizer.json.

It gives the same token ids, windows and offsets as the transformers tokenizer of the same files (tested on the
shared news and SQuAD text) without importing transformers, which pulls in torch: the serving process runs its
models on ONNX Runtime and needs neither.
"""

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Encoding, Tokenizer

from models.errors import ModelLoadError

# What a BERT-style model takes, as transformers' BertTokenizer lists it; a tokenizer_config.json may say otherwise.
DEFAULT_INPUT_NAMES = ("input_ids", "token_type_ids", "attention_mask")


@dataclass(frozen=True)
class PairWindows:
    """(question, context) windows, right-padded to the longest, as numpy arrays of shape (windows, tokens)."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    offsets: np.ndarray  # (windows, tokens, 2): character offsets into the window's question or context
    context_mask: np.ndarray  # True on the context's tokens (sequence id 1)
    context_of: np.ndarray  # (windows,): which context each window reads


class TextTokenizer:
    """A tokenizer.json with the calls the models make: ids of single texts, token counts, and (question, context)
    windows overlapping by a stride."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        pad_token_id: int,
        pad_token_type_id: int = 0,
        cls_token_id: int | None = None,
        input_names: tuple[str, ...] = DEFAULT_INPUT_NAMES,
    ) -> None:
        self._tokenizer = tokenizer
        self.pad_token_id = pad_token_id
        self.pad_token_type_id = pad_token_type_id
        self.cls_token_id = cls_token_id
        self.input_names = input_names
        # Truncation is state of the Rust tokenizer that each call sets (as transformers does per call); the lock
        # keeps one request's settings from leaking into another's encoding on the server's worker threads.
        self._lock = threading.Lock()
        # The file's own padding (MiniLM's pads every text to 128 tokens) is never wanted: callers pad.
        tokenizer.no_padding()
        tokenizer.no_truncation()

    @classmethod
    def from_directory(cls, directory: Path) -> "TextTokenizer":
        """The tokenizer of a saved transformers model: its tokenizer.json and the special tokens its config names."""
        try:
            tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            config = _json(directory / "tokenizer_config.json") | _json(directory / "special_tokens_map.json")
        except Exception as error:  # the Rust library raises a plain Exception for a malformed file
            raise ModelLoadError(f"cannot read the tokenizer in {directory}: {error}") from error

        def token_id(name: str) -> int | None:
            token = config.get(name)
            if isinstance(token, dict):  # {"content": "[PAD]", ...}
                token = token.get("content")
            return tokenizer.token_to_id(token) if isinstance(token, str) else None

        return cls(
            tokenizer,
            pad_token_id=token_id("pad_token") or 0,
            cls_token_id=token_id("cls_token"),
            input_names=tuple(config.get("model_input_names") or DEFAULT_INPUT_NAMES),
        )

    @classmethod
    def from_transformers(cls, tokenizer: Any) -> "TextTokenizer":
        """The Rust tokenizer behind a transformers fast tokenizer (a transformers QA checkpoint's), copied."""
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is None:
            raise ModelLoadError(f"{type(tokenizer).__name__} is not backed by a tokenizer.json (a fast tokenizer)")
        return cls(
            Tokenizer.from_str(backend.to_str()),
            pad_token_id=tokenizer.pad_token_id or 0,
            pad_token_type_id=tokenizer.pad_token_type_id,
            cls_token_id=tokenizer.cls_token_id,
            input_names=tuple(tokenizer.model_input_names),
        )

    def ids(self, texts: list[str], max_length: int) -> list[list[int]]:
        """Token ids of each text with its special tokens, cut at `max_length` tokens."""
        with self._lock:
            self._tokenizer.enable_truncation(max_length)
            return [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]

    def count(self, text: str) -> int:
        """Tokens in `text` without special tokens or truncation."""
        with self._lock:
            self._tokenizer.no_truncation()
            return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def special_tokens(self, pair: bool) -> int:
        """How many special tokens wrap one text, or a pair."""
        processor = self._tokenizer.post_processor
        return processor.num_special_tokens_to_add(pair) if processor is not None else 0

    def pair_windows(self, question: str, contexts: list[str], max_length: int, stride: int) -> PairWindows:
        """Windows of at most `max_length` tokens, each the question and a piece of one context; a long context is
        cut into pieces that share `stride` tokens with their neighbours, the question never."""
        with self._lock:
            self._tokenizer.enable_truncation(max_length, stride=stride, strategy="only_second")
            encoded = self._tokenizer.encode_batch([(question, context) for context in contexts])
        windows: list[Encoding] = []
        context_of: list[int] = []
        for index, encoding in enumerate(encoded):
            pieces = [encoding, *encoding.overflowing]
            windows.extend(pieces)
            context_of.extend([index] * len(pieces))
        shape = (len(windows), max(len(window.ids) for window in windows))
        input_ids = np.full(shape, self.pad_token_id, dtype=np.int64)
        attention_mask = np.zeros(shape, dtype=np.int64)
        token_type_ids = np.full(shape, self.pad_token_type_id, dtype=np.int64)
        offsets = np.zeros((*shape, 2), dtype=np.int64)
        context_mask = np.zeros(shape, dtype=bool)
        for row, window in enumerate(windows):
            length = len(window.ids)
            input_ids[row, :length] = window.ids
            attention_mask[row, :length] = window.attention_mask
            token_type_ids[row, :length] = window.type_ids
            offsets[row, :length] = window.offsets
            context_mask[row, :length] = [sequence == 1 for sequence in window.sequence_ids]
        return PairWindows(input_ids, attention_mask, token_type_ids, offsets, context_mask, np.array(context_of))


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
