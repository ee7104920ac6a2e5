"""csvlake.memory: the allocators' settings, in fresh processes (they apply when pyarrow loads)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow as pa

# csvlake first, as the handler imports it: its settings must be in place before pyarrow loads.
PROBE = (
    "import csvlake.pipeline, json, os, pyarrow as pa\n"
    "pa.array(['x' * 100] * 1000)  # the pool allocates\n"
    "names = ['JE_ARROW_MALLOC_CONF', 'MIMALLOC_PURGE_DELAY', 'MIMALLOC_ARENA_EAGER_COMMIT']\n"
    "print(json.dumps({'pool': pa.default_memory_pool().backend_name, **{n: os.environ.get(n) for n in names}}))"
)


def probe(**env: str) -> tuple[dict, str]:
    """What a fresh process importing the pipeline has: its pool and settings, and what it printed."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JE_", "MIMALLOC_", "ARROW_DEFAULT"))}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env={**clean, **env}, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


def has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


def test_the_pipeline_takes_jemalloc_where_the_wheel_has_it_with_settings_it_accepts():
    found, printed = probe()

    assert found["pool"] == ("jemalloc" if has_jemalloc() else pa.default_memory_pool().backend_name)
    assert found["JE_ARROW_MALLOC_CONF"] == "narenas:1,dirty_decay_ms:500,muzzy_decay_ms:0"
    assert "<jemalloc>" not in printed  # how jemalloc reports an option it does not know


def test_mimalloc_as_on_lambda_arm64_runs_with_csvlakes_settings_unless_the_user_set_their_own():
    # Arrow's own setting picks mimalloc, the pool of the aarch64 wheel; verbose, it prints its options.
    found, printed = probe(ARROW_DEFAULT_MEMORY_POOL="mimalloc", MIMALLOC_VERBOSE="1")
    mine, printed_mine = probe(ARROW_DEFAULT_MEMORY_POOL="mimalloc", MIMALLOC_VERBOSE="1", MIMALLOC_PURGE_DELAY="7")

    assert found["pool"] == mine["pool"] == "mimalloc"
    assert "option 'purge_delay': 100" in printed and "option 'arena_eager_commit': 0" in printed
    assert "option 'purge_delay': 7" in printed_mine and "option 'arena_eager_commit': 0" in printed_mine
