"""How the dev host's process uses malloc: tuned for relaying large HTTP bodies.

Every response message of a download through the front door (up to 1 MiB) is copied a few
times by grpc and aiohttp, from several threads, and each copy is freed right after. With
glibc's defaults those blocks keep being unmapped or trimmed and faulted in again (measured:
~100,000 page faults per GiB relayed), and each grpc thread's own arena holds on to its share
of fragments (peak RSS ~100 MiB). One arena, blocks below 4 MiB from the heap and up to
4 MiB kept free at its top: ~1,000-4,000 faults per GiB and a peak ~10 MiB lower.
"""

from __future__ import annotations

import ctypes
import sys

# glibc's mallopt parameters
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
MMAP_THRESHOLD = 4 * 1024 * 1024
TRIM_THRESHOLD = 4 * 1024 * 1024
ARENAS = 1


def tune_for_streaming() -> bool:
    """Apply the settings above to this process; False where there is no glibc mallopt.

    Call it before threads start: a thread that already allocated keeps its arena."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    results = [mallopt(M_ARENA_MAX, ARENAS), mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD),
               mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)]
    return all(result == 1 for result in results)
