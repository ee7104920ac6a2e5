"""The process's allocators, set once when the pipeline is imported: fewer arenas, so that memory
one thread frees is memory the next allocation reuses (docs/adr/0010-memory.md, 0012)."""

from __future__ import annotations

import contextlib
import ctypes
import os

import pyarrow as pa

# glibc's mallopt parameter for the number of malloc arenas (malloc.h: M_ARENA_MAX).
M_ARENA_MAX = -8


def configure() -> str:
    """Arrow's pool: jemalloc with one arena where the wheel has it (x86_64; the aarch64 wheel does
    not, and keeps mimalloc); glibc's malloc, which numpy uses: two arenas, not eight per core.
    Returns the name of Arrow's pool."""
    # Read by jemalloc when it starts, which is when its pool is first asked for, just below.
    os.environ.setdefault("JE_ARROW_MALLOC_CONF", "narenas:1")
    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc keeps its default
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    # Not glibc (musl, macOS: no mallopt; Windows: no CDLL(None)): the C library's own defaults.
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 2)
    return pa.default_memory_pool().backend_name
