"""Type inference never loses data: what does not convert exactly stays text."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from csvlake import arrowtext, types


def update(inference: types.TypeInference, texts: pa.Array, first_line: int = 2) -> dict:
    """A chunk of one row per text, from `first_line` on."""
    rows = np.arange(len(texts))
    return inference.update(texts, pa.array(rows, pa.int32()), rows + first_line)


def infer(values: list[str | None], decimal: str = ".", chunks: int = 1) -> str:
    inference = types.TypeInference(decimal)
    size = max(1, len(values) // chunks)
    for start in range(0, len(values), size):
        update(inference, types.nulls_applied(pa.array(values[start : start + size], pa.string())), start + 2)
    return types.kind(inference.result())


@pytest.mark.parametrize(
    ("values", "decimal", "kind"),
    [
        (["1", "-2", "+3", "0"], ".", "integer"),
        (["00501", "12345"], ".", "string"),
        (["9223372036854775807", "-9223372036854775807"], ".", "integer"),
        (["9223372036854775808", "1"], ".", "string"),
        (["1", "2.5", "-.5", "1e3"], ".", "number"),
        (["0.1", "12345678.123456"], ".", "number"),
        (["0.12345678901234567", "1"], ".", "string"),
        (["1.234,56", "7,5", "1.000"], ",", "number"),
        (["1.234", "12.345.678"], ",", "integer"),
        (["1,5"], ".", "string"),
        (["1e400", "1"], ".", "string"),
        (["1e-400", "1"], ".", "string"),
        (["-9223372036854775808"], ".", "integer"),
        (["true", "FALSE", "True"], ".", "boolean"),
        (["yes", "no"], ".", "string"),
        (["2024-02-29", "2023-12-31"], ".", "date"),
        (["2023-02-29"], ".", "string"),
        (["25/12/2024", "01/01/2025"], ",", "date"),
        (["12/31/2024", "01/15/2024"], ".", "date"),
        (["01/02/2024", "03/04/2024"], ",", "date"),
        (["01/02/2024", "03/04/2024"], ".", "string"),
        (["13/01/2024", "01/13/2024"], ".", "string"),
        (["2024-01-02 10:00:05", "2024-01-02T23:59", "2024-01-03"], ".", "datetime"),
        (["2024-01-02T10:00:00Z", "2024-01-02T10:00:00-03:00"], ".", "datetime"),
        (["2024-01-02T10:00:00Z", "2024-01-02T10:00:00"], ".", "string"),
        (["2024-01-02T25:00:00"], ".", "string"),
        (["2015/01/01", "2015/1/31"], ".", "date"),
        (["2015/01/01 01:00:00", "2015/01/01", "2015/12/31 23:59"], ".", "datetime"),
        (["2015/02/29"], ".", "string"),
        (["2015/31/01"], ".", "string"),
        # Python's dates hold years 1 to 9999; in UTC, the last two are in years 10000 and 0.
        (["0001-01-01", "9999-12-31"], ".", "date"),
        (["0000-01-01"], ".", "string"),
        (["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"], ".", "datetime"),
        (["9999-12-31T23:59:59-05:00"], ".", "string"),
        (["0001-01-01T00:00:00+01:00"], ".", "string"),
        (["1", "x"], ".", "string"),
        (["1", "2024-01-01"], ".", "string"),
        (["", "NA", "null", " N/A ", None], ".", "string"),
        (["", "7", "NULL"], ".", "integer"),
    ],
)
def test_column_type_comes_from_all_values(values, decimal, kind):
    assert infer(values, decimal) == kind


def test_a_late_value_that_breaks_a_type_turns_the_column_to_text_in_every_chunk():
    values = [str(i) for i in range(100)] + ["0042"]
    assert infer(values, chunks=10) == "string"


@pytest.mark.parametrize(
    ("values", "decimal", "kind"),
    [
        # Integers first, a decimal later: the column is a number only if float64 keeps every integer.
        (["1", "+2", "10000000000000000", "2,5"], ",", "number"),
        (["1", "+2", "12345678901234567", "2,5"], ",", "string"),
        (["1", "1.234.567.890.123.456.789", "2,5"], ",", "string"),
        (["-3", "9007199254740993", "2.5"], ".", "string"),
        (["-3", "9007199254740992", "2.5"], ".", "number"),
    ],
)
def test_integers_stay_numbers_after_a_decimal_only_when_float64_keeps_them(values, decimal, kind):
    assert infer(values, decimal, chunks=len(values)) == kind
    assert infer(values, decimal, chunks=1) == kind


@pytest.mark.parametrize(
    ("values", "decimal", "expected"),
    [
        (["1.234,56", "-7,5", ",5"], ",", [1234.56, -7.5, 0.5]),
        (["1.234.567"], ",", [1234567]),
        (["25/12/2024", "1/2/2025"], ",", ["2024-12-25", "2025-02-01"]),
        (["2024-01-02 10:00:05.25"], ".", ["2024-01-02 10:00:05.250000"]),
        (["2024-01-02T10:00:00-03:00"], ".", ["2024-01-02 13:00:00+00:00"]),
        (["2015/01/31", "2015/1/5"], ".", ["2015-01-31", "2015-01-05"]),
        (["2015/01/31 01:00:00", "2015/1/5 7:05"], ".", ["2015-01-31 01:00:00", "2015-01-05 07:05:00"]),
        ([" true ", "FALSE"], ".", [True, False]),
    ],
)
def test_conversion_keeps_every_value_exactly(values, decimal, expected):
    inference = types.TypeInference(decimal)
    column = types.nulls_applied(pa.array(values, pa.string()))
    update(inference, column)
    converted = types.convert(column, inference.result(), decimal).to_pylist()
    assert [str(v) if not isinstance(v, (int, float, bool)) else v for v in converted] == expected


@pytest.mark.parametrize("decimal", [",", "."])
def test_numbers_convert_alike_whichever_signs_and_separators_a_slice_holds(decimal):
    """Signs and separators are replaced only where the texts hold them, judged from their bytes;
    a slice's data also holds the bytes of texts sliced away."""
    texts = ["+1", "7", "-2"] + (["1.234,5", "9"] if decimal == "," else ["1234.5", "9"])
    numbers = [1, 7, -2, 1234.5, 9]
    whole = pa.array(texts)
    number = next(f for f in types.formats(decimal) if f.name == "number")
    for start, stop in [(0, 5), (1, 2), (3, 5), (4, 5), (0, 1)]:
        assert types.convert(whole.slice(start, stop - start), number, decimal).to_pylist() == numbers[start:stop]
        assert types.convert(pa.array(texts[start:stop]), number, decimal).to_pylist() == numbers[start:stop]


def test_null_tokens_are_found_alike_in_texts_with_and_without_blanks_case_or_non_ascii():
    """null_tokens looks only at short texts when no text has a blank, control or non-ASCII byte;
    whatever the texts, it must find what trimming, lowercasing and comparing every text finds."""
    rnd = random.Random(4)
    pieces = ["NA", "na", "N/A", "null", "NULL", "None", "nan", "#N/A", "nil", "", "0", "12", "1,5", "abcd", "nulls"]
    padding = ["", " ", "\t", "\u00a0", "é", "\x01"]
    for _ in range(300):
        texts = [rnd.choice(padding) + rnd.choice(pieces) + rnd.choice(padding) for _ in range(rnd.randint(0, 12))]
        if rnd.random() < 0.5:  # no padding at all: the short-text path
            texts = [rnd.choice(pieces) for _ in texts]
        start = rnd.randint(0, len(texts))
        for values in (pa.array(texts, pa.string()), pa.array(texts, pa.string()).slice(start)):
            expected = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)), value_set=types.NULL_TOKENS)
            assert types.null_tokens(values).to_pylist() == expected.to_pylist(), values.to_pylist()
    assert types.null_tokens(pa.array(["NA", None, "x"])).to_pylist() == [True, False, False]


def test_texts_are_trimmed_and_nulls_applied_as_arrow_would_whatever_bytes_they_hold():
    """trimmed passes texts as they are when no byte can be whitespace, and nulls_applied shares the
    texts' buffers; both must give what Arrow's trimming and if_else give, slices and nulls included."""
    rnd = random.Random(7)
    pieces = ["NA", "null", "", "12", "1,5", "abc", "x" * 20]
    padding = ["", "", " ", "\t", "\u00a0", "\u3000", "é", "\x1f"]
    for _ in range(300):
        texts = [rnd.choice(padding) + rnd.choice(pieces) + rnd.choice(padding) for _ in range(rnd.randint(0, 12))]
        texts = [None if rnd.random() < 0.1 else text for text in texts]
        start = rnd.randint(0, len(texts))
        for values in (pa.array(texts, pa.string()), pa.array(texts, pa.string()).slice(start)):
            assert types.trimmed(values).to_pylist() == pc.utf8_trim_whitespace(values).to_pylist()
            is_null = types.null_tokens(values)
            expected = pc.if_else(is_null, pa.scalar(None, pa.string()), values)
            assert types.nulls_applied(values, is_null).to_pylist() == expected.to_pylist()


@pytest.mark.parametrize("decimal", [",", "."])
def test_a_null_that_keeps_long_bytes_is_no_number_to_check(decimal):
    """A null may keep its bytes (nulls_applied shares them): the check for long numbers must not
    take the bytes of a null for a number."""
    for fmt, last in zip(types.formats(decimal)[:2], ["25", "2" + decimal + "5"]):
        texts = pa.array(["1", "12345678901234567890", last])
        validity = pa.array([True, False, True]).buffers()[1]
        values = pa.Array.from_buffers(pa.string(), 3, [validity, *texts.buffers()[1:]])
        assert types._lossless(values, fmt, decimal)


def test_texts_that_unsigned_integers_accepts_match_every_integer_and_number_format():
    """Inference takes arrowtext.unsigned_integers' yes for the integer format's match: every text it
    accepts must match the integer and number formats of either decimal."""
    rnd = random.Random(5)
    for _ in range(200):
        values = pa.array([str(rnd.randint(0, 10 ** rnd.randint(0, 20))) for _ in range(rnd.randint(1, 6))])
        assert arrowtext.unsigned_integers(values), values.to_pylist()
        for decimal in ".,":
            for fmt in types.formats(decimal)[:2]:
                assert pc.all(fmt.matches(values)).as_py()


@pytest.mark.parametrize(
    ("texts", "kind", "strptime"),
    [
        (["0000-01-01", "2024-01-01"], "date", None),
        (["0000-06-01T12:00:00", "2024-01-01T00:00:00"], "datetime", None),
        (["9999-12-31T23:59:59-0500", "2024-01-01T00:00:00+0000"], "datetime", "%Y-%m-%dT%H:%M:%S%z"),
    ],
)
def test_a_declared_date_beyond_year_9999_or_before_year_1_does_not_parse(texts, kind, strptime):
    """Such a value fails the contract's type rule instead of the file (fuzz finding D)."""
    fmt = types.declared(kind, types.TypeInference("."), strptime)
    typed, unparsed = types.parse(types.nulls_applied(pa.array(texts)), fmt, ".")
    assert unparsed.to_pylist() == [True, False]
    assert typed[0].as_py() is None
