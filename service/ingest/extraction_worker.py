"""HTML extraction for the HTTP API, in a worker process that is bounded in time and memory.

Extracting a 5-million-character page took 7 s of a core and left 330 MiB in the server for good (the allocator
keeps what lxml asked for). In a worker process the cost is bounded: a page not extracted within the timeout is
refused and its process killed, the process may not grow past a memory cap, and it is replaced every
RECYCLE_AFTER pages, which hands the memory back to the system. The commands (`precis add`, `precis ingest`)
extract in their own process: they read the operator's own files."""

import logging
import multiprocessing
import resource
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessPool
from pebble.common import ProcessExpired

from service.errors import Overloaded, UnreadableArticle
from service.ingest.story import ExtractedArticle, extract_story
from service.model_gate import ModelGate

log = logging.getLogger(__name__)

RECYCLE_AFTER = 50
# A page this long gets a process of its own, ended when it is done: its memory goes back to the system at once
# instead of staying with the worker until it is recycled. Such pages are rare and take seconds anyway; starting a
# process adds about one.
LARGE_PAGE_CHARS = 500_000


def _cap_memory(limit_bytes: int) -> None:
    # Address space, the one limit Linux enforces on a process's allocations: past it, lxml fails with a
    # MemoryError instead of the machine swapping.
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


class ExtractionWorker:
    def __init__(self, timeout_seconds: float, memory_mib: int, queue: int) -> None:
        self.timeout_seconds = timeout_seconds
        self.memory_bytes = memory_mib * 1024 * 1024
        self._pool = self._new_pool(RECYCLE_AFTER)
        self.gate = ModelGate(slots=1, queue=queue, name="extraction")

    def _new_pool(self, max_tasks: int) -> ProcessPool:
        # spawn, not fork: a fork of the server would share its loaded models and threads for nothing.
        return ProcessPool(
            max_workers=1,
            max_tasks=max_tasks,
            initializer=_cap_memory,
            initargs=(self.memory_bytes,),
            context=multiprocessing.get_context("spawn"),
        )

    def extract(self, html: str, url: str | None) -> ExtractedArticle | None:
        with self.gate.admit("extraction"):
            large = len(html) > LARGE_PAGE_CHARS
            pool = self._new_pool(1) if large else self._pool
            future = pool.schedule(extract_story, args=(html, url), timeout=self.timeout_seconds)
            try:
                return future.result()
            except FutureTimeout:
                raise UnreadableArticle(
                    f"The page could not be read within {self.timeout_seconds:g} s; send the article's text instead."
                ) from None
            except BrokenProcessPool as error:
                # The worker could not even start (the system out of processes or memory): a fresh pool next time.
                log.error("the extraction worker failed to start", extra={"error": repr(error)})
                if not large:
                    self._pool = self._new_pool(RECYCLE_AFTER)
                raise Overloaded() from None
            except (MemoryError, ProcessExpired) as error:
                log.warning("a page exhausted the extraction worker", extra={"error": repr(error)})
                raise UnreadableArticle("The page is too large to read; send the article's text instead.") from None
            finally:
                if large:
                    pool.stop()
                    pool.join()

    def close(self) -> None:
        self._pool.stop()
        self._pool.join()
