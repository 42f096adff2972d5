"""API keys and deleting articles: who may write, through the real app, store and CLI."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.settings import Settings
from service.store.keys import create_key, find_key, revoke_key
from service.store.tables import AnswerRow, ArticleVectorRow, SummaryRow
from tests.conftest import api_client


def _article(news, name: str = "harbour_bridge") -> dict[str, str]:
    return {"title": news[name].title, "text": news[name].text}


def test_an_anonymous_write_is_refused_and_stores_nothing(anonymous: TestClient, news) -> None:
    response = anonymous.post("/v1/articles", json=_article(news))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "missing_key"
    assert anonymous.get("/v1/articles").json()["total"] == 0


@pytest.mark.parametrize(
    "authorization",
    ["Bearer precis_000000000000_" + "x" * 43, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer"],
)
def test_a_wrong_key_is_refused(anonymous: TestClient, news, authorization: str) -> None:
    response = anonymous.post("/v1/articles", json=_article(news), headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"invalid_key", "missing_key"}
    # A read with a wrong key is refused too, before the article is looked up (there is none: 401, not 404).
    read = anonymous.get("/v1/articles/1/summary", headers={"Authorization": authorization})
    assert read.status_code == 401 and read.json()["error"]["code"] == "invalid_key"


def test_a_tampered_key_with_a_real_prefix_is_refused(client: TestClient, anonymous: TestClient, news) -> None:
    key = client.headers["Authorization"].removeprefix("Bearer ")
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    response = anonymous.post("/v1/articles", json=_article(news), headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_key"


def test_reads_stay_open_to_readers(client: TestClient, anonymous: TestClient, news) -> None:
    article_id = client.post("/v1/articles", json=_article(news)).json()["id"]
    assert anonymous.get(f"/v1/articles/{article_id}").status_code == 200
    assert anonymous.get(f"/v1/articles/{article_id}/summary").status_code == 200
    answer = anonymous.post(f"/v1/articles/{article_id}/answers", json={"question": "Who designed the bridge?"})
    assert answer.status_code == 200
    assert anonymous.get(f"/articles/{article_id}").status_code == 200  # the reader page


def test_a_revoked_key_gets_403(client: TestClient, news) -> None:
    with client.app.state.sessions() as session:
        _, key = create_key(session, "partner")
    partner = TestClient(client.app, headers={"Authorization": f"Bearer {key}"})
    assert partner.post("/v1/articles", json=_article(news)).status_code == 201
    with client.app.state.sessions() as session:
        revoke_key(session, "partner")
    response = partner.post("/v1/articles", json=_article(news, "vaccine_trial"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "revoked_key"
    # A key presented on a read is checked too, on the routes that may run a model as on the others.
    article_id = client.post("/v1/articles", json=_article(news, "vaccine_trial")).json()["id"]
    for read in (partner.get(f"/v1/articles/{article_id}/summary"), partner.get(f"/v1/articles/{article_id}")):
        assert read.status_code == 403 and read.json()["error"]["code"] == "revoked_key"


def test_only_a_hash_of_the_key_is_stored(client: TestClient) -> None:
    with client.app.state.sessions() as session:
        row, key = create_key(session, "hashed")
        assert key not in (row.secret_hash, row.prefix) and key.startswith(f"precis_{row.prefix}_")
        assert find_key(session, key).name == "hashed"
        assert find_key(session, key + "x") is None


def test_reads_can_require_a_key(settings: Settings, models, news) -> None:
    closed = settings.model_copy(update={"require_key_for_reads": True})
    with api_client(closed, models) as keyed:
        article_id = keyed.post("/v1/articles", json=_article(news)).json()["id"]
        assert keyed.get(f"/v1/articles/{article_id}").status_code == 200
        assert keyed.get(f"/v1/articles/{article_id}/summary").status_code == 200
        stranger = TestClient(keyed.app)
        reads = [
            stranger.get(f"/v1/articles/{article_id}"),
            stranger.get("/v1/articles"),
            # Routes that may run a model check the reader in their own dependency (service/auth.py).
            stranger.get(f"/v1/articles/{article_id}/summary"),
            stranger.post(f"/v1/articles/{article_id}/answers", json={"question": "Who designed the bridge?"}),
        ]
        for response in reads:
            assert response.status_code == 401 and response.json()["error"]["code"] == "missing_key"


def test_deleting_an_article_removes_what_was_computed_from_it(client: TestClient, anonymous, news) -> None:
    article_id = client.post("/v1/articles", json=_article(news)).json()["id"]
    other_id = client.post("/v1/articles", json=_article(news, "vaccine_trial")).json()["id"]
    client.get(f"/v1/articles/{article_id}/summary")
    client.post(f"/v1/articles/{article_id}/answers", json={"question": "Who designed the bridge?"})
    assert anonymous.delete(f"/v1/articles/{article_id}").status_code == 401
    response = client.delete(f"/v1/articles/{article_id}")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"/v1/articles/{article_id}").status_code == 404
    # Its summary stays in this process's memory of stored results, unreachable: the article is looked up first.
    assert client.get(f"/v1/articles/{article_id}/summary").status_code == 404
    assert client.delete(f"/v1/articles/{article_id}").status_code == 404
    with client.app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SummaryRow)) == 0
        assert session.scalar(select(func.count()).select_from(AnswerRow)) == 0
        assert session.scalar(select(func.count()).select_from(ArticleVectorRow)) == 1  # the other article's
    assert [item["id"] for item in client.get("/v1/articles").json()["items"]] == [other_id]


def test_the_keys_command_creates_lists_and_revokes(precis) -> None:
    created = precis("keys", "create", "newsroom-cms")
    assert created.code == 0
    key = created.out.strip()
    assert key.startswith("precis_") and "shown only this once" in created.err
    assert precis("keys", "create", "newsroom-cms").err.strip() == (
        "precis: a key named 'newsroom-cms' exists already; choose another name"
    )
    listed = precis("keys", "list").out
    assert "newsroom-cms" in listed and "active" in listed and key not in listed
    assert precis("keys", "revoke", "newsroom-cms").code == 0
    assert "revoked" in precis("keys", "list").out
    missing = precis("keys", "revoke", "nobody")
    assert missing.code == 1 and missing.err.strip() == "precis: no API key named 'nobody' (see precis keys list)."
    assert precis("keys", "create", "bad name!").code == 2


def test_the_delete_command(precis, news, tmp_path) -> None:
    page = tmp_path / "story.txt"
    page.write_text(f"{news['harbour_bridge'].title}\n{news['harbour_bridge'].text}", encoding="utf-8")
    assert precis("add", str(page)).code == 0
    assert precis("delete", "1").code == 0
    gone = precis("delete", "1")
    assert gone.code == 1 and gone.err.strip() == "precis: no article with id 1."
