"""Schema drift: how a file's columns differ from those of the last file processed in its dataset.

The last schema is kept as a small JSON object per dataset, with the schema before it, so that a
redelivered event compares its file with the same predecessor as the first delivery did.
"""

from __future__ import annotations

import json
from typing import Any

from .ports import ObjectRef


def schema_of(names: list[str], kinds: list[str]) -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in zip(names, kinds)]


def _source(ref: ObjectRef) -> dict[str, Any]:
    return {"key": ref.key, "etag": ref.etag, "version_id": ref.version_id}


def baseline(stored: bytes | None, ref: ObjectRef) -> dict[str, Any] | None:
    """The schema this file is compared with, from the dataset's stored `state`: the last file's, or
    the one before it if the last file is this very file (the same event delivered again)."""
    if stored is None:
        return None
    last = json.loads(stored)
    return last.get("previous") if last["source"] == _source(ref) else last


def compare(previous: dict[str, Any] | None, schema: list[dict[str, str]]) -> dict[str, Any]:
    """The report's `drift`: columns added, missing and retyped, and whether the order changed."""
    if previous is None:
        return {"previous": None, "added": [], "missing": [], "type_changes": [], "order_changed": False}
    before = {c["name"]: c["type"] for c in previous["schema"]}
    now = {c["name"]: c["type"] for c in schema}
    common_before = [c["name"] for c in previous["schema"] if c["name"] in now]
    common_now = [c["name"] for c in schema if c["name"] in before]
    return {
        "previous": previous["source"],
        "added": [name for name in now if name not in before],
        "missing": [name for name in before if name not in now],
        "type_changes": [
            {"column": name, "from": before[name], "to": kind}
            for name, kind in now.items()
            if name in before and before[name] != kind
        ],
        "order_changed": common_before != common_now,
    }


def drifted(drift: dict[str, Any]) -> bool:
    return bool(drift["added"] or drift["missing"] or drift["type_changes"] or drift["order_changed"])


def describe(drift: dict[str, Any]) -> str:
    parts = []
    if drift["added"]:
        parts.append(f"added {', '.join(drift['added'])}")
    if drift["missing"]:
        parts.append(f"missing {', '.join(drift['missing'])}")
    for change in drift["type_changes"]:
        parts.append(f"{change['column']} {change['from']} → {change['to']}")
    if drift["order_changed"]:
        parts.append("columns reordered")
    return f"schema drift since {drift['previous']['key']}: {'; '.join(parts)}"


def state(ref: ObjectRef, schema: list[dict[str, str]], previous: dict[str, Any] | None) -> bytes:
    """What the dataset keeps of this file: its source and schema, and the schema it was compared with."""
    before = {"source": previous["source"], "schema": previous["schema"]} if previous else None
    document = {"source": _source(ref), "schema": schema, "previous": before}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
