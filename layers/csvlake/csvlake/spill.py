"""Parsed chunks kept on local disk between the two passes, so the object is parsed only once.

Pass 1 writes every chunk it parsed (its columns dictionary-encoded, as pass 2 needs them) to an
Arrow IPC stream in an anonymous temporary file; pass 2 reads them back instead of downloading,
decoding and parsing the object again. When the disk cannot hold the chunks (a budget taken from
the free space, or a write error), the spill is dropped and pass 2 reads the object as before
(docs/adr/0008-parse-once-spill-to-tmp.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator

import pyarrow as pa

from .reader import Chunk

log = logging.getLogger(__name__)
# Free space left to others on the spill's file system (Lambda's /tmp is shared by the container).
RESERVE_BYTES = 64 * 1024**2
_META = b"chunk"


class Spill:
    """Chunks written once and read back once, in order. `complete` says whether all of them are there."""

    def __init__(self, ncols: int, directory: str | None = None, budget: int | None = None) -> None:
        self.schema = pa.schema([pa.field(str(i), pa.dictionary(pa.int32(), pa.string())) for i in range(ncols)])
        self.budget = budget
        self._file: pa.NativeFile | None = None
        self._source: pa.NativeFile | None = None
        self._path: str | None = None  # while the file still has a name (Windows, until close())
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None
        self.complete = False
        if budget == 0:
            return  # no spill wanted (Config.spill_bytes=0): pass 2 reads the object again
        try:
            if self.budget is None:
                free = shutil.disk_usage(directory or tempfile.gettempdir()).free
                self.budget = max(0, free - RESERVE_BYTES)
            # Arrow's own files, which write and read without holding the GIL. Both ends are opened,
            # then the name unlinked: the space is freed when they close, even if the process dies.
            fd, self._path = tempfile.mkstemp(dir=directory, prefix="csvlake-spill-")
            os.close(fd)
            self._file = pa.OSFile(self._path, "wb")
            self._source = pa.OSFile(self._path, "rb")
            with contextlib.suppress(OSError):  # Windows keeps the name of an open file: close() removes it
                os.unlink(self._path)
                self._path = None
            self._writer = pa.ipc.new_stream(self._file, self.schema)
        except OSError as exc:
            self._drop(f"no spill file: {exc}")

    @property
    def active(self) -> bool:
        return self._writer is not None

    def add(self, chunk: Chunk, extra: object = None) -> None:
        """Keep a chunk whose columns are dictionary-encoded, and `extra` (anything picklable) with
        it; past the budget, give up the spill."""
        if self._writer is None:
            return
        rest = (dataclasses.replace(chunk, columns=[]), extra)
        try:
            batch = pa.record_batch(chunk.columns, schema=self.schema)
            self._writer.write_batch(batch, custom_metadata={_META: pickle.dumps(rest, pickle.HIGHEST_PROTOCOL)})
        except OSError as exc:  # ENOSPC and the like: pass 2 reads the object again instead
            self._drop(f"spill write failed: {exc}")
            return
        if self._file.tell() > self.budget:
            self._drop(f"spill exceeds its budget of {self.budget} bytes")

    def finish(self) -> None:
        """All chunks are written: from now on, `chunks()` may replace a second read of the object."""
        if self._writer is None:
            return
        try:
            self._writer.close()
            self._file.flush()
        except OSError as exc:
            self._drop(f"spill write failed: {exc}")
            return
        self._writer = None
        self.complete = True

    def chunks(self) -> Iterator[tuple[Chunk, object]]:
        """The chunks in the order they were added, each column a DictionaryArray, with their extra."""
        assert self.complete and self._source is not None
        # Read, not memory-mapped: mapped pages would count towards the process's RSS as they are touched.
        reader = pa.ipc.open_stream(self._source)
        while True:
            try:
                batch, meta = reader.read_next_batch_with_custom_metadata()
            except StopIteration:
                return
            rest, extra = pickle.loads(meta[_META])
            yield dataclasses.replace(rest, columns=batch.columns), extra

    def close(self) -> None:
        self._writer = None
        for end in (self._file, self._source):
            if end is not None:
                end.close()
        self._file = self._source = None
        if self._path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            self._path = None

    def _drop(self, why: str) -> None:
        log.warning("%s; pass 2 will read the object again", why)
        self.close()
        self.complete = False

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
