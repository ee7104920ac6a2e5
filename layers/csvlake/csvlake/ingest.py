"""What the handler does with each object named by an event: skip it or process it, and say so."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from .config import Config
from .deadline import Deadline
from .errors import ObjectGone, Superseded
from .layout import dataset_of, skip_reason
from .pipeline import process
from .ports import ObjectRef, ObjectStore
from .report import Report

# Time kept back at the end of an invocation to abort uploads and reject a file that did not finish:
# its server-side copy to the quarantine and its report.
SAFETY_SECONDS = 15
DETAIL_TYPES = {"processed": "File Processed", "partial": "File Partial", "rejected": "File Rejected"}


@dataclass
class Ingestor:
    """Everything one invocation needs, built once per Lambda container."""

    store: ObjectStore
    config: Config
    logger: Logger
    namespace: str = "csvlake"
    publish: Callable[[str, dict[str, Any]], None] | None = None
    stage: Callable[[str], contextlib.AbstractContextManager] = lambda name: contextlib.nullcontext()

    def __call__(
        self, refs: list[ObjectRef], remaining_ms: Callable[[], int] | None = None, budget_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """One result per object: its status and report key, or why it was skipped.

        Raises what a retry may cure (StoreError), so that Lambda retries the event. A file that cannot
        finish in the invocation's time is rejected instead, since a retry would run out the same way,
        unless it started with less than the `budget_ms` of an invocation that holds several files
        (the remaining time when it began): then OutOfTime is raised, for a retry with the whole time.
        """
        try:
            return [self._one(ref, remaining_ms, budget_ms) for ref in refs]
        finally:
            self.logger.remove_keys(["bucket", "key", "dataset"])

    def _one(self, ref: ObjectRef, remaining_ms: Callable[[], int] | None, budget_ms: int | None) -> dict[str, Any]:
        where = {"bucket": ref.bucket, "key": ref.key}
        dataset = dataset_of(ref.key, self.config)
        self.logger.append_keys(**where, dataset=dataset)
        if reason := skip_reason(ref.key, self.config):
            self.logger.info("skipped", extra={"reason": reason})
            return {**where, "status": "skipped", "reason": reason}
        budget = budget_ms / 1000 if budget_ms is not None else None
        deadline = (
            Deadline.counting_down(lambda: remaining_ms() / 1000, SAFETY_SECONDS, budget) if remaining_ms else None
        )
        started = time.monotonic()
        try:
            report = process(self.store, ref, self.config, deadline=deadline, stage=self.stage)
        except Superseded as exc:
            self.logger.info("superseded", extra={"reason": str(exc)})
            return {**where, "status": "superseded", "reason": str(exc)}
        except ObjectGone as exc:
            # Deleted (or overwritten without versioning) since the event: a retry would fail the same way.
            self.logger.warning("object is gone", extra={"error": str(exc)})
            return {**where, "status": "skipped", "reason": "object no longer exists"}
        rows = {"read": report.read, "written": report.written, "rejected": report.rejected}
        self.logger.info("ingested", extra={"status": report.status, "rows": rows, "reason": report.reason})
        self._metrics(dataset, report, time.monotonic() - started)
        if self.publish:
            self.publish(DETAIL_TYPES[report.status], event_detail(report.as_dict(), dataset))
        return {**where, "status": report.status, "report": report.outputs.keys.report}

    def _metrics(self, dataset: str, report: Report, seconds: float) -> None:
        """One EMF document per file, with the dataset as its dimension."""
        metrics = EphemeralMetrics(namespace=self.namespace, service="csvlake")
        metrics.add_dimension(name="dataset", value=dataset)
        metrics.add_metric(name=f"Files{report.status.capitalize()}", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="RowsRead", unit=MetricUnit.Count, value=report.read)
        metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=report.rejected)
        metrics.add_metric(name="BytesRead", unit=MetricUnit.Bytes, value=report.source.size or 0)
        metrics.add_metric(name="ProcessingTime", unit=MetricUnit.Milliseconds, value=round(seconds * 1000))
        metrics.flush_metrics()


def event_detail(report: dict[str, Any], dataset: str) -> dict[str, Any]:
    """The `detail` of the EventBridge event, from the report's JSON form: its summary and where it is."""
    return {
        "dataset": dataset,
        "status": report["status"],
        "reason": report["reason"],
        "source": report["source"],
        "rows": report["rows"],
        "error_count": report["error_count"],
        "columns": [{"name": c["name"], "type": c["type"]} for c in report["columns"]],
        "contract": report["validation"]["contract"] if report["validation"] else None,
        "drift": report["drift"],
        "outputs": report["outputs"],
    }
