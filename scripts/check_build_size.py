"""Fail when the built function plus its layers exceed Lambda's 250 MB unzipped limit."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

MIB = 1024 * 1024
# Lambda's quota reads "250 MB"; the check it applies is 262,144,000 bytes,
# i.e. 250 MiB, so that is the unit used here.
LIMIT_MIB = 250


def tree_size(root: Path) -> tuple[int, int]:
    """Return (bytes, files) under root, as the unzipped deployment would hold them."""
    total = files = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            # stat() follows symlinks: the zip stores the file they point to.
            total += (Path(dirpath) / name).stat().st_size
            files += 1
    return total, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--function", default="IngestFunction", help="logical ID of the function")
    args = parser.parse_args(argv)

    function_dir = args.build_dir / args.function
    if not function_dir.is_dir():
        print(f"{function_dir} not found: run `sam build` first", file=sys.stderr)
        return 2
    # The template has one function, so every other directory sam build made is one of its layers.
    layer_dirs = sorted(p for p in args.build_dir.iterdir() if p.is_dir() and p != function_dir)

    rows = [(p.name, *tree_size(p)) for p in [function_dir, *layer_dirs]]
    total = sum(size for _, size, _ in rows)
    width = max(len(name) for name, _, _ in [*rows, ("TOTAL", 0, 0)])
    print(f"{'directory':<{width}}  {'files':>7}  {'MiB':>8}")
    for name, size, files in rows:
        print(f"{name:<{width}}  {files:>7}  {size / MIB:>8.1f}")
    print(f"{'TOTAL':<{width}}  {sum(f for _, _, f in rows):>7}  {total / MIB:>8.1f}  (limit {LIMIT_MIB} MiB unzipped)")

    if total > LIMIT_MIB * MIB:
        print(f"FAIL: {total / MIB:.1f} MiB is over the {LIMIT_MIB} MiB limit", file=sys.stderr)
        return 1
    print(f"OK: {(LIMIT_MIB * MIB - total) / MIB:.1f} MiB to spare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
