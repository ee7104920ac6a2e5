"""Byte streams decode to the same UTF-8 however they are cut into pieces."""

from __future__ import annotations

import random

import pytest

from csvlake.streams import to_utf8

ALPHABET = 'ab;,"\r\n ãçé€日本😀\x00'


def lone_cr_to_lf(text: str) -> str:
    """Every CR outside quotes as LF, character by character."""
    out, inside = [], False
    for char in text:
        inside ^= char == '"'
        out.append("\n" if char == "\r" and not inside else char)
    return "".join(out)


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

        # WHEN the pieces are read THEN the UTF-8 is the whole text's, lone CRs as LFs if asked
        got = b"".join(to_utf8(iter(pieces), encoding, lone_cr=lone_cr))
        assert got == (lone_cr_to_lf(text) if lone_cr else text).encode("utf-8")
