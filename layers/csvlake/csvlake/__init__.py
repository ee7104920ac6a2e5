"""csvlake: turn raw CSV objects into typed, validated, summarised outputs."""
