"""`csvlake`: run the ingestion on your own machine, and read its reports.

process  the pipeline on local files; outputs under a local folder, in the S3 layout
report   a report (a JSON file or an s3:// object) as tables in the terminal
demo     a local S3 endpoint, the bundled samples processed there, their reports printed
serve    the local S3 endpoint and the processing loop, until Ctrl-C
invoke   one event file through lambda_handler, against an endpoint
contract draft  a dataset contract drafted from a sample file (local or s3://)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

from ..config import Config, ConfigError
from ..errors import ObjectGone, StoreError, Superseded
from ..events import EventError, event_refs, object_refs
from ..layout import SUFFIXES, OutputKeys, contract_key, skip_reason
from ..pipeline import process as process_object
from ..ports import ObjectRef, ObjectStore
from ..s3 import S3Store
from . import runner, show
from .draft import SampleRejected, draft
from .fs import DirectoryStore

SAMPLES = Path(__file__).resolve().parents[4] / "samples"
# The bucket name that reports written by `csvlake process` carry: the outputs are under --out.
LOCAL_BUCKET = "local"
FAILED, USAGE = 1, 2
EXIT_CODES = """exit status:
  0  every file processed (partial files too, unless --strict)
  1  a file was rejected, or partial with --strict; or a failure while running
  2  usage error: a bad option, a missing file, an unusable folder, not a report, a bad s3:// URL"""


class CliError(Exception):
    """A mistake or a failure that deserves one line on stderr, not a traceback."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


def _exit_code(statuses: Counter, strict: bool) -> int:
    return FAILED if statuses["rejected"] or (strict and statuses["partial"]) else 0


# --- progress ---------------------------------------------------------------------------------


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


class _Counting:
    """A binary stream that reports how many bytes were read from it."""

    def __init__(self, stream: BinaryIO, count: Callable[[int], None]) -> None:
        self._stream = stream
        self._count = count

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._count(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class Progress:
    """`name  pass 1/2: types  [######------]  50%  1.2 MB / 2.4 MB` on one line of a terminal.

    The pipeline reads each file twice (types, then writing); the bar shows the bytes read of the
    source, as stored (compressed for .gz). It stays silent when the stream is not a terminal, and
    for files read faster than `delay` seconds, and erases itself when the file is done.
    """

    bar_width = 24

    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        delay: float = 0.5,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self.delay, self.interval, self.clock = delay, interval, clock
        self.name = ""
        self.size = self.done = self.drawn = 0
        self.writing = False
        self.started = self.last = 0.0

    def start(self, name: str) -> None:
        self.name, self.started, self.last = name, self.clock(), 0.0

    def track(self, stream: BinaryIO, size: int | None) -> BinaryIO:
        """A new read of the source: pass 1 (or pass 1 again, after a late switch to cp1252), or
        pass 2 once the processed copy's writer opens during it."""
        self.size, self.done, self.writing = size or 0, 0, False
        return _Counting(stream, self.advance)  # type: ignore[return-value]

    def writer_opened(self) -> None:
        self.writing = True
        if self.drawn:  # pass 2 reads its sample before opening the processed copy: relabel now
            self.draw()

    def advance(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started >= self.delay and now - self.last >= self.interval:
            self.last = now
            self.draw()

    def line(self) -> str:
        label = "pass 2/2: writing" if self.writing else "pass 1/2: types"
        fraction = min(self.done / self.size, 1.0) if self.size else 1.0
        filled = round(fraction * self.bar_width)
        bar = "#" * filled + "-" * (self.bar_width - filled)
        text = f"{label}  [{bar}] {fraction:4.0%}  {_size(self.done)} / {_size(self.size)}"
        room = shutil.get_terminal_size().columns - len(text) - 3
        name = self.name if len(self.name) <= room else ("…" + self.name[-(room - 1) :] if room > 1 else "")
        return f"{name}  {text}" if name else text

    def draw(self) -> None:
        line = self.line()
        self.stream.write("\r" + line.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(line)

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0


# --- process ----------------------------------------------------------------------------------


class LocalStore(DirectoryStore):
    """The --out folder as the bucket: outputs at `<out>/<key>`, and each source, `raw/<name>`,
    read where it lies instead of being copied there first."""

    def __init__(self, out: Path, sources: dict[str, Path], progress: Progress) -> None:
        super().__init__(out)
        self.sources = sources
        self.progress = progress
        self.umask = os.umask(0o022)
        os.umask(self.umask)

    def path(self, bucket: str, key: str) -> Path:
        return self.sources.get(key) or super().path("", key)

    # A file system error is a failure of the store, as an S3 error is for S3Store: the pipeline
    # re-raises it instead of blaming the file, and `process` stops with one line.

    def open(self, ref: ObjectRef) -> tuple[BinaryIO, ObjectRef]:
        try:
            stream, ref = super().open(ref)
        except OSError as exc:
            raise StoreError(f"cannot read {self.path(ref.bucket, ref.key)}: {exc.strerror or exc}") from exc
        return self.progress.track(stream, ref.size), ref

    @contextlib.contextmanager
    def writer(self, bucket: str, key: str, content_type: str) -> Iterator[BinaryIO]:
        self.progress.writer_opened()
        try:
            with super().writer(bucket, key, content_type) as stream:
                yield stream
            # The temporary file it was written as is private (0600): give it a new file's usual mode.
            os.chmod(self.path(bucket, key), 0o666 & ~self.umask)
        except OSError as exc:
            raise StoreError(f"cannot write {self.path(bucket, key)}: {exc.strerror or exc}") from exc


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


class _OneLine(logging.Formatter):
    """Library log records as `csvlake: <message>`, without the traceback (the report has the reason)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"csvlake: {record.levelname.lower()}: {record.getMessage()}"


@contextlib.contextmanager
def _library_logs() -> Iterator[None]:
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


def process(args: argparse.Namespace) -> int:
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
    with _library_logs():
        for key, path in sources.items():
            if statuses:
                print()
            progress.start(str(path))
            try:
                report = process_object(store, ObjectRef(LOCAL_BUCKET, key), config).as_dict()
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
    return _exit_code(statuses, args.strict)


# --- report -----------------------------------------------------------------------------------

REPORT_FIELDS = ("source", "status", "rows", "columns", "outputs")


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


def _s3_location(url: str, what: str = "the key of a report (or of a raw CSV file)") -> tuple[str, str]:
    bucket, _, key = url[len("s3://") :].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise CliError(f"{url}: expected s3://BUCKET/KEY, {what}")
    return bucket, key


def _s3_failure(exc: BaseException, url: str, bucket: str, where: str) -> CliError:
    """One line for a boto3 error: what the user can fix exits 2, a failure of S3 or access 1."""
    if isinstance(exc, NoCredentialsError):
        return CliError(
            "no AWS credentials found: run `aws configure`, or set AWS_PROFILE, "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            FAILED,
        )
    if isinstance(exc, ParamValidationError):
        return CliError(f"{url}: {str(exc).splitlines()[-1].split(': ')[0]}")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            return CliError(f"{where}: no such object")
        if code == "NoSuchBucket":
            return CliError(f"{url}: no such bucket {bucket!r}")
        if code in ("AccessDenied", "403", "Forbidden"):
            return CliError(f"{where}: access denied", FAILED)
        return CliError(f"{where}: {code}: {error.get('Message', exc)}", FAILED)
    return CliError(f"{where}: {exc}", FAILED)


Located = tuple[dict, Callable[[str], str] | None]


def _s3_report(url: str) -> Located:
    bucket, key = _s3_location(url)
    try:
        config = Config.from_env()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    if not skip_reason(key, config):  # a raw CSV key: read its report
        key = OutputKeys.for_key(key, config).report
    where = show.s3_url(bucket, key)
    try:
        # Default resolution: AWS_ENDPOINT_URL, AWS_PROFILE, AWS_REGION… are honoured by boto3 itself.
        data = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise _s3_failure(exc, url, bucket, where) from None
    return _parse_report(data, where), None


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


def report(args: argparse.Namespace) -> int:
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
    return _exit_code(Counter([document["status"]]), args.strict)


# --- contract draft ---------------------------------------------------------------------------


def _draft_source(source: str) -> tuple[ObjectStore, ObjectRef, str | None]:
    """The store and object to read a sample from, and where its dataset's contract belongs if
    the sample's key says (s3://BUCKET/raw/<dataset>/… → s3://BUCKET/contracts/<dataset>.yaml)."""
    if source.startswith("s3://"):
        bucket, key = _s3_location(source, "the key of a CSV file")
        try:
            contract = contract_key(key, Config.from_env())
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        return S3Store(), ObjectRef(bucket, key), show.s3_url(bucket, contract) if contract else None
    path = Path(source)
    if path.is_dir():
        raise CliError(f"{source}: is a folder, not a CSV file")
    if not path.is_file():
        raise CliError(f"{source}: no such file" if not path.exists() else f"{source}: not a file")
    # Only read from: the pipeline's outputs go to the draft's temporary folder.
    return LocalStore(path.parent, {path.name: path}, Progress(enabled=False)), ObjectRef(LOCAL_BUCKET, path.name), None


def contract_draft(args: argparse.Namespace) -> int:
    source: str = args.source
    store, ref, save_as = _draft_source(source)
    where = show.s3_url(ref.bucket, ref.key) if source.startswith("s3://") else source
    try:
        with _library_logs():
            drafted = draft(store, ref, source, save_as=save_as)
    except SampleRejected as exc:
        raise CliError(f"{source}: rejected, so there is nothing to describe: {exc}", FAILED) from None
    except Superseded:
        raise CliError(f"{where}: the object changed while it was read; run again", FAILED) from None
    except ObjectGone:
        raise CliError(
            f"{where}: no such object" if source.startswith("s3://") else f"{source}: no such file"
        ) from None
    except StoreError as exc:
        cause = exc.__cause__
        if isinstance(cause, (ClientError, BotoCoreError)):
            raise _s3_failure(cause, source, ref.bucket, where) from None
        raise CliError(str(exc), FAILED) from None
    for note in drafted.notes:
        print(f"csvlake: note: {source}: {note}", file=sys.stderr)
    if args.output is None:
        print(drafted.text, end="")
        return 0
    try:
        Path(args.output).write_text(drafted.text, encoding="utf-8")
    except IsADirectoryError:
        raise CliError(f"-o {args.output}: is a folder") from None
    except OSError as exc:
        raise CliError(f"-o {args.output}: cannot write there: {exc.strerror or exc}") from None
    print(f"draft contract written to {args.output}")
    return 0


# --- local endpoint: demo, serve, invoke -----------------------------------------------------------


def _report(s3, bucket: str, key: str, config: Config) -> dict | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=OutputKeys.for_key(key, config).report)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(body)


def _local(port: int):
    # Powertools warns after each invocation that recorded no metric (a skipped object): noise here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    server, endpoint = runner.start_endpoint(port)
    runner.use_endpoint(endpoint)
    config = Config.from_env()
    queue_url = runner.create_bucket(endpoint, runner.BUCKET, config.raw_prefix)
    events_queue = runner.create_event_bus(endpoint)
    loop = runner.NotificationLoop(endpoint, queue_url, runner.load_handler().lambda_handler)
    return server, endpoint, config, loop, boto3.client("s3", endpoint_url=endpoint), events_queue


def _print_events(endpoint: str, queue_url: str) -> None:
    for event in runner.file_events(endpoint, queue_url):
        detail = event["detail"]
        print(
            f"event     {event['detail-type']}: {detail['source']['key']} → {detail['outputs']['report']}", flush=True
        )


def demo(args: argparse.Namespace) -> int:
    server, endpoint, config, loop, s3, events_queue = _local(args.port)
    try:
        samples = Path(args.samples)
        # Contracts first, so that the files of their datasets are checked against them.
        for path in sorted(samples.glob("contracts/*.yaml")):
            key = f"{config.contracts_prefix}{path.name}"
            s3.upload_file(str(path), runner.BUCKET, key)
            print(f"uploaded {path.relative_to(samples)} → s3://{runner.BUCKET}/{key}")
        keys = []
        for path in sorted(p for p in samples.rglob("*") if p.is_file() and p.parent.name != "contracts"):
            key = f"{config.raw_prefix}{path.relative_to(samples).as_posix()}"
            s3.upload_file(str(path), runner.BUCKET, key)
            keys.append(key)
            print(f"uploaded {path.relative_to(samples)} → s3://{runner.BUCKET}/{key}")
        print(f"\nwaiting for csvlake to process {len(keys)} files (S3 → SQS → lambda_handler)…\n")
        if not loop.run_until(lambda: all(_report(s3, runner.BUCKET, k, config) for k in keys), args.timeout):
            missing = [k for k in keys if not _report(s3, runner.BUCKET, k, config)]
            print(f"no report after {args.timeout} s for: {', '.join(missing)}", file=sys.stderr)
            return 1
        for key in keys:
            print(show.summary(_report(s3, runner.BUCKET, key, config)) + "\n")
        print(f"EventBridge events on the local bus {runner.EVENT_BUS} (source csvlake), for downstream jobs:")
        _print_events(endpoint, events_queue)
        print()
        _download(s3, Path(args.out))
        print(f"All outputs were copied to {args.out}/ (processed/, reports/, quarantine/).")
        print("To drop your own file: run `make serve`, then in another terminal:")
        print(_upload_hint(f"http://127.0.0.1:{runner.DEFAULT_PORT}", config))
        print("Or without an endpoint: .venv/bin/csvlake process my.csv")
        return 0
    finally:
        server.stop()


def _upload_hint(endpoint: str, config: Config) -> str:
    # The local endpoint accepts any credentials, but the AWS CLI refuses to run without some.
    return (
        f"  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={runner.REGION} "
        f".venv/bin/aws --endpoint-url {endpoint} s3 cp my.csv s3://{runner.BUCKET}/{config.raw_prefix}"
    )


def _download(s3, out: Path) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=runner.BUCKET):
        for obj in page.get("Contents", []):
            target = out / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(runner.BUCKET, obj["Key"], str(target))


def serve(args: argparse.Namespace) -> int:
    server, endpoint, config, loop, s3, events_queue = _local(args.port)
    print(
        f"local S3 endpoint {endpoint}, bucket {runner.BUCKET}; drop files into s3://{runner.BUCKET}/{config.raw_prefix}"
    )
    print(_upload_hint(endpoint, config))
    print("Ctrl-C to stop.", flush=True)
    try:
        while True:
            for body in loop.poll_once(wait_seconds=5):
                for ref in object_refs(body):
                    if reason := skip_reason(ref.key, config):
                        print(f"skipped   {ref.key}  ({reason})", flush=True)
                        continue
                    report = _report(s3, ref.bucket, ref.key, config)
                    print(show.one_line(report) if report else f"no report for {ref.key}", flush=True)
            _print_events(endpoint, events_queue)
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


def invoke(args: argparse.Namespace) -> int:
    """Run one event file through `lambda_handler` against an endpoint, as `sam local invoke -e` would."""
    try:
        event = json.loads(Path(args.event).read_bytes())
    except FileNotFoundError:
        raise CliError(f"--event {args.event}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"--event {args.event}: is a folder, not an event JSON") from None
    except ValueError:
        raise CliError(f"--event {args.event}: not JSON") from None
    runner.use_endpoint(args.endpoint)
    handler = runner.load_handler()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No application metrics to publish")  # as in _local
            result = handler.lambda_handler(event, runner.LambdaContext(aws_request_id="local-invoke"))
    except EventError as exc:
        raise CliError(f"--event {args.event}: {exc}") from None
    except StoreError as exc:
        hint = f" (is `csvlake serve` running on {args.endpoint}?)" if _unreachable(exc) else ""
        raise CliError(f"{exc}{hint}", FAILED) from None
    print(json.dumps(result, indent=2, ensure_ascii=False))
    config = Config.from_env()
    s3 = boto3.client("s3", endpoint_url=args.endpoint)
    for ref in event_refs(event):
        report = None if skip_reason(ref.key, config) else _report(s3, ref.bucket, ref.key, config)
        # After a superseded event, the report there belongs to the newer object: not this one's.
        if report and (not ref.etag or report["source"]["etag"] == ref.etag):
            print(show.summary(report))
    return 0


def _unreachable(exc: BaseException) -> bool:
    return isinstance(exc.__cause__, EndpointConnectionError)


# --- command line -----------------------------------------------------------------------------


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    top = argparse.ArgumentParser(
        prog="csvlake",
        description="Run csvlake's ingestion on your own machine, and read its reports.",
        epilog=EXIT_CODES + "\n\n`csvlake COMMAND --help` describes each command.",
        formatter_class=formatter,
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "process",
        help="run the pipeline on local files; outputs under a local folder",
        description=(
            "Run the csvlake pipeline on local files, as Lambda runs it on s3://BUCKET/raw/NAME, and\n"
            "write the outputs in the same layout under --out: processed/, reports/, quarantine/.\n"
            "A folder is searched, sub-folders included, for .csv and .csv.gz files (any case); its\n"
            "sub-folders are kept in the output keys. Each file's report names it raw/NAME, in a bucket\n"
            "called 'local'. A folder's sub-folder is a dataset: the files of FOLDER/DATASET/ are checked\n"
            "against FOLDER/contracts/DATASET.yaml if it exists, as in the bucket. A progress bar is\n"
            "shown on a terminal for files that take a while."
        ),
        epilog=EXIT_CODES + "\n\nexample:\n  csvlake process 'vendas 2024.csv' --format parquet --out /tmp/lake",
        formatter_class=formatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a CSV file (.csv or .csv.gz) or a folder of them")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="processed copy format (default: csv)")
    p.add_argument("--out", default="csvlake-output", metavar="DIR", help="output folder (default: ./csvlake-output)")
    p.add_argument("--strict", action="store_true", help="exit 1 when rows were rejected, not only whole files")
    p.set_defaults(run=process)

    p = commands.add_parser(
        "report",
        help="show a report (JSON file or s3:// object) as tables",
        description=(
            "Show a csvlake report in the terminal: status, source, dialect, outputs, a table of the\n"
            "columns and a table of the row errors. SOURCE is a report JSON file, or s3://BUCKET/KEY of\n"
            "a report, or of a raw CSV file (then its report is read: raw/a.csv → reports/a.json).\n"
            "S3 is read with boto3's usual configuration: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL…"
        ),
        epilog="exit status:\n"
        "  0  the report says processed, or partial (unless --strict)\n"
        "  1  the report says rejected, or partial with --strict; or S3 failed (credentials, access, network)\n"
        "  2  usage error: a bad option, no such file or object, not a report, a bad s3:// URL\n"
        "\nexamples:\n  csvlake report csvlake-output/reports/vendas.json\n"
        "  csvlake report s3://my-bucket/reports/vendas.json",
        formatter_class=formatter,
    )
    p.add_argument("source", metavar="SOURCE", help="report JSON path, or s3://BUCKET/KEY")
    p.add_argument("--errors", type=_count, default=20, metavar="N", help="row errors to list (default: 20)")
    p.add_argument("--strict", action="store_true", help="exit 1 for a partial file too")
    p.set_defaults(run=report)

    p = commands.add_parser(
        "demo",
        help="start a local endpoint, process the bundled samples, print their reports",
        description="Start a local S3 endpoint, upload the samples to raw/ (subfolders are datasets) and\n"
        "contracts/*.yaml to contracts/, let the processing loop handle\n"
        "their notifications, print the reports, and copy every output to --out.",
        formatter_class=formatter,
    )
    p.add_argument("--port", type=int, default=0, help="endpoint port (default: any free port)")
    p.add_argument(
        "--samples", default=str(SAMPLES), help="folder of files to upload to raw/ (and contracts/*.yaml to contracts/)"
    )
    p.add_argument("--out", default="demo-output", help="folder to copy all outputs into")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for the reports")
    p.set_defaults(run=demo)

    p = commands.add_parser(
        "serve",
        help="run the local endpoint and the processing loop until Ctrl-C",
        description=f"A local S3 endpoint (moto) with bucket {runner.BUCKET}; each object created under raw/ is\n"
        "handed to lambda_handler through S3 → SQS notifications, and one line per file is printed.",
        formatter_class=formatter,
    )
    p.add_argument("--port", type=int, default=runner.DEFAULT_PORT, help="endpoint port")
    p.set_defaults(run=serve)

    p = commands.add_parser(
        "invoke",
        help="run an event file through lambda_handler against an endpoint",
        description="Call lambda_handler once with an event file, as `sam local invoke -e` does, against an\n"
        "S3 endpoint (by default the one `csvlake serve` starts), then print the reports it wrote.",
        formatter_class=formatter,
    )
    p.add_argument("--event", required=True, help="event JSON (S3, SQS or EventBridge), e.g. events/s3-put.json")
    p.add_argument("--endpoint", default=f"http://127.0.0.1:{runner.DEFAULT_PORT}", help="S3 endpoint URL")
    p.set_defaults(run=invoke)

    p = commands.add_parser(
        "contract",
        help="draft a dataset contract from a sample file",
        description="Dataset contracts (contracts/<dataset>.yaml): `csvlake contract draft SOURCE` drafts one.",
        formatter_class=formatter,
    )
    contract_commands = p.add_subparsers(dest="contract_command", required=True, metavar="SUBCOMMAND")
    p = contract_commands.add_parser(
        "draft",
        help="draft a contract from a sample file (local path or s3://BUCKET/KEY)",
        description=(
            "Run the pipeline on a sample file and print, as YAML, a contract that states what it found:\n"
            "the dialect, and for each column in file order its type, that it is required, whether it\n"
            "may be empty, the observed minimum and maximum (numbers, dates), every value of a text\n"
            "column with at most 10, and whether an integer column's values are all different.\n"
            "Ingesting the sample under the draft accepts every row that is not malformed. Edit it,\n"
            "then store it as contracts/<dataset>.yaml (<dataset>: the first folder under raw/).\n"
            "S3 is read with boto3's usual configuration: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL…"
        ),
        epilog="exit status:\n"
        "  0  the draft was printed (or written to FILE)\n"
        "  1  the sample was rejected as a whole, so there is nothing to describe; or S3 or reading failed\n"
        "  2  usage error: a bad option, no such file, object or bucket, a bad s3:// URL, FILE not writable\n"
        "\nexamples:\n  csvlake contract draft 'vendas 2024.csv' -o vendas.yaml\n"
        "  csvlake contract draft s3://my-bucket/raw/vendas/2024-06.csv",
        formatter_class=formatter,
    )
    p.add_argument("source", metavar="SOURCE", help="a CSV file (.csv or .csv.gz), or s3://BUCKET/KEY")
    p.add_argument("-o", "--output", metavar="FILE", help="write the draft to FILE instead of printing it")
    p.set_defaults(run=contract_draft)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except CliError as exc:
        print(f"csvlake: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("csvlake: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `csvlake report … | head`: the reader left; say nothing more, and keep Python's exit flush quiet.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
