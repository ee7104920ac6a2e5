"""Imports as in the Lambda function, in this venv: what the venv has and the function would not is
refused, as if it were not installed.

The function has the standard library, the python3.13 runtime's AWS SDK (boto3 and what it needs),
the dependencies layer (layers/dependencies/requirements.txt, minus the pyarrow modules its Makefile
strips) and csvlake. The venv also has pandas, moto, aws-sam-cli and what they need, and some of it
is imported when present: pyarrow imports pandas, botocore awscrt, urllib3 pyOpenSSL (and with it
cryptography), pyarrow.fs its S3 file system. Each costs memory (pandas 38 MB, docs/adr/0012; the
others 17 MB together, docs/adr/0014) and time that the function on Lambda does not spend, so the
benchmarks run every pipeline with only what it would have there (`install`), and a test runs the
function that way (tests/unit/test_cli_process.py).
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

LAYER = Path(__file__).resolve().parent.parent / "layers/dependencies"
# The python3.13 runtime's AWS SDK for Python and its dependencies.
RUNTIME = ("boto3", "botocore", "s3transfer", "urllib3", "jmespath", "python-dateutil", "six")
# pyarrow extension modules that layers/dependencies/Makefile deletes from the layer.
STRIPPED = ("pyarrow._flight", "pyarrow._substrait", "pyarrow._s3fs", "pyarrow._pyarrow_cpp_tests")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def layer_distributions() -> set[str]:
    """The distributions pinned in the layer's requirements.txt."""
    pins = (LAYER / "requirements.txt").read_text().splitlines()
    return {_canonical(line.split("==")[0]) for line in pins if line.strip() and not line.startswith("#")}


class LayerImports:
    """An import finder that refuses a module when no allowed distribution provides its package."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = {_canonical(name) for name in allowed}
        self.providers = {
            top: {_canonical(d) for d in dists} for top, dists in metadata.packages_distributions().items()
        }

    def find_spec(self, name: str, path=None, target=None) -> None:
        providers = self.providers.get(name.partition(".")[0])  # None: the standard library or a source folder
        if name in STRIPPED or (providers and not providers & self.allowed):
            raise ModuleNotFoundError(f"No module named {name!r} (not in the Lambda function)", name=name)


def install(*extra: str) -> None:
    """From now on, import only what the function on Lambda could, plus the distributions `extra`
    and the ones they require (not their extras): e.g. install("pandas") for the naive pipeline."""
    allowed = layer_distributions() | set(RUNTIME) | {"csvlake"}
    for name in extra:
        required = (re.match(r"[A-Za-z0-9._-]+", r)[0] for r in metadata.requires(name) or [] if "extra ==" not in r)
        allowed |= {name, *required}
    sys.meta_path.insert(0, LayerImports(allowed))
