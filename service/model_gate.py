"""Back-pressure: a bounded queue in front of the models (sized to the cores) or the HTML extractor.

A request that needs the models either gets a place (running, or waiting behind at most `queue` others) or is
refused at once with 503 and Retry-After; queueing for a minute helps no one, and a load balancer can send the
refused request elsewhere. Stored results never pass through the gate, so they keep flowing while it is full.

Model time grows with the text, so the queue is bounded in characters too: a 200 000-character summary costs
what some fifty 600-word ones do, and eight of them queued would keep the last waiting for seconds."""

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from service import metrics
from service.errors import Overloaded


class ModelGate:
    def __init__(self, slots: int | None, queue: int, name: str = "models", max_chars: int | None = None) -> None:
        self.name = name
        self.slots = slots or os.cpu_count() or 1
        self.capacity = self.slots + queue
        self.max_chars = max_chars
        self._running = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self._admitted = 0
        self._chars = 0

    @property
    def admitted(self) -> int:
        """Requests running or waiting."""
        return self._admitted

    @property
    def saturated(self) -> bool:
        """Not even the shortest text would be admitted now."""
        return not self.has_room(1)

    def has_room(self, chars: int) -> bool:
        """Whether a text of `chars` characters would be admitted now."""
        if self._admitted >= self.capacity:
            return False
        # An empty queue takes any one request, however long: the text limit, not the gate, bounds its size.
        return self.max_chars is None or self._admitted == 0 or self._chars + chars <= self.max_chars

    @contextmanager
    def admit(self, kind: str, chars: int = 0) -> Iterator[None]:
        """Runs the block when a slot is free; raises Overloaded at once when the queue is full."""
        with self._lock:
            if not self.has_room(chars):
                metrics.REJECTED.labels(reason=f"{self.name}_busy").inc()
                raise Overloaded()
            self._admitted += 1
            self._chars += chars
            metrics.QUEUE.labels(gate=self.name).set(self._admitted)
        try:
            with self._running:
                started = time.perf_counter()
                try:
                    yield
                finally:
                    metrics.WORK_SECONDS.labels(kind=kind).observe(time.perf_counter() - started)
        finally:
            with self._lock:
                self._admitted -= 1
                self._chars -= chars
                metrics.QUEUE.labels(gate=self.name).set(self._admitted)


@dataclass
class ModelAccess:
    """One request's way to the models: its caller's rate limit first, then the gate. A request counts once against
    the limit however many model runs it makes (asking the archive reads several articles)."""

    gate: ModelGate
    count_against_limit: Callable[[], None] = lambda: None
    _counted: bool = False

    @contextmanager
    def admit(self, kind: str, chars: int = 0) -> Iterator[None]:
        if not self._counted:
            self.count_against_limit()
            self._counted = True
        with self.gate.admit(kind, chars):
            yield


# For the commands, which serve one person: no limit, no queue.
UNLIMITED = ModelAccess(ModelGate(slots=1 << 30, queue=0, name="unlimited"))
