"""What the handler does with each object named by an event: skip it or process it, and say so."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .config import Config
from .events import ObjectRef
from .layout import skip_reason
from .pipeline import ObjectGone, ObjectStore, Superseded, process


def ingest(
    refs: list[ObjectRef], store: ObjectStore, config: Config, logger: Logger, metrics: Metrics
) -> list[dict[str, Any]]:
    """One result per object: its status and report key, or why it was skipped."""
    results = []
    for ref in refs:
        where = {"bucket": ref.bucket, "key": ref.key}
        reason = skip_reason(ref.key, config)
        if reason:
            logger.info("skipped", extra={**where, "reason": reason})
            results.append({**where, "status": "skipped", "reason": reason})
            continue
        try:
            report = process(store, ref, config)
        except Superseded as exc:
            logger.info("superseded", extra={**where, "reason": str(exc)})
            results.append({**where, "status": "superseded", "reason": str(exc)})
            continue
        except ObjectGone as exc:
            # Deleted (or overwritten without versioning) since the event: a retry would fail the same way.
            logger.warning("object is gone", extra={**where, "error": str(exc)})
            results.append({**where, "status": "skipped", "reason": "object no longer exists"})
            continue
        rows = report["rows"]
        logger.info("ingested", extra={**where, "status": report["status"], "rows": rows, "reason": report["reason"]})
        metrics.add_metric(name=f"Files{report['status'].capitalize()}", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="RowsRead", unit=MetricUnit.Count, value=rows["read"])
        metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=rows["rejected"])
        results.append({**where, "status": report["status"], "report": report["outputs"]["report"]})
    return results
