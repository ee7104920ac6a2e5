"""Hash every output of the pipeline on a fixed set of inputs, to show that an optimisation changed no byte.

    python benchmarks/golden.py save FILE [--big]    # before the change
    python benchmarks/golden.py check FILE [--big]   # after it: prints each case that differs

Cases: every file of tests/data and two generated mixed-type files (types that break late, ints beyond
int64, exponents, zones, formulas, a rejected row), at three block sizes, CSV and Parquet output; with
--big also sales-50mb and wide-300 (CSV and Parquet) and sales-150mb (CSV) from benchmarks/.data.
Reports are compared without started_at, duration_ms and source (the directory store's ETag); the
HTML report is left out (it shows the duration).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

from csvlake.config import Config
from csvlake.local.fs import DirectoryStore
from csvlake.pipeline import process
from csvlake.ports import ObjectRef

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests/data"
BENCH = ROOT / "benchmarks/.data"
EXTRA = BENCH / "golden"
MB = 1024 * 1024


def _write(name: str, header: list[str], rows: list[list[str]], encoding="utf-8", sep=",", eol="\n") -> None:
    with open(EXTRA / name, "w", encoding=encoding, newline="") as f:
        f.write(sep.join(header) + eol)
        f.writelines(sep.join(row) + eol for row in rows)


def generate() -> None:
    EXTRA.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(7)
    n = 6000
    rows = []
    for i in range(n):
        zone = rnd.choice(["Z", "+02:00", "-0300"])
        rows.append(
            [
                str(i) if i % 97 else f"+{i}",
                rnd.choice(["1.5", "2", "-3.25", "1e5", "+7.0", "NA", "", " 4.5 ", "0.1", "1.0000000000000002"]),
                rnd.choice(["true", "FALSE", "True", "null", ""]),
                f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T{rnd.randint(0, 23):02d}:"
                f"{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}{rnd.choice(['', '.5', '.123456'])}{zone}",
                f"{rnd.randint(1, 12)}/{rnd.randint(1, 12)}/20{rnd.randint(10, 30)}",
                rnd.choice(["=SUM(A1)", "+1", "-x", "@a", "hello", "wörld", '"quoted, text"', "", "n/a", "\tTab"]),
                f"0{rnd.randint(1000, 9999)}" if i == n - 5 else str(rnd.randint(10000, 99999)),
                str(rnd.randint(-(2**62), 2**62)) if i != n - 3 else "9223372036854775808",
                f"{rnd.randint(2000, 2030)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
                + (f" {rnd.randint(0, 23)}:{rnd.randint(0, 59):02d}" if i % 3 else ""),
                rnd.choice(["-0.0", "0.0", "5e-324", "1.7976931348623157e+308", "2.5E3", ".5", "-.25"]),
            ]
        )
    _write("mixed.csv", ["id", "num", "flag", "ts", "amb", "text", "zip", "big", "dt", "floats"], rows)
    rows = []
    for i in range(n):
        city = rnd.choice(["São Paulo", "Ipê; apto", "Curitiba", "", "Açaí"])
        rows.append(
            [
                f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{rnd.randint(1990, 2030)}",
                rnd.choice(["1.234.567,89", "12,5", "-0,75", "1.000", ",5", "", "N/A", "7"]),
                f'"{city}"' if ";" in city else city,
                str(rnd.randint(0, 10**6)),
                rnd.choice(["1.234", "12", "999.999.999", "-4"]),
            ]
        )
        if i == 3000:
            rows.append(["bad", "row"])
    _write("ptbr.csv", ["Data", "Valor", "Cidade", "Qtd", "Milhar"], rows, "cp1252", ";", "\r\n")


def cases(big: bool):
    for path in [*sorted(DATA.iterdir()), *sorted(EXTRA.glob("*.csv"))]:
        sizes = (64, 4096, 8 * MB) if path.parent == DATA else (4096, 65536, 8 * MB)
        for block_size in sizes:
            for output_format in ("csv", "parquet"):
                yield path, block_size, output_format
    if big:
        for name, formats in (
            ("sales-50mb", ("csv", "parquet")),
            ("wide-300", ("csv", "parquet")),
            ("sales-150mb", ("csv",)),
        ):
            for output_format in formats:
                yield BENCH / f"{name}.csv", 8 * MB, output_format


def outputs(path: Path, block_size: int, output_format: str) -> dict[str, str]:
    root = Path(tempfile.mkdtemp(prefix="csvlake-golden-"))
    try:
        store = DirectoryStore(root)
        key = "raw/" + path.name
        store.path("lake", key).parent.mkdir(parents=True)
        store.path("lake", key).symlink_to(path)
        process(store, ObjectRef("lake", key), Config(block_size=block_size, output_format=output_format))
        hashes = {}
        for file in sorted((root / "lake").rglob("*")):
            name = str(file.relative_to(root))
            if not file.is_file() or file.is_symlink() or name.endswith(".html"):
                continue
            data = file.read_bytes()
            if name.endswith(".json"):
                report = {k: v for k, v in json.loads(data).items() if k not in ("started_at", "duration_ms", "source")}
                data = json.dumps(report, sort_keys=True).encode()
            hashes[name] = hashlib.sha256(data).hexdigest()
        return hashes
    finally:
        shutil.rmtree(root)


def main() -> int:
    mode, file = sys.argv[1], Path(sys.argv[2])
    generate()
    expected = json.loads(file.read_text()) if mode == "check" else {}
    results, differing = {}, 0
    for path, block_size, output_format in cases("--big" in sys.argv):
        case = f"{path.name}|{block_size}|{output_format}"
        results[case] = outputs(path, block_size, output_format)
        if mode == "check" and expected.get(case) != results[case]:
            differing += 1
            before = expected.get(case, {})
            changed = sorted(name for name in {*before, *results[case]} if before.get(name) != results[case].get(name))
            print("differs:", case, "-", ", ".join(changed), flush=True)
    if mode == "save":
        file.write_text(json.dumps(results, indent=1))
    print(f"{len(results)} cases, {differing} differing")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
