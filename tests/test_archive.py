"""The archive as a whole: search by keywords and meaning, the vector index behind search and related articles,
and asking the archive. Real MiniLM, the real reader, real SQLite (and PostgreSQL where the store differs)."""

from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from usearch.index import Index

from models.registry import Models
from service.archive.index import ArchiveIndex, index_directory, open_archive_index
from service.operations import store_article
from service.settings import Settings
from service.store.articles import NewArticle, delete_article, get_article
from service.store.database import make_engine, make_session_factory
from tests.conftest import DATA, NewsArticle, read_article
from tests.server import running_server
from tests.server import store_article as store_on_server

ARTICLES = [path.stem for path in sorted(DATA.glob("*.txt"))] + [
    f"related/{path.stem}" for path in sorted((DATA / "related").glob("*.txt"))
]


@pytest.fixture(scope="module")
def archive() -> dict[str, NewsArticle]:
    return {name.removeprefix("related/"): read_article(name) for name in ARTICLES}


def _store_all(client: TestClient, archive: dict[str, NewsArticle]) -> dict[str, int]:
    ids = {}
    for name, article in archive.items():
        response = client.post("/v1/articles", json={"title": article.title, "text": article.text})
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return ids


def _search(client: TestClient, query: str, **params: str | int) -> dict:
    response = client.get("/v1/search", params={"q": query, **params})
    assert response.status_code == 200, response.text
    return response.json()


# Search


def test_search_finds_by_meaning_a_story_that_shares_no_keyword(client: TestClient, archive) -> None:
    ids = _store_all(client, archive)
    query = "spending on infrastructure"
    words = {"spending", "infrastructure"}
    assert not any(word in archive["bridge_cost"].text.lower() for word in words)
    assert _search(client, query, mode="keywords")["items"] == []
    found = _search(client, query)
    bridges = {ids["bridge_cost"], ids["harbour_bridge"], ids["tram_bridge"]}
    assert {item["id"] for item in found["items"][:3]} == bridges
    assert all(item["matched_by"] == ["meaning"] for item in found["items"])
    assert found["model"].startswith("all-MiniLM-L6-v2")


def test_search_ranks_by_keywords_and_shows_the_matching_sentence(client: TestClient, archive) -> None:
    ids = _store_all(client, archive)
    found = _search(client, "malaria Ghana")
    first = found["items"][0]
    assert first["id"] == ids["vaccine_trial"] and "keywords" in first["matched_by"]
    assert set(first) == {"id", "title", "source", "published_at", "score", "matched_by", "sentence"}
    text = archive["vaccine_trial"].text
    sentence = first["sentence"]
    assert text[sentence["start"] : sentence["end"]] == sentence["text"]
    assert "malaria" in sentence["text"].lower() or "ghana" in sentence["text"].lower()
    scores = [item["score"] for item in found["items"]]
    assert scores == sorted(scores, reverse=True)


def test_search_input_errors(client: TestClient) -> None:
    for params in ({"q": ""}, {"q": "   "}, {"q": "bridge", "limit": 0}, {"q": "bridge", "mode": "psychic"}, {}):
        response = client.get("/v1/search", params=params)
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_input", params
    long = client.get("/v1/search", params={"q": "bridge " * 200})
    assert long.status_code == 413
    # Words the full-text index would read as its own syntax are only words.
    assert client.get("/v1/search", params={"q": 'NEAR(bridge) "AND" OR title: *'}).status_code == 200


def test_deleting_an_article_removes_it_from_search_and_related(client: TestClient, archive) -> None:
    ids = _store_all(client, archive)
    assert ids["bridge_cost"] in {item["id"] for item in _search(client, "harbour bridge")["items"]}
    related = client.get(f"/v1/articles/{ids['harbour_bridge']}/related").json()["items"]
    assert ids["bridge_cost"] in {item["id"] for item in related}

    assert client.delete(f"/v1/articles/{ids['bridge_cost']}").status_code == 204
    for mode in ("fused", "keywords", "meaning"):
        assert ids["bridge_cost"] not in {item["id"] for item in _search(client, "harbour bridge", mode=mode)["items"]}
    related = client.get(f"/v1/articles/{ids['harbour_bridge']}/related").json()["items"]
    assert ids["bridge_cost"] not in {item["id"] for item in related} and related


# The vector index


def _store_directly(settings: Settings, models: Models, archive: dict[str, NewsArticle]) -> dict[str, int]:
    with make_session_factory(make_engine(settings.database_url))() as session:
        return {
            name: store_article(session, NewArticle(title=a.title, text=a.text), 20_000, models)[0].id
            for name, a in archive.items()
        }


def test_the_index_survives_a_restart_and_is_rebuilt_when_lost(
    settings: Settings, models: Models, archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _store_directly(settings, models, archive)
    sessions = make_session_factory(make_engine(settings.database_url))
    with sessions() as session:
        first = open_archive_index(settings, models, session)  # no file yet: built from the store, and saved
    assert len(first) == len(archive) and first.directory is not None
    assert [path.name for path in first.directory.iterdir()] == [f"{first.seq}.usearch"]

    rebuilt: list[int] = []
    monkeypatch.setattr(ArchiveIndex, "rebuild", lambda self, session: rebuilt.append(len(self)))
    with sessions() as session:
        again = open_archive_index(settings, models, session)
        assert len(again) == len(archive) and rebuilt == []  # read from the file
        # A change made by another process while this one was stopped is replayed from the store's log.
        delete_article(session, get_article(session, ids["football_final"]))
        reopened = open_archive_index(settings, models, session)
    assert len(reopened) == len(archive) - 1 and rebuilt == []
    closest = reopened.nearest(models.embedder.embed(["cup final penalty"])[0], 3)
    assert ids["football_final"] not in {article_id for article_id, _ in closest}
    monkeypatch.undo()

    for path in first.directory.iterdir():
        path.unlink()
    with sessions() as session:
        lost = open_archive_index(settings, models, session)
    assert len(lost) == len(archive) - 1 and list(first.directory.glob("*.usearch"))


def test_an_index_that_disagrees_with_the_store_is_rebuilt(tmp_path: Path, models: Models, archive) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", index_dir=tmp_path / "index")
    _store_directly(settings, models, archive)
    with make_session_factory(make_engine(settings.database_url))() as session:
        assert len(open_archive_index(settings, models, session)) == len(archive)
    # Another database at the same place: the saved index holds articles it lacks.
    (tmp_path / "a.db").unlink()
    few = dict(list(archive.items())[:2])
    ids = _store_directly(settings, models, few)
    with make_session_factory(make_engine(settings.database_url))() as session:
        index = open_archive_index(settings, models, session)
    assert len(index) == 2
    query = models.embedder.embed(["bridge"])[0]
    assert {article_id for article_id, _ in index.nearest(query, 10)} == set(ids.values())


def test_an_index_file_of_another_recipe_is_rebuilt(settings: Settings, models: Models, archive) -> None:
    ids = _store_directly(settings, models, archive)
    sessions = make_session_factory(make_engine(settings.database_url))
    with sessions() as session:
        first = open_archive_index(settings, models, session)
    [path] = list(first.directory.glob("*.usearch"))
    # As an earlier version saved it: int8 vectors (here random ones), the same articles.
    older = Index(ndim=first.dimension, metric="cos", dtype="i8")
    rng = np.random.default_rng(0)
    older.add(np.array(list(ids.values()), dtype=np.uint64), rng.standard_normal((len(ids), first.dimension)))
    older.save(str(path))
    with sessions() as session:
        again = open_archive_index(settings, models, session)
    [saved] = list(again.directory.glob("*.usearch"))
    assert str(Index.restore(str(saved)).dtype) == "ScalarKind.F16"
    query = models.embedder.embed(["cup final penalty"])[0]
    assert again.nearest(query, 1)[0][0] == ids["football_final"]


def test_two_indexes_on_one_postgresql_database_follow_each_others_changes(
    tmp_path: Path, models: Models, archive, postgres_url: str
) -> None:
    """Two processes' indexes (each its own folder) on one database: what one stores or deletes, the other finds
    or loses at its next query."""
    settings = Settings(database_url=postgres_url, index_dir=tmp_path / "one")
    other_settings = Settings(database_url=postgres_url, index_dir=tmp_path / "two")
    sessions = make_session_factory(make_engine(postgres_url))
    with sessions() as session, sessions() as other_session:
        one = open_archive_index(settings, models, session)
        two = open_archive_index(other_settings, models, other_session)
        tram = NewArticle(title=archive["tram_bridge"].title, text=archive["tram_bridge"].text)
        row, _ = store_article(session, tram, 20_000, models)
        two.sync(other_session)
        assert len(two) == 1 and len(one) == 0
        one.sync(session)
        delete_article(other_session, get_article(other_session, row.id))
        one.sync(session)
        assert len(one) == 0


@pytest.mark.slow
def test_two_servers_on_one_postgresql_database_search_what_the_other_stored_and_deleted(
    postgres_url: str, tmp_path: Path
) -> None:
    # Each its own index folder, as on two machines.
    with (
        running_server(postgres_url, PRECIS_INDEX_DIR=str(tmp_path / "one")) as one,
        running_server(postgres_url, PRECIS_INDEX_DIR=str(tmp_path / "two")) as two,
    ):
        article_id = store_on_server(one, "vaccine_trial")
        found = httpx.get(f"{two.url}/v1/search", params={"q": "immunisation of youngsters", "mode": "meaning"})
        assert [item["id"] for item in found.json()["items"]] == [article_id]
        assert httpx.delete(f"{two.url}/v1/articles/{article_id}", headers=two.auth).status_code == 204
        again = httpx.get(f"{one.url}/v1/search", params={"q": "immunisation of youngsters", "mode": "meaning"})
        assert again.json()["items"] == []


def test_each_database_has_its_own_index_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    folders = []
    for place in ("a", "b"):
        monkeypatch.chdir(tmp_path / place)
        folders.append(index_directory(tmp_path, "sqlite:///./precis.db", "all-MiniLM-L6-v2+lead2"))
    assert folders[0] != folders[1] and folders[0].name == "all-MiniLM-L6-v2_lead2"
    with_password = index_directory(tmp_path, "postgresql+psycopg://precis:one@db/news", "m")
    assert with_password == index_directory(tmp_path, "postgresql+psycopg://precis:two@db/news", "m")
    assert with_password != index_directory(tmp_path, "postgresql+psycopg://precis:one@db/sport", "m")


# Asking the archive


def test_asking_the_archive_cites_the_article_that_answers(client: TestClient, archive) -> None:
    ids = _store_all(client, archive)
    answer = client.post("/v1/answers", json={"question": "Where was the malaria vaccine trial held?"}).json()
    assert answer["answer"] == "northern Ghana"
    assert answer["article_id"] == ids["vaccine_trial"] and answer["title"] == archive["vaccine_trial"].title
    text = archive["vaccine_trial"].text
    assert text[answer["start"] : answer["end"]] == answer["answer"]
    assert text[answer["context_start"] : answer["context_end"]] == answer["context"]

    costs = client.post("/v1/answers", json={"question": "How much will the Brackwater bridge cost now?"}).json()
    assert costs["article_id"] == ids["bridge_cost"] and "55" in costs["answer"]
    # The other bridge stories' answers come along, each with its own citation.
    assert {item["article_id"] for item in costs["alternatives"]} <= set(ids.values()) - {ids["bridge_cost"]}
    assert any("48" in item["answer"] for item in costs["alternatives"])


def test_asking_the_archive_says_no_answer_when_no_article_holds_one(client: TestClient, archive) -> None:
    _store_all(client, archive)
    for question in ("Who won the Monaco Grand Prix?", "What is the capital of Peru?"):
        answer = client.post("/v1/answers", json={"question": question}).json()
        assert answer["answer"] is None and answer["reason"] == "no_answer" and answer["article_id"] is None


def test_asking_an_empty_archive_says_no_answer(client: TestClient) -> None:
    answer = client.post("/v1/answers", json={"question": "Who won the cup?"})
    assert answer.status_code == 200 and answer.json()["reason"] == "no_answer"


def test_asking_the_archive_offers_a_span_it_is_not_sure_of_as_such(client: TestClient, archive) -> None:
    """The vaccine story says where the doses will be made, but the verifier is not sure of the span the reader
    finds (as when the story itself is asked, tests/test_answers.py): the archive cites where it may be, never as
    the answer."""
    ids = _store_all(client, archive)
    answer = client.post("/v1/answers", json={"question": "Where will the malaria vaccine doses be produced?"}).json()
    assert answer["answer"] is None and answer["reason"] == "not_sure" and answer["alternatives"] == []
    candidate = answer["candidate"]
    assert "Pune" in candidate["text"] and candidate["confidence"] == answer["confidence"] < 0.59
    assert answer["article_id"] == ids["vaccine_trial"]
    text = archive["vaccine_trial"].text
    assert text[candidate["start"] : candidate["end"]] == candidate["text"]
    assert text[answer["context_start"] : answer["context_end"]] == answer["context"]
