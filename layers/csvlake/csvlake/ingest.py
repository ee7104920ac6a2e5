"""What the handler does with each object named by an event: skip it or process it, and say so."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from .config import Config
from .events import ObjectRef
from .layout import dataset_of, skip_reason
from .pipeline import ObjectGone, ObjectStore, Superseded, process

# Time kept back at the end of an invocation to abort uploads and return cleanly.
SAFETY_SECONDS = 15


def ingest(
    refs: list[ObjectRef],
    store: ObjectStore,
    config: Config,
    logger: Logger,
    namespace: str,
    remaining_ms: Callable[[], int] | None = None,
) -> list[dict[str, Any]]:
    """One result per object: its status and report key, or why it was skipped.

    Raises what a retry may cure (StoreError, OutOfTime), so that Lambda retries the event.
    """
    results = []
    for ref in refs:
        where = {"bucket": ref.bucket, "key": ref.key, "dataset": dataset_of(ref.key, config)}
        logger.append_keys(**where)
        reason = skip_reason(ref.key, config)
        if reason:
            logger.info("skipped", extra={"reason": reason})
            results.append({"bucket": ref.bucket, "key": ref.key, "status": "skipped", "reason": reason})
            continue
        deadline = time.monotonic() + remaining_ms() / 1000 - SAFETY_SECONDS if remaining_ms else None
        started = time.monotonic()
        try:
            report = process(store, ref, config, deadline=deadline)
        except Superseded as exc:
            logger.info("superseded", extra={"reason": str(exc)})
            results.append({"bucket": ref.bucket, "key": ref.key, "status": "superseded", "reason": str(exc)})
            continue
        except ObjectGone as exc:
            # Deleted (or overwritten without versioning) since the event: a retry would fail the same way.
            logger.warning("object is gone", extra={"error": str(exc)})
            results.append(
                {"bucket": ref.bucket, "key": ref.key, "status": "skipped", "reason": "object no longer exists"}
            )
            continue
        rows = report["rows"]
        logger.info("ingested", extra={"status": report["status"], "rows": rows, "reason": report["reason"]})
        _publish_metrics(namespace, where["dataset"], report, time.monotonic() - started)
        results.append(
            {"bucket": ref.bucket, "key": ref.key, "status": report["status"], "report": report["outputs"]["report"]}
        )
    logger.remove_keys(["bucket", "key", "dataset"])
    return results


def _publish_metrics(namespace: str, dataset: str, report: dict[str, Any], seconds: float) -> None:
    """One EMF document per file, with the dataset as its dimension."""
    metrics = EphemeralMetrics(namespace=namespace, service="csvlake")
    metrics.add_dimension(name="dataset", value=dataset)
    metrics.add_metric(name=f"Files{report['status'].capitalize()}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="RowsRead", unit=MetricUnit.Count, value=report["rows"]["read"])
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=report["rows"]["rejected"])
    metrics.add_metric(name="BytesRead", unit=MetricUnit.Bytes, value=report["source"]["size"] or 0)
    metrics.add_metric(name="ProcessingTime", unit=MetricUnit.Milliseconds, value=round(seconds * 1000))
    metrics.flush_metrics()
