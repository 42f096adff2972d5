"""What keeps one client or one page from hurting the service: rate limits, the model queue, the body cap, the
extraction worker, and the HTTP edges (HEAD, OPTIONS, CORS, headers, request ids, metrics, readiness)."""

import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from service.request_context import REQUEST_ID, RequestIdFilter
from service.settings import Settings
from tests.conftest import api_client, read_article
from tests.server import free_port, running_server


@contextmanager
def configured(settings: Settings, models, **changes: object) -> Iterator[TestClient]:
    with api_client(settings.model_copy(update=changes), models) as client:
        yield client


def _texts(news) -> list[str]:
    return [article.text for article in news.values()]


def test_model_runs_past_the_rate_limit_get_429_but_stored_results_flow(settings, models, news) -> None:
    with configured(settings, models, rate_limit="2/minute") as client:
        article_id = client.post("/v1/articles", json={"title": "t", "text": news["harbour_bridge"].text}).json()["id"]
        reader = TestClient(client.app)
        assert reader.get(f"/v1/articles/{article_id}/summary").status_code == 200  # runs the model: 1
        for _ in range(5):  # stored: never counted
            assert reader.get(f"/v1/articles/{article_id}/summary").json()["cached"] is True
        assert reader.post("/v1/summaries", json={"text": news["vaccine_trial"].text}).status_code == 200  # 2
        refused = reader.post("/v1/summaries", json={"text": news["football_final"].text})
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Each key has its own allowance.
        assert client.post("/v1/summaries", json={"text": news["football_final"].text}).status_code == 200


def test_a_full_model_queue_refuses_at_once_while_stored_results_flow(settings, models, news) -> None:
    with configured(settings, models, model_slots=1, model_queue=0) as client:
        article_id = client.post("/v1/articles", json={"title": "t", "text": news["harbour_bridge"].text}).json()["id"]
        assert client.get(f"/v1/articles/{article_id}/summary").status_code == 200
        with client.app.state.gate.admit("another request"):  # the one slot is taken
            busy = client.post("/v1/summaries", json={"text": news["vaccine_trial"].text})
            assert busy.status_code == 503 and busy.json()["error"]["code"] == "overloaded"
            assert busy.headers["retry-after"] == "1"
            assert client.get(f"/v1/articles/{article_id}/summary").json()["cached"] is True
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["status"] == "saturated"
            # A write is never refused for the vector it would add: that is made later.
            tram = read_article("related/tram_bridge")
            stored = client.post("/v1/articles", json={"title": tram.title, "text": tram.text})
            assert stored.status_code == 201
        assert client.post("/v1/summaries", json={"text": news["vaccine_trial"].text}).status_code == 200
        related = client.get(f"/v1/articles/{article_id}/related").json()["items"]
        assert [item["id"] for item in related] == [stored.json()["id"]]  # its vector was filled in
        assert client.get("/readyz").json() | {"summariser": None, "answers": None} == {
            "status": "ready",
            "models": True,
            "store": True,
            "model_queue": 0,
            "model_capacity": 1,
            "summariser": None,
            "answers": None,
        }


def test_a_body_over_the_cap_is_refused_before_it_is_read(settings, models) -> None:
    with configured(settings, models, max_body_bytes=1000) as client:
        declared = client.post("/v1/summaries", json={"text": "word " * 400})
        assert declared.status_code == 413 and declared.json()["error"]["code"] == "body_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"text": "'
            for _ in range(100):
                yield b"word " * 20
            yield b'"}'

        streamed = client.post("/v1/summaries", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "body_too_large"
        assert client.post("/v1/summaries", json={"text": "A short text."}).status_code != 413


def test_a_page_that_takes_too_long_to_extract_is_refused_and_the_worker_replaced(settings, models, shared) -> None:
    page = next(shared.news_pages.glob("*.html")).read_text(encoding="utf-8")
    # 2.8 million characters: about 4 s of extraction on an idle core.
    sentence = "the council met again on Tuesday about the bridge."
    paragraphs = "".join(f"<p>Paragraph {i}: {sentence}</p>" for i in range(30_000))
    heavy = f"<html><head><title>Long</title></head><body><article>{paragraphs}</article></body></html>"
    with configured(settings, models, extraction_timeout_seconds=1.5) as client:
        refused = client.post("/v1/articles", json={"html": heavy})
        assert refused.status_code == 422, refused.text
        assert "could not be read within 1.5 s" in refused.json()["error"]["message"]
        stored = client.post("/v1/articles", json={"html": page})
        assert stored.status_code == 201, stored.text


def test_head_and_options_answer_for_every_route(client: TestClient, news) -> None:
    article_id = client.post("/v1/articles", json={"title": "t", "text": news["harbour_bridge"].text}).json()["id"]
    get = client.get(f"/v1/articles/{article_id}/summary")
    head = client.head(f"/v1/articles/{article_id}/summary")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == get.headers["etag"]
    assert client.head("/").status_code == 200
    assert client.head("/v1/articles/999999").status_code == 404
    assert client.options("/v1/articles").headers["allow"] == "GET, HEAD, OPTIONS, POST"
    options = client.options(f"/v1/articles/{article_id}")
    assert options.status_code == 204 and options.headers["allow"] == "DELETE, GET, HEAD, OPTIONS"
    assert client.options("/v1/answers").headers["allow"] == "OPTIONS, POST"
    assert client.options("/nowhere").status_code == 404


def test_cross_origin_calls_are_off_unless_allowed(client: TestClient, settings, models) -> None:
    preflight = {"Origin": "https://news.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/summaries", headers=preflight).headers
    with configured(settings, models, cors_origins=["https://news.example"]) as allowed:
        answered = allowed.options("/v1/summaries", headers=preflight)
        assert answered.status_code == 200
        assert answered.headers["access-control-allow-origin"] == "https://news.example"
        other = allowed.options("/v1/summaries", headers=preflight | {"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_every_response_carries_security_headers_and_a_request_id(client: TestClient) -> None:
    for path in ("/v1/articles", "/", "/nowhere", "/docs"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" in response.headers
        assert len(response.headers["x-request-id"]) == 32
    assert client.get("/v1/articles").headers["content-security-policy"].startswith("default-src 'none'")
    assert client.get("/v1/articles", headers={"X-Request-ID": "edge-42"}).headers["x-request-id"] == "edge-42"
    forged = client.get("/v1/articles", headers={"X-Request-ID": 'a b" level=error'}).headers["x-request-id"]
    assert len(forged) == 32 and "level" not in forged


def test_log_lines_written_during_a_request_carry_its_id() -> None:
    import logging

    record = logging.makeLogRecord({"msg": "summarised"})
    token = REQUEST_ID.set("edge-42")
    try:
        assert RequestIdFilter().filter(record) and record.request_id == "edge-42"
    finally:
        REQUEST_ID.reset(token)


def test_metrics_count_requests_by_route_and_cache_outcome(client: TestClient, news) -> None:
    article_id = client.post("/v1/articles", json={"title": "t", "text": news["football_final"].text}).json()["id"]
    client.get(f"/v1/articles/{article_id}/summary")
    client.get(f"/v1/articles/{article_id}/summary")
    body = client.get("/metrics").text
    assert 'precis_requests_total{method="GET",route="/v1/articles/{article_id}/summary",status="200"}' in body
    assert 'precis_cache_total{kind="summary",outcome="hit"}' in body
    assert 'precis_work_seconds_count{kind="summary"}' in body
    assert 'precis_queue{gate="models"}' in body


def test_metrics_name_pages_and_static_files_by_their_template(client: TestClient) -> None:
    for path in ("/", "/articles/999", "/entities/CATL", "/static/reader.css", "/no-such-page"):
        client.get(path)
    body = client.get("/metrics").text
    for route, status in (
        ("/", 200),
        ("/articles/{article_id}", 404),
        ("/entities/{name:path}", 200),
        ("/static/{path}", 200),
        ("unmatched", 404),  # a path no route or mount serves
    ):
        assert f'precis_requests_total{{method="GET",route="{route}",status="{status}"}}' in body, route


def test_readiness_fails_when_the_store_stops_taking_writes(client: TestClient, tmp_path) -> None:
    assert client.get("/readyz").json()["store"] is True
    path = client.app.state.settings.database_url.removeprefix("sqlite:///")
    read_only = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    client.app.state.sessions = sessionmaker(read_only)  # as when the disk is remounted read-only
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["store"] is False


def test_a_database_that_never_answers_fails_the_start_in_one_sentence(precis, monkeypatch) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never says a word
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    monkeypatch.setenv("PRECIS_DATABASE_URL", f"postgresql+psycopg://precis@127.0.0.1:{silent.getsockname()[1]}/x")
    monkeypatch.setenv("PRECIS_DATABASE_CONNECT_TIMEOUT", "1")
    run = precis("serve", "--port", str(free_port()))
    silent.close()
    assert run.code == 1
    assert run.err.startswith("precis: cannot use the database at postgresql+psycopg://precis@127.0.0.1:")
    assert run.err.strip().endswith("check PRECIS_DATABASE_URL.") and "Traceback" not in run.err


@pytest.mark.parametrize("limit", ["lots", "5 per fortnight"])
def test_a_bad_rate_limit_setting_is_refused(limit: str) -> None:
    with pytest.raises(ValueError):
        Settings(rate_limit=limit)


def test_the_queue_is_bounded_in_characters_and_refuses_before_reading(settings, models, news) -> None:
    with configured(settings, models, model_queue_chars=5000) as client:
        with client.app.state.gate.admit("another request", 4000):  # a long text is being summarised
            short = client.post("/v1/summaries", json={"text": news["football_final"].text[:800]})
            assert short.status_code == 200
            long = client.post("/v1/summaries", json={"text": news["harbour_bridge"].text})
            assert long.status_code == 503 and long.json()["error"]["code"] == "overloaded"
            # Refused from its declared size, unread: the connection is not kept for the rest of the body.
            assert long.headers["connection"] == "close" and long.headers["retry-after"] == "1"
        assert client.post("/v1/summaries", json={"text": news["harbour_bridge"].text}).status_code == 200


def _queued(base_url: str) -> float:
    """Requests running or waiting for the models, from /metrics."""
    found = re.search(r'^precis_queue\{gate="models"\} (\S+)$', httpx.get(f"{base_url}/metrics").text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.mark.slow
def test_sigterm_lets_the_request_in_flight_finish(tmp_path, news) -> None:
    long_text = "\n".join([article.text for article in news.values()] * 40)[:190_000]  # ~0.5 s of summary
    with running_server(f"sqlite:///{tmp_path / 'drain.db'}") as server, ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(httpx.post, f"{server.url}/v1/summaries", json={"text": long_text}, timeout=60)
        # SIGTERM once the models hold it: sent earlier, the request might not have connected yet, and a stopping
        # server rightly refuses new connections.
        deadline = time.monotonic() + 30
        while _queued(server.url) == 0:
            assert time.monotonic() < deadline, "the request never reached the models"
        os.kill(server.pid, signal.SIGTERM)
        assert in_flight.result().status_code == 200
