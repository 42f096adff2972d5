"""Shared fixtures: the real models are loaded once per test session."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.config import ModelConfig
from models.registry import Models, load_models
from service.app import create_app
from service.settings import Settings

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class NewsArticle:
    name: str
    title: str
    text: str

    @property
    def path(self) -> Path:
        return DATA / f"{self.name}.txt"


def read_article(name: str) -> NewsArticle:
    title, _, text = (DATA / f"{name}.txt").read_text(encoding="utf-8").partition("\n")
    return NewsArticle(name, title.strip(), text.strip())


@pytest.fixture(scope="session")
def models() -> Models:
    return load_models(ModelConfig())


@pytest.fixture(scope="session")
def news() -> dict[str, NewsArticle]:
    return {path.stem: read_article(path.stem) for path in sorted(DATA.glob("*.txt"))}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'precis.db'}", max_text_chars=20_000)


@pytest.fixture
def client(settings: Settings, models: Models) -> Iterator[TestClient]:
    with TestClient(create_app(settings, models)) as test_client:
        yield test_client
