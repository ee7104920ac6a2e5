"""csvlake: turn raw CSV objects into typed, validated, summarised outputs."""

from . import memory  # noqa: F401  (first: it sets the allocators' environment before pyarrow loads)
