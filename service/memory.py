"""Memory a burst of large requests takes goes back to the system afterwards.

glibc's malloc serves a large block with its own mmap, returned on free, until a large block is freed: then it
raises that threshold (up to 32 MiB) and serves the next ones from its heaps, which it keeps. Eight 5-million-
character pages left the server 196 MiB larger for good that way. A fixed threshold keeps every block of a
mebibyte or more (request bodies, page text, their JSON and validation copies) in mmap."""

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's <malloc.h>
THRESHOLD_BYTES = 1 << 20


def return_large_blocks_to_the_system() -> bool:
    """Fixes glibc's mmap threshold; False where the C library is not glibc (nothing to do there)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return False
    if libc.mallopt(_M_MMAP_THRESHOLD, THRESHOLD_BYTES) != 1:
        log.warning("could not set malloc's mmap threshold; large requests may leave memory behind")
        return False
    return True
