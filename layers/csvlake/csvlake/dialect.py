"""Detect a file's encoding, delimiter, decimal mark and header from its first bytes."""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import Rejected
from .structure import Record, Structure, consistency, detect_structure, typed, value_kind
from .types import number_pattern

SAMPLE_BYTES = 256 * 1024
SAMPLE_ROWS = 500
# Records scored per candidate dialect: enough to tell a table from a preamble, cheap for 20 candidates.
SCORED_LINES = 200
# On a tie, the first wins: `,` and the space come last, as the likeliest to appear inside values.
DELIMITERS = (";", "\t", "|", ",", " ")
QUOTES = ('"', "'")
# A one-column file's delimiter, in order of preference: one that splits no record (_alone).
ONE_COLUMN = (",", ";", "\t", "|")
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
QUOTED = re.compile(r'"[^"]*"')
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
COMMA_DECIMAL = re.compile(number_pattern(","))
THOUSANDS_ONLY = re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+$")
DOT_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")
PUNCTUATION = re.compile(r"[,;] ")


# The report's `dialect`, in this order (schemas/report.schema.json).
REPORTED = (
    "encoding",
    "delimiter",
    "decimal",
    "thousands",
    "quotechar",
    "escapechar",
    "skipinitialspace",
    "null_values",
    "header",
    "line_ending",
)


@dataclass(frozen=True)
class Dialect:
    encoding: str
    delimiter: str
    decimal: str
    header: bool
    line_ending: str
    quotechar: str = '"'
    escapechar: str | None = None
    # `, `: the blanks after a delimiter are not part of the next field.
    skipinitialspace: bool = False
    # Texts read as null besides the usual tokens (types.NULL_TOKENS): a contract's `null_values`.
    null_values: tuple[str, ...] = ()
    # A choice made without evidence in the sample, for the report's warnings.
    assumption: str | None = None

    @property
    def thousands(self) -> str | None:
        return "." if self.decimal == "," else None

    def as_report(self) -> dict:
        report = {name: getattr(self, name) for name in REPORTED}
        return {**report, "null_values": list(self.null_values)}


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
    # Line ends inside quoted fields are data: a CR file's quoted texts may hold LFs.
    text = QUOTED.sub("", text)
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if cr > lf + crlf:
        return "CR"
    return "CRLF" if crlf > lf else "LF"


@dataclass(frozen=True)
class Quoting:
    """How fields are separated and quoted: one candidate of detection."""

    delimiter: str
    quotechar: str = '"'
    escapechar: str | None = None
    skipinitialspace: bool = False


def records(lines: list[str], quoting: Quoting, limit: int = SAMPLE_ROWS) -> list[Record]:
    """The first `limit` records of `lines` (blank ones too), with the physical lines each spans."""
    reader = _reader(lines, quoting)
    found: list[Record] = []
    start = base = 0  # base: the lines before the reader's first, when it restarted after a stray quote
    while len(found) < limit:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error:
            # A CR inside an unquoted field, say: the line counts as one odd field, and reading goes on.
            if base + reader.line_num == start:
                break  # a quote left open at the end of the sample
            fields = [lines[base + reader.line_num - 1].rstrip("\r\n")]
        end = base + reader.line_num
        alone = _stray_quote(lines[start:end], quoting) if end - start > 2 else None
        if alone is not None:
            # A quote that never closes: the line alone, its quote as text (as reader._stray_quote_split).
            found.append(Record(start + 1, start + 1, alone))
            start = base = start + 1
            reader = _reader(lines[base:], quoting)
            continue
        found.append(Record(start + 1, end, fields))
        start = end
    return found


def _reader(lines: list[str], how: Quoting, **plain):
    return csv.reader(
        iter(lines),
        delimiter=how.delimiter,
        quotechar=how.quotechar,
        escapechar=how.escapechar,
        doublequote=True,
        skipinitialspace=how.skipinitialspace,
        **plain,
    )


def _stray_quote(spanned: list[str], quoting: Quoting) -> list[str] | None:
    """The first line's fields with its quotes as text, when the record it opens spans lines that
    each, read so, have as many fields, two or more: a quote never closed, not a quoted line break."""
    try:
        widths = [next(_reader([line.rstrip("\r\n")], quoting, quoting=csv.QUOTE_NONE), []) for line in spanned[:20]]
    except csv.Error:  # a lone CR inside a line: not a line of a table
        return None
    first = widths[0]
    return first if len(first) > 1 and all(len(fields) == len(first) for fields in widths) else None


def _candidates(text: str, overrides: Mapping[str, Any]) -> list[tuple[Quoting, ...]]:
    """The dialects worth scoring, in order of preference: for each delimiter that occurs in the
    text and each quote, the escapes to choose from (_escaped)."""
    delimiters = (
        [overrides["delimiter"]] if "delimiter" in overrides else [d for d in DELIMITERS if d in text or d == ","]
    )
    return [_escapes(text, d, q, overrides) for d in delimiters or [","] for q in _quotes(text, d, overrides)]


def _quotes(text: str, delimiter: str, overrides: Mapping[str, Any]) -> list[str]:
    """`"` when it occurs; `'` only with evidence that it quotes under `delimiter` (_quotes_fields):
    an apostrophe opening a text (`'s-Hertogenbosch`) would swallow the lines after it."""
    if "quotechar" in overrides:
        return [overrides["quotechar"]]
    found = ['"'] if '"' in text else []
    return found + (["'"] if _quotes_fields(text, delimiter, "'") else []) or ['"']


def _quotes_fields(text: str, delimiter: str, quotechar: str) -> bool:
    """Whether `quotechar` both opens and closes whole fields: more than once, or once around a
    field that needs it (one holding the delimiter or a line end)."""
    d, q = re.escape(delimiter), re.escape(quotechar)
    fields = re.findall(rf"(?:^|(?<=[{d}\r\n])) *{q}(?:[^{q}]|{q}{q})*{q}(?= *(?:[{d}\r\n]|$))", text)
    return len(fields) > 1 or any(c in field for field in fields for c in (delimiter, "\r", "\n"))


def _escapes(text: str, delimiter: str, quotechar: str, overrides: Mapping[str, Any]) -> tuple[Quoting, ...]:
    # A backslash is a candidate escape only where it stands before the quote (`C:\dados` keeps its own).
    if "escapechar" in overrides:
        escapes = [overrides["escapechar"]]
    else:
        escapes = [None, "\\"] if f"\\{quotechar}" in text else [None]
    return tuple(Quoting(delimiter, quotechar, e) for e in escapes)


def _malformed(lines: list[str], quoting: Quoting) -> int:
    """Quoted fields the csv module in strict mode refuses under `quoting`: a closing quote followed by
    something else than a delimiter or a line end, or a quote left open at the end."""
    reader = csv.reader(
        iter(lines),
        delimiter=quoting.delimiter,
        quotechar=quoting.quotechar,
        escapechar=quoting.escapechar,
        doublequote=True,
        strict=True,
    )
    errors = 0
    while True:
        at = reader.line_num
        try:
            next(reader)
        except StopIteration:
            return errors
        except csv.Error:
            errors += 1
            if reader.line_num == at:
                return errors


def _escaped(lines: list[str], options: tuple[Quoting, ...]) -> Quoting:
    """Doubled quotes, unless a backslash before quotes reads the file with fewer malformed quoted
    fields: a backslash before a quote is evidence of an escape only where doubling cannot read it
    (`"a \\"b\\" c"`); a text holding one, written by a csv module that doubles quotes, reads right
    only doubled."""
    if len(options) == 1:
        return options[0]
    return min(options, key=lambda option: _malformed(lines, option))


def _best(lines: list[str], text: str, candidates: list[tuple[Quoting, ...]]) -> Quoting:
    """The candidate under which the records look most like a table (structure.consistency); on a
    tie, the quote that opens more fields, then the first candidate."""
    best: tuple[tuple[float, int], Quoting] | None = None
    for options in candidates:
        candidate = _escaped(lines, options)
        scored = records(lines, candidate)
        score = consistency(scored) if candidate.delimiter != " " or _even(scored) else 0.0
        if best is None or (round(score, 9), _opened(text, candidate)) > best[0]:
            best = ((round(score, 9), _opened(text, candidate)), candidate)
    assert best is not None
    return best[1]


def _opened(text: str, quoting: Quoting) -> int:
    """How many fields the quote opens: one that stands at the start of fields quotes them; one
    inside texts is only text."""
    return text.count(quoting.delimiter + quoting.quotechar) + text.count("\n" + quoting.quotechar)


def _quoting(lines: list[str], overrides: Mapping[str, Any]) -> tuple[Quoting, list[Record]]:
    """The best dialect (_best), or one column (_one_column); a `,` followed by a space in nearly
    every field is `, `."""
    head = lines[:SCORED_LINES]
    text = "".join(head)
    quoting = _best(head, text, _candidates(text, overrides))
    found = records(lines, quoting)
    if quoting.delimiter == ",":
        later = [f for r in found for f in r.fields[1:] if f]
        if later and sum(f.startswith(" ") for f in later) >= 0.9 * len(later):
            quoting = Quoting(",", quoting.quotechar, quoting.escapechar, skipinitialspace=True)
            found = records(lines, quoting)
    if "delimiter" not in overrides and (needed := _one_column(found, lines)) is not None:
        alone = _alone(lines, overrides)
        if alone is not None and _known(alone[1][1:SCORED_LINES]) >= needed:
            return alone
    return quoting, found


def _one_column(split: list[Record], lines: list[str]) -> float | None:
    """Whether the file may be one column whose texts hold the delimiter of the best split (`split`):
    the share of cells of a known kind (_known) the one-column reading must reach to replace it, or
    None when the split stands. Any share when most records are one field under the split (it would
    reject the records it splits); as high as the split's when its first record, one field that no
    type takes, can only be a title above headerless rows for the split, and the header of one
    column (`Valor` above `1.234,56`, `7,5`; `Endereço` above `Rua A, 10`)."""
    content = [r for r in split if not r.blank]
    if not content or all(len(r.fields) == 1 for r in content):
        return None
    widths = Counter(len(r.fields) for r in content)
    # The data's width as structure.detect_structure decides it: the most common, on a tie one of several fields.
    width = max(widths, key=lambda w: (widths[w], w > 1))
    if width == 1:
        # Unless a table stands among the one-field lines (a quoted preamble and footer around it).
        return None if _table_run(content) else 0.0
    first = split[0]
    # A cheap look first: a title above a table has more lines or a blank one after it.
    if len(first.fields) != 1 or first.blank or typed(first.fields[0]) or len(split) < 2:
        return None
    if split[1].blank or len(split[1].fields) != width:
        return None
    structure = detect_structure(split[:SCORED_LINES], lines)
    if structure.header_rows or [s.line for s in structure.skipped] != list(range(first.first, first.last + 1)):
        return None
    return _known(content[1:SCORED_LINES])


def _table_run(content: list[Record], run: int = 3) -> bool:
    """Whether `run` consecutive records have one width of several fields: a table, not texts that
    now and then hold the delimiter."""
    widths = [len(r.fields) for r in content]
    return any(w > 1 and widths[i : i + run] == [w] * run for i, w in enumerate(widths[: len(widths) - run + 1]))


def _alone(lines: list[str], overrides: Mapping[str, Any]) -> tuple[Quoting, list[Record]] | None:
    """The file read as one column: the first delimiter that splits no record of the sample under
    some quote (one that occurs only inside quotes will do), with the quote that opens more fields
    among those; None if every delimiter splits a record."""
    head = lines[:SCORED_LINES]
    text = "".join(head)
    for delimiter in ONE_COLUMN:
        readings = []
        for quotechar in _quotes(text, delimiter, overrides):
            quoting = _escaped(head, _escapes(text, delimiter, quotechar, overrides))
            found = records(lines, quoting)
            if all(len(r.fields) == 1 for r in found):
                readings.append((_opened(text, quoting), quoting, found))
        if readings:
            _, quoting, found = max(readings, key=lambda reading: reading[0])
            return quoting, found
    return None


def _known(found: list[Record]) -> float:
    """The share of cells of a known kind (structure.value_kind), a comma or a semicolon followed by a
    space read as a text's punctuation (`Rua A, 10`)."""
    cells = [PUNCTUATION.sub(" ", value) for r in found if not r.blank for value in r.fields]
    return sum(value_kind(value) != "other" for value in cells) / max(len(cells), 1)


def _even(found: list[Record]) -> bool:
    """Whether nearly all records, the first among them, have one width of several fields: a space
    separates fields only in such a file, as prose and dates with times hold spaces too."""
    rows = [r.fields for r in found if not r.blank]
    widths = Counter(len(row) for row in rows)
    width, count = widths.most_common(1)[0] if widths else (0, 0)
    return width > 1 and len(rows[0]) == width and count >= 0.9 * len(rows)


def _decimal(rows: list[list[str]], delimiter: str) -> str:
    # A comma is a decimal mark in a `,`-separated file only where it cannot separate: one column.
    if delimiter == "," and any(len(row) > 1 for row in rows):
        return "."
    comma = dot = 0
    for row in rows:
        for value in row:
            value = value.strip()
            if "," in value and COMMA_DECIMAL.match(value):
                comma += 1
            elif DOT_DECIMAL.match(value) and not THOUSANDS_ONLY.match(value):
                dot += 1
    if comma > dot:
        return ","
    # `;` is the list separator of decimal-comma locales: there, 1.234 is one thousand two hundred thirty-four.
    return "," if delimiter == ";" and dot == 0 and any(len(row) > 1 for row in rows) else "."


def _thousands_assumed(rows: list[list[str]], delimiter: str, decimal: str) -> str | None:
    """A warning when `1.500`-like values will be read as thousands with no decimal comma seen."""
    if delimiter != ";" or decimal != ",":
        return None
    values = [v.strip() for row in rows for v in row]
    if any("," in v and COMMA_DECIMAL.match(v) for v in values) or not any(THOUSANDS_ONLY.match(v) for v in values):
        return None
    return (
        "no number with a decimal comma in the first rows: values like 1.500 are read with '.' "
        "grouping thousands (1500), as in the locales that separate fields with ';'"
    )


def detect(
    sample: bytes, complete: bool, overrides: Mapping[str, Any] = MappingProxyType({})
) -> tuple[Dialect, Structure]:
    """The dialect and where the table is in the file (its header's names, or generated ones).

    `complete` says the sample is the whole file; `overrides` (what a contract's `dialect` states:
    encoding, delimiter, decimal, quotechar, escapechar, header, header_rows, skip_rows, footer_rows, null_values) replace
    detection. Raises Rejected for files that cannot be CSV.
    """
    if not sample:
        raise Rejected("empty file (0 bytes)")
    encoding = overrides.get("encoding") or detect_encoding(sample, complete)
    text = sample.decode(encoding, errors="replace")
    if not complete:
        # The last line of a sample is usually cut short.
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
    text = text.removeprefix("\ufeff")
    controls = len(CONTROL.findall(text))
    if controls > _tolerated(len(text)):
        raise Rejected(f"not a text file: {controls} control characters in the first {len(text)} characters")
    line_ending = _line_ending(text)
    # Physical lines as the reader counts them: ended by LF, or by CR in a file of CR line ends.
    if line_ending == "CR":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if not any(line.strip() for line in lines):
        raise Rejected("no usable header: the file holds only blank lines")
    quoting, found = _quoting(lines, overrides)
    header = overrides.get("header")
    structure = detect_structure(
        found,
        lines,
        header=header,
        header_rows=overrides.get("header_rows"),
        skip_lines=overrides.get("skip_rows"),
        footer_rows=overrides.get("footer_rows"),
    )
    if not structure.names:
        raise Rejected("no usable header: no record could be read in the first lines")
    if structure.header_rows and not any(name.strip() for name in structure.names):
        raise Rejected("no usable header: the first row has no names")
    end = structure.end_line or len(lines) + 1
    data = [r.fields for r in found if structure.data_line <= r.first < end and not r.blank]
    decimal = overrides.get("decimal") or _decimal(data, quoting.delimiter)
    assumption = None if "decimal" in overrides else _thousands_assumed(data, quoting.delimiter, decimal)
    dialect = Dialect(
        encoding,
        quoting.delimiter,
        decimal,
        structure.header_rows > 0,
        line_ending,
        quotechar=quoting.quotechar,
        escapechar=quoting.escapechar,
        skipinitialspace=quoting.skipinitialspace,
        null_values=tuple(overrides.get("null_values", ())),
        assumption=assumption,
    )
    return dialect, structure
