"""Stored summaries and answers, HTTP caching headers — on SQLite and on PostgreSQL."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.presets import Preset
from models.registry import Models
from models.results import Summary
from service import operations
from service.errors import ArticleNotFound
from service.settings import Settings
from service.store import cache
from service.store.database import make_engine, make_session_factory
from service.store.tables import SummaryRow
from tests.conftest import api_client


class CountingSummariser:
    """Delegates to the real summariser and counts how often a model actually runs."""

    def __init__(self, real) -> None:  # type: ignore[no-untyped-def]
        self.real = real
        self.name = real.name
        self.calls = 0

    def summarise(self, text: str, title: str | None, preset: Preset) -> Summary:
        self.calls += 1
        return self.real.summarise(text, title, preset)


@pytest.fixture
def counting(models: Models, monkeypatch: pytest.MonkeyPatch) -> CountingSummariser:
    counter = CountingSummariser(models.summariser)
    monkeypatch.setattr(models, "summariser", counter)
    return counter


@pytest.fixture
def store_client(database_url: str, models: Models) -> Iterator[TestClient]:
    with api_client(Settings(database_url=database_url), models) as client:
        yield client


def _store(client: TestClient, title: str, text: str) -> int:
    return client.post("/v1/articles", json={"title": title, "text": text}).json()["id"]


def test_second_summary_request_is_served_from_the_store(store_client, counting, news) -> None:
    article = news["harbour_bridge"]
    article_id = _store(store_client, article.title, article.text)
    first = store_client.get(f"/v1/articles/{article_id}/summary", params={"preset": "short"})
    second = store_client.get(f"/v1/articles/{article_id}/summary", params={"preset": "short"})
    assert first.json()["cached"] is False and second.json()["cached"] is True
    assert second.json()["sentences"] == first.json()["sentences"]
    assert counting.calls == 1
    other_preset = store_client.get(f"/v1/articles/{article_id}/summary", params={"preset": "long"})
    assert other_preset.json()["cached"] is False and counting.calls == 2


def test_changed_text_never_gets_the_old_summary(store_client, counting, news) -> None:
    article = news["vaccine_trial"]
    original = _store(store_client, article.title, article.text)
    store_client.get(f"/v1/articles/{original}/summary")
    edited = _store(store_client, article.title, article.text.replace("4,800", "5,100"))
    assert edited != original
    summary = store_client.get(f"/v1/articles/{edited}/summary").json()
    assert summary["cached"] is False and counting.calls == 2


def test_etag_and_if_none_match(store_client, news) -> None:
    article = news["football_final"]
    article_id = _store(store_client, article.title, article.text)
    url = f"/v1/articles/{article_id}/summary"
    first = store_client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    not_modified = store_client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["ETag"] == etag
    assert store_client.get(url, params={"preset": "short"}, headers={"If-None-Match": etag}).status_code == 200
    assert store_client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_answers_are_stored_per_normalised_question(store_client, news) -> None:
    article = news["vaccine_trial"]
    article_id = _store(store_client, article.title, article.text)
    url = f"/v1/articles/{article_id}/answers"
    first = store_client.post(url, json={"question": "Who led the study?"}).json()
    again = store_client.post(url, json={"question": "  who LED the study? "}).json()
    assert first["cached"] is False and again["cached"] is True
    assert again["answer"] == first["answer"] and "Kwame Asante" in again["answer"]
    question = {"question": "What is the capital of Australia?"}
    unanswerable = store_client.post(url, json=question).json()
    stored = store_client.post(url, json=question).json()
    assert unanswerable["reason"] == stored["reason"] == "no_answer"
    assert (unanswerable["cached"], stored["cached"]) == (False, True)


def test_a_writer_storing_a_key_another_holds_uncommitted_keeps_the_first(database_url: str) -> None:
    """The batch's race with the server or another batch worker: a chunk's summaries are inserted but not yet
    committed when another writer stores the same key. The second waits for the first and keeps its summary;
    neither fails."""
    sessions = make_session_factory(make_engine(database_url))

    def store_chunk(session: Session, by: str) -> None:
        cache.add_summaries(session, "model", [("hash", "short", {"by": by})])
        session.commit()

    with sessions() as first, sessions() as second:
        cache.add_summaries(first, "model", [("hash", "short", {"by": "first"})])
        first.flush()
        racing = ThreadPoolExecutor(1).submit(store_chunk, second, "second")
        time.sleep(0.3)  # the second now waits on the first's row (PostgreSQL) or write lock (SQLite)
        first.commit()
        racing.result(timeout=30)
        cache.put_summary(second, "hash", "model", "short", {"by": "request"})
        cache.put_answer(second, "hash", "model", "Who?", {"by": "first"})
        cache.put_answer(second, "hash", "model", "who? ", {"by": "second"})
    with sessions() as session:
        assert session.scalars(select(SummaryRow.payload)).all() == [{"by": "first"}]
        assert cache.get_answer(session, "hash", "model", "WHO?") == {"by": "first"}


def test_an_article_deleted_while_its_summary_is_made_is_not_found(
    database_url: str, models: Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API reads the article's hash first and its text only to summarise it; an article deleted in between
    is a 404, not a summary stored for a text no article holds."""
    sessions = make_session_factory(make_engine(database_url))
    monkeypatch.setattr(operations, "content_hash_of", lambda connection, article_id: "hash of a deleted article")
    with pytest.raises(ArticleNotFound):
        operations.summary_of_stored_article(sessions, models, Settings(database_url=database_url), 1, "short")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SummaryRow)) == 0
