"""docs/architecture.md's import rules, read from the source: the page stays true or this fails."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers/csvlake/csvlake"
AWS = {"boto3", "botocore", "aws_lambda_powertools", "s3transfer"}
# Modules that may talk to AWS or read its events; every other module of the package is the core.
EDGES = {"s3", "eventbridge", "events", "ingest"}
# What an adapter may import of csvlake: the port and the errors (and the S3 client's settings).
ADAPTER_IMPORTS = {"s3": {"errors", "ports"}, "eventbridge": {"errors", "ports", "s3"}}


def imports(path: Path) -> tuple[set[str], set[str]]:
    """The csvlake modules (`first_pass`, `local.fs`) and the outside packages a module imports."""
    tree = ast.parse(path.read_text())
    package = path.relative_to(PACKAGE).with_suffix("").parts[:-1]
    inside, outside = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                (inside.add(alias.name.removeprefix("csvlake.")) if top == "csvlake" else outside.add(top))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                top = node.module.split(".")[0]
                if top == "csvlake":
                    inside.add(node.module.removeprefix("csvlake."))
                else:
                    outside.add(top)
                continue
            base = list(package[: len(package) - node.level + 1])
            if node.module:
                inside.add(".".join([*base, node.module]))
            else:
                inside.update(".".join([*base, alias.name]) for alias in node.names)
    return inside, outside


def modules() -> dict[str, Path]:
    return {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    }


CORE = sorted(name for name in modules() if "." not in name and name not in EDGES)


@pytest.mark.parametrize("name", CORE)
def test_the_core_imports_nothing_of_aws(name):
    _, outside = imports(modules()[name])
    assert not outside & AWS, f"{name} imports {outside & AWS}"


@pytest.mark.parametrize("name", ["errors", "ports"])
def test_the_port_and_the_errors_import_no_other_module(name):
    inside, _ = imports(modules()[name])
    assert inside == set()


@pytest.mark.parametrize("name", sorted(ADAPTER_IMPORTS))
def test_adapters_import_only_the_port_and_the_errors(name):
    inside, _ = imports(modules()[name])
    assert inside <= ADAPTER_IMPORTS[name], inside - ADAPTER_IMPORTS[name]


@pytest.mark.parametrize("name", CORE)
def test_data_flow_one_way_no_stage_imports_the_service_function(name):
    inside, _ = imports(modules()[name])
    assert "pipeline" not in inside and not any(i.startswith("local") for i in inside)


def test_only_the_stages_that_work_on_columns_start_the_worker_threads():
    users = {name for name, path in modules().items() if "pool" in imports(path)[0]}
    assert users == {"chunks", "first_pass", "second_pass"}
