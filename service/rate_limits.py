"""Rate limits on model work: per API key, or per client address without one (moving window, `limits`).

Only requests that run a model count: a stored summary or answer costs nothing and is never refused. By default
the counts live in this process's memory: with `--workers N`, or several servers, each counts on its own, so a
client may get up to N times the limit. `PRECIS_RATE_LIMIT_STORAGE=redis://host:6379` keeps them in Redis, one
count for every process and server that names it. When that store cannot be reached, model work is refused with
503 and Retry-After (fail closed: a limit that silently stops holding is no limit), while stored summaries and
answers, which never count, keep being served."""

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from service import metrics
from service.errors import RateLimited, RateLimitsUnavailable

log = logging.getLogger(__name__)


class RateLimits:
    def __init__(self, limit: str, storage: str = "memory://") -> None:
        self.limit: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage))

    def check(self, identity: str) -> None:
        """Counts one model run for `identity`; raises RateLimited (429, Retry-After) past the limit, and
        RateLimitsUnavailable (503) when the counts' store cannot be reached."""
        try:
            admitted = self._limiter.hit(self.limit, identity)
        except Exception as error:  # the storage's own errors (redis' ConnectionError, TimeoutError, ...)
            log.error("rate-limit store unreachable", extra={"error": f"{type(error).__name__}: {error}"})
            metrics.REJECTED.labels(reason="rate_limits_unavailable").inc()
            raise RateLimitsUnavailable() from None
        if admitted:
            return
        reset_at = self._limiter.get_window_stats(self.limit, identity).reset_time
        metrics.REJECTED.labels(reason="rate_limited").inc()
        raise RateLimited(str(self.limit), max(1, math.ceil(reset_at - time.time())))
