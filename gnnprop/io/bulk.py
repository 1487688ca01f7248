"""The vectorised reader behind the CSV and edge-list loaders: the common case, in bulk.

The exact readers (:mod:`~gnnprop.io.csvfmt`, :mod:`~gnnprop.io.edgelist`) go
line by line in Python and know every error message. This module reads the same
files with numpy, in chunks of whole lines, and vouches only for a file whose
every data field it can parse exactly:

* ids that are canonical decimal integers of up to 18 digits (``-?(0|[1-9][0-9]*)``);
* numbers written ``-?digits[.digits]``, converted exactly; any other spelling
  (``1e-3``, ``+2``, ``1_000``) goes through Python's ``float`` one field at a time;
* CSV fields separated by single commas, blanks around them allowed; edge-list
  fields separated by runs of blanks, blank lines allowed; ``\\r\\n`` line ends;
  a last line without a newline; comment lines before the first data line.

For anything else (quotes, string ids, a comment after the first data line, a
wrong field count, a bad or non-finite number, non-ASCII text) it returns
``None`` and the caller runs the exact reader, whose messages therefore stay as
they are. Nothing here raises :class:`~gnnprop.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from . import digits

#: Bytes per chunk: small enough that a chunk's temporaries stay in cache.
CHUNK = 1 << 18
#: Bytes kept before each chunk so that 8-byte windows ending inside it stay in the buffer.
PAD = 24
_BOM = b"\xef\xbb\xbf"
_COMMA, _NL, _SPACE, _TAB, _CR, _DOT, _HASH, _PERCENT = 44, 10, 32, 9, 13, 46, 35, 37
_BLANK = np.zeros(256, bool)
_BLANK[[_SPACE, _TAB, _CR]] = True
#: What ``str.split()`` splits on, within ASCII, besides the newline.
_SPLIT_WS = np.zeros(256, bool)
_SPLIT_WS[[_SPACE, _TAB, _CR, 11, 12, 28, 29, 30, 31]] = True


@dataclass
class Columns:
    """The parsed data lines: ``ids [I, lines]`` int64 (one row per id column) and
    ``values [lines, K]`` float64."""

    ids: np.ndarray
    values: np.ndarray


def ascii_text(data: bytes) -> int | None:
    """Where the text of ``data`` starts (after a UTF-8 BOM) if it is plain ASCII without NUL, else ``None``.

    Such data decodes to the same characters one byte each, so it needs no decoding.
    """
    start = len(_BOM) if data.startswith(_BOM) else 0
    if not data.isascii() and not data[start:].isascii():
        return None
    if data.find(b"\0", start) >= 0:
        return None
    return start


def lines_from(data: bytes, start: int) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` of each line from ``start``, without its ``\\n``; for reading a file's head."""
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        yield start, data[start:end]
        start = end + 1


def read(data: bytes, start: int, width: int, id_columns: list[int], value_columns: list[int],
         csv: bool) -> Columns | None:
    """Parse the data lines of ``data[start:]``: each has ``width`` fields.

    ``csv``: fields are separated by commas (blanks around them ignored), else by
    runs of blanks. The fields at ``id_columns`` are integer ids, those at
    ``value_columns`` numbers; every field must be one or the other.
    ``None`` when anything is beyond this reader (see the module docstring).
    """
    stop = _trim_end(data, start)
    if stop <= start or (csv and data.find(b'"', start, stop) >= 0):
        return None
    id_parts: list[np.ndarray] = []
    value_parts: list[np.ndarray] = []
    for buffer, text_start, text_stop in _chunks(data, start, stop):
        if csv:
            fields = _split_csv(buffer, width)
            if fields is not None and _has(data, text_start, text_stop, b" ", b"\t", b"\r"):
                fields = _strip(buffer, fields)
        else:
            fields = _split_blanks(buffer, width, cr=_has(data, text_start, text_stop, b"\r"))
        parsed = None if fields is None else _parse(buffer, fields, id_columns, value_columns)
        if parsed is None:
            return None
        id_parts.append(parsed[0])
        value_parts.append(parsed[1])
    ids = np.concatenate(id_parts, axis=1) if id_parts else np.zeros((len(id_columns), 0), np.int64)
    values = np.concatenate(value_parts) if value_parts else np.zeros((0, len(value_columns)))
    return Columns(ids=ids, values=values)


def _trim_end(data: bytes, start: int) -> int:
    """End of ``data[start:]`` without its trailing blanks and newlines (looked at from the end, 4 KiB at a time)."""
    stop = len(data)
    while stop > start:
        tail = data[max(start, stop - 4096):stop]
        kept = len(tail.rstrip(b" \t\r\n"))
        stop -= len(tail) - kept
        if kept:
            break
    return stop


def _has(data: bytes, start: int, stop: int, *needles: bytes) -> bool:
    """Whether ``data[start:stop]`` holds one of ``needles`` (without copying it)."""
    return any(data.find(needle, start, stop) >= 0 for needle in needles)


def _chunks(data: bytes, start: int, stop: int) -> Iterator[tuple[np.ndarray, int, int]]:
    """``(buffer, text_start, text_stop)`` for runs of whole lines of ``data[start:stop]``.

    ``buffer`` holds :data:`PAD` bytes of no meaning, then the lines, each ending
    in ``\\n`` (one is added after the last line); ``text_start..text_stop`` is
    where the lines are in ``data``. Most buffers are views of ``data``.
    """
    whole = np.frombuffer(data, np.uint8)
    while start < stop:
        cut = data.rfind(b"\n", start, min(start + CHUNK, stop)) + 1
        if cut <= start:  # a line longer than a chunk
            cut = data.find(b"\n", start, stop) + 1 or stop
        if start >= PAD and cut < stop:
            yield whole[start - PAD:cut], start, cut
        else:  # the first lines (too little before them) or the last (no \n after it)
            body = data[start:cut]
            tail = b"" if body.endswith(b"\n") else b"\n"
            yield np.frombuffer(b"\n" * PAD + body + tail, np.uint8), start, cut
        start = cut


def _layout(starts: np.ndarray, ends: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    return starts.reshape(-1, width), ends.reshape(-1, width)


def _split_csv(buffer: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(starts, ends)`` ``[lines, width]`` of the comma-separated fields in ``buffer`` (not stripped)."""
    text = buffer[PAD:]
    sep = text == _COMMA
    sep |= text == _NL
    ends = np.flatnonzero(sep)
    if len(ends) % width:
        return None
    kinds = text[ends].reshape(-1, width)
    if kinds[:, -1].max() != _NL or (width > 1 and kinds[:, :-1].min() != _COMMA):  # kinds are 10 or 44
        return None
    ends += PAD
    starts = np.empty_like(ends)
    starts[0] = PAD
    starts[1:] = ends[:-1] + 1
    return _layout(starts, ends, width)


def _strip(buffer: np.ndarray, fields: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """The fields without blanks (space, tab, CR before the newline) on either side.

    ``None`` if a field is empty then, or a CR stands anywhere but before a newline
    (Python's csv module would end the row there).
    """
    text = buffer[PAD:]
    cr = np.flatnonzero(text == _CR)
    if len(cr) and (text[cr + 1] != _NL).any():
        return None
    starts, ends = (f.copy() for f in fields)
    while True:
        step = _BLANK[buffer[starts]] & (starts < ends)
        if not step.any():
            break
        starts += step
    while True:
        step = _BLANK[buffer[ends - 1]] & (starts < ends)
        if not step.any():
            break
        ends -= step
    if (starts == ends).any():
        return None
    return starts, ends


def _split_blanks(buffer: np.ndarray, width: int, cr: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """``(starts, ends)`` ``[lines, width]`` of the blank-separated fields in ``buffer``.

    Single spaces or tabs between fields are read directly; runs of blanks,
    blanks at either end of a line, blank lines and CRs (``cr``: there are some)
    take the general way. A line whose first field starts with ``#`` or ``%``
    (a comment) gives ``None``.
    """
    text = buffer[PAD:]
    fields = None
    ends = None
    if not cr:
        sep = text == _SPACE
        sep |= text == _TAB
        sep |= text == _NL
        ends = np.flatnonzero(sep)
    if ends is not None and len(ends) % width == 0:
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        kinds = text[ends].reshape(-1, width)
        if (ends > starts).all() and (kinds[:, -1] == _NL).all() and not (kinds[:, :-1] == _NL).any():
            fields = _layout(starts + PAD, ends + PAD, width)
    if fields is None:
        fields = _split_runs(text, width)
    if fields is not None:
        lead = buffer[fields[0][:, 0]]
        if ((lead == _HASH) | (lead == _PERCENT)).any():
            return None
    return fields


def _split_runs(text: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The general case of :func:`_split_blanks`: fields are runs of non-blanks, as ``str.split`` finds them."""
    newline = text == _NL
    inside = ~(_SPLIT_WS[text] | newline)
    before = np.empty_like(inside)
    before[0] = False
    before[1:] = inside[:-1]
    first = inside & ~before  # a field starts here
    events = np.flatnonzero(first | newline)
    is_newline = newline[events]
    # a newline ends a line only after a field; others end blank lines
    keep = ~is_newline
    keep[1:] |= is_newline[1:] & ~is_newline[:-1]
    pattern = is_newline[keep]
    if len(pattern) % (width + 1):
        return None
    pattern = pattern.reshape(-1, width + 1)
    if not pattern[:, -1].all() or pattern[:, :-1].any():
        return None
    after = np.empty_like(inside)
    after[-1] = False
    after[:-1] = inside[1:]
    starts = np.flatnonzero(first) + PAD
    ends = np.flatnonzero(inside & ~after) + PAD + 1
    return _layout(starts, ends, width)


def _parse(buffer: np.ndarray, fields: tuple[np.ndarray, np.ndarray], id_columns: list[int],
           value_columns: list[int]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(ids [I, lines], values [lines, K])`` of one chunk's fields, or ``None``."""
    starts, ends = fields
    words = digits.word_view(buffer)
    width = starts.shape[1]
    if id_columns == list(range(width)):  # every byte is a separator or in an id
        text = buffer[PAD:]
        digits_only = np.count_nonzero((text - 48) < 10) + starts.size == len(text)
        found = digits.integers(buffer, words, starts.ravel(), ends.ravel(), digits_only)
    else:
        found = digits.integers(buffer, words, starts[:, id_columns].ravel(), ends[:, id_columns].ravel())
    if found is None:
        return None
    ids = np.ascontiguousarray(found.reshape(len(starts), len(id_columns)).T)
    values = np.empty((len(starts), len(value_columns)))
    if value_columns:
        dots = _dots(buffer, starts, ends)
        for k, j in enumerate(value_columns):
            column = _numbers(buffer, words, starts[:, j], ends[:, j], dots[:, j])
            if column is None:
                return None
            values[:, k] = column
    return ids, values


def _dots(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``[lines, width]``: where the ``.`` of each field is: its end when it has none, and just
    before its start when it has two (a place no number has its dot, so it fails)."""
    flat_starts = starts.ravel()
    found = ends.ravel().copy()
    at = np.flatnonzero(buffer[PAD:] == _DOT) + PAD
    if len(at):
        field = np.searchsorted(flat_starts, at, side="right") - 1
        inside = (field >= 0) & (at < found[np.maximum(field, 0)])
        at, field = at[inside], field[inside]
        found[field] = at
        twice = np.bincount(field, minlength=len(found)) > 1
        found[twice] = flat_starts[twice] - 1  # no valid number has that
    return found.reshape(starts.shape)


def _numbers(buffer: np.ndarray, words: np.ndarray, starts: np.ndarray, ends: np.ndarray,
             dots: np.ndarray) -> np.ndarray | None:
    """float64 of a column of numbers; ``None`` if one is not a finite number."""
    values, ok = digits.decimals(buffer, words, starts, ends, dots)
    if not ok.all():
        slow = np.flatnonzero(~ok)
        try:
            values[slow] = [float(buffer[starts[i]:ends[i]].tobytes()) for i in slow.tolist()]
        except ValueError:
            return None
        if not np.isfinite(values[slow]).all():
            return None
    return values
