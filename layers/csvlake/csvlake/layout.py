"""Which objects csvlake processes and where their outputs go."""

from __future__ import annotations

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


def base_name(key: str, config: Config) -> str:
    """`raw/<rel>` → `<rel>` without a trailing `.gz`, then without `.csv` (any case)."""
    rel = relative_name(key, config)
    if rel.lower().endswith(".gz"):
        rel = rel[:-3]
    if rel.lower().endswith(".csv"):
        rel = rel[:-4]
    return rel


@dataclass(frozen=True)
class OutputKeys:
    processed: str
    report: str
    rejected_rows: str
    quarantine: str

    @classmethod
    def for_key(cls, key: str, config: Config) -> OutputKeys:
        base = base_name(key, config)
        return cls(
            processed=f"{config.processed_prefix}{base}.{config.output_format}",
            report=f"{config.reports_prefix}{base}.json",
            rejected_rows=f"{config.quarantine_prefix}{base}.rejected.csv",
            quarantine=f"{config.quarantine_prefix}{relative_name(key, config)}",
        )
