"""Which objects csvlake processes and where their outputs go."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .config import Config

SUFFIXES = (".csv", ".csv.gz")


def skip_reason(key: str, config: Config) -> str | None:
    """Why an object must not be processed, or None if it must.

    Only keys under the raw prefix with a CSV suffix (any case: Windows exports end in `.CSV`)
    qualify, so the function never processes its own outputs.
    """
    if not key.startswith(config.raw_prefix):
        return f"key is not under the raw prefix {config.raw_prefix!r}"
    if not key.lower().endswith(SUFFIXES):
        return "key does not end in .csv or .csv.gz"
    if not relative_name(key, config):
        return "key names no file"
    return None


def relative_name(key: str, config: Config) -> str:
    return key[len(config.raw_prefix) :]


def dataset_of(key: str, config: Config) -> str:
    """The dataset of `raw/<dataset>/.../<name>.csv` is its first folder; files directly under raw/ have none."""
    rel = relative_name(key, config)
    return rel.split("/", 1)[0] if key.startswith(config.raw_prefix) and "/" in rel else "_none"


def contract_key(key: str, config: Config) -> str | None:
    """The key of the contract of the file's dataset, in the bucket of the file (None: no dataset)."""
    dataset = dataset_of(key, config)
    return None if dataset == "_none" else _key(config.contracts_prefix, _safe(dataset), ".yaml")


def schema_key(key: str, config: Config) -> str | None:
    """Where the schema of the dataset's last processed file is kept, next to its reports. No
    report's key can be this one: theirs end in .json or .html."""
    dataset = dataset_of(key, config)
    return None if dataset == "_none" else _key(config.reports_prefix, _safe(dataset), "/_last_schema")


def base_name(key: str, config: Config) -> str:
    """`raw/<rel>` → `<rel>` without a trailing `.gz`, then without `.csv` (any case)."""
    rel = relative_name(key, config)
    if rel.lower().endswith(".gz"):
        rel = rel[:-3]
    if rel.lower().endswith(".csv"):
        rel = rel[:-4]
    return rel


MAX_KEY_BYTES = 1024  # S3's limit on a key, in UTF-8 bytes


def _safe(rel: str) -> str:
    """`.` and `..` segments escaped: S3 keeps them literally, but tools that treat keys as paths
    would resolve them outside the output prefix."""
    return "/".join("%2E" * len(part) if part in (".", "..") else part for part in rel.split("/"))


def _key(prefix: str, base: str, suffix: str) -> str:
    """prefix + base + suffix, the base shortened with a digest of itself if S3 would refuse the length."""
    key = f"{prefix}{base}{suffix}"
    if len(key.encode()) <= MAX_KEY_BYTES:
        return key
    digest = "~" + hashlib.sha256(base.encode()).hexdigest()[:16]
    room = MAX_KEY_BYTES - len(f"{prefix}{digest}{suffix}".encode())
    return f"{prefix}{base.encode()[:room].decode(errors='ignore')}{digest}{suffix}"


def _whole_file_suffix(key: str) -> str:
    # raw/x.rejected.csv, rejected whole, would land on the rejected rows of raw/x.csv.
    return ".original" if key.lower().endswith(".rejected.csv") else ""


@dataclass(frozen=True)
class OutputKeys:
    processed: str
    report: str
    report_html: str
    rejected_rows: str
    quarantine: str

    @classmethod
    def for_key(cls, key: str, config: Config) -> OutputKeys:
        base = _safe(base_name(key, config))
        return cls(
            processed=_key(config.processed_prefix, base, f".{config.output_format}"),
            report=_key(config.reports_prefix, base, ".json"),
            report_html=_key(config.reports_prefix, base, ".html"),
            rejected_rows=_key(config.quarantine_prefix, base, ".rejected.csv"),
            quarantine=_key(config.quarantine_prefix, _safe(relative_name(key, config)), _whole_file_suffix(key)),
        )
