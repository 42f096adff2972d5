"""Shared fixtures: the real models are loaded once per test session."""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from models.config import ModelConfig
from models.registry import Models, load_models
from models.squad import SHARED_EVAL_DIR
from service.app import create_app
from service.settings import Settings

DATA = Path(__file__).parent / "data"
SHARED = SHARED_EVAL_DIR.parent
# Text copied from a news page: the story amid a logo, widgets, comments and teasers for other stories.
CATL_PAGE = SHARED / "examples" / "news-page-catl.txt"


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


def _throwaway_postgres_database() -> Iterator[str]:
    """A new, empty database on the server named by PRECIS_TEST_POSTGRES_URL, dropped afterwards."""
    server_url = os.environ.get("PRECIS_TEST_POSTGRES_URL")
    if not server_url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: PRECIS_TEST_POSTGRES_URL is not set")
        pytest.skip("PRECIS_TEST_POSTGRES_URL is not set")
    name = f"precis_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs against both databases Precis supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'precis.db'}"
    else:
        yield from _throwaway_postgres_database()


@pytest.fixture
def client(settings: Settings, models: Models) -> Iterator[TestClient]:
    with TestClient(create_app(settings, models)) as test_client:
        yield test_client
