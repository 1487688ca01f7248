"""Decimal integers read straight from the bytes of a file, many at a time.

Each function takes ``words``, the bytes of a buffer seen as unaligned
little-endian 8-byte words (``words[i]`` holds bytes ``i .. i+7``; see
:func:`word_view`), and the place of every field in it. Eight ASCII digits
become one number with a few whole-array operations (a "SWAR" conversion):
pairs of digits, then quads, then the eight are combined inside the word.

Nothing here raises on bad input: every result comes with a mask that says
which fields were well formed, and the caller decides what to do with the rest.
"""

from __future__ import annotations

import numpy as np

_MASK = (1 << 64) - 1
_ZEROS = np.uint64(0x3030303030303030)  # eight '0'
_HIGH = np.uint64(0x8080808080808080)
_PAST_NINE = np.uint64(0x4646464646464646)  # byte + 0x46 has its high bit set from ':' (0x3a) on
#: ``_KEEP[k]``: the last ``k`` bytes of a word (its high bytes: the word is little-endian).
_KEEP = np.array([(_MASK << 8 * (8 - k)) & _MASK for k in range(9)], dtype=np.uint64)
_U = np.uint64


def word_view(buffer: np.ndarray) -> np.ndarray:
    """``uint64`` words at every byte offset of the uint8 array ``buffer`` (no copy)."""
    return np.ndarray(shape=(max(len(buffer) - 7, 0),), dtype="<u8", buffer=buffer, strides=(1,))


def _eight(words: np.ndarray, ends: np.ndarray, count: np.ndarray,
           check: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Value and validity of the last ``count`` (0..8) bytes before each of ``ends``, as digits."""
    x = np.take(words, ends - 8)  # faster than words[...] on these unaligned words
    keep = _KEEP[count]
    x &= keep  # the bytes before the field become 0
    ok = None
    if check:  # every kept byte within '0'..'9'
        ok = ((~((x | _HIGH) - _ZEROS) | (x + _PAST_NINE)) & _HIGH & keep) == 0
    x &= _U(0x0F0F0F0F0F0F0F0F)
    x = ((x * _U(10 << 8 | 1)) >> _U(8)) & _U(0x00FF00FF00FF00FF)  # pairs of digits
    x = ((x * _U(100 << 16 | 1)) >> _U(16)) & _U(0x0000FFFF0000FFFF)  # quads
    x = (x * _U(10000 << 32 | 1)) >> _U(32)  # all eight
    return x, ok


def unsigned(words: np.ndarray, ends: np.ndarray, count: np.ndarray,
             check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``uint64`` value of the ``count`` bytes before each of ``ends`` read as decimal digits.

    ``count`` may be 0 (value 0) and at most 19; ``ends - 8 * ceil(max(count) / 8)``
    must not be negative (the bytes before a field are read, then ignored).
    Returns ``(values, ok)``; ``ok`` is False where a byte is not a digit.
    ``check=False``: the caller knows they are all digits (``ok`` is then all True).
    """
    ok = np.ones(len(ends), bool)
    if not len(ends):
        return np.zeros(0, np.uint64), ok
    n_words = max(1, (int(count.max()) + 7) // 8)
    value = np.zeros(len(ends), np.uint64)
    for w in range(n_words):
        part, good = _eight(words, ends - 8 * w, np.clip(count - 8 * w, 0, 8) if w else np.minimum(count, 8), check)
        value += part * _U(10 ** (8 * w)) if w else part
        if good is not None:
            ok &= good
    return value, ok


def integers(buffer: np.ndarray, words: np.ndarray, starts: np.ndarray, ends: np.ndarray,
             digits_only: bool = False) -> np.ndarray | None:
    """int64 values of fields that are all canonical decimal integers, else ``None``.

    Canonical as in :data:`gnnprop.io.ids.INT_TOKEN`: ``-?(0|[1-9][0-9]*)``,
    here at most 18 digits so the value surely fits in int64 (longer ones give
    ``None`` and go the exact way). ``digits_only``: the caller has checked that
    the fields hold nothing but digits.
    """
    if not len(starts):
        return np.zeros(0, np.int64)
    negative = None if digits_only else buffer[starts] == 45  # '-'
    first = starts if negative is None else starts + negative
    count = ends - first
    if count.min() < 1 or count.max() > 18:
        return None
    if ((buffer[first] == 48) & (count > 1)).any():  # a leading zero: "007" is a string id
        return None
    value, ok = unsigned(words, ends, count, check=not digits_only)
    if not ok.all():
        return None
    value = value.view(np.int64)
    if negative is not None and negative.any():
        np.negative(value, out=value, where=negative)
    return value
