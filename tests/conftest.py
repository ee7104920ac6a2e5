"""Fixtures: a lake in a temporary directory; every report it produces is checked against the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from csvlake.config import Config
from support import LocalLake


@pytest.fixture
def lake(tmp_path: Path) -> LocalLake:
    return LocalLake(tmp_path, Config())


@pytest.fixture
def parquet_lake(tmp_path: Path) -> LocalLake:
    return LocalLake(tmp_path, Config(output_format="parquet"))


@pytest.fixture
def small_blocks_lake(tmp_path: Path) -> LocalLake:
    """Blocks of 64 bytes: every file crosses many block boundaries."""
    return LocalLake(tmp_path, Config(block_size=64))
