"""What a file shares with the other files of its dataset: the contract, and the last schema (drift)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import drift, types
from .config import Config
from .contract import Contract, ContractError, parse
from .errors import Conflict
from .first_pass import Inspection
from .layout import contract_key, schema_key
from .ports import Expect, ObjectRef, ObjectStore

# Files of one dataset that land at once each re-read the last schema and try again, up to this often.
SCHEMA_ATTEMPTS = 8

# A warm function keeps each contract it read with its ETag, and reads it again only if it changed.
_CONTRACTS: dict[tuple[str, str], tuple[str, Contract | ContractError]] = {}


def contract(store: ObjectStore, ref: ObjectRef, config: Config) -> Contract | None:
    """The contract of the file's dataset, or None. Raises ContractError if it is invalid."""
    key = contract_key(ref.key, config)
    if key is None:
        return None
    cached = _CONTRACTS.get((ref.bucket, key))
    stored = store.get(ref.bucket, key, cached[0] if cached else None)
    if stored is None:
        _CONTRACTS.pop((ref.bucket, key), None)
        return None
    data, etag = stored
    if data is not None:  # None: unchanged since it was cached
        try:
            result: Contract | ContractError = parse(data, key, etag)
        except ContractError as exc:
            result = exc
        cached = _CONTRACTS[(ref.bucket, key)] = (etag, result)
    if isinstance(cached[1], ContractError):
        raise cached[1]
    return cached[1]


@dataclass(frozen=True)
class Drift:
    """The file's schema against its dataset's last one: the report's `drift`, what drifted, whether
    the contract rejects the file for it, and `remember`, which records this schema once the file is
    written."""

    report: dict | None
    message: str | None
    rejection: str | None
    remember: Callable[[], None]


def schema_drift(
    store: ObjectStore, bucket: str, ref: ObjectRef, config: Config, contract: Contract | None, inspection: Inspection
) -> Drift:
    """Compare the file's schema with the last one of its dataset."""
    key = schema_key(ref.key, config)
    if key is None:
        return Drift(None, None, None, lambda: None)
    stored = store.get(bucket, key)
    previous = drift.baseline(stored[0] if stored else None, ref)
    # Each column's type as pass 2 will see it: the contract's, else the inferred one.
    specs = [contract.field(name) if contract else None for name in inspection.source_names]
    kinds = [
        spec.type if spec and spec.type else types.kind(evidence.result())
        for spec, evidence in zip(specs, inspection.evidence)
    ]
    schema = drift.schema_of(inspection.source_names, kinds)
    compared = drift.compare(previous, schema)
    message = rejection = None
    if drift.drifted(compared):
        message = drift.describe(compared)
        if contract is not None and contract.on_drift == "reject":
            rejection = f"contract: {message} (on_drift: reject, {contract.where('on_drift')})"

    def remember() -> None:
        """This file's schema recorded as the dataset's last, by compare-and-swap on the ETag read: a
        file of the dataset that landed since is re-read and becomes this one's predecessor, no update lost."""
        latest, etag = stored if stored else (None, None)
        for attempt in range(SCHEMA_ATTEMPTS):
            state = drift.state(ref, schema, drift.baseline(latest, ref) if attempt else previous)
            try:
                return store.put(bucket, key, state, "application/json", expect=Expect(etag))
            except Conflict:
                if attempt == SCHEMA_ATTEMPTS - 1:
                    raise
                again = store.get(bucket, key)
                latest, etag = again if again else (None, None)

    return Drift(compared, message, rejection, remember)
