"""The process's allocators: fewer arenas, and Arrow's pools handing freed memory back to the system
within half a second at most, so that the peak RSS is what the work holds, not what it once held
(docs/adr/0010-memory.md, 0012, 0014)."""

from __future__ import annotations

import contextlib
import ctypes
import os

# Arrow's allocators read these from the environment: mimalloc (Arrow's pool on aarch64, so on Lambda)
# when libarrow loads, jemalloc (x86_64) when its pool starts; csvlake/__init__.py imports this module
# before any csvlake module imports pyarrow. Each hands freed pages back soon: jemalloc's "muzzy" pages
# (MADV_FREE) count as RSS until the kernel runs short, and mimalloc purges sooner and commits arenas
# as they are used, not eagerly (docs/adr/0014).
ALLOCATOR_ENV = {
    "JE_ARROW_MALLOC_CONF": "narenas:1,dirty_decay_ms:500,muzzy_decay_ms:0",
    "MIMALLOC_PURGE_DELAY": "100",
    "MIMALLOC_ARENA_EAGER_COMMIT": "0",
}
for _name, _value in ALLOCATOR_ENV.items():
    os.environ.setdefault(_name, _value)

# glibc's mallopt parameter for the number of malloc arenas (malloc.h: M_ARENA_MAX).
M_ARENA_MAX = -8


def configure() -> str:
    """Arrow's pool: jemalloc where the wheel has it (x86_64; the aarch64 wheel does not, and keeps
    mimalloc), unless Arrow's own ARROW_DEFAULT_MEMORY_POOL chooses one (mimalloc, say, to measure
    here what Lambda's arm64 uses); glibc's malloc, which numpy uses: two arenas, not eight per core.
    Returns the name of Arrow's pool."""
    import pyarrow as pa

    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc keeps its default
            pa.set_memory_pool(pa.jemalloc_memory_pool())
    # Not glibc (musl, macOS: no mallopt; Windows: no CDLL(None)): the C library's own defaults.
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 2)
    return pa.default_memory_pool().backend_name
