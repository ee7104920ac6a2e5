"""Single-byte encodings are parsed as bytes and only their distinct texts transcoded."""

from __future__ import annotations

import pyarrow as pa
import pytest

from csvlake.streams import single_byte, to_utf8, transcoded


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "iso-8859-15", "cp850"])
def test_distinct_texts_transcode_as_the_whole_stream_does(encoding):
    # GIVEN texts holding every byte value but the CSV syntax, cp1252's undefined bytes (0x81…) among them
    every_byte = bytes(b for b in range(256) if b not in b'\n\r";')
    texts = [b"", b"plain ascii", every_byte, every_byte[::-1], b"S\xe3o Lu\xeds \x80 \x81"]
    values = pa.array(texts, pa.binary()).slice(1)

    # WHEN the binary texts are transcoded
    assert single_byte(encoding)
    got = transcoded(values, encoding)

    # THEN each is the text to_utf8 makes of the same bytes
    assert got.type == pa.string()
    assert got.to_pylist() == [b"".join(to_utf8([t], encoding)).decode("utf-8") for t in texts[1:]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "shift_jis", "utf-7", "no-such-codec"])
def test_multi_byte_and_unknown_encodings_are_transcoded_as_streams(encoding):
    assert not single_byte(encoding)
