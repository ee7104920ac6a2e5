"""What the commands share: help layout, exit codes, one-line errors (S3's failures among them), s3:// URLs, log lines."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections import Counter
from collections.abc import Iterator

from ..s3 import Problem, S3Error

# The bucket name that reports written by `csvlake process` carry: the outputs are under --out.
LOCAL_BUCKET = "local"
FAILED, USAGE = 1, 2
EXIT_CODES = """\
exit status:
  0  every file processed (partial files too, unless --strict)
  1  a file was rejected, or partial with --strict; or a failure while running
  2  usage error: a bad option, a missing file, an unusable folder, not a report, a bad s3:// URL"""


class CliError(Exception):
    """A mistake or a failure that deserves one line on stderr, not a traceback."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


def exit_code(statuses: Counter, strict: bool) -> int:
    return FAILED if statuses["rejected"] or (strict and statuses["partial"]) else 0


def command_parser(subparsers: argparse._SubParsersAction, name: str, **texts: str) -> argparse.ArgumentParser:
    """The parser of command `name`, its help texts (`help`, `description`, `epilog`) laid out as written."""
    return subparsers.add_parser(name, formatter_class=argparse.RawDescriptionHelpFormatter, **texts)


def s3_location(url: str, what: str = "the key of a report (or of a raw CSV file)") -> tuple[str, str]:
    bucket, _, key = url[len("s3://") :].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise CliError(f"{url}: expected s3://BUCKET/KEY, {what}")
    return bucket, key


def s3_failure(exc: S3Error, url: str, bucket: str, where: str) -> CliError:
    """One line for a failure of S3 on `url`: what the user can fix exits 2, a failure of S3 or access 1."""
    match exc.problem:
        case Problem.NO_CREDENTIALS:
            return CliError(
                "no AWS credentials found: run `aws configure`, or set AWS_PROFILE, "
                "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                FAILED,
            )
        case Problem.BAD_REQUEST:
            return CliError(f"{url}: {exc.detail}")
        case Problem.NO_OBJECT:
            return CliError(f"{where}: no such object")
        case Problem.NO_BUCKET:
            return CliError(f"{url}: no such bucket {bucket!r}")
        case Problem.ACCESS_DENIED:
            return CliError(f"{where}: access denied", FAILED)
    return CliError(f"{where}: {exc.detail}", FAILED)


class _OneLine(logging.Formatter):
    """Library log records as `csvlake: <message>`, without the traceback (the report has the reason)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"csvlake: {record.levelname.lower()}: {record.getMessage()}"


@contextlib.contextmanager
def library_logs() -> Iterator[None]:
    logger = logging.getLogger("csvlake")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(_OneLine())
    logger.addHandler(handler)
    saved, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved
