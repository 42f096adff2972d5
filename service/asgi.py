"""What Precis's plain ASGI middlewares share. Plain ASGI, not Starlette's BaseHTTPMiddleware: they cost a stored
summary nothing measurable, and they can answer before a request's body is read."""

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import NotText, PrecisError, error_body


class HttpMiddleware:
    """Passes anything but HTTP (the lifespan events) straight through; `handle` sees each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


def declared_length(scope: Scope) -> int | None:
    """The body's length as its Content-Length header declares it; None when it declares none (or nonsense)."""
    declared = dict(scope["headers"]).get(b"content-length")
    return int(declared) if declared is not None and declared.isdigit() else None


async def send_error(send: Send, error: PrecisError, close: bool = False) -> None:
    """The error as the exception handlers would render it, from a middleware. `close`: the body was not read, and
    receiving the rest of it is not worth the server's time."""
    body = json.dumps(error_body(error.code, error.message)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (error.headers or {}).items()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RefuseNul(HttpMiddleware):
    """A NUL in a request's path or query (%00) is refused as invalid input on every route, the pages included:
    no text the store can hold contains one (PostgreSQL's text cannot), so a query or a name with it could only fail
    deeper in. Bodies are checked by their schemas (service/store/articles.py, WellFormed)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").lower()
        if "\x00" in scope["path"]:
            await send_error(send, NotText("path"))
        elif b"%00" in query or b"\x00" in query:
            await send_error(send, NotText("query"))
        else:
            await self.app(scope, receive, send)
