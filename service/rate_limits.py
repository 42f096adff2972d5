"""Rate limits on model work: per API key, or per client address without one (moving window, `limits`).

Only requests that run a model count: a stored summary or answer costs nothing and is never refused. The counts
live in this process's memory: with `--workers N` each worker counts on its own, so a client may get up to N
times the limit; a shared limit needs a shared store (the `limits` library supports Redis)."""

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from service import metrics
from service.errors import RateLimited


class RateLimits:
    def __init__(self, limit: str) -> None:
        self.limit: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, identity: str) -> None:
        """Counts one model run for `identity`; raises RateLimited (429, Retry-After) past the limit."""
        if self._limiter.hit(self.limit, identity):
            return
        reset_at = self._limiter.get_window_stats(self.limit, identity).reset_time
        metrics.REJECTED.labels(reason="rate_limited").inc()
        raise RateLimited(str(self.limit), max(1, math.ceil(reset_at - time.time())))
