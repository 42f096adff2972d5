"""Headers every response carries, pages and API alike."""

from starlette.types import Message, Receive, Scope, Send

from service.asgi import HttpMiddleware

HEADERS = [
    # A response is what its Content-Type says, never sniffed into something else (a script, say).
    (b"x-content-type-options", b"nosniff"),
    # Links out of an article page tell the other site no more than where the reader came from.
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    # For JSON and errors: nothing in them may run or be framed. The reader's pages and /docs set their own.
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]


class SecurityHeaders(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in HEADERS if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
