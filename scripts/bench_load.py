"""Load on a real `precis serve` (127.0.0.1 only, bounded in requests and time), printing a JSON report:

    python -m scripts.bench_load burst    # 256 concurrent largest-allowed summaries, cached reads alongside
    python -m scripts.bench_load refusal  # one request at a time while the model queue is full: time to 503
    python -m scripts.bench_load mixed    # 50 clients for 60 s: cached and uncached summaries, answers
    python -m scripts.bench_load html     # server memory before, during and after a burst of the largest pages
    python -m scripts.bench_load starts   # fresh SQLite database, --workers 2, ten starts: how many die

Figures and what they mean: docs/reliability.md.
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from scripts.archive_sample import sample_archive
from scripts.bench import NO_RATE_LIMIT, percentile, rss_mib
from tests.server import Server, running_server


def _descendants(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def _memory(server: Server) -> dict[str, float]:
    """The server process's RSS, and the whole process tree's (the extraction worker included)."""
    tree = [server.pid, *_descendants(server.pid)]
    return {"server_mib": round(rss_mib(server.pid)), "with_workers_mib": round(sum(map(rss_mib, tree)))}


@contextmanager
def _server_with_articles(count: int, **env: str) -> Iterator[tuple[Server, list[int]]]:
    """A server on a fresh SQLite file holding `count` archive articles, each with its medium summary stored."""
    with (
        tempfile.TemporaryDirectory() as directory,
        running_server(f"sqlite:///{Path(directory) / 'load.db'}", **(NO_RATE_LIMIT | env)) as server,
    ):
        with httpx.Client(base_url=server.url, headers=server.auth, timeout=120) as client:
            ids = [client.post("/v1/articles", json=fields).json()["id"] for fields in sample_archive(count)]
            for article_id in ids:
                client.get(f"/v1/articles/{article_id}/summary").raise_for_status()
        yield server, ids


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _summary(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {}
    return {
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
    }


def _longest_text(limit: int) -> str:
    """Real news prose, articles joined until the text is as long as the server allows."""
    parts: list[str] = []
    length = 0
    for fields in sample_archive(151):
        parts.append(fields["text"])
        length += len(fields["text"]) + 2
        if length >= limit:
            break
    return "\n\n".join(parts)[:limit]


def _cached_reads(base_url: str, paths: list[str], seconds: float) -> list[tuple[float, float]]:
    """(wall-clock start, latency ms) of stored summaries read one after another for `seconds`: run in a process
    of its own, so that the burst's client work never shows up in these latencies."""
    reads = []
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=base_url, timeout=60) as client:
        while time.perf_counter() < deadline:
            at, started = time.time(), time.perf_counter()
            client.get(random.choice(paths)).raise_for_status()
            reads.append((at, _ms(started)))
            time.sleep(0.01)
    return reads


async def _burst(server: Server, requests: int, text: str) -> list[tuple[int, float]]:
    # Bodies encoded before the clock starts: the client's own JSON work is not the server's latency.
    bodies = [json.dumps({"text": f"{text[:-20]} Report {number}."}).encode() for number in range(requests)]
    headers = {"Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=requests)
    async with httpx.AsyncClient(base_url=server.url, timeout=600, limits=limits) as client:

        async def one(body: bytes) -> tuple[int, float]:
            started = time.perf_counter()
            response = await client.post("/v1/summaries", content=body, headers=headers)
            return response.status_code, _ms(started)

        return await asyncio.gather(*(one(body) for body in bodies))


def _server_seconds(base_url: str) -> dict[str, tuple[float, float]]:
    """(count, seconds) per series of the server's own timings (/metrics): what the server spent, whatever the
    client on the same cores added."""
    series = {
        "summaries_route": 'precis_request_seconds_{}{{method="POST",route="/v1/summaries"}}',
        "summary_model_work": 'precis_work_seconds_{}{{kind="summary"}}',
    }
    text = httpx.get(f"{base_url}/metrics").text

    def value(name: str) -> float:
        line = next((line for line in text.splitlines() if line.startswith(name + " ")), None)
        return float(line.split()[-1]) if line else 0.0

    return {key: (value(name.format("count")), value(name.format("sum"))) for key, name in series.items()}


def bench_burst(args: argparse.Namespace) -> dict[str, Any]:
    from service.settings import Settings

    text = _longest_text(Settings().max_text_chars)
    with _server_with_articles(20) as (server, ids), ProcessPoolExecutor(1) as reader_process:
        paths = [f"/v1/articles/{article_id}/summary" for article_id in ids]
        before = reader_process.submit(_cached_reads, server.url, paths, 3).result()
        during = reader_process.submit(_cached_reads, server.url, paths, args.seconds)
        time.sleep(1)  # the reader is running
        started, burst_from = time.perf_counter(), time.time()
        timings_before = _server_seconds(server.url)
        results = asyncio.run(_burst(server, args.requests, text))
        burst_seconds = time.perf_counter() - started
        timings = {
            key: {
                "count": int(count - timings_before[key][0]),
                "mean_ms": round(1000 * (sum_ - timings_before[key][1]) / max(1, count - timings_before[key][0]), 1),
            }
            for key, (count, sum_) in _server_seconds(server.url).items()
        }
        cached = [ms for at, ms in during.result() if burst_from <= at <= burst_from + burst_seconds]
        memory = _memory(server)
    by_status: dict[int, list[float]] = {}
    for status, latency in results:
        by_status.setdefault(status, []).append(latency)
    return {
        "requests": args.requests,
        "text_chars": len(text),
        "statuses": {str(status): len(latencies) for status, latencies in sorted(by_status.items())},
        "admitted_200": _summary(by_status.get(200, [])),
        "refused_503": _summary(by_status.get(503, [])),
        "burst_seconds": round(burst_seconds, 1),
        # Requests that reached the route (admitted, or refused after reading): the server's own time for them.
        "server_side": timings,
        "cached_reads_quiet": {"count": len(before), **_summary([ms for _, ms in before])},
        "cached_reads_while_bursting": {"count": len(cached), **_summary(cached)},
        "memory_after": memory,
    }


def bench_refusal(args: argparse.Namespace) -> dict[str, Any]:
    """The burst's refusals as one client sees them alone: a queue of one slot and no waiting places, kept full by
    a thread posting the largest texts, while texts as large are posted one at a time."""
    import threading

    from service.settings import Settings

    body = json.dumps({"text": _longest_text(Settings().max_text_chars)}).encode()
    headers = {"Content-Type": "application/json"}
    one_slot = {"PRECIS_MODEL_SLOTS": "1", "PRECIS_MODEL_QUEUE": "0"}
    with (
        tempfile.TemporaryDirectory() as directory,
        running_server(f"sqlite:///{Path(directory) / 'refusal.db'}", **(NO_RATE_LIMIT | one_slot)) as server,
    ):
        stop = threading.Event()

        def keep_full() -> None:
            with httpx.Client(base_url=server.url, timeout=120) as client:
                while not stop.is_set():
                    client.post("/v1/summaries", content=body, headers=headers)

        filler = threading.Thread(target=keep_full)
        filler.start()
        time.sleep(1)
        refused, statuses = [], Counter()
        with httpx.Client(base_url=server.url, timeout=120) as client:
            for _ in range(args.requests):
                started = time.perf_counter()
                status = client.post("/v1/summaries", content=body, headers=headers).status_code
                statuses[str(status)] += 1
                if status == 503:
                    refused.append(_ms(started))
        stop.set()
        filler.join()
    return {
        "requests": args.requests,
        "body_bytes": len(body),
        "statuses": dict(statuses),
        "refused": _summary(refused),
    }


async def _mixed(server: Server, ids: list[int], clients: int, seconds: float) -> dict[str, Any]:
    texts = [fields["text"] for fields in sample_archive(151)]
    deadline = time.perf_counter() + seconds
    outcomes: list[tuple[str, int, float]] = []

    async def client_loop(number: int, client: httpx.AsyncClient) -> None:
        rng = random.Random(number)
        asked = 0
        while time.perf_counter() < deadline:
            kind = rng.choices(["cached summary", "uncached summary", "uncached answer"], [6, 2, 2])[0]
            started = time.perf_counter()
            if kind == "cached summary":
                response = await client.get(f"/v1/articles/{rng.choice(ids)}/summary")
            elif kind == "uncached summary":
                response = await client.post("/v1/summaries", json={"text": rng.choice(texts), "preset": "short"})
            else:
                asked += 1  # a question never asked before: not in the store
                question = f"Who is article {number}-{asked} about?"
                response = await client.post(f"/v1/articles/{rng.choice(ids)}/answers", json={"question": question})
            outcomes.append((kind, response.status_code, _ms(started)))

    limits = httpx.Limits(max_connections=clients + 4)
    async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as client:
        memory_before = _memory(server)
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(number, client) for number in range(clients)))
        elapsed = time.perf_counter() - started
    statuses = Counter(status for _, status, _ in outcomes)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(len(outcomes) / elapsed, 1),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "errors_other_than_429_503": sum(c for s, c in statuses.items() if s >= 400 and s not in (429, 503)),
        "latency": {
            kind: _summary([ms for k, status, ms in outcomes if k == kind and status == 200])
            for kind in ("cached summary", "uncached summary", "uncached answer")
        },
        "memory_before": memory_before,
        "memory_after": _memory(server),
    }


def bench_mixed(args: argparse.Namespace) -> dict[str, Any]:
    with _server_with_articles(50) as (server, ids):
        return asyncio.run(_mixed(server, ids, args.clients, args.seconds))


def _page(chars: int, number: int) -> str:
    """A news page as long as the server allows: a real story padded out with what pages carry besides it,
    navigation and the script data of a client-side framework."""
    story = sample_archive(151)[number % 151]
    paragraphs = "".join(f"<p>{sentence}.</p>" for sentence in story["text"].split(". "))
    head = f"<html><head><title>{story['title']} {number}</title></head><body><article>{paragraphs}</article>"
    navigation = "<nav><ul>" + "".join(f"<li><a href='/section/{i}'>Section {i}</a></li>" for i in range(50))
    navigation += "</ul></nav>"
    script = '<script type="application/json">{"props": {"teasers": ["' + "x" * 20_000 + '"]}}</script>'
    filler = navigation + script
    body = head + filler * ((chars - len(head)) // len(filler))
    return body + "</body></html>"


async def _html_burst(server: Server, pages: int, chars: int) -> list[int]:
    async with httpx.AsyncClient(base_url=server.url, headers=server.auth, timeout=900) as client:
        responses = await asyncio.gather(
            *(client.post("/v1/articles", json={"html": _page(chars, number)}) for number in range(pages))
        )
    return [response.status_code for response in responses]


def bench_html(args: argparse.Namespace) -> dict[str, Any]:
    from service.settings import Settings

    chars = Settings().max_html_chars
    with _server_with_articles(5) as (server, _):
        before = _memory(server)
        started = time.perf_counter()
        statuses = asyncio.run(_html_burst(server, args.pages, chars))
        seconds = time.perf_counter() - started
        right_after = _memory(server)
        time.sleep(args.settle)
        settled = _memory(server)
    return {
        "pages": args.pages,
        "page_chars": chars,
        "statuses": dict(Counter(map(str, statuses))),
        "burst_seconds": round(seconds, 1),
        "memory_before": before,
        "memory_right_after": right_after,
        f"memory_{args.settle:g}s_later": settled,
        "server_growth_mib": settled["server_mib"] - before["server_mib"],
    }


def bench_starts(args: argparse.Namespace) -> dict[str, Any]:
    died = 0
    seconds = []
    for _ in range(args.starts):
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            try:
                with running_server(f"sqlite:///{Path(directory) / 'fresh.db'}", workers=2) as server:
                    seconds.append(time.perf_counter() - started)
                    httpx.get(f"{server.url}/readyz").raise_for_status()
            except (TimeoutError, httpx.HTTPError, RuntimeError):
                died += 1
    return {
        "starts": args.starts,
        "workers": 2,
        "died": died,
        "ready_s_mean": round(statistics.mean(seconds), 1) if seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Load on a real precis serve; each prints a JSON report.")
    benches = parser.add_subparsers(dest="bench", required=True)
    burst = benches.add_parser("burst", help="many concurrent largest-allowed summaries")
    burst.add_argument("--requests", type=int, default=256)
    burst.add_argument("--seconds", type=float, default=8, help="how long cached reads are timed around the burst")
    burst.set_defaults(run=bench_burst)
    refusal = benches.add_parser("refusal", help="time to a 503 while the model queue is full, one request at a time")
    refusal.add_argument("--requests", type=int, default=200)
    refusal.set_defaults(run=bench_refusal)
    mixed = benches.add_parser("mixed", help="many clients, mixed traffic, for a while")
    mixed.add_argument("--clients", type=int, default=50)
    mixed.add_argument("--seconds", type=float, default=60)
    mixed.set_defaults(run=bench_mixed)
    html = benches.add_parser("html", help="memory around a burst of the largest pages")
    html.add_argument("--pages", type=int, default=8)
    html.add_argument("--settle", type=float, default=5, help="seconds to wait before the last reading")
    html.set_defaults(run=bench_html)
    starts = benches.add_parser("starts", help="fresh-database starts with two workers")
    starts.add_argument("--starts", type=int, default=10)
    starts.set_defaults(run=bench_starts)
    args = parser.parse_args()
    print(json.dumps(args.run(args), indent=2))


if __name__ == "__main__":
    main()
