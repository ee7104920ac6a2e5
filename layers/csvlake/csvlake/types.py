"""Lossless type inference over all of a column's values, and conversion to typed Arrow arrays.

A column's type is the first of a fixed list of formats that every non-null value in the file
matches *and* converts without loss. Inference keeps, per column, the set of formats still alive;
the sets of successive chunks intersect, so the result does not depend on how the file was cut.
When the last formats die of a few values, they are kept as near misses, the evidence a report
gives of the type those values keep from the column.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrowtext import may_hold, plain_ascii, text_lengths, unsigned_integers
from .report import shown

NULL_TOKENS = pa.array(["", "na", "n/a", "null", "none", "nan", "#n/a", "nil"])
INT64_MAX = 2**63 - 1
# float64 keeps every decimal with up to 15 significant digits; longer texts are checked one by one.
FLOAT_SAFE_LENGTH = 16

_D = "[0-9]"
_TIME = rf"(?:[T ](?P<H>{_D}{{1,2}}):(?P<M>{_D}{{2}})(?::(?P<S>{_D}{{2}})(?:\.(?P<f>{_D}{{1,6}}))?)?)"
# ISO's 2015-01-31, and the year-first 2015/01/31 or 2015/1/31 of East Asian and other locales.
_YMD = rf"(?P<y>{_D}{{4}})[-/](?P<m>{_D}{{1,2}})[-/](?P<d>{_D}{{1,2}})"
_DMY = rf"(?P<d>{_D}{{1,2}})[/.-](?P<m>{_D}{{1,2}})[/.-](?P<y>{_D}{{4}})"
_MDY = rf"(?P<m>{_D}{{1,2}})[/-](?P<d>{_D}{{1,2}})[/-](?P<y>{_D}{{4}})"
_ZONE = rf"(?P<z>Z|[+-]{_D}{{2}}(?::?{_D}{{2}})?)"
# Python's dates hold years 1 to 9999: a value beyond (0000-01-01, or 9999-12-31T23:59:59-05:00 in
# UTC) fits no date or datetime type, or it could be neither summarised nor read back.
_DAYS = ((dt.date.min - dt.date(1970, 1, 1)).days, (dt.date.max - dt.date(1970, 1, 1)).days)
_MICROSECONDS = (_DAYS[0] * 86_400_000_000, (_DAYS[1] + 1) * 86_400_000_000 - 1)
# The evidence of a type a few values keep from a text column (issue 17): a format that died is
# kept while at most MISFIT_TEXTS distinct texts do not fit it, in fewer rows than those that do.
MISFIT_TEXTS = 5
# When a format dies, its misfits among a chunk's first distinct texts are counted first, in Python
# until there are too many: most formats of most columns are dropped so, after a few texts.
MISFIT_SAMPLE = 256


def integer_pattern(decimal: str, leading_zeros: bool = False) -> str:
    # Inference leaves `00501` as text (a zip code); a contract that declares integers accepts it.
    zero, first = ("", _D) if leading_zeros else ("0|", "[1-9]")
    if decimal == ",":
        # With a decimal comma, `.` groups thousands: 1.234.567
        return rf"^[+-]?(?:{zero}{first}{_D}{{0,2}}(?:\.{_D}{{3}})+|{first}{_D}*)$"
    return rf"^[+-]?(?:{zero}{first}{_D}*)$"


def number_pattern(decimal: str, leading_zeros: bool = False) -> str:
    zero, first = ("", _D) if leading_zeros else ("0|", "[1-9]")
    if decimal == ",":
        return rf"^[+-]?(?:(?:{zero}{first}{_D}{{0,2}}(?:\.{_D}{{3}})+|{first}{_D}*)(?:,{_D}+)?|,{_D}+)$"
    return rf"^[+-]?(?:(?:{zero}{first}{_D}*)(?:\.{_D}+)?|\.{_D}+)(?:[eE][+-]?{_D}+)?$"


def grouped_pattern(integer: bool) -> str:
    """An integer or a number, in a file of decimal points, whose thousands may be grouped by commas
    (30,502.5): a column is read so only when all its values fit, as for every format."""
    part = rf"(?:0|[1-9]{_D}{{0,2}}(?:,{_D}{{3}})+|[1-9]{_D}*)"
    return rf"^[+-]?{part}$" if integer else rf"^[+-]?(?:{part}(?:\.{_D}+)?|\.{_D}+)$"


BOOLEAN_PATTERN = "^(?i:true|false)$"
# A declared boolean also takes 1 and 0, as Frictionless' Table Schema does by default; inference
# does not, or every column of 0s and 1s would become boolean.
DECLARED_BOOLEAN_PATTERN = "^(?i:true|false|1|0)$"


@dataclass(frozen=True)
class Format:
    """One way a column's values can be written: a kind, a pattern, and how to read it."""

    name: str
    kind: str
    pattern: str
    # A contract's explicit date or datetime format (`%d/%m/%Y`), read by Arrow's strptime instead.
    strptime: str | None = None
    # What groups thousands in the values besides what the decimal mark implies (`,` in 30,502.5).
    grouping: str | None = None

    def matches(self, values: pa.Array) -> pa.Array:
        return pc.match_substring_regex(values, self.pattern)


@functools.cache
def formats(decimal: str) -> tuple[Format, ...]:
    """Candidate formats in order of preference: the first that survives names the type."""
    # With a decimal comma, `.` groups thousands in the plain formats already.
    grouped = (
        Format("integer_grouped", "integer", grouped_pattern(True), grouping=","),
        Format("number_grouped", "number", grouped_pattern(False), grouping=","),
    )
    return (
        Format("integer", "integer", integer_pattern(decimal)),
        Format("number", "number", number_pattern(decimal)),
        *(grouped if decimal == "." else ()),
        Format("boolean", "boolean", BOOLEAN_PATTERN),
        Format("date_ymd", "date", f"^{_YMD}$"),
        Format("date_dmy", "date", f"^{_DMY}$"),
        Format("date_mdy", "date", f"^{_MDY}$"),
        Format("datetime_ymd", "datetime", f"^{_YMD}{_TIME}?$"),
        Format("datetime_ymd_tz", "datetime", f"^{_YMD}{_TIME}{_ZONE}$"),
        Format("datetime_dmy", "datetime", f"^{_DMY}{_TIME}?$"),
        Format("datetime_mdy", "datetime", f"^{_MDY}{_TIME}?$"),
    )


def declared(kind: str, evidence: TypeInference, strptime: str | None = None) -> Format | None:
    """The format of a column whose contract declares its type: the inferred one if it is of that
    kind; else the first format of the kind that every value fits (01/02/2024 reads both day- and
    month-first: day-first then); else, for dates, the format that reads the most values, and for
    numbers the lenient one. Values that do not fit fail the contract's type rule."""
    decimal = evidence.decimal
    if kind == "string":
        return None
    if strptime:
        # With an offset (%z) the values are instants, kept in UTC like inferred ones with a zone.
        return Format(f"{kind}_strptime" + ("_tz" if "%z" in strptime else ""), kind, "", strptime)
    inferred = evidence.result()
    if inferred is not None and inferred.kind == kind:
        return inferred
    if kind in ("date", "datetime") and (fitting := [fmt for fmt in evidence.alive if fmt.kind == kind]):
        return fitting[0]
    if kind in ("date", "datetime") and evidence.tally:
        # Some values fit no format: the one that reads the most values (on a tie, the first).
        candidates = [fmt for fmt in formats(decimal) if fmt.kind == kind]
        return max(candidates, key=lambda fmt: evidence.tally.get(fmt.name, 0))
    return lenient(kind, decimal)


@functools.cache
def lenient(kind: str, decimal: str) -> Format:
    """The format of a declared integer, number or boolean that no inferred format fits: leading
    zeros, and 1 and 0 for booleans, allowed; for dates, the first format of the kind."""
    if kind == "integer":
        return Format(kind, kind, integer_pattern(decimal, leading_zeros=True))
    if kind == "number":
        return Format(kind, kind, number_pattern(decimal, leading_zeros=True))
    if kind == "boolean":
        return Format(kind, kind, DECLARED_BOOLEAN_PATTERN)
    return next(fmt for fmt in formats(decimal) if fmt.kind == kind)


@functools.cache
def _tokens(extra: tuple[str, ...]) -> tuple[pa.Array, int]:
    """The null tokens, with a file's own (a contract's `null_values`), lower case, and the longest's bytes."""
    tokens = pa.array(sorted({*NULL_TOKENS.to_pylist(), *(token.strip().lower() for token in extra)}))
    return tokens, max(len(token.encode()) for token in tokens.to_pylist())


def null_tokens(values: pa.Array, extra: tuple[str, ...] = ()) -> pa.Array:
    """Where the texts are empty cells or the usual null tokens (NA, NULL, N/A, …, and `extra`)."""
    tokens, longest = _tokens(extra)
    # Texts without a blank, control or non-ASCII byte have nothing to trim and only ASCII case: just
    # those as short as a token need a look, in most columns few or none (docs/adr/0013).
    if isinstance(values, pa.StringArray) and not values.null_count and plain_ascii(values):
        short = np.flatnonzero(text_lengths(values) <= longest)
        is_null = np.zeros(len(values), bool)
        if len(short):
            found = pc.is_in(pc.utf8_lower(values.take(pa.array(short))), value_set=tokens)
            is_null[short] = found.to_numpy(zero_copy_only=False)
        return pa.array(is_null)
    return pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)), value_set=tokens)


def nulls_applied(values: pa.Array, is_null: pa.Array | None = None) -> pa.Array:
    """The texts with empty cells and the usual null tokens as nulls (`is_null`: null_tokens(values)).
    The texts' buffers are shared, only a validity bitmap is made: a null keeps its bytes, which
    Arrow's functions skip (and may_hold and plain_ascii may count)."""
    is_null = (null_tokens(values) if is_null is None else is_null).to_numpy(zero_copy_only=False)
    valid = ~is_null
    if values.null_count:
        valid &= values.is_valid().to_numpy(zero_copy_only=False)
    # The bitmap starts where the buffers do: `values.offset` bits before the first text.
    bitmap = pa.py_buffer(np.packbits(np.concatenate([np.zeros(values.offset, bool), valid]), bitorder="little"))
    return pa.Array.from_buffers(values.type, len(values), [bitmap, *values.buffers()[1:]], offset=values.offset)


def trimmed(texts: pa.Array) -> pa.Array:
    """The texts without leading and trailing whitespace (Unicode's, as Arrow trims it); the texts
    themselves when no byte of theirs can be whitespace, as in most columns of numbers, dates or codes."""
    return texts if plain_ascii(texts) else pc.utf8_trim_whitespace(texts)


def _iso(values: pa.Array, fmt: Format) -> pa.Array:
    """Dates and datetimes rewritten as ISO-8601 text that Arrow's strict cast validates."""
    parts = pc.extract_regex(values, fmt.pattern)

    def part(name: str, width: int, default: str) -> pa.Array:
        text = pc.struct_field(parts, name)
        return pc.if_else(pc.equal(text, ""), default, pc.utf8_lpad(text, width, "0"))

    date = pc.binary_join_element_wise(part("y", 4, ""), part("m", 2, ""), part("d", 2, ""), "-")
    if fmt.kind == "date":
        return date
    time = pc.binary_join_element_wise(part("H", 2, "00"), part("M", 2, "00"), part("S", 2, "00"), ":")
    fraction = pc.struct_field(parts, "f")
    time = pc.if_else(pc.equal(fraction, ""), time, pc.binary_join_element_wise(time, fraction, "."))
    iso = pc.binary_join_element_wise(date, time, "T")
    if fmt.name.endswith("_tz"):
        iso = pc.binary_join_element_wise(iso, pc.struct_field(parts, "z"), "")
    return iso


def arrow_type(fmt: Format | None) -> pa.DataType:
    if fmt is None:
        return pa.string()
    if fmt.kind == "datetime":
        return pa.timestamp("us", "UTC" if fmt.name.endswith("_tz") else None)
    return {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32()}[fmt.kind]


def convert(values: pa.Array, fmt: Format | None, decimal: str) -> pa.Array:
    """Typed values of a column whose nulls are applied and whose format is known to fit.

    Raises pyarrow.ArrowInvalid if a value does not convert: inference uses that as its test.
    """
    if fmt is None:
        return values
    text = trimmed(values)
    if fmt.kind in ("integer", "number"):
        # Arrow parses no leading + (nor needs 1e+5's) and, with a decimal comma, no grouping dots.
        # A replacement is a pass over every text: made only where some text holds the character.
        for old, new in (("+", ""), (".", ""), (",", ".")) if decimal == "," else (("+", ""), (fmt.grouping, "")):
            if old and may_hold(text, old):
                text = pc.replace_substring(text, old, new)
    if fmt.kind == "boolean":
        lower = pc.utf8_lower(text)
        return pc.or_(pc.equal(lower, "true"), pc.equal(lower, "1"))  # null stays null
    if fmt.strptime:
        parsed = pc.strptime(text, format=fmt.strptime, unit="us", error_is_null=True)
        typed = pc.cast(parsed, arrow_type(fmt), safe=False) if fmt.kind == "date" else parsed
    elif fmt.kind in ("date", "datetime"):
        typed = pc.cast(_iso(text, fmt), arrow_type(fmt))
    else:
        return pc.cast(text, arrow_type(fmt))
    outside = _outside_years(typed)
    if outside is None:
        return typed
    if not fmt.strptime:
        raise pa.ArrowInvalid("a date before year 1 or after year 9999")
    return pc.if_else(outside, pa.scalar(None, typed.type), typed)  # as strptime's errors: null


def _outside_years(typed: pa.Array) -> pa.Array | None:
    """Where dates or datetimes lie outside Python's years 1 to 9999; None where none does."""
    date = pa.types.is_date32(typed.type)
    numbers = typed.view(pa.int32() if date else pa.int64())
    low, high = _DAYS if date else _MICROSECONDS
    extremes = pc.min_max(numbers).as_py()
    if extremes["min"] is None or (low <= extremes["min"] and extremes["max"] <= high):
        return None
    return pc.or_(pc.less(numbers, low), pc.greater(numbers, high))


def parse(values: pa.Array, fmt: Format | None, decimal: str) -> tuple[pa.Array, pa.Array]:
    """Typed values of a column whose nulls are applied, and where a value present does not parse
    (it is null in the typed values): how a contract's declared type is checked, value by value."""
    candidates = values
    if fmt is not None and not fmt.strptime:
        candidates = pc.if_else(fmt.matches(trimmed(values)), values, pa.scalar(None, values.type))
    try:
        typed = convert(candidates, fmt, decimal)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. an integer beyond int64: find which
        typed = pa.array([_converted(value, fmt, decimal) for value in candidates], arrow_type(fmt))
    if fmt is not None and fmt.strptime:
        typed = _strict(trimmed(values), typed, fmt)
    return typed, pc.and_(values.is_valid(), typed.is_null())


def _strict(text: pa.Array, typed: pa.Array, fmt: Format) -> pa.Array:
    """Arrow's strptime rolls 31/02 over to 02/03: a value must print back as it was written, or
    (written without leading zeros, say) pass Python's strict strptime."""
    stamps = typed if pa.types.is_timestamp(typed.type) else pc.cast(typed, pa.timestamp("us"))
    printed = pc.strftime(stamps, format=fmt.strptime)
    doubtful = pc.fill_null(pc.not_equal(printed, text), False).to_numpy(zero_copy_only=False)
    if not doubtful.any():
        return typed
    fixed = typed.to_pylist()
    for i in doubtful.nonzero()[0]:
        try:
            parsed = dt.datetime.strptime(text[i].as_py(), fmt.strptime)
            fixed[i] = parsed.date() if fmt.kind == "date" else parsed
        except ValueError:
            fixed[i] = None
    return pa.array(fixed, typed.type)


def _converted(value: pa.Scalar, fmt: Format, decimal: str):
    try:
        return convert(pa.array([value]), fmt, decimal)[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _exact_in_float(text: str, decimal: str) -> bool:
    if decimal == ",":
        text = text.replace(".", "").replace(",", ".")
    try:
        return Decimal(repr(float(text))) == Decimal(text)
    except (ValueError, InvalidOperation):
        return False


def _lossless(
    values: pa.Array, fmt: Format, decimal: str, integers: bool = False, converted: dict | None = None
) -> bool:
    """Whether every value (already matching `fmt`) converts exactly.

    `integers`: the values are known to be integers that fit int64, so a number check only needs to
    look at the long ones (an integer text always parses as a float). `converted` receives the
    converted values, under `fmt`, when they were converted to find out.
    """
    if fmt.kind in ("integer", "number"):
        # Long texts may hold more digits than float64 keeps; exponents may overflow or underflow it.
        # Lengths in bytes: a text that matches a number format is ASCII, one byte per character.
        risky = text_lengths(values) >= FLOAT_SAFE_LENGTH
        if fmt.kind == "number" and decimal == "." and not integers:
            exponent = pc.fill_null(pc.match_substring(values, "e", ignore_case=True), False)
            risky |= exponent.to_numpy(zero_copy_only=False)
        if values.null_count:
            risky &= values.is_valid().to_numpy(zero_copy_only=False)
        long_values = values.take(pa.array(np.flatnonzero(risky))).to_pylist()
        if fmt.kind == "integer" and not all(
            -INT64_MAX - 1 <= int(v.strip().replace(".", "").replace(",", "")) <= INT64_MAX for v in long_values
        ):
            return False
        if fmt.kind == "number" and not all(
            _exact_in_float(v.strip().replace(fmt.grouping, "") if fmt.grouping else v.strip(), decimal)
            for v in long_values
        ):
            return False
        if integers:
            return True
    try:
        typed = convert(values, fmt, decimal)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    if converted is not None:
        converted[fmt] = typed
    return True


def _all_match(fmt: Format, texts: pa.Array, present: pa.Array) -> bool:
    """Whether every text present matches `fmt`, `texts` trimmed and `present` the texts not null."""
    if fmt.kind == "integer" and unsigned_integers(present):
        return True
    return bool(pc.all(fmt.matches(texts)).as_py())


def _unconverted(texts: pa.Array, fmt: Format, decimal: str, limit: int) -> list[int] | None:
    """Where texts that match `fmt` (or are null) do not convert exactly, found by halving the texts
    that fail; None when more than `limit` do."""
    if _lossless(texts, fmt, decimal):
        return []
    if len(texts) == 1:
        return [0] if limit else None
    half = len(texts) // 2
    left = _unconverted(texts.slice(0, half), fmt, decimal, limit)
    right = None if left is None else _unconverted(texts.slice(half), fmt, decimal, limit - len(left))
    return None if right is None else left + [half + i for i in right]


def _misfits(fmt: Format, texts: pa.Array, decimal: str) -> np.ndarray | None:
    """Where the texts (trimmed, nulls applied) do not fit `fmt`; None when more than MISFIT_TEXTS do."""
    matched = fmt.matches(texts)
    unmatched = np.flatnonzero(pc.invert(pc.fill_null(matched, True)).to_numpy(zero_copy_only=False))
    if len(unmatched) > MISFIT_TEXTS:
        return None
    if len(unmatched):
        texts = pc.if_else(matched, texts, pa.scalar(None, texts.type))
    unconverted = _unconverted(texts, fmt, decimal, MISFIT_TEXTS - len(unmatched))
    return None if unconverted is None else np.union1d(unmatched, unconverted).astype(np.int64)


def _few_misfits(fmt: Format, head: list[str]) -> bool:
    """Whether at most MISFIT_TEXTS of the texts (trimmed) miss `fmt`'s pattern."""
    misses = 0
    for text in head:
        misses += not re.match(fmt.pattern, text)
        if misses > MISFIT_TEXTS:
            return False
    return True


def _preferred(alive: list[Format], decimal: str) -> Format | None:
    """The first of the formats every value fits, but none for dates that read both ways."""
    names = {fmt.name for fmt in alive}
    for family in ("date", "datetime"):
        dmy, mdy = f"{family}_dmy", f"{family}_mdy"
        if dmy in names and mdy in names:
            # 01/02/2024 reads both ways. A decimal-comma file comes from a day-first locale;
            # otherwise the day cannot be told from the month, so the text is kept as it is.
            names.discard(mdy)
            if decimal != ",":
                names.discard(dmy)
    return next((fmt for fmt in alive if fmt.name in names), None)


class _Rows:
    """A chunk's rows of one column: each row's position among the distinct texts, and its line."""

    def __init__(self, texts: int, indices: pa.Array, lines: np.ndarray) -> None:
        self.texts = texts
        self.indices = indices.to_numpy(zero_copy_only=False)
        self.lines = lines

    @functools.cached_property
    def counts(self) -> np.ndarray:
        """Rows per text."""
        return np.bincount(self.indices, minlength=self.texts)

    def with_values(self, values: pa.Array) -> int:
        """How many rows hold a text that is not null."""
        if not values.null_count:
            return len(self.indices)
        return len(self.indices) - int(self.counts[values.is_null().to_numpy(zero_copy_only=False)].sum())

    def first_line(self, position: int) -> int:
        return int(self.lines[np.argmax(self.indices == position)])


@dataclass
class _NearMiss:
    """A format the column lost to a few texts: each with the line of its first row, and their rows."""

    format: Format
    misfits: dict[str, int] = field(default_factory=dict)
    rows: int = 0


@dataclass(frozen=True)
class TypeEvidence:
    """The type a few values keep from a text column: how many of its values fit it, and the texts
    that do not, each with the line of its first row, in file order."""

    kind: str
    fit: int
    of: int
    misfits: tuple[tuple[str, int], ...]

    def as_report(self) -> dict[str, Any]:
        listed = [{"value": shown(text), "line": line} for text, line in self.misfits]
        return {"type": self.kind, "fit": self.fit, "of": self.of, "not": listed}

    def __str__(self) -> str:
        listed = ", ".join(f"{shown(text)!r} (line {line})" for text, line in self.misfits)
        return f"{self.kind} for {self.fit} of {self.of} values; not: {listed}"


@dataclass
class TypeInference:
    """Mergeable per-column evidence: which formats every value seen so far fits and, once none
    does, which formats only a few values miss (near misses)."""

    decimal: str
    alive: list[Format] = field(default_factory=list)
    seen_values: bool = False
    # For a column a contract declares a date or datetime without format: how many distinct values
    # each date or datetime format reads, so that one bad value does not decide the format.
    tally: dict[str, int] | None = None
    # Rows holding a value, counted while the column may still have a type or a near miss.
    values: int = 0
    near_misses: list[_NearMiss] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.alive:
            self.alive = list(formats(self.decimal))

    def update(self, values: pa.Array, indices: pa.Array, lines: np.ndarray) -> dict[Format, pa.Array]:
        """Narrow the candidates with a chunk of the column: its distinct texts (nulls already
        applied), each row's position among them and each row's line. Returns the values converted
        by the formats that had to convert them to be checked, nulls in place."""
        converted: dict[Format, pa.Array] = {}
        present = values.drop_null()
        if self.tally is not None:
            for fmt in formats(self.decimal):
                if fmt.kind in ("date", "datetime"):
                    read = len(present) - pc.sum(parse(present, fmt, self.decimal)[1]).as_py()
                    self.tally[fmt.name] = self.tally.get(fmt.name, 0) + read
        if not (self.alive or self.near_misses) or len(present) == 0:
            return converted
        self.seen_values = True
        rows = _Rows(len(values), indices, lines)
        self.values += rows.with_values(values)
        # All values, nulls in place (the checks skip them): what is converted lines up with `values`.
        texts = trimmed(values)
        if not self.alive:
            self._narrow(self.near_misses, values, texts, rows)
            return converted
        first = pc.utf8_trim_whitespace(present.slice(0, 1))[0].as_py()
        survivors: list[Format] = []
        for fmt in self.alive:
            # A cheap look at one value rules out most formats before any vectorised work.
            if not re.match(fmt.pattern, first):
                continue
            # Dates valid in one order are valid datetimes in that order: no need to check twice.
            implied = fmt.kind == "datetime" and any(f.name == fmt.name.replace("datetime", "date") for f in survivors)
            # Numbers without grouping fit the grouped formats too: checked only once the plain ones die.
            implied |= fmt.grouping is not None and any(f.name == fmt.name.removesuffix("_grouped") for f in survivors)
            # Integers are numbers too: when every value is an int64, only the long ones can fail as float64.
            if fmt.kind == "number" and any(f.kind == "integer" for f in survivors):
                if _lossless(texts, fmt, self.decimal, integers=True):
                    survivors.append(fmt)
            elif implied or (
                _all_match(fmt, texts, present) and _lossless(texts, fmt, self.decimal, converted=converted)
            ):
                survivors.append(fmt)
        if not survivors:
            # The last formats died in this chunk: those that only a few texts missed stay near misses.
            head = [text.strip() for text in present.slice(0, MISFIT_SAMPLE).to_pylist()]
            self._narrow([_NearMiss(fmt) for fmt in self.alive if _few_misfits(fmt, head)], values, texts, rows)
        self.alive = survivors
        return converted

    def _narrow(self, near_misses: list[_NearMiss], values: pa.Array, texts: pa.Array, rows: _Rows) -> None:
        """Keep the near misses that a chunk's texts leave near misses, with their misfits added."""
        kept = []
        for miss in near_misses:
            positions = _misfits(miss.format, texts, self.decimal)
            if positions is not None and self._missed(miss, values, positions, rows):
                kept.append(miss)
        self.near_misses = kept

    def _missed(self, miss: _NearMiss, values: pa.Array, positions: np.ndarray, rows: _Rows) -> bool:
        """Add a chunk's misfits (their positions among its texts) to a near miss; whether it still is one."""
        if len(positions):
            miss.rows += int(rows.counts[positions].sum())
        new = [(text, p) for p in positions.tolist() if (text := values[p].as_py()) not in miss.misfits]
        if len(miss.misfits) + len(new) > MISFIT_TEXTS:
            return False
        kind = miss.format.kind
        if new and kind in ("integer", "number", "boolean"):
            # A text that the declared type reads (00501 as an integer, 1 as a boolean) is no stray
            # value: the column is text by design, as zip codes are.
            unparsed = parse(
                pa.array([text for text, _ in new], pa.string()), lenient(kind, self.decimal), self.decimal
            )[1]
            if not pc.all(unparsed).as_py():
                return False
        for text, position in new:
            miss.misfits[text] = rows.first_line(position)
        return miss.rows < self.values - miss.rows

    def result(self) -> Format | None:
        """The column's format, or None for string (also when it holds no value at all)."""
        if not self.seen_values:
            return None
        return _preferred(self.alive, self.decimal)

    def near_miss(self) -> TypeEvidence | None:
        """For a column no type fits: the type the fewest rows keep from it, if any is a near miss."""
        if not self.near_misses:
            return None
        fewest = min(miss.rows for miss in self.near_misses)
        closest = [miss for miss in self.near_misses if miss.rows == fewest]
        fmt = _preferred([miss.format for miss in closest], self.decimal)
        if fmt is None:
            return None
        misfits = next(miss for miss in closest if miss.format == fmt).misfits
        lined = tuple(sorted(misfits.items(), key=lambda item: item[1]))
        return TypeEvidence(fmt.kind, self.values - fewest, self.values, lined)


def kind(fmt: Format | None) -> str:
    return "string" if fmt is None else fmt.kind
