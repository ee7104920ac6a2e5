"""Byte streams decode to the same UTF-8 however they are cut into pieces, and their lines end where
the file's line ends are."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from csvlake.streams import line_ends, to_utf8

ALPHABET = 'ab;,"\r\n ãçé€日本😀\x00'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "shift_jis"])
@pytest.mark.parametrize("lone_cr", [False, True])
def test_a_stream_reads_as_its_whole_text_however_it_is_cut(encoding, lone_cr):
    # GIVEN random texts the encoding can write, cut into pieces anywhere (inside a character too)
    rnd = random.Random(8)
    alphabet = [char for char in ALPHABET if char.encode(encoding, "ignore").decode(encoding) == char]
    for _ in range(100):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        data = text.encode(encoding)
        # The first piece holds the BOM whole, as the peeked sample that comes first does.
        first = 3 if encoding == "utf-8-sig" else 0
        cuts = sorted(rnd.sample(range(first, len(data) + 1), min(4, len(data) + 1 - first)))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]

        # WHEN the pieces are read
        got = list(to_utf8(iter(pieces), encoding, lone_cr=lone_cr))

        # THEN the UTF-8 is the whole text's; in a file of CR line ends, no CRLF is cut in two
        assert b"".join(got) == text.encode("utf-8")
        assert not lone_cr or not any(a.endswith(b"\r") and b.startswith(b"\n") for a, b in itertools.pairwise(got))


def test_lines_end_at_lf_and_in_a_cr_file_as_universal_newlines_end_them():
    rnd = random.Random(3)
    for _ in range(2000):
        data = bytes(rnd.choice(b"\r\nx") for _ in range(rnd.randrange(0, 14)))
        arr = np.frombuffer(data, np.uint8)
        # bytes.splitlines ends lines at LF, CR and CRLF, as Python's universal newlines do.
        ends = np.cumsum([len(line) for line in data.splitlines(keepends=True)]) - 1
        universal = [int(end) for end in ends if data[end] in b"\r\n"]

        assert line_ends(arr, lone_cr=True).tolist() == universal, data
        assert line_ends(arr, lone_cr=False).tolist() == [i for i, byte in enumerate(data) if byte == 10], data
