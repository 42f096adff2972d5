"""Input no store can hold is refused at the edge, in the one error shape, on both stores: a NUL character (text
in PostgreSQL cannot hold one) in a body, a query or a path, and ids past the store's integer range (32-bit on
PostgreSQL). Each case was a 500 on PostgreSQL before."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from models.registry import Models
from service.settings import Settings
from service.store.tables import MAX_ID
from tests.conftest import api_client

NUL = "\u0000"


@pytest.fixture
def hostile(database_url: str, models: Models) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, max_text_chars=20_000, entities_when_stored=False)
    with api_client(settings, models) as client:
        stored = client.post("/v1/articles", json={"title": "Council vote", "text": "The council met. It voted."})
        assert stored.status_code == 201, stored.text
        yield client


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_a_nul_character_is_refused_wherever_text_comes_in(hostile: TestClient) -> None:
    body = {"title": "Vote", "text": f"The council met.{NUL} It voted."}
    _refused(hostile.post("/v1/articles", json=body), 422, "invalid_input")
    _refused(hostile.post("/v1/articles/1/answers", json={"question": f"Who{NUL}?"}), 422, "invalid_input")
    _refused(hostile.post("/v1/answers", json={"question": f"Who{NUL}?"}), 422, "invalid_input")
    _refused(hostile.post("/v1/summaries", json={"text": f"The council met.{NUL}"}), 422, "invalid_input")
    _refused(hostile.get("/v1/articles", params={"q": f"a{NUL}b"}), 422, "invalid_input")
    _refused(hostile.get("/v1/search", params={"q": f"a{NUL}b"}), 422, "invalid_input")
    _refused(hostile.get("/v1/entities/a%00b/articles"), 422, "invalid_input")
    for page in ("/?q=a%00b", "/?ask=a%00b", "/entities/a%00b"):
        _refused(hostile.get(page), 422, "invalid_input")
    # The text without it is stored as usual.
    assert hostile.post("/v1/articles", json={"title": "Vote", "text": "The council met again."}).status_code == 201


def test_an_id_past_the_stores_range_names_no_article(hostile: TestClient) -> None:
    for too_big in (MAX_ID + 1, 2**63 - 1):
        _refused(hostile.get(f"/v1/articles/{too_big}"), 422, "invalid_input")
        _refused(hostile.delete(f"/v1/articles/{too_big}"), 422, "invalid_input")
        assert hostile.get(f"/articles/{too_big}").status_code == 404
    _refused(hostile.get(f"/v1/articles/{MAX_ID}"), 404, "article_not_found")
    briefing = hostile.post("/v1/briefings", json={"article_ids": [1, MAX_ID + 1]})
    _refused(briefing, 422, "invalid_input")
    spec = hostile.get("/openapi.json").json()
    parameter = spec["paths"]["/v1/articles/{article_id}"]["get"]["parameters"][0]
    assert parameter["schema"]["maximum"] == MAX_ID
