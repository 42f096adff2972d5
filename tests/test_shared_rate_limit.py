"""One rate limit across servers (PRECIS_RATE_LIMIT_STORAGE=redis://...): two real `precis serve` processes count
against the same Redis, and a Redis that cannot be reached refuses model work with 503 while stored results are
still served. Keyless model requests from one address count as one client, whichever server they reach."""

import httpx
import pytest

from tests.server import running_server, store_article

pytestmark = pytest.mark.slow
TEXT = "The council met on Tuesday. It voted to build a bridge over the harbour. Work starts in spring."


def _summarise(url: str, k: int) -> httpx.Response:
    # A text posted for summary is never stored: every one runs the model and counts against the limit.
    return httpx.post(f"{url}/v1/summaries", json={"text": f"{TEXT} Item {k}.", "preset": "short"}, timeout=60)


def test_two_servers_keep_one_limit_in_redis(redis_url: str, tmp_path) -> None:
    limits = {"PRECIS_RATE_LIMIT": "5/minute", "PRECIS_RATE_LIMIT_STORAGE": redis_url}
    with (
        running_server(f"sqlite:///{tmp_path / 'one.db'}", **limits) as one,
        running_server(f"sqlite:///{tmp_path / 'two.db'}", **limits) as two,
    ):
        statuses = [_summarise((one, two)[k % 2].url, k).status_code for k in range(12)]
    assert statuses.count(200) == 5 and statuses.count(429) == 7, statuses


def test_an_unreachable_redis_refuses_model_work_but_serves_stored_results(tmp_path) -> None:
    database = f"sqlite:///{tmp_path / 'precis.db'}"
    with running_server(database) as server:
        article_id = store_article(server, "harbour_bridge")
        assert httpx.get(f"{server.url}/v1/articles/{article_id}/summary", timeout=60).status_code == 200
    # Nothing listens on port 1.
    with running_server(database, PRECIS_RATE_LIMIT_STORAGE="redis://127.0.0.1:1/0") as server:
        stored = httpx.get(f"{server.url}/v1/articles/{article_id}/summary", timeout=60)
        assert stored.status_code == 200 and stored.json()["cached"] is True
        refused = _summarise(server.url, 0)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.json()["error"]["code"] == "rate_limits_unavailable"
