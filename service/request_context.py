"""Per request: an X-Request-ID (the client's, when it sent a sane one) on the response and on every log line
written while the request runs, and the Prometheus request counters (service/metrics.py)."""

import contextvars
import logging
import os
import re
import time

from starlette.types import Message, Receive, Scope, Send

from service import metrics
from service.asgi import HttpMiddleware

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# A proxy's id is kept when it is plainly an id; anything else (log injection, 10 kB of junk) is replaced.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each log record (logging runs in the request's context, threads too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id is not None:
            record.request_id = request_id
        return True


class RequestContext(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.fullmatch(given) else os.urandom(16).hex()
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # The route's template, not the path: /v1/articles/{article_id}, never one series per article. A
            # mounted app (the static files) has no route of its own: its mount point names it.
            mount = scope.get("root_path") or ""
            route = getattr(scope.get("route"), "path", None) or (f"{mount}/{{path}}" if mount else "unmatched")
            method = scope["method"]
            metrics.REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)
            REQUEST_ID.reset(token)
