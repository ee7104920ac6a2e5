"""Each byte-level helper gives what a plain Python version gives, on random texts of every layout."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest

from csvlake import arrowtext
from csvlake.streams import decode_errors, to_utf8

ALPHABET = "abcXYZ019 ;,.\"'=+-@ãçéüß€日本語😀\x00\t\r\n\x7f"
MASK = 2**64 - 1


@dataclass
class Case:
    """An array and, for each of its slots, the bytes it holds (a null's too) and whether it is valid."""

    array: pa.Array
    slots: list[bytes]
    valid: list[bool]
    skipped: int  # bytes of the texts sliced away before the first slot


def cases(rnd: random.Random, texts: list, types: list[pa.DataType]) -> Iterator[Case]:
    """`texts` as arrays of each type: without nulls, with nulls that keep their bytes (as
    types.nulls_applied leaves them) and with nulls that hold none, each whole and sliced."""
    valid = [rnd.random() > 0.2 for _ in texts]
    encoded = [t.encode() if isinstance(t, str) else t for t in texts]
    start = rnd.randint(0, len(texts))
    stop = rnd.randint(start, len(texts))
    for kind in types:
        plain = pa.array(texts, kind)
        bitmap = pa.array(valid, pa.bool_()).buffers()[1]
        keeping = pa.Array.from_buffers(kind, len(texts), [bitmap, *plain.buffers()[1:]])
        holding_none = pa.array([t if v else None for t, v in zip(texts, valid)], kind)
        for array, slots, ok in (
            (plain, encoded, [True] * len(texts)),
            (keeping, encoded, valid),
            (holding_none, [b if v else b"" for b, v in zip(encoded, valid)], valid),
        ):
            yield Case(array, slots, ok, 0)
            skipped = sum(map(len, slots[:start]))
            yield Case(array.slice(start, stop - start), slots[start:stop], ok[start:stop], skipped)


def random_texts(rnd: random.Random, alphabet: str = ALPHABET, longest: int = 12) -> list[str]:
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, longest))) for _ in range(rnd.randint(0, 12))]


def random_binaries(rnd: random.Random) -> list[bytes]:
    return [bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 12))) for _ in range(rnd.randint(0, 12))]


TEXT_TYPES = [pa.string(), pa.large_string()]
ALL_TEXT_TYPES = [*TEXT_TYPES, pa.binary(), pa.large_binary()]


def test_offsets_lengths_and_bytes_are_the_texts_bytes_in_order():
    rnd = random.Random(1)
    for _ in range(200):
        texts = random_texts(rnd) if rnd.random() < 0.5 else random_binaries(rnd)
        types = TEXT_TYPES if texts and isinstance(texts[0], str) else ALL_TEXT_TYPES[2:]
        for case in cases(rnd, texts, types):
            offsets = arrowtext.text_offsets(case.array)
            lengths = [len(b) for b in case.slots]
            assert offsets.tolist() == [case.skipped + sum(lengths[:i]) for i in range(len(lengths) + 1)]
            assert arrowtext.text_lengths(case.array).tolist() == lengths
            assert arrowtext.text_bytes(case.array).tobytes() == b"".join(case.slots)


def test_offsets_are_only_for_texts():
    with pytest.raises(TypeError):
        arrowtext.text_offsets(pa.array([1, 2]))


def test_byte_predicates_judge_every_slot_s_bytes_as_plain_python_does():
    rnd = random.Random(2)
    for _ in range(300):
        texts = random_texts(rnd, rnd.choice([ALPHABET, "0123456789", "00123456789+-. ,a", "abc=+-@"]))
        for case in cases(rnd, texts, TEXT_TYPES):
            data = b"".join(case.slots)
            for char in '"+.,=':
                assert arrowtext.may_hold(case.array, char) == (char.encode() in data)
            assert arrowtext.plain_ascii(case.array) == all(32 < byte < 128 for byte in data)
            unsigned = all(case.valid) and all(re.fullmatch(rb"0|[1-9][0-9]*", b) for b in case.slots)
            assert arrowtext.unsigned_integers(case.array) == (len(case.slots) > 0 and unsigned)
            for chars in (b"=+-@\t\r", b"a", b""):
                starts = [len(b) > 0 and b[0] in chars for b in case.slots]
                assert arrowtext.starts_with_any(case.array, chars).tolist() == starts


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "iso-8859-15", "cp850"])
def test_binary_texts_transcode_as_the_stream_decoder_reads_them(encoding):
    # GIVEN random bytes, and texts holding every byte value, cp1252's undefined ones (0x81…) among them
    rnd = random.Random(3)
    every_byte = bytes(range(256))
    samples = [[b"", b"plain ascii", every_byte, every_byte[::-1], b"S\xe3o Lu\xeds \x80 \x81"]]
    samples += [random_binaries(rnd) for _ in range(100)]
    assert arrowtext.single_byte(encoding)
    for texts in samples:
        for case in cases(rnd, texts, [pa.binary()]):
            # WHEN the binary texts are transcoded
            got = arrowtext.transcoded(case.array, encoding)

            # THEN each is the text to_utf8 makes of the same bytes, and nulls stay null
            assert got.type == pa.string()
            expected = [b"".join(to_utf8([b], encoding)).decode("utf-8") for b in case.slots]
            assert got.to_pylist() == [text if ok else None for text, ok in zip(expected, case.valid)]
            assert expected == [b.decode(encoding, decode_errors(encoding)) for b in case.slots]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "shift_jis", "utf-7", "no-such-codec"])
def test_multi_byte_and_unknown_encodings_are_not_single_byte(encoding):
    assert not arrowtext.single_byte(encoding)


def mix(x: int) -> int:
    """splitmix64's finaliser on a Python integer."""
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def text_hash(text: bytes) -> int:
    """The text hash word by word: the length, then each 8-byte word, the last one zero-padded."""
    words = (len(text) + 7) // 8
    if words > arrowtext.VECTOR_WORDS:
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")
    h = mix(len(text) ^ int(arrowtext._TEXT_SEED))
    for j in range(words):
        h = mix(h ^ int.from_bytes(text[8 * j : 8 * j + 8], "little"))
    return h


def test_mix_is_splitmix64_s_finaliser():
    rng = np.random.default_rng(4)
    bits = rng.integers(0, 2**64, 1000, np.uint64, endpoint=False)
    signed = rng.integers(-(2**63), 2**63, 1000, np.int64)
    assert arrowtext.mix(bits).tolist() == [mix(int(b)) for b in bits]
    assert arrowtext.mix(signed).tolist() == [mix(int(s) & MASK) for s in signed]


def test_texts_hash_as_the_word_by_word_reference_hashes_their_bytes():
    # GIVEN texts of every length around the 8-byte words the hash reads, some all of one length (hashed
    # without sorting), and long ones on both sides of VECTOR_WORDS
    rnd = random.Random(5)
    longest = 8 * arrowtext.VECTOR_WORDS
    samples = [["", "\x00", "a", "a\x00", "1234567", "12345678", "12345678\x00", "123456789"]]
    samples += [random_texts(rnd, longest=40) for _ in range(200)]
    samples += [["".join(rnd.choice("abc😀") for _ in range(rnd.randint(longest - 20, longest + 20)))] * 3]
    for length in (0, 1, 7, 8, 9, 16, 23, longest, longest + 1):
        samples += [["".join(rnd.choice("abc019") for _ in range(length)) for _ in range(rnd.randint(1, 6))]]
        samples += [["é" * (length // 2)] * 3]
    for texts in samples:
        for case in cases(rnd, texts, ALL_TEXT_TYPES):
            assert arrowtext.hash64(case.array).tolist() == [text_hash(b) for b in case.slots]


def test_different_texts_get_different_hashes():
    rnd = random.Random(6)
    texts = list({"".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 40))) for _ in range(5000)})
    assert len(set(arrowtext.hash64(pa.array(texts)).tolist())) == len(texts)


def test_numbers_dates_and_booleans_hash_as_their_64_bit_patterns():
    rnd = random.Random(7)
    epoch = dt.datetime(1970, 1, 1)
    special = [0.0, -0.0, 1.5, -2.25]
    for _ in range(50):
        n = rnd.randint(0, 20)
        for kind in (pa.int8(), pa.int16(), pa.int32(), pa.int64()):
            half = 2 ** (kind.bit_width - 1)
            values = [rnd.randint(-half, half - 1) for _ in range(n)]
            assert arrowtext.hash64(pa.array(values, kind)).tolist() == [mix(v & MASK) for v in values]
        values = [rnd.randint(0, 2**32 - 1) for _ in range(n)]
        assert arrowtext.hash64(pa.array(values, pa.uint32())).tolist() == [mix(v) for v in values]
        for kind in (pa.float32(), pa.float64()):
            floats = pa.array(
                [rnd.choice(special) if rnd.random() < 0.3 else rnd.uniform(-1e9, 1e9) for _ in range(n)], kind
            )
            bits = [struct.unpack("<Q", struct.pack("<d", v + 0.0))[0] for v in floats.to_pylist()]
            assert arrowtext.hash64(floats).tolist() == [mix(b) for b in bits]
        stamps = [epoch + dt.timedelta(microseconds=rnd.randint(-(10**15), 10**15)) for _ in range(n)]
        days = [(s.date() - epoch.date()).days & MASK for s in stamps]
        assert arrowtext.hash64(pa.array([s.date() for s in stamps], pa.date32())).tolist() == list(map(mix, days))
        micros = [(s - epoch) // dt.timedelta(microseconds=1) & MASK for s in stamps]
        assert arrowtext.hash64(pa.array(stamps, pa.timestamp("us"))).tolist() == list(map(mix, micros))
        flags = [rnd.random() < 0.5 for _ in range(n)]
        assert arrowtext.hash64(pa.array(flags, pa.bool_())).tolist() == [mix(int(f)) for f in flags]
    # -0.0 and 0.0 are one value
    assert arrowtext.hash64(pa.array([0.0]))[0] == arrowtext.hash64(pa.array([-0.0]))[0]
