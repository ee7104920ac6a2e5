"""A randomised check of structure detection: random tables, with or without a header, a preamble
(a title, label:value lines, a padded title; a blank line or not after it) and a row of only
delimiters among the data, each read by `dialect.detect`; a table counts as misread when the header
lines, the first data line, the names or the end of the table differ from how it was written.

Some tables are ambiguous by design (a headerless table of only words, a preamble line that looks
like a header), so a revision scores its misreadings, not zero; compare two revisions on the same
seeds and look at the tables one misreads and the other does not:

    PYTHONPATH=layers/csvlake python benchmarks/loading/detection_check.py --seed 1 --tables 3000
    PYTHONPATH=/tmp/rev/layers/csvlake python benchmarks/loading/detection_check.py --seed 1 --list > a
"""

from __future__ import annotations

import argparse
import csv
import io
import random

from csvlake.dialect import detect

NAMES = ["Nome", "Cidade", "Valor", "Data", "Código", "Qtd", "Total", "Status", "Região", "Preço", "id", "name"]
NAMES += ["score", "when", "city", "amount", "kind", "note"]
WORDS = ["Ana", "Bia", "Rio", "SP", "x1", "A-3", "Bom", "alfa", "Beta Gama", "ok"]
KINDS = ["int", "dec", "date", "word", "word", "sparse"]


def value(kind: str, rng: random.Random) -> str:
    if kind == "int" or (kind == "sparse" and rng.random() < 0.3):
        return str(rng.randint(0, 5000))
    if kind == "dec":
        return f"{rng.uniform(-100, 10000):.2f}"
    if kind == "date":
        return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2000, 2024)}"
    return rng.choice(WORDS) if kind == "word" else ""


def table(rng: random.Random) -> tuple[bytes, tuple[int, ...], int, list[str] | None]:
    """A file's bytes, its header lines, its first data line and its names (None: no header)."""
    width = rng.randint(2, 8)
    kinds = [rng.choice(KINDS) for _ in range(width)]
    header = rng.sample(NAMES, width) if rng.random() < 0.8 else None
    rows = [[value(k, rng) for k in kinds] for _ in range(rng.randint(3, 40))]
    delimiter = rng.choice([",", ";"])
    preamble = rng.choice([[], [], [["Relatório de vendas"]], [["Empresa:", "ACME"], ["Período:", "2024"]]])
    if rng.random() < 0.1:
        preamble = [["Relatório"] + [""] * (width - 1)]
    lines = [delimiter.join(fields) for fields in preamble] + ([""] if preamble and rng.random() < 0.5 else [])
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(([header] if header else []) + rows)
    body = out.getvalue().splitlines()
    if rng.random() < 0.3:
        body.insert(rng.randint(1 + bool(header), len(body) - 1), delimiter * (width - 1))
    start = len(lines) + 1
    return "\n".join(lines + body).encode() + b"\n", (start,) if header else (), start + bool(header), header


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tables", type=int, default=3000)
    parser.add_argument("--list", action="store_true", help="print the number of each misread table")
    parser.add_argument("--show", type=int, nargs="*", default=[], help="print these tables and their reading")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    misread = 0
    for n in range(args.tables):
        data, header_lines, data_line, names = table(rng)
        structure = detect(data, complete=True)[1]
        expected = (header_lines, data_line, names or [f"column_{i + 1}" for i in range(len(structure.names))], None)
        found = (structure.header_lines, structure.data_line, structure.names, structure.end_line)
        if found != expected:
            misread += 1
            if args.list:
                print(n)
        if n in args.show:
            print(n, data[:400], "\n  written:", expected, "\n  read:   ", found)
    print(f"seed {args.seed}: {misread} of {args.tables} tables misread")


if __name__ == "__main__":
    main()
