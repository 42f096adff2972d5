"""Refuses a request body larger than PRECIS_MAX_BODY_BYTES before reading it, not after.

A declared Content-Length over the cap is answered 413 at once, unread; a chunked body is counted as it arrives
and refused the moment it passes the cap, so a 100 MB upload costs the server at most the cap in memory."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.asgi import HttpMiddleware, declared_length, send_error
from service.errors import BodyTooLarge


class BodyLimit(HttpMiddleware):
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await send_error(send, BodyTooLarge(self.max_bytes), close=True)
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not refused:
                    refused = True
                    await send_error(send, BodyTooLarge(self.max_bytes), close=True)
                    # The app stops reading as if the client had gone; whatever it answers is dropped below.
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, send_unless_refused)
