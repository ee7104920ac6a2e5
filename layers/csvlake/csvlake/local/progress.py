"""The progress bar `csvlake process` draws on a terminal while it reads a file."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import Any, BinaryIO, TextIO


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


class _Counting:
    """A binary stream that reports how many bytes were read from it."""

    def __init__(self, stream: BinaryIO, count: Callable[[int], None]) -> None:
        self._stream = stream
        self._count = count

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._count(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class Progress:
    """`name  pass 1/2: types  [######------]  50%  1.2 MB / 2.4 MB` on one line of a terminal.

    The pipeline reads each file twice (types, then writing); the bar shows the bytes read of the
    source, as stored (compressed for .gz). It stays silent when the stream is not a terminal, and
    for files read faster than `delay` seconds, and erases itself when the file is done.
    """

    bar_width = 24

    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        delay: float = 0.5,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self.delay, self.interval, self.clock = delay, interval, clock
        self.name = ""
        self.size = self.done = self.drawn = 0
        self.writing = False
        self.started = self.last = 0.0

    def start(self, name: str) -> None:
        self.name, self.started, self.last = name, self.clock(), 0.0

    def track(self, stream: BinaryIO, size: int | None) -> BinaryIO:
        """A new read of the source: pass 1 (or pass 1 again, after a late switch to cp1252), or
        pass 2 once the processed copy's writer opens during it."""
        self.size, self.done, self.writing = size or 0, 0, False
        return _Counting(stream, self.advance)  # type: ignore[return-value]

    def writer_opened(self) -> None:
        self.writing = True
        if self.drawn:  # pass 2 reads its sample before opening the processed copy: relabel now
            self.draw()

    def advance(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started >= self.delay and now - self.last >= self.interval:
            self.last = now
            self.draw()

    def line(self) -> str:
        label = "pass 2/2: writing" if self.writing else "pass 1/2: types"
        fraction = min(self.done / self.size, 1.0) if self.size else 1.0
        filled = round(fraction * self.bar_width)
        bar = "#" * filled + "-" * (self.bar_width - filled)
        text = f"{label}  [{bar}] {fraction:4.0%}  {_size(self.done)} / {_size(self.size)}"
        room = shutil.get_terminal_size().columns - len(text) - 3
        name = self.name if len(self.name) <= room else ("…" + self.name[-(room - 1) :] if room > 1 else "")
        return f"{name}  {text}" if name else text

    def draw(self) -> None:
        line = self.line()
        self.stream.write("\r" + line.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(line)

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0
