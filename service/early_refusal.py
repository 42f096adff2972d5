"""Refuses a text to summarise or answer about that the model queue has no room for, before its body is read.

FastAPI reads and parses a body before any route code runs: 256 texts of 200 000 characters cost the server
seconds of parsing just to be told "busy", while stored summaries waited behind them. Posted texts are never in
the store, so nothing servable is refused here; a stored article's routes go through the gate as usual."""

from starlette.types import Receive, Scope, Send

from service import metrics
from service.asgi import HttpMiddleware, declared_length, send_error
from service.errors import Overloaded
from service.model_gate import ModelGate

POSTED_TEXT_ROUTES = {"/v1/summaries", "/v1/answers"}


class RefuseWhenSaturated(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate: ModelGate | None = getattr(scope["app"].state, "gate", None)
        if gate is None or scope["method"] != "POST" or scope["path"] not in POSTED_TEXT_ROUTES:
            await self.app(scope, receive, send)
            return
        # The body's size stands for the text's length (a little over it: JSON quotes and escapes).
        if gate.has_room(declared_length(scope) or 0):
            await self.app(scope, receive, send)
            return
        metrics.REJECTED.labels(reason=f"{gate.name}_busy").inc()
        await send_error(send, Overloaded(), close=True)
