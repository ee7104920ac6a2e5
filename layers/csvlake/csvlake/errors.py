"""What can go wrong with one file, as exceptions that every layer may import: no other imports here."""

from __future__ import annotations


class StoreError(Exception):
    """The object store failed (network, throttling, permissions): retrying the event may help."""


class Conflict(StoreError):
    """A conditional write found the object changed since it was checked: check again, or retry the event."""


class ObjectGone(StoreError):
    """The object named by the event no longer exists: there is nothing to retry."""


class Superseded(Exception):
    """The object was overwritten after the event, or a newer version's outputs are already written:
    the newer version's own event processes it (docs/adr/0019-newest-version-wins.md)."""


class OutOfTime(Exception):
    """The invocation ends, or would, before the file does: a retry would run out the same way, so the
    file is rejected. The message, if any, is the reason; none: the deadline passed during the work."""


class Rejected(ValueError):
    """The whole file is rejected; the message is the reason given in the report."""


class StreamError(ValueError):
    """The bytes cannot be read as the format they claim to be."""


class ReadError(ValueError):
    """The file cannot be read as CSV at all."""
