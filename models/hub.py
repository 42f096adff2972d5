"""Loads a tokenizer and model from a local directory or the local Hugging Face cache, never the network.

transformers (and with it torch) is imported only when such a model is loaded: the default models run on ONNX
Runtime, and the serving process never imports it.
"""

import logging
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from models.errors import ModelLoadError

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

# Tokenizers saved without a length limit report a huge sentinel (about 1e30) instead of None.
_SANE_LIMIT = 100_000
# For models whose config and tokenizer both leave the input length open (relative-position models):
# the length most summarisation and QA checkpoints were trained on.
_FALLBACK_LIMIT = 512


def check_available(setting: str, name_or_path: str) -> None:
    """Fails fast, before anything is loaded, when `name_or_path` is neither a model directory nor cached."""
    directory = Path(name_or_path)
    if directory.is_dir():
        if not (directory / "config.json").is_file():
            raise ModelLoadError(
                f"{setting}: cannot load the directory {name_or_path!r}: it has no config.json "
                "(not a saved transformers model)."
            )
    elif not _in_hub_cache(name_or_path):
        raise ModelLoadError(
            f"{setting}: cannot load {name_or_path!r}: no local directory of that name and not in the "
            "Hugging Face cache (this machine has no network)."
        )


def quiet_transformers() -> ModuleType:
    """transformers, without the progress bars it draws on stderr while loading weights (they would garble the
    JSON log lines)."""
    import transformers

    transformers.utils.logging.disable_progress_bar()
    return transformers


def load_pretrained(
    setting: str, name_or_path: str, model_class: type
) -> tuple["PreTrainedTokenizerBase", "PreTrainedModel"]:
    """Tokenizer and model in eval mode; ModelLoadError, naming `setting`, when they cannot be loaded."""
    check_available(setting, name_or_path)
    transformers = quiet_transformers()
    started = time.perf_counter()
    try:
        # local_files_only: even a cached id must never reach for the network, which hangs on retries here.
        tokenizer = transformers.AutoTokenizer.from_pretrained(name_or_path, local_files_only=True)
        model = model_class.from_pretrained(name_or_path, local_files_only=True).eval()
    except (OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0].rstrip(".")
        raise ModelLoadError(f"{setting}: cannot load {name_or_path!r} as {model_class.__name__}: {reason}.") from error
    # Given a directory without tokenizer files, transformers 5 builds a tokenizer of special tokens alone,
    # which would turn every word into <unk> without a word of warning.
    if len(tokenizer) <= len(tokenizer.all_special_ids):
        raise ModelLoadError(f"{setting}: cannot load {name_or_path!r}: it has no tokenizer files.")
    log.info("model loaded", extra={"model": name_or_path, "seconds": time.perf_counter() - started})
    return tokenizer, model


def _in_hub_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except ValueError:  # not even a valid repository id, such as a path that does not exist
        return False


def model_label(name_or_path: str) -> str:
    """A directory's own name, or the Hugging Face id: short and stable, for result keys and logs."""
    path = Path(name_or_path)
    return path.resolve().name if path.is_dir() else name_or_path


def max_input_tokens(tokenizer: "PreTrainedTokenizerBase", model: "PreTrainedModel") -> int:
    """The longest input, special tokens included, that both the model's positions and the tokenizer allow."""
    limits = (getattr(model.config, "max_position_embeddings", None), tokenizer.model_max_length)
    sane = [limit for limit in limits if isinstance(limit, int) and 0 < limit <= _SANE_LIMIT]
    return min(sane, default=_FALLBACK_LIMIT)
