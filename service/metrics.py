"""Prometheus metrics, served at GET /metrics.

Each server process counts its own requests: with `--workers N`, a scrape reaches one worker (run one process per
port behind the load balancer to scrape each, as Prometheus's multiprocess mode is not set up here)."""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("precis_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "precis_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WORK_SECONDS = Histogram(
    "precis_work_seconds",
    "Time the models (kind: summary, answer, vectors) or the HTML extractor spent on one request",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
QUEUE = Gauge("precis_queue", "Requests running or waiting for the models or the HTML extractor", ["gate"])
CACHE = Counter("precis_cache_total", "Stored results looked up", ["kind", "outcome"])
REJECTED = Counter("precis_rejected_total", "Requests refused to protect the service", ["reason"])
