"""Arrow's memory pool for the whole process: jemalloc, which hands freed memory back sooner."""

from __future__ import annotations

import contextlib

import pyarrow as pa


def use_jemalloc() -> str:
    """Make jemalloc Arrow's default pool where the wheel has it; the pool's name either way.

    pyarrow 26 defaults to mimalloc, which on `sales-150mb` through the handler peaked at ~455 MB RSS
    against ~400 MB with jemalloc, at the same speed (docs/adr/0010-memory.md).
    """
    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc keeps its default
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    return pa.default_memory_pool().backend_name
