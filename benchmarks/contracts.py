"""What a ten-rule contract costs: the same 1 M-row file ingested with and without one.

Both runs use the real pipeline through a directory store, in this process. Runs alternate, so
noise from a shared machine falls on both. The script prints the median of each and their ratio.
Issue 3's target is a ratio of at most 2.

    python benchmarks/contracts.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

from csvlake.config import Config
from csvlake.local.fs import DirectoryStore
from csvlake.pipeline import process
from csvlake.ports import ObjectRef

# Ten rules on the generated sales file (benchmarks/generate.py): types, nullability, uniqueness,
# bounds, an enumeration, a pattern and a length. 2% of prices are negative: a warning on each.
CONTRACT = f"""\
fields:
  - name: Código
    type: integer
    nullable: false
    unique: true
  - name: Data da Venda
    type: date
    format: "%d/%m/%Y"
    minimum: "2015-01-01"
  - name: Cidade
    enum: [{", ".join(generate.CITIES)}]
  - name: CEP
    pattern: "[0-9]{{8}}"
  - name: Preço Unitário
    minimum: {{value: 0, severity: warn}}
    type: number
  - name: Cliente
    max_length: 40
"""


def run(store: DirectoryStore, key: str) -> tuple[float, dict]:
    started = time.perf_counter()
    report = process(store, ObjectRef("lake", key), Config()).as_dict()
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    source = generate.generate("sales-1m")
    with tempfile.TemporaryDirectory() as root:
        store = DirectoryStore(root)
        for dataset in ("plain", "checked"):
            target = store.path("lake", f"raw/{dataset}/sales.csv")
            target.parent.mkdir(parents=True)
            os.link(source, target)
        store.put("lake", "contracts/checked.yaml", CONTRACT.encode(), "application/yaml")
        times: dict[str, list[float]] = {"plain": [], "checked": []}
        for _ in range(args.repeat):
            for dataset in times:
                seconds, report = run(store, f"raw/{dataset}/sales.csv")
                times[dataset].append(seconds)
        rules = report["validation"]["rules"]
    plain, checked = statistics.median(times["plain"]), statistics.median(times["checked"])
    warned = sum(r["failures"] for r in rules if r["severity"] == "warn")
    print(f"input: {source.name}, {report['rows']['read']:,} rows, {source.stat().st_size / 2**20:.0f} MB")
    print(f"contract: {len(rules)} rules; rows rejected {report['rows']['rejected']:,}, warnings {warned:,}")
    print(f"{'':18}{'median s':>10}  runs")
    for name, label in (("plain", "no contract"), ("checked", "ten-rule contract")):
        print(f"{label:18}{statistics.median(times[name]):10.2f}  {', '.join(f'{t:.2f}' for t in times[name])}")
    print(f"ratio: {checked / plain:.2f}× (target ≤ 2×)")


if __name__ == "__main__":
    main()
