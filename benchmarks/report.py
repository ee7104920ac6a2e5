"""The tables of a benchmark run, from the results run.py writes (also: `python benchmarks/report.py FILE`)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAMBDA_SECONDS, PRICE_GB_S, PRICE_REQUEST = 900, 0.0000133334, 0.20 / 1e6
PROFILES = {"1 vCPU, 1,769 MB": 1769, "2 vCPU, 3,538 MB": 3538}
# The targets of issue 6 on the 2 M-row file.
TARGET_NAIVE, TARGET_FLOOR, TARGET_RSS, TARGET_BIG_RSS = 3, 1.5, 1 / 3, 700


def cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def table(columns: dict, rows: list) -> str:
    """A Markdown table: `columns` maps each header to a function of a row."""
    cells = [[cell(get(row)) for get in columns.values()] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(columns)]
    line = lambda r: "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(list(columns)), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE).stdout.strip()


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text()
    cpu = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "?")
    ram = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("pandas", "pyarrow", "boto3", "moto"))
    dirty = " (+ uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return (
        f"{dt.datetime.now():%Y-%m-%d %H:%M}, commit {git('rev-parse', '--short', 'HEAD') or '?'}{dirty}\n"
        f"{cpu}, {os.cpu_count()} cores, {ram:.1f} GB RAM, {platform.platform()}\n"
        f"Python {platform.python_version()}, {versions}\n"
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def limits(one: dict, two: dict) -> str:
    """Largest file in 15 minutes, and cost per GB on arm64, from the measured throughputs."""
    rows = []
    for (label, memory), r in zip(PROFILES.items(), (one, two)):
        mbps = r["mb"] / r["csvlake"]["s"]
        rows.append((label, memory / 1024, mbps, 1024 / mbps))
    columns = {
        "Lambda": lambda r: r[0],
        "MB/s": lambda r: f"{r[2]:.1f}",
        "largest file in 900 s": lambda r: f"{r[2] * LAMBDA_SECONDS / 1024:.1f} GB",
        "s per GB": lambda r: f"{r[3]:.1f}",
        "GB-s per GB processed": lambda r: f"{r[1]:.3f} GB × {r[3]:.1f} s = {r[1] * r[3]:.1f}",
        "cost per GB": lambda r: f"${r[1] * r[3] * PRICE_GB_S:.5f}",
    }
    return table(columns, rows) + f"\n\n(+ ${PRICE_REQUEST:.7f} per invocation: $0.20 per million requests)"


def render(doc: dict) -> str:
    results, settings = doc["results"], doc["settings"]
    out = compared([results[n] for n in settings["inputs"]], settings["repeat"])
    growth = sorted((results[n] for n in settings["growth"]), key=lambda r: r["mb"])
    out += [f"growth: csvlake's time and memory against size ({settings['growth_repeat']} run(s) of sizes not above)"]
    out += ["", table(csvlake_columns(), growth), ""]
    if "sales-2gb" in results:
        rss = results["sales-2gb"]["csvlake"]["rss"]
        out += [f"2 GB file: peak RSS {rss:.0f} MB (target < {TARGET_BIG_RSS} MB) {mark(rss < TARGET_BIG_RSS)}", ""]
    one = doc.get("single_core")
    if one:
        out += [f"one core (csvlake pinned to CPU 0, medians of {settings['repeat']} runs; the endpoint unpinned)"]
        out += ["", table(csvlake_columns(), [one]), ""]
        two = results.get(one["input"])
        if two:
            out += ["limits and cost on Lambda arm64 (1 vCPU ≈ the one-core run, 2 vCPU ≈ this 2-core machine)"]
            out += ["", limits(one, two), ""]
    out += [f"load average at end: {' '.join(f'{x:.2f}' for x in doc['load_at_end'])}; raw: {settings['json']}"]
    return "\n".join(out)


def compared(rows: list[dict], repeat: int) -> list[str]:
    """csvlake, the naive pipeline and the floor on the same inputs, then the parts of the latter two."""
    if not rows:
        return []
    columns = {
        "input": lambda r: r["input"],
        "MB": lambda r: r["mb"],
        "csvlake s": lambda r: r["csvlake"]["s"],
        "csvlake MB/s": lambda r: r["mb"] / r["csvlake"]["s"],
        "naive s": lambda r: r["naive"]["s"],
        "floor s": lambda r: r["floor"]["s"],
        f"× naive throughput (≥ {TARGET_NAIVE})": lambda r: r["naive"]["s"] / r["csvlake"]["s"],
        f"÷ floor time (≤ {TARGET_FLOOR})": lambda r: r["csvlake"]["s"] / r["floor"]["s"],
        "RSS csvlake MB": lambda r: r["csvlake"]["rss"],
        "RSS naive MB": lambda r: r["naive"]["rss"],
        "RSS ratio (≤ 0.33)": lambda r: r["csvlake"]["rss"] / r["naive"]["rss"],
        "rows ✓": lambda r: mark(r["ok"]),
    }
    out = [f"csvlake, the naive pipeline and the floor (medians of {repeat} runs; MB = 2**20 bytes)"]
    out += ["", table(columns, rows), ""]
    for r in rows:
        speed, floor, rss = (r["naive"]["s"] / r["csvlake"]["s"], r["csvlake"]["s"] / r["floor"]["s"],
                             r["csvlake"]["rss"] / r["naive"]["rss"])  # fmt: skip
        out.append(
            f"- {r['input']}: {speed:.2f}× the naive throughput {mark(speed >= TARGET_NAIVE)}, "
            f"{floor:.2f}× the floor's time {mark(floor <= TARGET_FLOOR)}, "
            f"{rss:.2f} of the naive peak RSS {mark(rss <= TARGET_RSS)}"
        )
    steps = {"GET": "get", "PUT": "put", "pyarrow read_csv": "read_csv", "pyarrow write_csv": "write_csv"}
    columns = {"input": lambda r: r["input"], **{h: part("floor", s) for h, s in steps.items()}}
    columns |= {"floor": lambda r: r["floor"]["s"], "RSS": lambda r: r["floor"]["rss"]}
    out += ["", "the floor, in parts (s; peak RSS MB)", "", table(columns, rows), ""]
    steps = ("download_file", "read_csv", "describe", "to_csv", "upload_file")
    columns = {"input": lambda r: r["input"], **{s: part("naive", s) for s in steps}}
    columns |= {"naive": lambda r: r["naive"]["s"], "RSS": lambda r: r["naive"]["rss"]}
    out += ["the naive pipeline, in parts (s; peak RSS MB)", "", table(columns, rows), ""]
    return out


def part(kind: str, step: str):
    return lambda r: r[kind][step]


def csvlake_columns() -> dict:
    return {
        "input": lambda r: r["input"],
        "rows": lambda r: r["rows"],
        "MB": lambda r: r["mb"],
        "csvlake s": lambda r: r["csvlake"]["s"],
        "MB/s": lambda r: r["mb"] / r["csvlake"]["s"],
        "peak RSS MB": lambda r: r["csvlake"]["rss"],
        "RSS before the call MB": lambda r: statistics.median(run["baseline_mb"] for run in r["runs"]["csvlake"]),
        "rows ✓": lambda r: mark(r["ok"]),
    }


if __name__ == "__main__":
    print(render(json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else HERE / ".data" / "results.json").read_text())))
