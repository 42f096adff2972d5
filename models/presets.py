"""Reads the generation presets and ranking weights that live as data in `prompts/`."""

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


def _read_toml(name: str) -> dict[str, Any]:
    return tomllib.loads(files("prompts").joinpath(name).read_text(encoding="utf-8"))


@cache
def load_presets() -> dict[str, Preset]:
    return {name: Preset(name=name, **values) for name, values in _read_toml("presets.toml").items()}


@cache
def load_ranking() -> dict[str, dict[str, float]]:
    return _read_toml("ranking.toml")
