"""A/B of pass 2 reusing pass 1's `Prepared` (null tokens, converted texts) against working them out again.

    python benchmarks/prepared_ab.py benchmarks/.data/sales-150mb.csv 5

Runs process() through a directory store, alternating the two, and prints the median CPU seconds of
the process (all threads) and the median wall seconds of each (docs/adr/0017).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from csvlake import second_pass
from csvlake.config import Config
from csvlake.local.fs import DirectoryStore
from csvlake.pipeline import process
from csvlake.ports import ObjectRef

REUSE = second_pass.converted_chunk


def recompute(chunk, prepared, plan, dialect, warnings):
    return REUSE(chunk, None, plan, dialect, warnings)


def once(path: Path, reuse: bool) -> tuple[float, float]:
    second_pass.converted_chunk = REUSE if reuse else recompute
    root = Path(tempfile.mkdtemp(prefix="csvlake-ab-"))
    try:
        store = DirectoryStore(root)
        key = "raw/" + path.name
        store.path("lake", key).parent.mkdir(parents=True)
        store.path("lake", key).symlink_to(path.resolve())
        cpu, wall = time.process_time(), time.perf_counter()
        report = process(store, ObjectRef("lake", key), Config())
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        assert report.status == "processed", report.reason
        return cpu, wall
    finally:
        shutil.rmtree(root)


def main() -> None:
    path, runs = Path(sys.argv[1]), int(sys.argv[2])
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for i in range(runs):
        for reuse in (True, False) if i % 2 == 0 else (False, True):
            results[reuse].append(once(path, reuse))
    for reuse, runs_of in results.items():
        cpu = statistics.median(r[0] for r in runs_of)
        wall = statistics.median(r[1] for r in runs_of)
        print(f"{'reuse' if reuse else 'recompute':9}  CPU {cpu:.2f} s  wall {wall:.2f} s  ({len(runs_of)} runs)")


if __name__ == "__main__":
    main()
