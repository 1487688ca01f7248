"""The integer-only bulk reader: files whose every field is an id (``src,dst``, SNAP edge lists).

Arrow (:mod:`.bulk`) reads ids as text and checks their spelling; on files of
nothing but integers this numpy reader is about twice as fast on two cores
(3 M edges: 0.19 s against 0.37 s), so it goes first there. It reads the file
in chunks of whole lines and vouches only for ids that are canonical decimal
integers of up to 18 digits (``-?(0|[1-9][0-9]*)``), CSV fields separated by
single commas (blanks around them allowed), edge-list fields separated by runs
of blanks, ``\\r\\n`` line ends and a last line without a newline. For
anything else it returns ``None`` and Arrow, then the exact reader, take over.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from . import digits

#: Bytes per chunk: small enough that a chunk's temporaries stay in cache.
CHUNK = 1 << 18
#: Bytes kept before each chunk so that 8-byte windows ending inside it stay in the buffer.
PAD = 24
_COMMA, _NL, _SPACE, _TAB, _CR, _HASH, _PERCENT = 44, 10, 32, 9, 13, 35, 37
_BLANK = np.zeros(256, bool)
_BLANK[[_SPACE, _TAB, _CR]] = True
#: What ``str.split()`` splits on, within ASCII, besides the newline.
_SPLIT_WS = np.zeros(256, bool)
_SPLIT_WS[[_SPACE, _TAB, _CR, 11, 12, 28, 29, 30, 31]] = True


def read_ids(data: bytes, start: int, width: int, csv: bool) -> np.ndarray | None:
    """``[width, lines]`` int64: the fields of the data lines of ``data[start:]``, all ids.

    ``csv``: fields are separated by commas (blanks around them ignored), else by
    runs of blanks. ``None`` when anything is beyond this reader (see the module docstring).
    """
    stop = _trim_end(data, start)
    if stop <= start or (csv and data.find(b'"', start, stop) >= 0):
        return None
    parts: list[np.ndarray] = []
    for buffer, text_start, text_stop in _chunks(data, start, stop):
        if csv:
            fields = _split_csv(buffer, width)
            if fields is not None and _has(data, text_start, text_stop, b" ", b"\t", b"\r"):
                fields = _strip(buffer, fields)
        else:
            fields = _split_blanks(buffer, width, cr=_has(data, text_start, text_stop, b"\r"))
        parsed = None if fields is None else _parse(buffer, fields)
        if parsed is None:
            return None
        parts.append(parsed)
    return np.concatenate(parts, axis=1)


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


def _parse(buffer: np.ndarray, fields: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    """``[width, lines]`` int64 of one chunk's fields, or ``None``."""
    starts, ends = fields
    text = buffer[PAD:]
    digits_only = np.count_nonzero((text - 48) < 10) + starts.size == len(text)  # else separators only
    found = digits.integers(buffer, digits.word_view(buffer), starts.ravel(), ends.ravel(), digits_only)
    return None if found is None else np.ascontiguousarray(found.reshape(starts.shape).T)
