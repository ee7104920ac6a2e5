"""Score loaders on the polluted corpus of generate.py the way Pollock does (README.md, next to this file).

Each loader reads each file in auto mode, nothing told: csvlake (`process()` through a directory
store; its processed copy, with the report's source names as the header), CleverCSV
(`clevercsv.read_table`: dialect and encoding detected on the whole file, first row the header, as
Pollock's CleverCSV run) and DuckDB (`read_csv` with its sniffer, as Pollock's `duckdbauto` run).
Per file, like Pollock: success (0 or 1) plus precision, recall and F1 of the header names, of the
records (whole rows, as multisets) and of the cells (all values, as a multiset): 0 to 10. A loader
that fails or rejects the file scores 0. Values are compared after one normalisation applied alike
to the truth and to every loader's output (`canon`), so that the score measures reading, not
csvlake's documented rewriting of values.

    python benchmarks/loading/generate.py     # the corpus, first
    python benchmarks/loading/score.py        # every loader installed; results in benchmarks/.data
    python benchmarks/loading/score.py --loaders csvlake --only 'ptbr|preamble' --explain
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import logging
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / ".data" / "loading"
RESULTS = HERE.parent / ".data" / "loading-results.json"


# ---------------------------------------------------------------------------------------------------
# Normalisation: the same for the truth and for every loader


PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
COMMA_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")  # 1.234,56 and 12,5 (never 1.234 alone)
DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
YEAR_FIRST = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})")
DATE_TIME = re.compile(
    r"(\d{4})([/-])(\d{1,2})\2(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]00:?00)?"
)
FORMULA = "=+-@"


def _number(text: str) -> str | None:
    try:
        if PLAIN_NUMBER.fullmatch(text):
            value = Decimal(text)
        elif COMMA_NUMBER.fullmatch(text):
            value = Decimal(text.replace(".", "").replace(",", "."))
        else:
            return None
    except InvalidOperation:
        return None
    value = value.normalize()
    return "n:" + (format(value, "f") if value else "0")


def _date(text: str) -> str | None:
    m = DATE_TIME.fullmatch(text)
    try:
        if m:
            y, _, mo, d, h, mi, s, frac, _ = m.groups()
            stamp = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
            return "t:" + stamp.isoformat() + (f".{frac.rstrip('0')}" if frac and frac.rstrip("0") else "")
        m = DAY_FIRST.fullmatch(text)
        if m:
            return "d:" + dt.date(int(m[4]), int(m[3]), int(m[1])).isoformat()
        m = YEAR_FIRST.fullmatch(text)
        if m:
            return "d:" + dt.date(int(m[1]), int(m[3]), int(m[4])).isoformat()
    except ValueError:  # 31/02/2024 stays the text it is
        return None
    return None


def canon(value: str | None) -> str:
    """A cell as compared: numbers by value (`1.234,56` = `1234.56`, `2.50` = `2.5`), dates and date-times
    by value (`25/12/2024` = `2024-12-25`, `2024-03-05 14:30` = `2024-03-05T14:30:00`), csvlake's formula
    guard undone (`'-x` = `-x`), other texts lowercased as Pollock does; surrounding spaces kept on texts."""
    if value is None:
        return ""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA:
        value = value[1:]
    text = value.strip()
    if not text:
        return ""
    return _number(text) or _date(text) or "s:" + value.lower()


def canon_name(name: str | None) -> str:
    """A header name as compared: lowercased, runs of spaces, punctuation and `_` as one space (so that
    `Financeiro Saldo`, `financeiro_saldo` and `Financeiro / Saldo` are one name)."""
    return re.sub(r"[\W_]+", " ", (name or "").lower()).strip()


# ---------------------------------------------------------------------------------------------------
# Loaders: each returns the header names and the records it read, or raises


@dataclass
class Loaded:
    header: list[str]
    records: list[list[str]]
    info: dict = field(default_factory=dict)


class Failed(Exception):
    """The loader did not load the file (Pollock's "Application Error")."""

    def __init__(self, message: str, info: dict | None = None) -> None:
        super().__init__(message)
        self.info = info or {}


def load_csvlake(path: Path) -> Loaded:
    from csvlake.config import Config
    from csvlake.local.fs import DirectoryStore
    from csvlake.pipeline import process
    from csvlake.ports import ObjectRef

    root = Path(tempfile.mkdtemp(prefix="csvlake-loading-"))
    try:
        store = DirectoryStore(root)
        key = "raw/" + path.name
        target = store.path("lake", key)
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)
        report = process(store, ObjectRef("lake", key), Config())
        doc = report.as_dict()
        info = {
            "status": doc["status"],
            "reason": doc["reason"],
            "dialect": doc["dialect"],
            "rows": doc["rows"],
            "warnings": doc["warnings"][:5],
            "errors": [f"line {e['line']}: {e['message']}" for e in doc["errors"][:3]],
            "error_count": doc["error_count"],
            "types": [c.get("type") for c in doc["columns"]],
        }
        outputs = doc["outputs"]  # the JSON report's: its schema changes less than the objects behind it
        if doc["status"] == "rejected" or not outputs["processed"]:
            raise Failed(f"rejected: {doc['reason']}", info)
        text = store.path(outputs["bucket"], outputs["processed"]).read_text("utf-8")
        rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
        names = [c["source_name"] for c in doc["columns"]]
        header = [] if all(n is None for n in names) else [n or "" for n in names]
        return Loaded(header, rows[1:], info)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def load_clevercsv(path: Path) -> Loaded:
    import clevercsv

    rows = [r for r in clevercsv.read_table(str(path)) if r]
    if not rows:
        return Loaded([], [])
    return Loaded(rows[0], rows[1:])


def _duck_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


# `duckdb-lax`: Pollock's `duckdbauto` flags. Its strict_mode=False also stops DuckDB 2.0.1 reading `""` as
# a quote (83 values of the clean file come out doubled), so `duckdb` keeps strict mode and the rest;
# `parallel=False` because DuckDB refuses null_padding with quoted line breaks in its parallel reader.
# `duckdb-strict`: read_csv's defaults, the sniffer alone.
DUCKDB_FLAGS = {
    "duckdb": {"ignore_errors": True, "null_padding": True, "parallel": False},
    "duckdb-lax": {"strict_mode": False, "ignore_errors": True, "null_padding": True, "parallel": False},
    "duckdb-strict": {},
}


def load_duckdb(path: Path, variant: str = "duckdb") -> Loaded:
    import duckdb

    con = duckdb.connect()
    try:
        rel = con.read_csv(str(path), auto_detect=True, **DUCKDB_FLAGS[variant])
        header = list(rel.columns)
        rows = [[_duck_text(v) for v in row] for row in rel.fetchall()]
        return Loaded(header, rows)
    except duckdb.Error as exc:
        raise Failed(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()


LOADERS: dict[str, Callable[[Path], Loaded]] = {
    "csvlake": load_csvlake,
    "clevercsv": load_clevercsv,
    "duckdb": load_duckdb,
    "duckdb-lax": lambda path: load_duckdb(path, "duckdb-lax"),
    "duckdb-strict": lambda path: load_duckdb(path, "duckdb-strict"),
}
MODULES = {"csvlake": "csvlake.pipeline", "clevercsv": "clevercsv"} | dict.fromkeys(DUCKDB_FLAGS, "duckdb")


# ---------------------------------------------------------------------------------------------------
# Pollock's measures


COL = 14  # width of a loader's column
MEASURES = (
    "success",
    "header_p",
    "header_r",
    "header_f1",
    "record_p",
    "record_r",
    "record_f1",
    "cell_p",
    "cell_r",
    "cell_f1",
)


def prf(truth: Counter, loaded: Counter) -> tuple[float, float, float]:
    """Precision, recall, F1 of two multisets; an empty truth scores 1 whatever was loaded (Pollock).
    Pollock's code names them the other way round (its "precision" divides by the truth); the sum is
    the same."""
    n_truth, n_loaded = sum(truth.values()), sum(loaded.values())
    if n_truth == 0:
        return 1.0, 1.0, 1.0
    hit = sum((truth & loaded).values())
    if hit == 0:
        return 0.0, 0.0, 0.0
    p, r = hit / n_loaded, hit / n_truth
    return p, r, 2 * p * r / (p + r)


def measures(view: dict, loaded: Loaded) -> dict[str, float]:
    header = prf(Counter(map(canon_name, view["header"])), Counter(map(canon_name, loaded.header)))
    truth_rows = [tuple(map(canon, r)) for r in view["records"]]
    loaded_rows = [tuple(map(canon, r)) for r in loaded.records]
    record = prf(Counter(truth_rows), Counter(loaded_rows))
    cell = prf(Counter(c for r in truth_rows for c in r), Counter(c for r in loaded_rows for c in r))
    return dict(zip(MEASURES, (1.0, *header, *record, *cell)))


def score(truth: dict, loaded: Loaded) -> tuple[float, dict[str, float], int]:
    """The best view's total (0-10), its measures and its index."""
    best = max(
        ((sum(m.values()), m, i) for i, m in enumerate(measures(v, loaded) for v in truth["views"])),
        key=lambda x: x[0],
    )
    return best


# ---------------------------------------------------------------------------------------------------
# Running and reporting


@dataclass
class Result:
    case: str
    loader: str
    score: float
    measures: dict[str, float]
    seconds: float
    view: int | None = None
    error: str | None = None
    info: dict = field(default_factory=dict)
    loaded_header: list[str] = field(default_factory=list)
    loaded_records: int = 0


def run_one(loader: str, path: Path, truth: dict) -> Result:
    start = time.perf_counter()
    try:
        loaded = LOADERS[loader](path)
    except Exception as exc:
        seconds = time.perf_counter() - start
        info = exc.info if isinstance(exc, Failed) else {}
        error = str(exc) if isinstance(exc, Failed) else f"{type(exc).__name__}: {str(exc)[:200]}"
        return Result(truth["case"], loader, 0.0, dict.fromkeys(MEASURES, 0.0), seconds, error=error, info=info)
    seconds = time.perf_counter() - start
    total, m, v = score(truth, loaded)
    return Result(
        truth["case"], loader, total, m, seconds, v, info=loaded.info, loaded_header=loaded.header[:12],
        loaded_records=len(loaded.records),
    )  # fmt: skip


def weighted(results: list[Result], cases: dict[str, dict], key: str) -> float | None:
    pairs = [(cases[r.case][key], r.score) for r in results if cases[r.case][key]]
    total = sum(w for w, _ in pairs)
    return sum(w * s for w, s in pairs) / total if total else None


def aggregates(results: list[Result], cases: dict[str, dict]) -> dict[str, float | None]:
    en = [r for r in results if cases[r.case]["base"] == "en"]
    pt = [r for r in results if cases[r.case]["base"] == "ptbr"]
    for c in cases.values():
        c["all_weight"] = c["pollock_weight"] or c["estimated_weight"]
    return {
        "simple (mean of all files)": statistics.fmean(r.score for r in results) if results else None,
        "pollock_simple (Pollock kinds, its file counts)": weighted(en, cases, "pollock_files"),
        "pollock_weighted (Pollock kinds, real-file weights)": weighted(en, cases, "pollock_weight"),
        "weighted_all (en kinds, + estimated weights)": weighted(en, cases, "all_weight"),
        "ptbr (mean of pt-BR files)": statistics.fmean(r.score for r in pt) if pt else None,
    }


def table(results: dict[str, list[Result]], cases: dict[str, dict]) -> str:
    loaders = list(results)
    kinds: dict[str, list[str]] = defaultdict(list)
    for name, c in cases.items():
        kinds[("ptbr/" if c["base"] == "ptbr" else "") + c["kind"]].append(name)
    by_case = {lo: {r.case: r for r in rs} for lo, rs in results.items()}
    width = max(map(len, kinds)) + 2
    head = f"{'kind':<{width}}{'n':>3}" + "".join(f"{lo:>{COL}}" for lo in loaders)
    out = [head, "-" * len(head)]
    for kind, names in kinds.items():
        row = f"{kind:<{width}}{len(names):>3}"
        for lo in loaders:
            row += f"{statistics.fmean(by_case[lo][n].score for n in names):>{COL}.2f}"
        out.append(row)
    aggs = {lo: aggregates(rs, cases) for lo, rs in results.items()}
    rows: list[tuple[str, list[str]]] = []
    for label in next(iter(aggs.values())):
        rows.append((label, [f"{aggs[lo][label]:.2f}" if aggs[lo][label] is not None else "-" for lo in loaders]))
    for label, key in (
        ("success", "success"),
        ("header F1", "header_f1"),
        ("record F1", "record_f1"),
        ("cell F1", "cell_f1"),
    ):
        rows.append(
            (f"mean {label}", [f"{statistics.fmean(r.measures[key] for r in results[lo]):.3f}" for lo in loaders])
        )
    rows.append(
        ("ms per file (median)", [f"{statistics.median(r.seconds for r in results[lo]) * 1000:.1f}" for lo in loaders])
    )
    rows.append(
        ("ms per file (mean)", [f"{statistics.fmean(r.seconds for r in results[lo]) * 1000:.1f}" for lo in loaders])
    )
    lw = max(len(label) for label, _ in rows) + 2
    out += ["", f"{'':<{lw}}" + "".join(f"{lo:>{COL}}" for lo in loaders)]
    out += [f"{label:<{lw}}" + "".join(f"{v:>{COL}}" for v in values) for label, values in rows]
    return "\n".join(out)


def explain(r: Result, truth: dict) -> str:
    v = truth["views"][r.view or 0]
    lines = [f"  {r.loader:<13} {r.score:5.2f}  {truth['note']}"]
    if r.error:
        lines.append(f"                error: {r.error}")
    else:
        m = r.measures
        lines.append(
            f"                header F1 {m['header_f1']:.2f}, records {r.loaded_records} loaded / {len(v['records'])} true"
            f" (F1 {m['record_f1']:.2f}), cell F1 {m['cell_f1']:.2f}"
        )
        if m["header_f1"] < 1:
            lines.append(f"                header read: {r.loaded_header[:6]} ; true: {v['header'][:6]}")
    if r.info:
        i = r.info
        lines.append(f"                csvlake: {i['status']} {i['rows']} dialect {i['dialect']}")
        for w in i["warnings"][:2] + i["errors"][:2]:
            lines.append(f"                - {w[:160]}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--loaders", default=",".join(LOADERS), help="comma-separated: " + ", ".join(LOADERS))
    parser.add_argument("--only", help="a regular expression: only the cases whose name it finds")
    parser.add_argument("--explain", action="store_true", help="say what went wrong for every case under 10")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write every measure as JSON")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # csvlake logs each unexpected error with its traceback; the score says it

    manifest = json.loads((args.corpus / "manifest.json").read_text(encoding="utf-8"))
    cases = {c["case"]: c for c in manifest["cases"] if not args.only or re.search(args.only, c["case"])}
    loaders = []
    for name in args.loaders.split(","):
        try:
            __import__(MODULES[name])
            loaders.append(name)
        except ImportError as exc:
            print(f"{name}: not installed ({exc}); left out", file=sys.stderr)
    results: dict[str, list[Result]] = {lo: [] for lo in loaders}
    truths = {}
    for i, name in enumerate(cases, 1):
        truths[name] = truth = json.loads((args.corpus / f"{name}.truth.json").read_text(encoding="utf-8"))
        path = args.corpus / f"{name}.csv"
        for lo in loaders:
            r = run_one(lo, path, truth)
            results[lo].append(r)
            if (
                r.error
                and lo == "csvlake"
                and (not r.error.startswith("rejected") or "could not be processed" in r.error)
            ):
                print(f"\n[{i}/{len(cases)}] {name}: csvlake crashed: {r.error}", file=sys.stderr)
        print(f"\r[{i}/{len(cases)}] {name:<40}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    print(table(results, cases))
    if args.explain:
        print("\nCases under 10:")
        for name in cases:
            rs = [res for lo in loaders for res in results[lo] if res.case == name and res.score < 9.995]
            if rs:
                print(f"{name}")
                print("\n".join(explain(r, truths[name]) for r in rs))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "corpus": {k: v for k, v in manifest.items() if k != "cases"},
        "aggregates": {lo: aggregates(rs, cases) for lo, rs in results.items()},
        "results": [r.__dict__ for rs in results.values() for r in rs],
    }
    args.results.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nevery measure: {args.results}", file=sys.stderr)


if __name__ == "__main__":
    main()
