"""Named entities for the server, found by spaCy in one worker process that is started on first need.

Importing spaCy imports thinc, which imports torch: seconds and hundreds of MiB the server must not hold (a test
checks that a serving process imports none of them). So the server hands texts to one long-lived worker process,
which loads the recogniser once, without torch (models.entities.find_entities_without_torch). The commands
(`precis batch`) run spaCy in their own process instead."""

import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessPool
from pebble.common import ProcessExpired

from models.entities import Entity, find_entities_without_torch
from service.errors import Overloaded

log = logging.getLogger(__name__)

# The recogniser reads some 40 000 characters a second on two busy cores: the longest text the API stores
# (200 000 characters by default) takes about five seconds; a task still running after this is stopped.
TIMEOUT_SECONDS = 60.0
# spaCy's string store keeps every new word it meets: a fresh worker after this many tasks gives that back
# (one more second of loading per thousand articles).
RECYCLE_AFTER = 1000
# Articles stored through the API are read in the background; beyond this many waiting, the rest are left to
# `precis batch` or the first request for their entities.
BACKGROUND_LIMIT = 64


class EntityWorker:
    def __init__(self) -> None:
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()
        self._waiting = 0

    def _schedule(self, texts: Sequence[str]) -> Future[list[list[Entity]]]:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: a fork of the server would share its loaded models and threads for nothing.
                self._pool = ProcessPool(
                    max_workers=1, max_tasks=RECYCLE_AFTER, context=multiprocessing.get_context("spawn")
                )
            return self._pool.schedule(find_entities_without_torch, args=(list(texts),), timeout=TIMEOUT_SECONDS)

    def _reset(self, error: BaseException) -> None:
        # The worker could not start or died (the system out of processes or memory): a fresh pool next time.
        log.error("the entity worker failed", extra={"error": repr(error)})
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()

    def find(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Each text's entities; waits for them."""
        try:
            return self._schedule(texts).result()
        except FutureTimeout:
            log.warning("the entity worker timed out", extra={"characters": sum(map(len, texts))})
            raise Overloaded() from None
        except (BrokenProcessPool, ProcessExpired) as error:
            self._reset(error)
            raise Overloaded() from None

    def find_later(self, text: str, then: Callable[[list[Entity]], None]) -> None:
        """Finds the text's entities without waiting and calls `then` with them (on a worker-pool thread); does
        nothing when BACKGROUND_LIMIT texts are waiting already."""
        with self._lock:
            if self._waiting >= BACKGROUND_LIMIT:
                return
            self._waiting += 1

        def done(future: Future[list[list[Entity]]]) -> None:
            with self._lock:
                self._waiting -= 1
            try:
                then(future.result()[0])
            except CancelledError:
                pass  # the server is stopping
            except Exception as error:
                if isinstance(error, BrokenProcessPool):
                    self._reset(error)
                # Nothing is lost: the entities are found when they are first asked for, or by `precis batch`.
                log.warning("entities were not stored in the background", extra={"error": repr(error)})

        try:
            future = self._schedule([text])
        except RuntimeError:  # pebble's pool is stopping, with the server
            with self._lock:
                self._waiting -= 1
            return
        future.add_done_callback(done)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        # Outside the lock: stopping cancels the background tasks, whose callbacks take it.
        if pool is not None:
            pool.stop()
            pool.join()
