"""Time dialect detection on one 256 KiB sample (csvlake's SAMPLE_BYTES): CleverCSV, csvlake, DuckDB.

Samples are built from generate.py's clean tables, repeated to 256 KiB (cut at a line end): `en`
(10 columns, `,`), `ptbr` (10 columns, `;`, cp1252), `ptbr-messy` (the same after a title, a date, a blank line and a group
row: issue 17's export) and `wide` (the en table side by side ten
times: 100 columns). Timed, per sample, the median of --runs runs, wall and CPU (process time) of:

- clevercsv: `Detector().detect(text)` on the decoded sample (what `Sniffer.sniff` and
  `read_table` call; encoding detection, chardet, is timed apart as `clevercsv-encoding`);
- csvlake: `csvlake.dialect.detect(sample, complete=False)` (encoding, delimiter, decimal, header);
- duckdb: `sniff_csv(file)` on the sample written to a temporary file (its sniffer, default sample).

    python benchmarks/loading/sniff_timing.py [--runs 5] [--kib 256]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from generate import Dialect, en_table, line_text, ptbr_table

SAMPLE = 256 * 1024


def sample(kind: str, size: int = SAMPLE) -> tuple[bytes, str]:
    t = en_table(random.Random(1), 300) if not kind.startswith("ptbr") else ptbr_table(random.Random(2), 300)
    d = t.dialect
    header, rows = t.header, t.rows
    if kind == "wide":
        header = [f"{h} {i}" for i in range(10) for h in t.header]
        rows = [[v for _ in range(10) for v in r] for r in t.rows]
        d = Dialect()
    lines = [line_text(header, d)]
    if kind == "ptbr-messy":  # issue 17's export: title, date, blank line and a group row before the names
        lines = ["Relatório de vendas", "Gerado em 01/07/2024", "", "Cliente;;Endereço;;Financeiro;;;Venda;;", *lines]
    i = 0
    while sum(len(x) + 2 for x in lines) < size * 1.1:
        lines.append(line_text(rows[i % len(rows)], d))
        i += 1
    data = "\r\n".join(lines).encode(d.encoding)[:size]
    cut = data.rfind(b"\r\n")
    return data[: cut + 2], d.encoding


def timed(fn, runs: int) -> tuple[float, float, object]:
    walls, cpus, out = [], [], None
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kib", type=int, default=SAMPLE // 1024, help="sample size (default: csvlake's, 256)")
    args = parser.parse_args()
    import clevercsv
    import duckdb
    from clevercsv.encoding import get_encoding

    from csvlake import dialect as csvlake_dialect

    print(f"{'sample':<11}{'loader':<20}{'wall ms':>10}{'cpu ms':>10}  result")
    for kind in ("en", "ptbr", "ptbr-messy", "wide"):
        data, encoding = sample(kind, args.kib * 1024)
        text = data.decode(encoding)
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as f:
            f.write(data)
        path = Path(f.name)
        try:
            jobs = {
                "clevercsv": lambda text=text: clevercsv.Detector().detect(text),
                "clevercsv-encoding": lambda path=path: get_encoding(str(path)),
                "csvlake": lambda data=data: csvlake_dialect.detect(data, False)[0],
                "duckdb": lambda path=path: duckdb.sql(
                    f"SELECT Delimiter, Quote, HasHeader FROM sniff_csv('{path}')"
                ).fetchall(),
            }
            for name, job in jobs.items():
                try:
                    wall, cpu, out = timed(job, args.runs)
                except Exception as exc:
                    print(
                        f"{kind:<11}{name:<20}{'-':>10}{'-':>10}  {type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
                    )
                    continue
                shown = str(out).replace("\n", " ")[:70]
                print(f"{kind:<11}{name:<20}{wall * 1000:>10.1f}{cpu * 1000:>10.1f}  {shown}")
        finally:
            path.unlink()
        print(f"{'':<11}({len(data)} bytes, {text.count(chr(10))} lines)")


if __name__ == "__main__":
    main()
