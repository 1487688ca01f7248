"""The bulk reader behind the CSV and edge-list loaders: ``pyarrow.csv`` for the common case.

The exact readers (:mod:`~gnnprop.io.csvfmt`, :mod:`~gnnprop.io.edgelist`) go
line by line in Python and know every error message. This module hands the same
files to Arrow's multi-threaded CSV reader (numbers correctly rounded, as
Python's ``float`` rounds them) and vouches only for a file it read exactly as
the exact reader would:

* ids that are canonical decimal integers within int64 (``-?(0|[1-9][0-9]*)``;
  Arrow's integer parser also takes ``007``, ``-00`` and ``0x1f``, which the exact
  reader keeps as string ids, so ids are read as text and their spelling checked:
  digits and a leading minus only, no leading zero);
* finite numbers that Arrow parses (``1e-3``, ``+2``, ``.5``; it refuses ``1_000``,
  which Python's ``float`` takes: such a file goes the exact way);
* CSV fields separated by commas, blanks around them allowed, ``\\r\\n`` line
  ends, blank lines, a last line without a newline, comment lines before the
  header; edge-list fields separated by blanks (one space or one tab read
  directly; runs of blanks, blanks at either end of a line, blank lines and
  comment lines anywhere are first normalised with numpy, as ``str.split`` and
  the comment rule read them).

Files of nothing but ids go to :mod:`.intscan` first (faster there).
For anything else (quotes, string ids, a bare CR in a CSV file, a wrong field
count, a bad or non-finite number, non-ASCII text) it returns ``None`` and the
caller runs the exact reader, whose messages therefore stay as they are.
Nothing here raises :class:`~gnnprop.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np

from . import intscan

if TYPE_CHECKING:
    import pyarrow as pa

#: Arrow's block size: how much text one thread parses at a time (tests make it small).
BLOCK_SIZE = 1 << 20
_BOM = b"\xef\xbb\xbf"
_NL, _SPACE, _HASH, _PERCENT = 10, 32, 35, 37
#: What ``str.split()`` splits on, within ASCII, besides the newline.
_SPLIT_WS = np.zeros(256, bool)
_SPLIT_WS[[32, 9, 13, 11, 12, 28, 29, 30, 31]] = True
_MINUS = 45
#: ``_LOWEST[k]``: the least magnitude written with ``k`` digits and no leading zero (never, from 20 on).
_LOWEST = np.array([1, 0] + [10**(k - 1) for k in range(2, 20)] + [2**64 - 1], dtype=np.uint64)


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
    if not value_columns and len(id_columns) == width:  # ids only: the numpy reader is faster there
        ids = intscan.read_ids(data, start, width, csv)
        if ids is not None:
            return Columns(ids=ids, values=np.zeros((ids.shape[1], 0)))
    bare_cr = data.find(b"\r", start) >= 0 and data.count(b"\r", start) != data.count(b"\r\n", start)
    body: bytes | memoryview = memoryview(data)[start:]
    normalised = False
    if csv:
        if bare_cr or data.find(b'"', start) >= 0:
            return None
        delimiter = ","
    else:
        end = data.find(b"\n", start)
        first = data[start:len(data) if end < 0 else end].rstrip(b"\r")
        delimiter = "\t" if b"\t" in first and b" " not in first else " "
        if bare_cr or _irregular_blanks(first, delimiter):
            body, delimiter, normalised = normalise_blanks(body), " ", True
    table = _arrow_table(body, width, id_columns, delimiter)
    if table is None and not csv and not normalised:  # runs of blanks or comment lines further on
        table = _arrow_table(normalise_blanks(body), width, id_columns, " ")
    if table is None or table.num_rows == 0:
        return None
    ids = np.empty((len(id_columns), table.num_rows), np.int64)
    for k, j in enumerate(id_columns):
        column = _canonical_ints(table.column(j))
        if column is None:
            return None
        ids[k] = column
    values = np.empty((table.num_rows, len(value_columns)))
    for k, j in enumerate(value_columns):
        values[:, k] = table.column(j).to_numpy()
    if value_columns and not np.isfinite(values).all():
        return None
    return Columns(ids=ids, values=values)


def _irregular_blanks(first_line: bytes, delimiter: str) -> bool:
    """Whether the first data line needs :func:`normalise_blanks` before Arrow can split it."""
    other = b" " if delimiter == "\t" else b"\t"
    sep = delimiter.encode()
    return (other in first_line or sep * 2 in first_line or first_line[:1].isspace()
            or first_line[-1:].isspace())


def _arrow_table(body: bytes | memoryview, width: int, id_columns: list[int], delimiter: str) -> pa.Table | None:
    """The fields of ``body`` as an Arrow table (ids as text, the rest float64), or ``None`` if Arrow refuses it."""
    import pyarrow as pa  # imported when a file is read, not with the CLI
    import pyarrow.csv as pcsv

    names = [f"c{j}" for j in range(width)]
    types = {name: pa.string() if j in id_columns else pa.float64() for j, name in enumerate(names)}
    try:
        return pcsv.read_csv(
            pa.BufferReader(_arrow_owned(body)),
            read_options=pcsv.ReadOptions(column_names=names, block_size=BLOCK_SIZE),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(column_types=types, null_values=[], strings_can_be_null=False,
                                                quoted_strings_can_be_null=False, check_utf8=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _arrow_owned(body: bytes | memoryview) -> pa.Buffer:
    """A copy of ``body`` in memory that Arrow owns.

    Arrow's worker threads may drop their last reference to the input after the
    read has returned; were it a Python object, they would need the interpreter
    to free it, and at exit that aborts the process ("terminate called without
    an active exception"). A copy is cheap next to the parse (about 2%).
    """
    import pyarrow as pa

    buffer = pa.allocate_buffer(len(body))
    np.frombuffer(buffer, np.uint8)[:] = np.frombuffer(body, np.uint8)
    return buffer


def _canonical_ints(column: pa.ChunkedArray) -> np.ndarray | None:
    """int64 of a column of id texts when each is a canonical decimal integer (blanks
    around it allowed), else ``None``.

    Arrow's cast also reads ``007``, ``-00`` and ``0x1f``; the exact reader takes
    those for string ids. So the text must be digits and a leading minus, and a
    value of ``k`` digits must be at least ``10**(k-1)`` (no leading zero).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for chunk in column.chunks:
        try:
            values = pc.cast(chunk, pa.int64()).to_numpy()
        except pa.ArrowInvalid:
            chunk = pc.utf8_trim_whitespace(chunk)  # " 7" after a comma: the exact reader strips cells
            try:
                values = pc.cast(chunk, pa.int64()).to_numpy()
            except pa.ArrowInvalid:
                return None
        offsets = np.frombuffer(chunk.buffers()[1], np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        text = np.frombuffer(chunk.buffers()[2], np.uint8)[offsets[0]:offsets[-1]]
        negative = values < 0
        minus = int(np.count_nonzero(negative))
        if np.count_nonzero((text - np.uint8(48)) < 10) + minus != len(text):
            return None
        if minus and (text[offsets[:-1][negative] - offsets[0]] != _MINUS).any():
            return None
        digits = np.minimum(np.diff(offsets) - negative, len(_LOWEST) - 1)
        magnitude = np.where(negative, -(values + 1), values).astype(np.uint64) + negative
        if (magnitude < _LOWEST[digits]).any():  # a leading zero
            return None
        parts.append(values)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def normalise_blanks(body: bytes | memoryview) -> bytes:
    """The lines of an edge list as ``str.split`` and the comment rule read them:
    fields joined by single spaces, no blanks at either end of a line, comment
    lines (first field starting with ``#`` or ``%``) blanked out. Line breaks stay."""
    text = np.frombuffer(body, np.uint8)
    blank = _SPLIT_WS[text]
    after_break = np.empty_like(blank)
    after_break[0] = True
    after_break[1:] = blank[:-1] | (text[:-1] == _NL)
    keep = ~blank | ~after_break  # a blank that starts a run within a line: one space
    out = np.where(blank, np.uint8(_SPACE), text)[keep]
    trailing = out == _SPACE
    trailing[:-1] &= out[1:] == _NL
    out = out[~trailing]
    breaks = np.flatnonzero(out == _NL)
    starts = np.concatenate([[0], breaks + 1])
    starts = starts[starts < len(out)]
    lead = out[starts]
    comment = (lead == _HASH) | (lead == _PERCENT)
    if comment.any():
        line = np.zeros(len(out), np.int64)
        line[breaks[breaks + 1 < len(out)] + 1] = 1
        np.cumsum(line, out=line)
        out = out[~comment[line] | (out == _NL)]
    return out.tobytes()
