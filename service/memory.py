"""Memory a burst of requests takes goes back to the system afterwards, as far as glibc's malloc allows.

- glibc serves a large block with its own mmap, returned on free, until a large block is freed: then it raises
  that threshold (up to 32 MiB) and serves the next ones from its heaps, which it keeps. Eight 5-million-character
  pages left the server 117 MiB larger for good that way (python -m scripts.bench_load html). A fixed threshold
  keeps every block of a mebibyte or more (request bodies, page text, their JSON and validation copies) in mmap.
- Each of the server's 40 request threads may get its own malloc arena (up to 8 per core), each keeping what it
  freed. Two arenas: 40 s of 50 mixed clients grew the server by 46-47 MiB instead of 68 (two runs each,
  python -m scripts.bench_load mixed --seconds 40), at the same throughput within the noise."""

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers, from glibc's <malloc.h>
_M_ARENA_MAX = -8
THRESHOLD_BYTES = 1 << 20
ARENAS = 2


@functools.cache
def keep_malloc_lean() -> bool:
    """Fixes glibc's mmap threshold and arena count, once a process (both settings are the whole process's); False
    where the C library is not glibc (nothing to do)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return False
    if libc.mallopt(_M_MMAP_THRESHOLD, THRESHOLD_BYTES) != 1 or libc.mallopt(_M_ARENA_MAX, ARENAS) != 1:
        log.warning("could not tune malloc; bursts of requests may leave memory behind")
        return False
    return True
