"""`csvlake report`: a report (a JSON file or an s3:// object) as tables in the terminal."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ...config import Config, ConfigError
from ...layout import SUFFIXES, OutputKeys, skip_reason
from ...s3 import S3Error, S3Store
from .. import show
from ..console import FAILED, LOCAL_BUCKET, CliError, command_parser, exit_code, s3_failure, s3_location

HELP = "show a report (JSON file or s3:// object) as tables"
DESCRIPTION = """\
Show a csvlake report in the terminal: status, source, dialect, outputs, a table of the
columns and a table of the row errors. SOURCE is a report JSON file, or s3://BUCKET/KEY of
a report, or of a raw CSV file (then its report is read: raw/a.csv → reports/a.json).
S3 is read with boto3's usual configuration: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL…"""
EPILOG = """\
exit status:
  0  the report says processed, or partial (unless --strict)
  1  the report says rejected, or partial with --strict; or S3 failed (credentials, access, network)
  2  usage error: a bad option, no such file or object, not a report, a bad s3:// URL

examples:
  csvlake report csvlake-output/reports/vendas.json
  csvlake report s3://my-bucket/reports/vendas.json"""
REPORT_FIELDS = ("source", "status", "rows", "columns", "outputs")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = command_parser(subparsers, "report", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("source", metavar="SOURCE", help="report JSON path, or s3://BUCKET/KEY")
    p.add_argument("--errors", type=_count, default=20, metavar="N", help="row errors to list (default: 20)")
    p.add_argument("--strict", action="store_true", help="exit 1 for a partial file too")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    source: str = args.source
    document, where = _s3_report(source) if source.startswith("s3://") else _file_report(Path(source))
    # `csvlake process` reports name their source raw/NAME in a bucket that does not exist.
    local = isinstance(document["source"], dict) and document["source"].get("bucket") == LOCAL_BUCKET
    origin = f"{document['source'].get('key')}, a local file given to `csvlake process`" if local else None
    try:
        text = show.summary(document, max_errors=args.errors, where=where, detail=True, origin=origin)
    except (KeyError, TypeError, AttributeError, ValueError):
        raise CliError(f"{source}: not a csvlake report: its fields do not have the expected shape") from None
    print(text)
    return exit_code(Counter([document["status"]]), args.strict)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _parse_report(data: bytes, label: str) -> dict:
    hint = " (to process a CSV file, use `csvlake process`)" if label.lower().endswith(SUFFIXES) else ""
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        raise CliError(f"{label}: not a csvlake report: not JSON ({exc.msg}, line {exc.lineno}){hint}") from None
    except ValueError:
        raise CliError(f"{label}: not a csvlake report: not JSON text{hint}") from None
    if not isinstance(document, dict):
        raise CliError(f"{label}: not a csvlake report: a JSON {type(document).__name__}, not an object")
    if missing := [f for f in REPORT_FIELDS if f not in document]:
        raise CliError(f"{label}: not a csvlake report: no {', '.join(repr(f) for f in missing)}")
    return document


Located = tuple[dict, Callable[[str], str] | None]


def _s3_report(url: str) -> Located:
    bucket, key = s3_location(url)
    try:
        config = Config.from_env()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    if not skip_reason(key, config):  # a raw CSV key: read its report
        key = OutputKeys.for_key(key, config).report
    where = show.s3_url(bucket, key)
    try:
        # Default resolution: AWS_ENDPOINT_URL, AWS_PROFILE, AWS_REGION… are honoured by boto3 itself.
        found = S3Store().get(bucket, key)
    except S3Error as exc:
        raise s3_failure(exc, url, bucket, where) from None
    if found is None:
        raise CliError(f"{where}: no such object")
    return _parse_report(found[0], where), None


def _file_report(path: Path) -> Located:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not a report JSON") from None
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}", FAILED) from None
    document = _parse_report(data, str(path))
    # A report inside an output folder (from `csvlake process`, `make demo`, `aws s3 sync`):
    # its outputs are shown where they are on disk.
    report_key = document["outputs"].get("report") if isinstance(document["outputs"], dict) else None
    posix = path.as_posix()
    if not report_key or not (posix == report_key or posix.endswith("/" + report_key)):
        return document, None
    root = Path(posix[: -len(report_key)] or ".")
    bucket = document["outputs"].get("bucket", "")

    def where(key: str) -> str:
        return str(root / key) if (root / key).exists() else show.s3_url(bucket, key)

    return document, where
