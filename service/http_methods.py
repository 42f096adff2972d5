"""HEAD and OPTIONS for every route, which FastAPI leaves to 405.

HEAD is answered as the GET it stands for, without the body (headers, ETag and status alike). OPTIONS, when it
is not a CORS preflight (answered by the CORS middleware in front), lists the path's methods in `Allow`."""

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Message, Receive, Scope, Send

from service.asgi import HttpMiddleware, send_error
from service.errors import PathNotFound

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _serves(routes: list[BaseRoute], scope: Scope) -> bool:
    """Whether a route takes this method on this path (static files, mounted, take only GET)."""
    for route in routes:
        if route.matches(scope)[0] == Match.FULL:
            return not isinstance(route, Mount) or scope["method"] == "GET"
    return False


class HttpMethods(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in {"HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await self._options(scope, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)

    async def _options(self, scope: Scope, send: Send) -> None:
        methods = {method for method in _METHODS if _serves(scope["app"].router.routes, {**scope, "method": method})}
        if not methods:
            await send_error(send, PathNotFound())
            return
        if "GET" in methods:
            methods.add("HEAD")
        allow = ", ".join(sorted(methods | {"OPTIONS"})).encode()
        await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow)]})
        await send({"type": "http.response.body", "body": b""})
