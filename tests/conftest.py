"""Shared fixtures: the real models are loaded once per test session."""

import io
import os
import signal
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from models.config import ModelConfig
from models.registry import Models, load_models
from models.squad import SHARED_EVAL_DIR
from service.app import create_app
from service.cli import main
from service.settings import Settings, get_settings
from service.store.keys import create_key

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class SharedData:
    """The read-only data in ../shared (its README says what each file is)."""

    root: Path

    @property
    def catl_page(self) -> Path:
        """Text copied from a news page: the story amid a logo, widgets, comments and teasers for other stories."""
        return self.root / "examples" / "news-page-catl.txt"

    @property
    def news_pages(self) -> Path:
        """21 saved news pages and ground-truth.json, their checked story text."""
        return self.root / "eval" / "news-pages"

    @property
    def news_summaries(self) -> Path:
        return self.root / "eval" / "news-summaries.jsonl"

    @property
    def squad(self) -> Path:
        return self.root / "eval" / "squad-v1.1-dev-part.json"


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
def shared() -> SharedData:
    """../shared, located once: required in CI, a skip on a machine without it."""
    root = SHARED_EVAL_DIR.parent
    if not (root / "README.md").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide the shared data: {root} is missing")
        pytest.skip(f"the shared data is not at {root}")
    return SharedData(root)


@dataclass(frozen=True)
class CommandRun:
    code: int
    out: str
    err: str


@pytest.fixture
def precis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., CommandRun]]:
    """Runs the `precis` command in this process, as a user would from an empty directory, on its own SQLite file.

    Returns its exit code and what it printed; `stdin` is what the user piped in."""
    monkeypatch.setenv("PRECIS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: str | bytes | None = None) -> CommandRun:
        get_settings.cache_clear()
        if stdin is not None:
            data = stdin.encode() if isinstance(stdin, str) else stdin
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        capsys.readouterr()
        code: int | str | None = 0
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code
        out, err = capsys.readouterr()
        # sys.exit("message") prints the message and exits 1, as the interpreter would.
        if isinstance(code, str):
            return CommandRun(1, out, err + code + "\n")
        return CommandRun(code or 0, out, err)

    # pytest owns this process's logging: the command's dictConfig would close every handler already made, and
    # one (absl's, once rouge-score is imported) writes to pytest's own capture. `precis serve` runs it for real.
    monkeypatch.setattr("service.cli.configure_logging", lambda level: None)
    sigterm = signal.getsignal(signal.SIGTERM)
    yield run
    get_settings.cache_clear()  # no other test should see this run's database
    signal.signal(signal.SIGTERM, sigterm)  # the command took it over


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """For tests of tiny models: they gain nothing from intra-op threads, and on a busy machine their spin-waits
    made generation some 20 times slower (measured: 4.7 s against 0.2 s for one summary)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session", autouse=True)
def _index_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Vector indexes (one folder per database) go to this run's temporary folder, for the servers and commands the
    tests start too, not to ~/.cache."""
    os.environ["PRECIS_INDEX_DIR"] = str(tmp_path_factory.mktemp("index"))
    yield
    del os.environ["PRECIS_INDEX_DIR"]


@pytest.fixture(scope="session")
def models() -> Models:
    return load_models(ModelConfig())


@pytest.fixture(scope="session")
def news() -> dict[str, NewsArticle]:
    return {path.stem: read_article(path.stem) for path in sorted(DATA.glob("*.txt"))}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No entities found in the background: each test's app would start a spaCy worker process for the articles it
    # stores (40% more CPU time for the API and page tests, measured); tests/test_entities.py turns it on.
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'precis.db'}", max_text_chars=20_000, entities_when_stored=False
    )


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


@pytest.fixture
def redis_url() -> str:
    """The Redis that PRECIS_TEST_REDIS_URL names (.ci/run starts one), emptied for the test."""
    url = os.environ.get("PRECIS_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis tests: PRECIS_TEST_REDIS_URL is not set")
        pytest.skip("PRECIS_TEST_REDIS_URL is not set")
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (for what only PostgreSQL can show: several processes on one store)."""
    yield from _throwaway_postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs against both databases Precis supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'precis.db'}"
    else:
        yield from _throwaway_postgres_database()


@contextmanager
def api_client(settings: Settings, models: Models) -> Iterator[TestClient]:
    """The API in this process, sending an API key as a client that stores articles does."""
    with TestClient(create_app(settings, models)) as test_client:
        with test_client.app.state.sessions() as session:
            _, key = create_key(session, f"tests-{uuid.uuid4().hex[:8]}")
        test_client.headers["Authorization"] = f"Bearer {key}"
        yield test_client


@pytest.fixture
def client(settings: Settings, models: Models) -> Iterator[TestClient]:
    """`api_client` on a new SQLite file; `anonymous` calls the same app without a key."""
    with api_client(settings, models) as test_client:
        yield test_client


@pytest.fixture
def anonymous(client: TestClient) -> TestClient:
    """The same app as `client`, called as a reader on a news site does: without a key."""
    return TestClient(client.app)
