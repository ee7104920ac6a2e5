"""`csvlake process`: the pipeline on local files, its outputs under a local folder in the S3 layout."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from ...config import Config
from ...errors import StoreError
from ...layout import SUFFIXES, OutputKeys, skip_reason
from ...pipeline import process
from ...ports import ObjectRef
from .. import show
from ..console import EXIT_CODES, FAILED, LOCAL_BUCKET, CliError, command_parser, exit_code, library_logs
from ..fs import LocalStore
from ..progress import Progress

HELP = "run the pipeline on local files; outputs under a local folder"
DESCRIPTION = """\
Run the csvlake pipeline on local files, as Lambda runs it on s3://BUCKET/raw/NAME, and
write the outputs in the same layout under --out: processed/, reports/, quarantine/.
A folder is searched, sub-folders included, for .csv and .csv.gz files (any case); its
sub-folders are kept in the output keys. Each file's report names it raw/NAME, in a bucket
called 'local'. A folder's sub-folder is a dataset: the files of FOLDER/DATASET/ are checked
against FOLDER/contracts/DATASET.yaml if it exists, as in the bucket. A progress bar is
shown on a terminal for files that take a while."""
EPILOG = EXIT_CODES + "\n\nexample:\n  csvlake process 'vendas 2024.csv' --format parquet --out /tmp/lake"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = command_parser(subparsers, "process", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("paths", nargs="+", metavar="PATH", help="a CSV file (.csv or .csv.gz) or a folder of them")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="processed copy format (default: csv)")
    p.add_argument("--out", default="csvlake-output", metavar="DIR", help="output folder (default: ./csvlake-output)")
    p.add_argument("--strict", action="store_true", help="exit 1 when rows were rejected, not only whole files")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = Config(output_format=args.format)
    out = Path(args.out)
    sources = _sources(args.paths, out, config)
    _writable(out)
    progress = Progress()
    # A folder laid out like the bucket: its contracts/<dataset>.yaml check the files of <dataset>/.
    contracts = {
        f"{config.contracts_prefix}{file.name}": file
        for arg in args.paths
        if Path(arg).is_dir()
        for file in sorted(Path(arg).glob("contracts/*.yaml"))
    }
    store = LocalStore(out, {**contracts, **sources}, progress)
    statuses: Counter = Counter()
    with library_logs():
        for key, path in sources.items():
            if statuses:
                print()
            progress.start(str(path))
            try:
                report = process(store, ObjectRef(LOCAL_BUCKET, key), config).as_dict()
            except StoreError as exc:
                raise CliError(str(exc), FAILED) from None
            except OSError as exc:  # DirectoryStore.copy reads the source outside open()
                raise CliError(f"{path}: {exc.strerror or exc}", FAILED) from None
            finally:
                progress.finish()
            statuses[report["status"]] += 1
            print(show.summary(report, source=str(path), where=lambda k: str(out / k)), flush=True)
    if len(sources) > 1:
        counts = ", ".join(f"{statuses[s]} {s}" for s in ("processed", "partial", "rejected") if statuses[s])
        print(f"\n{len(sources)} files: {counts}; outputs in {out}{os.sep}")
    return exit_code(statuses, args.strict)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _sources(paths: list[str], out: Path, config: Config) -> dict[str, Path]:
    """`raw/<name>` → local file, for files named on the command line and the CSV files in folders."""
    sources: dict[str, Path] = {}
    by_report: dict[str, Path] = {}
    out_dir = out.resolve()
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            found = [
                (p, p.relative_to(path).as_posix())
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.name.lower().endswith(SUFFIXES)
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not _inside(p.resolve(), out_dir)  # never the outputs of an earlier run
            ]
            if not found:
                raise CliError(f"{arg}: no .csv or .csv.gz files in this folder")
        elif path.is_file():
            found = [(path, path.name)]
            if reason := skip_reason(config.raw_prefix + path.name, config):
                print(f"csvlake: note: {arg}: in S3, csvlake would skip this file ({reason})", file=sys.stderr)
        elif path.exists():
            raise CliError(f"{arg}: not a file or a folder")
        else:
            raise CliError(f"{arg}: no such file or folder")
        for file, rel in found:
            key = config.raw_prefix + rel
            keys = OutputKeys.for_key(key, config)
            resolved = file.resolve()
            if earlier := by_report.get(keys.report):
                if earlier.resolve() == resolved:
                    continue
                raise CliError(
                    f"{earlier} and {file} would both write {keys.report}: process them into different --out"
                )
            if any((out / k).resolve() == resolved for k in dataclasses.astuple(keys)):
                raise CliError(f"{file}: processing it into --out {out} would overwrite it; choose another --out")
            by_report[keys.report] = file
            sources[key] = file
    return sources


def _writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".csvlake-probe-")
        os.close(fd)
        os.unlink(probe)
    except FileExistsError:
        raise CliError(f"--out {out}: exists and is not a folder") from None
    except OSError as exc:
        raise CliError(f"--out {out}: cannot write there: {exc.strerror or exc}") from None
