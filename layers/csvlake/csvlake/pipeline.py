"""Process one object: the service function that calls the stages in order, streaming throughout.

The object is read twice (docs/adr/0002-two-pass-streaming.md): pass 1 (first_pass) settles what
needs the whole file, each column's type and which rows are malformed; the plan applies the
contract; pass 2 (second_pass) converts, checks, summarises and writes. The report is written last,
whatever happened: a file rejected as a whole goes to the quarantine, with the reason in its report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from . import dataset, versions
from .config import Config
from .contract import ContractError
from .deadline import Deadline
from .errors import OutOfTime, ReadError, Rejected, StoreError, StreamError, Superseded
from .first_pass import Inspection, inspect
from .html import render as render_html
from .layout import OutputKeys
from .plan import check_rows, plan
from .ports import ObjectRef, ObjectStore
from .report import Outputs, Report, to_json
from .second_pass import Written, write
from .validate import Validation

log = logging.getLogger(__name__)


def process(
    store: ObjectStore,
    ref: ObjectRef,
    config: Config,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    deadline: Deadline | None = None,
    stage: Callable[[str], contextlib.AbstractContextManager] = lambda name: contextlib.nullcontext(),
) -> Report:
    """Ingest one raw object; the report is written last, whatever happened, and returned.

    `deadline`: a file that cannot finish before it, by its size or because it passes while the file
    is read, is rejected with its report, its outputs unwritten.
    `stage(name)` wraps each stage (a tracer's subsegment in Lambda).
    Raises Superseded, outputs left to the newer version, once the object is no longer its latest.
    """
    store = versions.Guard(store, ref)  # every output written only while ref's version is the latest
    keys = OutputKeys.for_key(ref.key, config)
    bucket = config.output_bucket or ref.bucket
    report = Report(ref, now(), Outputs(bucket, keys))
    validation: Validation | None = None
    inspection: Inspection | None = None
    try:
        if deadline is not None and (too_long := deadline.too_long(ref.size, config.throughput_mb_s)):
            raise OutOfTime(too_long)
        contract = dataset.contract(store, ref, config)
        with stage("inspect"):
            inspection, report.source = inspect(store, ref, config, contract, deadline)
        report.dialect, report.structure, report.lines = inspection.dialect, inspection.structure, inspection.lines
        report.skipped_lines = sorted(inspection.lines.listed, key=lambda line: line.line)
        report.read = inspection.rows  # what a rejection from here on reports as read (_reject)
        report.warnings.extend(inspection.warnings)
        validation = Validation(contract, inspection.source_names) if contract else None
        drift = dataset.schema_drift(store, bucket, report.source, config, contract, inspection)
        report.drift = drift.report
        if drift.rejection:
            raise Rejected(drift.rejection)
        if drift.message:
            report.warnings.append(drift.message)
        planned = plan(inspection, validation, report.warnings)
        check_rows(inspection.rows, validation, report.warnings)
        with stage("write"):
            written = write(
                store,
                report.source,
                config,
                inspection,
                planned,
                bucket,
                keys,
                report.errors,
                report.warnings,
                deadline,
            )
        _record(report, written)
        drift.remember()
    except (StoreError, Superseded):
        raise
    except OutOfTime as exc:
        if not deadline.final:
            raise  # others took some of the invocation's time: a retry of this file alone may finish
        # Terminal: a retry would run out of time the same way.
        _reject(store, report, keys, str(exc) or deadline.ran_out(report.source.size, config.throughput_mb_s))
    except ContractError as exc:
        _reject(store, report, keys, f"invalid contract: {exc}")
    except (Rejected, StreamError, ReadError) as exc:
        _reject(store, report, keys, str(exc))
    except Exception as exc:
        # A file that trips an unforeseen error must still end in a visible place, not in a retry loop.
        log.exception("unexpected error processing s3://%s/%s", ref.bucket, ref.key)
        _reject(store, report, keys, f"could not be processed: {type(exc).__name__}: {exc}")
    finally:
        if inspection is not None and inspection.spill is not None:
            inspection.spill.close()  # also when pass 1 rejected the file or pass 2 failed: no spill file stays
    report.validation = validation
    report.finished_at = now()
    document = report.as_dict()
    with stage("report"):
        # The page first: the JSON report, written last, is what says the file is done.
        store.put(bucket, keys.report_html, render_html(document).encode("utf-8"), "text/html; charset=utf-8")
        store.put(bucket, keys.report, to_json(document), "application/json")
    return report


def _record(report: Report, written: Written) -> None:
    report.written, report.rejected, report.columns = written.rows, written.rejected, written.columns
    report.read = written.rows + written.rejected
    report.status = "partial" if written.rejected else "processed"
    report.outputs = dataclasses.replace(report.outputs, processed=True, rejected_rows=written.rejected_rows)


def _reject(store: ObjectStore, report: Report, keys: OutputKeys, reason: str) -> None:
    """Whole-file rejection: the original bytes go to quarantine, the report says why, and no
    processed copy or rejected rows of an earlier version of the file remain to contradict it.

    Rows: every record pass 1 read is rejected and none written (read == written + rejected);
    a file refused before its records were counted (not text, no header, a broken stream) read none."""
    report.reject(reason)
    report.written, report.rejected = 0, report.read
    report.columns = []  # the row errors found before the rejection stay: they may be why
    bucket = report.outputs.bucket
    for stale in (keys.processed, keys.rejected_rows):
        store.delete(bucket, stale)
    store.copy(report.source, bucket, keys.quarantine)
    report.outputs = dataclasses.replace(report.outputs, processed=False, rejected_rows=False, quarantine=True)
