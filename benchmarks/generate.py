"""Deterministic benchmark inputs: Brazilian-style CSV exports (`;`, decimal commas with `.` thousands,
dd/mm/yyyy dates, cp1252, CRLF), written in chunks so that even the 2 GB file never sits in memory.

Every chunk of rows has its own seed, so a file is the same on every machine and every run, and a
smaller `sales` file is a prefix of a larger one. Files already present (same rows, same generator
version) are kept.

    python benchmarks/generate.py                  # the default set (see DEFAULT)
    python benchmarks/generate.py --sizes big      # add the 2 GB file
    python benchmarks/generate.py --sizes all
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

VERSION = 1  # bump when the content changes, so cached files are regenerated
SEED = 20240612
CHUNK_ROWS = 100_000
DATA = Path(__file__).resolve().parent / ".data"

# name → (kind, rows). Row counts give about 50 MB, 150 MB, 500 MB, 2 GB and 100 MB (MB = 2**20 bytes).
INPUTS = {
    "sales-50mb": ("sales", 680_000),
    "sales-150mb": ("sales", 2_000_000),
    "sales-500mb": ("sales", 6_300_000),
    "sales-2gb": ("sales", 26_000_000),
    "sales-1m": ("sales", 1_000_000),  # the contract benchmark's file (benchmarks/contracts.py)
    "wide-300": ("wide", 47_000),
}
DEFAULT = ["sales-50mb", "sales-150mb", "sales-500mb", "wide-300"]
GROUPS = {"default": DEFAULT, "big": ["sales-2gb"], "all": list(INPUTS)}

FIRST = [
    "João", "Maria", "José", "Ana", "Antônio", "Francisco", "Luíza", "Márcia",
    "Sérgio", "Inês", "Cláudia", "Fábio", "Vânia", "Conceição", "Ângela", "Túlio",
]  # fmt: skip
LAST = [
    "Silva", "Araújo", "Gonçalves", "Conceição", "Simões", "Magalhães",
    "Brandão", "Loureiro", "Assunção", "Gusmão", "Falcão", "Tavares",
]  # fmt: skip
CITIES = [
    "São Paulo", "Goiânia", "Florianópolis", "Belém", "Maceió", "Vitória", "Cuiabá", "Brasília",
    "Niterói", "São Luís", "Ribeirão Preto", "Jundiaí", "Macapá", "Paraná", "Uberlândia", "Marília",
]  # fmt: skip
NOTES = [
    "cliente não retirou", "promoção", "entrega após às 18h", "pagamento à vista",
    '"Rua Ipê; apto 3"', "troca do produto", "nota fiscal nº 1234", "devolução parcial",
]  # fmt: skip


def _names(rng, n: int) -> pa.Array:
    return pc.binary_join_element_wise(_pick(rng, FIRST, n), _pick(rng, LAST, n), " ")


def _pick(rng, pool: list[str], n: int) -> pa.Array:
    return pa.array(pool).take(pa.array(rng.integers(0, len(pool), n)))


def _str(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _pad(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(_str(values), width, "0")


def _decimal(rng, n: int, top: int) -> pa.Array:
    """Amounts below `top` with cents, written `1.234.567,89`; a few negative."""
    cents = rng.integers(1, top * 100, n)
    whole, frac = cents // 100, cents % 100
    units, thousands, millions = _pad(whole % 1000, 3), _pad((whole // 1000) % 1000, 3), whole // 1_000_000
    text = pc.cast(pa.array(whole), pa.string())
    text = pc.if_else(pa.array(whole >= 1000), pc.binary_join_element_wise(_str(whole // 1000), units, "."), text)
    grouped = pc.binary_join_element_wise(_str(millions), thousands, units, ".")
    text = pc.binary_join_element_wise(pc.if_else(pa.array(millions > 0), grouped, text), _pad(frac, 2), ",")
    return pc.if_else(pa.array(rng.random(n) < 0.02), pc.binary_join_element_wise("-", text, ""), text)


def _date(rng, n: int) -> pa.Array:
    days = np.datetime64("2015-01-01") + rng.integers(0, 3650, n).astype("timedelta64[D]")
    d = pa.array(days)
    return pc.binary_join_element_wise(
        _pad(pc.day(d).to_numpy(), 2), _pad(pc.month(d).to_numpy(), 2), pc.cast(pc.year(d), pa.string()), "/"
    )


def _nulls(rng, values: pa.Array, fraction: float) -> pa.Array:
    return pc.if_else(pa.array(rng.random(len(values)) < fraction), pa.scalar(None, values.type), values)


def _bool(rng, n: int) -> pa.Array:
    return pa.array(np.where(rng.random(n) < 0.5, "true", "false"))


def sales_chunk(rng, start: int, n: int) -> tuple[list[str], list[pa.Array]]:
    """One chunk of the 2 M-row kind: ids, dates, accented names and cities, a zip code with leading
    zeros, integers, decimal commas with thousands, a boolean, and nulls (empty cells)."""
    columns = {
        "Código": _str(np.arange(start + 1, start + n + 1)),
        "Data da Venda": _date(rng, n),
        "Cliente": _names(rng, n),
        "Cidade": _pick(rng, CITIES, n),
        "CEP": _pad(rng.integers(0, 100_000_000, n) // rng.choice([1, 1, 1, 10], n), 8),
        "Quantidade": _str(rng.integers(1, 500, n)),
        "Preço Unitário": _decimal(rng, n, 20_000),
        "Desconto": _nulls(rng, _decimal(rng, n, 100), 0.3),
        "Ativo": _bool(rng, n),
        "Observação": _nulls(rng, _pick(rng, NOTES, n), 0.6),
    }
    return list(columns), list(columns.values())


def wide_chunk(rng, start: int, n: int) -> tuple[list[str], list[pa.Array]]:
    """300 columns cycling through integer, decimal, date, text, boolean, zip code; some with nulls."""
    makers = [
        lambda: _str(rng.integers(-5000, 5000, n)),
        lambda: _decimal(rng, n, 5_000),
        lambda: _date(rng, n),
        lambda: _pick(rng, CITIES, n),
        lambda: _bool(rng, n),
        lambda: _pad(rng.integers(0, 100_000, n), 5),
    ]
    names, columns = ["id"], [_str(np.arange(start + 1, start + n + 1))]
    for i in range(1, 300):
        values = makers[i % len(makers)]()
        columns.append(_nulls(rng, values, 0.1) if i % 7 == 0 else values)
        names.append(f"Coluna Nº {i}")
    return names, columns


def _encode(columns: list[pa.Array]) -> bytes:
    lines = pc.binary_join_element_wise(*columns, ";", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "\r\n", "")  # a fresh array: offset 0, no nulls
    end = np.frombuffer(lines.buffers()[1], dtype=np.int32)[len(lines)]
    return str(memoryview(lines.buffers()[2])[:end], "utf-8").encode("cp1252")


def generate(name: str, directory: Path = DATA) -> Path:
    kind, rows = INPUTS[name]
    path = directory / f"{name}.csv"
    meta = path.with_suffix(".json")
    wanted = {"version": VERSION, "seed": SEED, "kind": kind, "rows": rows}
    if path.exists() and meta.exists() and json.loads(meta.read_text()) == {**wanted, "bytes": path.stat().st_size}:
        return path
    directory.mkdir(parents=True, exist_ok=True)
    make = sales_chunk if kind == "sales" else wide_chunk
    started = time.monotonic()
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
            rng = np.random.default_rng([SEED, VERSION, index, 0 if kind == "sales" else 1])
            names, columns = make(rng, start, min(CHUNK_ROWS, rows - start))
            if index == 0:
                out.write((";".join(names) + "\r\n").encode("cp1252"))
            out.write(_encode(columns))
    partial.rename(path)
    meta.write_text(json.dumps({**wanted, "bytes": path.stat().st_size}))
    size = path.stat().st_size / 2**20
    print(
        f"generated {path.name}: {rows:,} rows, {size:,.0f} MB in {time.monotonic() - started:.1f} s", file=sys.stderr
    )
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", nargs="+", default=["default"], help=f"names or groups: {', '.join([*GROUPS, *INPUTS])}"
    )
    parser.add_argument("--big", action="store_true", help="add the 2 GB file (same as --sizes default big)")
    parser.add_argument("--dir", type=Path, default=DATA)
    args = parser.parse_args(argv)
    names = [n for s in args.sizes + (["big"] if args.big else []) for n in GROUPS.get(s, [s])]
    for name in dict.fromkeys(names):
        if name not in INPUTS:
            parser.error(f"unknown input {name!r}")
        print(generate(name, args.dir))


if __name__ == "__main__":
    main()
