"""Where the table is in a file's first lines: preamble, header rows, the data, a second table.

Real exports put a title, a date, notes or label:value lines above the header, a group row above
the names or a row of labels below them, rows of only delimiters before the data, a second table
after a blank line. Detection works on the records of the sample, parsed with the file's dialect:
the data are the records of the width most records share; the header is the record just before
them (or two, when a group row stands above the names or labels below them); what comes before is
the preamble. Footers, which only the end of the file shows, are found as the
file streams (footer.py). Every line left out is kept with its reason, for the report.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise, takewhile

from .report import shown


@dataclass(frozen=True)
class Record:
    """A record of the sample: the physical lines it spans (1-based, inclusive) and its fields."""

    first: int
    last: int
    fields: list[str]

    @property
    def blank(self) -> bool:
        """A blank line, or a line of only delimiters and blanks."""
        return not any(field.strip() for field in self.fields)


@dataclass(frozen=True)
class SkippedLine:
    """A line that is neither the header nor data, why, and its text (truncated) for the report."""

    line: int
    reason: str  # preamble, blank, empty row, footer, second table
    text: str

    def as_report(self) -> dict:
        return {"line": self.line, "reason": self.reason, "text": self.text}


@dataclass(frozen=True)
class Structure:
    """Where the header and the data are, in physical lines (1-based)."""

    header_lines: tuple[int, ...]  # the lines of the header rows: none for a headerless file
    data_line: int  # the first line after the preamble and the header
    names: list[str]
    skipped: tuple[SkippedLine, ...]  # the preamble's lines
    # The line where a second table starts (a blank line before it); None: the data go on to the end.
    end_line: int | None = None
    notes: tuple[str, ...] = ()
    # Records at the end that are the footer, as a contract states it; None: detected (footer.py).
    footer_rows: int | None = None  # what detection decided that a reader should know, for the warnings

    @property
    def header_rows(self) -> int:
        return len(self.header_lines)

    def as_report(self) -> dict:
        return {
            "preamble_lines": len(self.skipped),
            "header_rows": self.header_rows,
            "header_lines": list(self.header_lines),
            "data_line": self.data_line,
            "second_table_line": self.end_line,
        }


NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:[.,\s]\d{3})+)(?:[.,]\d+)?(?:[eE][+-]?\d+)?%?$|^[+-]?[.,]\d+$")
DATE = re.compile(
    r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
INTEGER = re.compile(r"^\s*\d{1,4}\s*$")
BOOLEAN = re.compile(r"^(?i:true|false|yes|no|sim|não|nao)$")
# Words, names and codes: what a cell of a well-split table holds (CleverCSV's alphanumeric type).
WORDS = re.compile(r"^[\w][\w .'’&/\\()@#*+:%ºª°\r\n-]*$")  # a quoted text may hold line breaks
# What a first data row holds for a missing value, where a row of labels would hold a unit or a name.
STRAY = re.compile(
    r"^(?i:\[\w{1,3}\]|x+|[zc:]|n/?[ad]|n\.[ad]\.|s/d|-+|\.+|\?+|\*+|null|none|nan|missing|absent|unknown"
    r"|suppressed|withheld|confidential|not available)$"
)
ONLY_DELIMITERS = re.compile(r"[\s,;|\"']")  # what a row of only delimiters holds
LABELLED_RECORDS = 80  # records of a sample looked at for label,value lines above the data (_label_preamble)
MAX_HEADER_ROWS = 3  # the names and the rows of labels below them that detection takes as the header
TOTALS = re.compile(r"^(?i:(?:sub|grand[ -]?)?totals?|totais|total geral|soma|sum|subtotais|m[ée]dias?|average)\b")
NOTES = re.compile(r"^(?i:fonte|source|notas?|notes?|obs|observa[cç][aã]o|elabora[cç][aã]o|emitido|gerado|\*)")


def value_kind(value: str) -> str:
    """The kind of one cell: empty, number, date, boolean, words (a name, a code) or other."""
    value = value.strip()
    if not value:
        return "empty"
    if NUMBER.match(value):
        return "number"
    if DATE.match(value) or TIME.match(value):
        return "date"
    if BOOLEAN.match(value):
        return "boolean"
    if WORDS.match(value):
        return "words"
    return "other"


def typed(value: str) -> bool:
    """A number, a date or a boolean: what a header name seldom is."""
    return value_kind(value) in ("number", "date", "boolean")


def consistency(records: list[Record]) -> float:
    """How table-like the records are (CleverCSV's data consistency, Q = P·T): P rewards many rows
    of one width with many fields, T the share of cells of a known kind, which a wrong delimiter or
    quote breaks (a field left holding `;` or a quote)."""
    rows = [r.fields for r in records if not r.blank]
    if not rows:
        return 0.0
    widths = Counter(len(row) for row in rows)
    pattern = sum(n * (width - 1) / width for width, n in widths.items()) / len(widths)
    cells = [value for row in rows for value in row]
    known = sum(value_kind(value) != "other" for value in cells) / len(cells)
    return pattern * known


def _header_votes(names: list[str], rows: list[list[str]]) -> int:
    """Votes per column, as csv.Sniffer does: a column whose values are typed (numbers, dates; all
    but a stray one in ten) votes for a header if its first value is not typed, against one if it is.
    Names that are periods (_periods: `1960,1961,…`) above rows that are not count as untyped."""
    periods = _periods(names)
    if periods and 2 * sum(bool(_periods(r) & periods) for r in rows) >= len(rows):
        periods = set()
    return sum(-1 if typed(names[j]) and j not in periods else 1 for j in _typed_columns(rows, len(names)))


def _typed_columns(rows: list[list[str]], width: int) -> list[int]:
    """The columns whose values in `rows` of `width` fields are typed, all but a stray one in ten."""
    found = []
    for j in range(width):
        values = [r[j] for r in rows if len(r) == width and r[j].strip()]
        if values and sum(typed(v) for v in values) >= 0.9 * len(values):
            found.append(j)
    return found


def _periods(values: list[str]) -> set[int]:
    """The columns of a run of adjacent names that count periods: two or more years stepping evenly
    upwards (`1960,1961,…`, `2000,2005,2010`: World Bank, IBGE, Eurostat's `geo,2020,2021`), or
    column numbers from 0 (`0,1,2,3`: pandas' default names), which a data row seldom holds."""
    numbers = [int(v) if INTEGER.match(v) else None for v in values]
    found: set[int] = set()
    j = 0
    while j < len(numbers) - 1:
        first, second = numbers[j], numbers[j + 1]
        if first is None or second is None or not 0 < second - first <= 10:
            j += 1
            continue
        end = j + 2
        while end < len(numbers) and numbers[end] is not None and numbers[end] - numbers[end - 1] == second - first:
            end += 1
        run = numbers[j:end]
        years = len(run) >= 2 and all(1800 <= n <= 2100 for n in run)
        # From 0 only: a first data row may well count 1, 2, 3, 4 (ranks, ids, quantities).
        columns = len(run) >= 4 and second - first == 1 and first == 0
        if years or columns:
            found.update(range(j, end))
        j = end - 1
    return found


def _group_row(group: list[str], names: list[str], rows: list[list[str]]) -> bool:
    """Whether `group` is a row of group names above the header `names` (`Cliente;;Endereço;;`,
    `Loja;Loja;Total`)."""
    filled = [value.strip() for value in group if value.strip()]
    return (
        len(group) > 2
        and bool(filled)
        and _grouping(group, names)
        and all(value.strip() for value in names)
        and not any(typed(value) for value in filled)
        and not any(typed(value) for value in names)
        and _header_votes(names, rows) > 0
    )


def _grouping(group: list[str], names: list[str]) -> bool:
    """Whether a header row above `names` groups them (its names over blanks, or repeated over
    their span: `Loja;Loja;Total`), so that its names join those below, rather than being the names."""
    blanks = any(not above.strip() and name.strip() for above, name in zip(group, names))
    return blanks or any(a.strip() and a == b for a, b in pairwise(group))


def joined_names(group: list[str], names: list[str]) -> list[str]:
    """A group row's names carried over the blank cells to their right, joined to the names below."""
    out, current = [], ""
    for above, name in zip(group, names):
        current = above.strip() or current
        out.append(f"{current} {name.strip()}" if current else name)
    return out


def _padded(records: list[Record], i: int, width: int) -> bool:
    """Whether record `i` is a preamble line of the table's width: a title padded with delimiters
    (`Relatório de vendas;;;;`), or a label and its value, `Empresa:;ACME Ltda;;;`, which ends in a
    colon or stands among such lines or before a blank one, unlike a header with unnamed columns
    (`id;name;;`) right above the data; in a table of two or three columns, `Empresa:;ACME Ltda`."""
    texts = [value.strip() for value in records[i].fields]
    filled = sum(map(bool, texts))
    if width > 2 and filled == 1:
        return True
    if not _leading(texts):
        return False
    if texts[0].endswith(":") and filled <= max(2, width // 2) and not any(t.endswith(":") for t in texts[1:]):
        return True
    near = [records[j] for j in (i - 1, i + 1) if 0 <= j < len(records)]
    return _sparse(texts) and any(r.blank or _sparse(r.fields) for r in near)


def _leading(texts: list[str]) -> bool:
    """Texts first, the first of them no number or date, then only blanks."""
    filled = sum(bool(value.strip()) for value in texts)
    return filled > 0 and all(value.strip() for value in texts[:filled]) and not typed(texts[0])


def _sparse(fields: list[str]) -> bool:
    """Leading texts (_leading) and blanks for at least half the fields, in a table of three or more."""
    filled = sum(bool(value.strip()) for value in fields)
    return len(fields) > 2 and 2 * filled <= len(fields) and _leading(fields)


def detect_structure(
    records: list[Record],
    lines: list[str],
    header: bool | None = None,
    header_rows: int | None = None,
    skip_lines: int | None = None,
    footer_rows: int | None = None,
) -> Structure:
    """The structure of the sample's `records` (parsed from `lines`): its names are as many as the
    data's fields. `header` (a contract's `header: true/false`), `header_rows`, `skip_lines` (the
    lines above the header) and `footer_rows` replace detection."""
    if skip_lines is not None:
        records = [r for r in records if r.first > skip_lines]
    content = [r for r in records if not r.blank]
    if not content:
        return Structure((), (skip_lines or 0) + 1, [], (), footer_rows=footer_rows)
    widths = Counter(len(r.fields) for r in content)
    first_of = {}
    for i, r in enumerate(content):
        first_of.setdefault(len(r.fields), i)
    # The data's width: the most common one; on a tie, one of several fields (a preamble is narrow),
    # then the first (a second table comes after).
    width = max(widths, key=lambda w: (widths[w], w > 1, -first_of[w]))
    if width == 1:
        width = _table_among_notes(records) or width
    if skip_lines is None:
        start = _table_start(records, width, lookalikes=header_rows is None and header is None)
    else:
        start = next(i for i, r in enumerate(records) if not r.blank)
    if skip_lines is None and header_rows is None and header is None:
        labelled = _label_preamble(records, start, width)
        if labelled is not None:
            start, header_rows = labelled
    body = [r for r in records[start:] if not r.blank]
    rows = [r.fields for r in body]
    if header_rows is None:
        header_rows = _header_rows(rows, width) if header is None else int(header)
    notes: list[str] = []
    if header_rows == 0:
        names = [f"column_{i + 1}" for i in range(width)]
    elif header_rows == 1:
        names = _fitted(rows[0], width, rows[1:], notes)
    elif any(_grouping(group, rows[header_rows - 1]) for group in rows[: header_rows - 1]):
        names = _fitted(rows[header_rows - 1], width, rows[header_rows:], notes)
        for group in reversed(rows[: header_rows - 1]):
            names = joined_names(group, names)
        notes.append(
            f"a header of {header_rows} rows ({_span(body, header_rows)}): the group names joined to the names, {_examples(names)}, …"
        )
    else:
        names = _fitted(rows[0], width, rows[header_rows:], notes)
        labels = rows[1][: len(names)]
        notes.append(
            f"a header of {header_rows} rows ({_span(body, header_rows)}): the names are line {body[0].first}'s, "
            f"{_examples(names)}, …; the line(s) below them hold labels, {_examples(labels)}, …"
        )
    header_records = body[:header_rows]
    data_line = header_records[-1].last + 1 if header_records else body[0].first
    if skip_lines is not None:
        skipped = [_line(n, lines, "preamble") for n in range(1, skip_lines + 1)]
    else:
        skipped = [_line(n, lines, "preamble") for r in records[:start] for n in range(r.first, r.last + 1)]
    end = _second_table(records, start + header_rows, width, names)
    if end is not None:
        notes.append(f"a second table from line {end} on is not read")
    header_lines = tuple(r.first for r in header_records)
    return Structure(header_lines, data_line, names, tuple(skipped), end, tuple(notes), footer_rows)


def _table_among_notes(records: list[Record]) -> int | None:
    """The width of a table with a header among narrower lines that outnumber its records: a preamble
    of metadata (`Title: …` / `Contact: …`, a blank line or not) above it, notes below it. None: the
    narrow lines are a column of values below a name, or no such table follows them."""
    content = [r for r in records if not r.blank]
    if _typed_columns([r.fields for r in content[1:]], 1):
        return None
    widest = 1  # of the lines above: a title with a comma in it is still narrower than the table
    for i, record in enumerate(content):
        width = len(record.fields)
        if width > widest:  # a run's first record: each record is looked at once
            table = list(takewhile(lambda r, w=width: len(r.fields) == w, content[i:]))
            if len(table) >= 3 and _header_votes(record.fields, [r.fields for r in table[1:]]) > 0:
                return width
        widest = max(widest, width)
    return None


def _span(body: list[Record], count: int) -> str:
    return f"lines {body[0].first}-{body[count - 1].last}"


def _examples(values: list[str]) -> str:
    return ", ".join(repr(value) for value in values[:3])


def _line(n: int, lines: list[str], reason: str) -> SkippedLine:
    return skipped_line(n, lines[n - 1].rstrip("\r\n") if n <= len(lines) else "", reason)


def skipped_line(n: int, text: str, reason: str) -> SkippedLine:
    """Line `n`, left out for `reason`, or as blank, or as an empty row (only delimiters and quotes)."""
    if not text.strip():
        reason = "blank"
    elif not ONLY_DELIMITERS.sub("", text):
        reason = "empty row"
    return SkippedLine(n, reason, shown(text) or "")


def _header_rows(rows: list[list[str]], width: int) -> int:
    """1 or 0 header rows, by the kinds of values (_header_votes); 2 for a group row above the names;
    more for rows of labels below them (_label_row)."""
    if len(rows) > 2 and len(rows[0]) == len(rows[1]) == width and _group_row(rows[0], rows[1], rows[2:]):
        return 2
    if len(rows) == 1:
        return 0 if all(typed(value) for value in rows[0]) else 1
    if len(rows[0]) == width and _header_votes(rows[0], rows[1:]) < 0:
        return 0
    count = 1
    while count < MAX_HEADER_ROWS and len(rows) > count + 1 and _label_row(rows[0], rows[count], rows[count + 1 :]):
        count += 1
    return count


def _label_row(names: list[str], labels: list[str], rows: list[list[str]]) -> bool:
    """Whether `labels` is one more header row below the `names`: a row of texts above typed data
    (the US Census' `Geography,Geographic Area Name,Estimate!!Total`, units, which may repeat, the
    header written twice). Two typed columns at least must say so, unless the row repeats the
    names, for a first data row may hold a stray text in one."""
    if len(labels) != len(names):
        return False
    # A trailing delimiter on both rows leaves a last blank cell that is no label.
    end = len(names) - 1 if not names[-1].strip() and not labels[-1].strip() else len(names)
    texts = [value.strip() for value in labels[:end]]
    typed_columns = _typed_columns(rows, len(names))
    # A text column may have no label (`"","2002=100","2002=100"`); a typed one holds a label or a
    # unit, not a missing value's token (`n/a`, `[x]`, `absent`).
    return (
        all((text and not STRAY.match(text)) or j not in typed_columns for j, text in enumerate(texts))
        and all(value.strip() for value in names[:end])
        and not any(typed(value) for value in texts)
        and _header_votes(names, rows) > 0
        and _header_votes(labels, rows) >= (1 if labels == names else 2)
    )


def _table_start(records: list[Record], width: int, lookalikes: bool = True) -> int:
    """The index of the header's record: the first non-blank record of the data's width that is not
    a padded preamble line, or the one just above it when it is one field narrower or wider (a header
    without a name for an index column, or with a trailing delimiter); with `lookalikes`, past a
    preamble line of the data's width (_past_lookalikes)."""
    for i, record in enumerate(records):
        if record.blank or len(record.fields) != width or _padded(records, i, width):
            continue
        if i > 0 and abs(len(records[i - 1].fields) - width) == 1 and not records[i - 1].blank:
            above = records[i - 1].fields
            if sum(bool(v.strip()) for v in above) >= 2 and not any(typed(v) for v in above if v.strip()):
                return i - 1
        return _past_lookalikes(records, i, width) if lookalikes else i
    return 0


def _label_preamble(records: list[Record], start: int, width: int) -> tuple[int, int] | None:
    """The table's first record and its header rows (0 or 1) below label,value lines of its own
    width (ONS time series: `Title,Labour market…` / `Unit,%` / `Important notes,` / `1971,4.0`):
    two or more records from `start`, each a label first, none holding the kind a typed column of
    the data below holds (numbers, say) where it holds it, above three times as many records of
    that kind. The last is the header when it names the columns (`year,value`), in a table of two
    columns below two label lines at least that do not repeat it; with a blank or typed name it is
    a label line too (`Important notes,`) and the data have no header. None: no such preamble."""
    indices = [i for i in range(start, len(records)) if not records[i].blank and len(records[i].fields) == width]
    # The first records tell (a preamble of a quarter of them at most): a wide sample costs less.
    indices = indices[:LABELLED_RECORDS]
    if len(indices) < 8 or any(value_kind(records[i].fields[0]) != "words" for i in indices[:2]):
        return None
    kinds = [[value_kind(value) for value in records[i].fields] for i in indices]
    first = len(indices)
    for j in range(width):
        column = [row[j] for row in kinds if row[j] != "empty"]
        kind = Counter(column).most_common(1)[0][0] if column else "empty"
        if kind not in ("number", "date", "boolean"):
            continue
        at = next(k for k, row in enumerate(kinds) if row[j] == kind)
        # Nearly every record below holds it: blank cells there would make `Important notes,` data.
        if [row[j] for row in kinds[at:]].count(kind) >= 0.9 * (len(kinds) - at):
            first = min(first, at)
    if not 2 <= first < len(indices) or len(indices) - first < 3 * first:
        return None
    labels = [records[i].fields for i in indices[:first]]
    if not all(row[0] == "words" for row in kinds[:first]):
        return None
    # A names row: untyped names for the columns that hold values below (a trailing delimiter's
    # holds none), all of them or two at least (`id,valor,` over three columns).
    filled = [j for j in range(width) if any(row[j] != "empty" for row in kinds[first:])]
    names = [labels[-1][j].strip() for j in filled if labels[-1][j].strip()]
    named = len(names) == len(filled) or len(names) >= 2
    if not (named and len(set(names)) == len(names) and not any(typed(value) for value in names)):
        return indices[first], 0
    if width == 2 and first >= 3 and labels[-1] not in labels[:-1]:
        return indices[first - 1], 1
    return None


def _past_lookalikes(records: list[Record], start: int, width: int) -> int:
    """The header's record, from the first record of the data's width: a preamble line may have that
    width too (a title with a comma, Excel's `sep=;`), and then a later record of that width that
    starts the rows looks more like a header (more columns vote for it, fewer blank names)."""
    for _ in range(3):
        later = [j for j in range(start + 1, len(records)) if len(records[j].fields) == width]
        later = [j for j in later if not records[j].blank and not footer_like(records[j].fields, width)]
        if not later:
            break
        rows = [records[j].fields for j in later]
        # A row of only delimiters between them is the table's own empty row, not a preamble's blank
        # line: both are judged on the rows below the later one, where its stray value is no vote.
        empty_row = any(r.blank and len(r.fields) > 1 for r in records[start + 1 : later[0]])
        # So is a later record right below: a first data row's stray `[x]` or `n/a` is no evidence
        # that the record above it is a preamble line; a blank line between them would be.
        # A field after a space (`Spend report, Northgate Council`) is prose, a title's.
        adjacent = later[0] == start + 1 and not any(v[:1].isspace() for v in records[start].fields)
        judged = rows[1:] if empty_row or adjacent else rows
        here = (_header_votes(records[start].fields, judged), -_blanks(records[start].fields))
        there = (_header_votes(rows[0], rows[1:]), -_blanks(rows[0]))
        if not (there > here and there[0] > 0) or _above_header_row(records[start].fields, rows[0], rows[1:]):
            break
        start = later[0]
    return start


def _above_header_row(above: list[str], below: list[str], rows: list[list[str]]) -> bool:
    """Whether two records are both the header's: a group row above the names, or the names above labels."""
    return _group_row(above, below, rows) or _label_row(above, below, rows)


def _blanks(fields: list[str]) -> int:
    return sum(not value.strip() for value in fields)


def _fitted(names: list[str], width: int, rows: list[list[str]], notes: list[str]) -> list[str]:
    """The header's names for rows of `width` fields: a header one name wider with a blank last name
    (a trailing delimiter) loses it; one name narrower gets a blank name first, for an index column,
    or last, for rows that end with a delimiter."""
    if len(names) == width + 1 and not names[-1].strip():
        return names[:-1]
    if len(names) == width - 1:
        trailing = all(not r[-1].strip() for r in rows if len(r) == width)
        if trailing:
            notes.append("the rows end with a delimiter the header does not have: their last column is blank")
            return [*names, ""]
        notes.append("the header has one name fewer than the rows: the first column (an index) is unnamed")
        return ["", *names]
    if len(names) == width + 1:
        notes.append(f"the header has one name more than the rows: {names[-1]!r} has no values")
        return names[:width]
    return names


def _second_table(records: list[Record], data_start: int, width: int, names: list[str]) -> int | None:
    """The line of the blank line before a second table: after a blank line (or a row of only
    delimiters), two or more records of one width that are another table's: another width, the
    header again, or a header, every column named, by two columns' votes at least over the records
    down to the next blank line (one stray code after an empty row is no table: `1,Ze` / `,` /
    `A1,Ana` / `2,Bia`; nor is a row whose empty cells stand above numbers)."""
    for i in range(data_start, len(records) - 2):
        if not (records[i].blank and not records[i + 1].blank and not records[i + 2].blank):
            continue
        after, next_ = records[i + 1].fields, records[i + 2].fields
        if len(after) != len(next_) or len(after) < 2:
            continue
        if len(after) != width or after == names:
            return records[i].first
        below = list(takewhile(lambda r: not r.blank, records[i + 2 :]))
        named = all(value.strip() for value in (after[:-1] if not after[-1].strip() else after))
        if named and _header_votes(after, [r.fields for r in below]) >= 2:
            return records[i].first
    return None


def footer_like(fields: list[str], width: int) -> bool:
    """Whether a record at the end of the file is a footer: a totals line, a note, or a record of
    fewer fields than the data's that starts with text (a short record of numbers or dates is a
    data row cut short, rejected as such)."""
    filled = [value.strip() for value in fields if value.strip()]
    if not filled:
        return True
    if TOTALS.match(filled[0]) or NOTES.match(filled[0]):
        return True
    return len(fields) < width and not typed(filled[0])
