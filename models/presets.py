"""Reads the generation presets and ranking weights that live as data in `prompts/`."""

import hashlib
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    sentences: int
    style: str
    generation: dict[str, Any] = field(default_factory=dict)


_DATA_FILES = ("presets.toml", "ranking.toml", "readability.toml")


def _read_text(name: str) -> str:
    return files("prompts").joinpath(name).read_text(encoding="utf-8")


def _read_toml(name: str) -> dict[str, Any]:
    return tomllib.loads(_read_text(name))


@cache
def data_fingerprint() -> str:
    """Changes whenever a preset, a ranking weight or a readability rule changes, so results computed before are
    not reused."""
    digest = hashlib.sha256()
    for name in _DATA_FILES:
        digest.update(_read_text(name).encode("utf-8"))
    return digest.hexdigest()[:12]


@cache
def load_presets() -> dict[str, Preset]:
    return {name: Preset(name=name, **values) for name, values in _read_toml("presets.toml").items()}


@cache
def load_ranking() -> dict[str, dict[str, float]]:
    return _read_toml("ranking.toml")


@cache
def load_readability() -> dict[str, Any]:
    return _read_toml("readability.toml")


@cache
def load_briefing() -> dict[str, Any]:
    # Not in _DATA_FILES: briefings are not stored, so a change here has no stored result to outdate, and leaves
    # every stored summary valid.
    return _read_toml("briefing.toml")
