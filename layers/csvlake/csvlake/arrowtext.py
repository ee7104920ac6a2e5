"""Byte-level Arrow/numpy helpers: text arrays' offsets and bytes read, transcoded, tested and hashed."""

from __future__ import annotations

import functools
import hashlib

import numpy as np
import pyarrow as pa

from .streams import decode_errors


def text_offsets(values: pa.Array) -> np.ndarray:
    """Where each text of a string or binary array starts in its data buffer, and where the last ends."""
    if pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type):
        width = np.int64
    elif pa.types.is_string(values.type) or pa.types.is_binary(values.type):
        width = np.int32
    else:
        raise TypeError(f"not texts: {values.type}")
    return np.frombuffer(values.buffers()[1], width, len(values) + 1, values.offset * np.dtype(width).itemsize)


def text_lengths(values: pa.Array) -> np.ndarray:
    """Each text's length in bytes, a null's bytes counted."""
    return np.diff(text_offsets(values))


def text_bytes(values: pa.Array) -> np.ndarray:
    """The data bytes from the first text's start to the last text's end; a null's bytes among them."""
    offsets = text_offsets(values)
    data = values.buffers()[2]
    return np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]] if data is not None else np.zeros(0, np.uint8)


@functools.cache
def _utf8_lengths(encoding: str) -> np.ndarray | None:
    """For an encoding of one character per byte, ASCII as ASCII (cp1252, latin-1, …): the length
    in UTF-8 of each byte's character. None for any other encoding (UTF-8, UTF-16, Shift JIS, …)."""
    errors = decode_errors(encoding)
    # Every pair of high bytes: a multi-byte encoding reads some pair as one character (or a BOM as none).
    pairs = bytes(b for first in range(128, 256) for second in range(128, 256) for b in (first, second))
    try:
        if len(pairs.decode(encoding, errors)) != len(pairs) or bytes(range(128)).decode(encoding, errors) != "".join(
            map(chr, range(128))
        ):
            return None
        return np.array([len(bytes([b]).decode(encoding, errors).encode("utf-8")) for b in range(256)], np.int64)
    except (LookupError, UnicodeError):
        return None


def single_byte(encoding: str) -> bool:
    """Whether the parser may split `encoding`'s bytes as they are (transcoded() then reads the texts)."""
    return _utf8_lengths(encoding) is not None


def transcoded(values: pa.Array, encoding: str) -> pa.Array:
    """Binary texts in a single-byte `encoding` as UTF-8 strings, read as streams.to_utf8 reads them.
    Used on a chunk's distinct texts: far fewer bytes than the file's, and ASCII ones are only relabelled."""
    offsets = text_offsets(values)
    data = text_bytes(values)
    if not len(data) or data.max() < 0x80:
        return values.view(pa.string())
    text = data.tobytes().decode(encoding, decode_errors(encoding)).encode("utf-8", "surrogateescape")
    ends = np.concatenate(([0], np.cumsum(_utf8_lengths(encoding)[data])))
    new_offsets = ends[offsets - offsets[0]].astype(np.int32)
    validity = values.buffers()[0]
    if values.offset and validity is not None:
        # The new offsets start at the slice's first text: so must its validity bitmap.
        validity = values.is_valid().buffers()[1]
    return pa.Array.from_buffers(pa.string(), len(values), [validity, pa.py_buffer(new_offsets), pa.py_buffer(text)])


def may_hold(texts: pa.Array, char: str) -> bool:
    """Whether some text may hold the ASCII `char`, from the texts' bytes: a false yes (a null's
    bytes) costs a pass, never a wrong value."""
    return bool((text_bytes(texts) == ord(char)).any())


def plain_ascii(texts: pa.Array) -> bool:
    """Whether no text holds a blank, control or non-ASCII byte, judged as may_hold judges: then no
    text has whitespace to trim, and its case is ASCII's."""
    data = text_bytes(texts)
    return not len(data) or (int(data.min()) > 32 and int(data.max()) < 128)


def unsigned_integers(texts: pa.Array) -> bool:
    """Whether every text (none null) is digits, without a leading zero unless it is 0: what every
    integer format matches, told from the bytes without a regex (docs/adr/0015)."""
    offsets = text_offsets(texts)
    lengths = np.diff(offsets)
    if not len(texts) or not lengths.all() or texts.null_count:
        return False
    data = text_bytes(texts)
    if data.min() < ord("0") or data.max() > ord("9"):
        return False
    return not ((data[offsets[:-1] - offsets[0]] == ord("0")) & (lengths > 1)).any()


def starts_with_any(texts: pa.Array, chars: bytes) -> np.ndarray:
    """Where a text's first byte is one of `chars` (an empty text starts with none), a null's bytes
    judged as they are."""
    offsets = text_offsets(texts)
    data = text_bytes(texts)
    if not len(data):
        return np.zeros(len(texts), bool)
    starts = offsets[:-1] - offsets[0]
    first = data[np.minimum(starts, len(data) - 1)]
    return (offsets[1:] > offsets[:-1]) & np.isin(first, np.frombuffer(chars, np.uint8))


def mix(bits: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads 64-bit keys uniformly, as the KMV estimate needs."""
    with np.errstate(over="ignore"):
        z = bits.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hash64(values: pa.Array) -> np.ndarray:
    """Hashes equal for equal values in every process (Python's hash() is salted per process)."""
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_temporal(values.type):
        numbers = values.to_numpy(zero_copy_only=False)
        if numbers.dtype.kind == "f":
            numbers = numbers.astype(np.float64) + 0.0  # + 0.0: -0.0 and 0.0 are one value
        elif numbers.dtype.itemsize != 8:
            numbers = numbers.astype(np.int64)
        return mix(numbers.view(np.uint64))
    if pa.types.is_boolean(values.type):
        return mix(values.to_numpy(zero_copy_only=False).astype(np.uint64))
    return _text_hash(values)


# Texts longer than this many 8-byte words are hashed one by one by BLAKE2b (C, and no numpy loop
# over their words); shorter ones word by word, all texts of a chunk at once.
VECTOR_WORDS = 64
_TEXT_SEED = np.uint64(0x5851F42D4C957F2D)


def _text_hash(values: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string's UTF-8 bytes, vectorised: the length, then each 8-byte word
    (the last one zero-padded) folded in by splitmix64's finaliser, a bijection of 64-bit words.

    Texts are ordered by their number of words, longest first, so that the texts still hashing at
    word j are a prefix of that order: one numpy pass per word position, none per text.
    """
    offsets = text_offsets(values).astype(np.int64)
    starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
    # Zero bytes after the data: reading a whole word at the last string's end stays in bounds.
    data = np.concatenate([text_bytes(values), np.zeros(8, np.uint8)])
    # Every byte offset as the start of a little-endian word (an unaligned, overlapping view).
    words_at = np.ndarray((len(data) - 7,), "<u8", data, 0, (1,))
    nwords = (lengths + 7) // 8
    if len(values) and lengths.min() == lengths.max() and nwords[0] <= VECTOR_WORDS:
        return _same_length_hash(data, len(values), int(lengths[0]))
    out = np.empty(len(values), np.uint64)
    long = np.flatnonzero(nwords > VECTOR_WORDS)
    for i in long.tolist():
        text = data[starts[i] : starts[i] + lengths[i]].tobytes()
        out[i] = int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")
    order = np.flatnonzero(nwords <= VECTOR_WORDS)
    order = order[np.argsort((-nwords[order]).astype(np.int16), kind="stable")]  # a radix sort
    first, size, tail = starts[order], nwords[order], lengths[order] % 8
    # Of the last word, only the string's own bytes count: `tail` bytes, or all 8 when tail is 0.
    last_mask = np.where(tail == 0, ~np.uint64(0), (np.uint64(1) << (tail.astype(np.uint64) * np.uint64(8))) - 1)
    h = mix(lengths[order].astype(np.uint64) ^ _TEXT_SEED)
    fewer = -size  # ascending: the texts with more than j words are the first searchsorted(fewer, -j)
    with np.errstate(over="ignore"):
        for j in range(int(size[0]) if len(size) else 0):
            active, ending = np.searchsorted(fewer, [-j, -j - 1])
            word = words_at[first[:active] + 8 * j]
            word[ending:] &= last_mask[ending:active]
            h[:active] = mix(h[:active] ^ word)
    out[order] = h
    return out


def _same_length_hash(data: np.ndarray, count: int, length: int) -> np.ndarray:
    """_text_hash's hashes of `count` texts of `length` bytes each, side by side from `data`'s start
    (zip codes, ids, fixed-width codes): each word position read as a strided view, with no sort and
    no gathers (docs/adr/0015)."""
    h = np.full(count, mix(np.array([length], np.uint64) ^ _TEXT_SEED)[0], np.uint64)
    words = (length + 7) // 8
    with np.errstate(over="ignore"):
        for j in range(words):
            word = np.ndarray((count,), "<u8", data, 8 * j, (length,))
            if j == words - 1 and length % 8:
                word = word & np.uint64((1 << (8 * (length % 8))) - 1)
            h = mix(h ^ word)
    return h
