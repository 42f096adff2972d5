"""Refuses a request body larger than PRECIS_MAX_BODY_BYTES before reading it, not after.

A declared Content-Length over the cap is answered 413 at once, unread; a chunked body is counted as it arrives
and refused the moment it passes the cap, so a 100 MB upload costs the server at most the cap in memory."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import error_body


def _too_large(limit: int) -> tuple[dict[str, object], bytes]:
    body = json.dumps(error_body("body_too_large", f"The request body is larger than {limit} bytes.")).encode()
    start = {
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    return start, body


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
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
                    await self._refuse(send)
                    # The app stops reading as if the client had gone; whatever it answers is dropped below.
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, send_unless_refused)

    async def _refuse(self, send: Send) -> None:
        start, body = _too_large(self.max_bytes)
        await send(start)
        await send({"type": "http.response.body", "body": body})
