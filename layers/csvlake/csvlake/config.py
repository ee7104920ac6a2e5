"""Runtime configuration, read once from environment variables into one typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

OUTPUT_FORMATS = ("csv", "parquet")


class ConfigError(ValueError):
    """A configuration value is invalid."""


def _prefix(value: str, name: str) -> str:
    value = value.strip().lstrip("/")
    if not value:
        raise ConfigError(f"{name} must not be empty")
    return value if value.endswith("/") else value + "/"


def _positive(env: Mapping[str, str], name: str, default: float, kind: type = int) -> float:
    text = env.get(name, "").strip()
    try:
        value = kind(text) if text else default
    except ValueError:
        raise ConfigError(f"{name} must be a positive {kind.__name__}, got {text!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a positive {kind.__name__}, got {text!r}")
    return value


@dataclass(frozen=True)
class Config:
    raw_prefix: str = "raw/"
    processed_prefix: str = "processed/"
    reports_prefix: str = "reports/"
    quarantine_prefix: str = "quarantine/"
    # Where each dataset's contract lives, in the bucket of its raw files: <prefix><dataset>.yaml.
    contracts_prefix: str = "contracts/"
    output_format: str = "csv"
    output_bucket: str = ""
    # EventBridge bus that receives a `File Processed/Partial/Rejected` event per file; empty: none.
    event_bus_name: str = ""
    # Bytes handed to the parser at a time, more for files of 120 columns or more (pipeline.block_size):
    # bounds memory per chunk, not per file. 5 MiB: a third less working memory than 8 MiB at the same speed
    # on a 10-column file (docs/adr/0014).
    block_size: int = 5 * 1024 * 1024
    # Bytes of local disk pass 1 may fill with parsed chunks so that pass 2 need not parse the object
    # again; None: the free space of the temporary directory, 0: no spill (ADR 0008).
    spill_bytes: int | None = None
    # What a gzip may expand to: a bomb is bounded by what it costs (time, bounded by the deadline too),
    # not refused by its ratio, since real files of repeated rows compress over 500:1. 32 GiB: the
    # most one invocation reads at the fastest rate measured (below × 900 s ≈ 32 GB).
    max_decompressed_bytes: int = 32 * 1024**3
    # The fastest end-to-end rate measured, MB/s: the 2 GB file on 2 cores, 2,082 MB in 57.10 s
    # (docs/benchmarks.md, fifth round). A file whose size at this rate outlasts the time left is
    # rejected before any work; a slower one is stopped by the deadline, checked per chunk.
    throughput_mb_s: float = 36.5

    def __post_init__(self) -> None:
        if self.output_format not in OUTPUT_FORMATS:
            raise ConfigError(f"OUTPUT_FORMAT must be one of {', '.join(OUTPUT_FORMATS)}, got {self.output_format!r}")
        prefixes = [
            self.raw_prefix,
            self.processed_prefix,
            self.reports_prefix,
            self.quarantine_prefix,
            self.contracts_prefix,
        ]
        for i, a in enumerate(prefixes):
            for j, b in enumerate(prefixes):
                if i != j and a.startswith(b):
                    raise ConfigError(f"prefixes must not nest: {a!r} is inside {b!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Config:
        return cls(
            raw_prefix=_prefix(env.get("RAW_PREFIX", "raw/"), "RAW_PREFIX"),
            processed_prefix=_prefix(env.get("PROCESSED_PREFIX", "processed/"), "PROCESSED_PREFIX"),
            reports_prefix=_prefix(env.get("REPORTS_PREFIX", "reports/"), "REPORTS_PREFIX"),
            quarantine_prefix=_prefix(env.get("QUARANTINE_PREFIX", "quarantine/"), "QUARANTINE_PREFIX"),
            contracts_prefix=_prefix(env.get("CONTRACTS_PREFIX", "contracts/"), "CONTRACTS_PREFIX"),
            output_format=env.get("OUTPUT_FORMAT", "csv").strip().lower() or "csv",
            output_bucket=env.get("OUTPUT_BUCKET", "").strip(),
            event_bus_name=env.get("EVENT_BUS_NAME", "").strip(),
            max_decompressed_bytes=_positive(env, "MAX_DECOMPRESSED_BYTES", cls.max_decompressed_bytes),
            throughput_mb_s=_positive(env, "THROUGHPUT_MB_S", cls.throughput_mb_s, float),
        )
