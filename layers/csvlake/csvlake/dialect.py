"""Detect a file's encoding, delimiter, decimal mark and header from its first bytes."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import Rejected
from .types import BOOLEAN_PATTERN, formats, number_pattern

SAMPLE_BYTES = 256 * 1024
SAMPLE_ROWS = 500
# On a tie, the first wins: `,` comes last because it is the likeliest to appear inside values.
DELIMITERS = (";", "\t", "|", ",")
# Signatures of files that are often renamed or exported to `.csv` by mistake.
SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook is one): export the sheet as CSV",
    b"\xd0\xcf\x11\xe0": "an OLE2 document (a legacy .xls workbook): export the sheet as CSV",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"PAR1": "a Parquet file",
    b"\x1f\x8b": "gzip data inside gzip data",
}
INVALID_UTF8 = re.compile("[\udc80-\udcff]")
NON_ASCII = re.compile("[^\x00-\x7f]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
COMMA_DECIMAL = re.compile(number_pattern(","))
THOUSANDS_ONLY = re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+$")
DOT_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")


@dataclass(frozen=True)
class Dialect:
    encoding: str
    delimiter: str
    decimal: str
    header: bool
    line_ending: str
    quotechar: str = '"'
    # A choice made without evidence in the sample, for the report's warnings.
    assumption: str | None = None

    @property
    def thousands(self) -> str | None:
        return "." if self.decimal == "," else None

    def as_report(self) -> dict:
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "decimal": self.decimal,
            "thousands": self.thousands,
            "quotechar": self.quotechar,
            "header": self.header,
            "line_ending": self.line_ending,
        }


def _tolerated(size: int) -> int:
    """Stray control characters a text file may hold (each costs its row, not the file)."""
    return max(8, size // 100)


def detect_encoding(sample: bytes, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for magic, what in SIGNATURES.items():
        if sample.startswith(magic):
            raise Rejected(f"not a text file: it is {what}")
    nuls = sample.count(0)
    # Every other byte NUL: UTF-16 without its BOM, which cannot be told from binary reliably.
    if nuls > _tolerated(len(sample)) or 4 * nuls >= len(sample):
        raise Rejected(f"not a text file: {nuls} NUL bytes in the first {len(sample)} bytes")
    evidence = Utf8Evidence()
    evidence.add(sample, final=complete)
    # A UTF-8 file with a stray invalid byte is still UTF-8 (its rows with bad bytes get rejected);
    # cp1252 text, read as UTF-8, yields almost only invalid bytes.
    if evidence.invalid == 0 or evidence.valid > evidence.invalid:
        return "utf-8"
    # cp1252 is latin-1 plus printable characters in 0x80-0x9f; the five bytes it leaves undefined
    # are read as latin-1 (streams.to_utf8), so no byte is lost either way.
    return "cp1252"


class Utf8Evidence:
    """Counts multibyte characters that decode as UTF-8 and bytes that do not, across pieces."""

    def __init__(self) -> None:
        self.valid = 0
        self.invalid = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")

    def add(self, piece: bytes, final: bool = False) -> None:
        if piece.isascii() and not final:
            return
        text = self._decoder.decode(piece, final=final)
        invalid = len(INVALID_UTF8.findall(text))
        self.invalid += invalid
        self.valid += len(NON_ASCII.findall(text)) - invalid

    def watch(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            self.add(piece)
            yield piece

    @property
    def legacy(self) -> bool:
        """Bytes that are not UTF-8 and no character that is: an 8-bit encoding such as cp1252."""
        return self.invalid > 0 and self.valid == 0


def _line_ending(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if cr > lf + crlf:
        return "CR"
    return "CRLF" if crlf > lf else "LF"


def _rows(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    rows = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= SAMPLE_ROWS:
                break
    except csv.Error:
        pass
    return rows


def _delimiter(text: str) -> tuple[str, list[list[str]]]:
    best = None
    for delimiter in DELIMITERS:
        rows = _rows(text, delimiter)
        width = len(rows[0]) if rows else 0
        consistency = sum(len(r) == width for r in rows) / len(rows) if rows else 0
        score = (width > 1, round(consistency, 2), width)
        if best is None or score > best[0]:
            best = (score, delimiter, rows)
    assert best is not None
    if not best[0][0]:
        return ",", _rows(text, ",")  # one column: no delimiter to go by, so the standard one
    return best[1], best[2]


def _decimal(rows: list[list[str]], delimiter: str) -> str:
    if delimiter == ",":
        return "."
    comma = dot = 0
    for row in rows[1:]:
        for value in row:
            value = value.strip()
            if "," in value and COMMA_DECIMAL.match(value):
                comma += 1
            elif DOT_DECIMAL.match(value) and not THOUSANDS_ONLY.match(value):
                dot += 1
    if comma > dot:
        return ","
    # `;` is the list separator of decimal-comma locales: there, 1.234 is one thousand two hundred thirty-four.
    return "," if delimiter == ";" and dot == 0 else "."


def _thousands_assumed(rows: list[list[str]], delimiter: str, decimal: str) -> str | None:
    """A warning when `1.500`-like values will be read as thousands with no decimal comma seen."""
    if delimiter != ";" or decimal != ",":
        return None
    values = [v.strip() for row in rows[1:] for v in row]
    if any("," in v and COMMA_DECIMAL.match(v) for v in values) or not any(THOUSANDS_ONLY.match(v) for v in values):
        return None
    return (
        "no number with a decimal comma in the first rows: values like 1.500 are read with '.' "
        "grouping thousands (1500), as in the locales that separate fields with ';'"
    )


def _typed(value: str, decimal: str) -> bool:
    value = value.strip()
    if re.match(BOOLEAN_PATTERN, value):
        return True
    return any(re.match(fmt.pattern, value) for fmt in formats(decimal))


def _has_header(rows: list[list[str]], decimal: str) -> bool:
    """Votes per column, as csv.Sniffer does: a column whose values are all typed (numbers, dates)
    votes for a header if its first value is not typed, against one if it is."""
    first, rest = rows[0], rows[1:]
    votes = 0
    for j, name in enumerate(first):
        values = [r[j] for r in rest if len(r) == len(first) and r[j].strip()]
        if not values or not all(_typed(v, decimal) for v in values):
            continue
        votes += -1 if _typed(name, decimal) else 1
    return votes >= 0


def detect(
    sample: bytes, complete: bool, overrides: Mapping[str, Any] = MappingProxyType({})
) -> tuple[Dialect, list[str]]:
    """The dialect and the header's names (or generated names when there is no header).

    `complete` says the sample is the whole file; `overrides` (encoding, delimiter, decimal,
    header: what a contract states) replace detection. Raises Rejected for files that cannot be CSV.
    """
    if not sample:
        raise Rejected("empty file (0 bytes)")
    encoding = overrides.get("encoding") or detect_encoding(sample, complete)
    text = sample.decode(encoding, errors="replace")
    if not complete:
        # The last line of a sample is usually cut short.
        text = text[: max(text.rfind("\n"), text.rfind("\r"))]
    text = text.removeprefix("\ufeff")
    controls = len(CONTROL.findall(text))
    if controls > _tolerated(len(text)):
        raise Rejected(f"not a text file: {controls} control characters in the first {len(text)} characters")
    line_ending = _line_ending(text)
    if line_ending == "CR":
        text = text.replace("\r", "\n")
    delimiter, rows = _delimiter(text) if "delimiter" not in overrides else (overrides["delimiter"], None)
    rows = rows if rows is not None else _rows(text, delimiter)
    if not rows:
        raise Rejected("no usable header: the file holds only blank lines")
    if not any(name.strip() for name in rows[0]):
        raise Rejected("no usable header: the first row has no names")
    decimal = overrides.get("decimal") or _decimal(rows, delimiter)
    header = overrides["header"] if "header" in overrides else _has_header(rows, decimal)
    names = rows[0] if header else [f"column_{i + 1}" for i in range(len(rows[0]))]
    assumption = None if "decimal" in overrides else _thousands_assumed(rows, delimiter, decimal)
    return Dialect(encoding, delimiter, decimal, header, line_ending, assumption=assumption), names
