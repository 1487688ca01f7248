"""Numbers as the shortest decimal that reads back to the same value in the run's dtype.

float32 0.1 is written ``0.1`` (not ``0.10000000149011612``); a float64 value
is written as Python's ``repr`` writes it. Both read back bit-exactly with
``numpy.float32(text)`` / ``float(text)``.

:func:`shortest` formats one value. :func:`format_grid` formats an array at
once into a byte grid, one NUL-padded row per value: for float32 every step is
a numpy operation (digits from :mod:`.shortest32`, then the characters placed
as ``str(numpy.float32(v))`` places them: positional from 1e-4 up to 1e6,
scientific with at least two exponent digits otherwise). float64 goes through
Python's ``repr``, which is as fast as it gets without a second digit routine.
"""

from __future__ import annotations

import math

import numpy as np

from . import shortest32

#: float32 values in ``[1e-4, 1e6)`` print positionally (``0.001``, ``123.5``), others as ``1e+06``.
F32_POSITIONAL = (1e-4, 1e6)
_POW10 = np.array([10**k for k in range(20)], dtype=np.uint64)
_ZERO, _DOT, _MINUS, _PLUS, _E = (ord(c) for c in "0.-+e")
#: Up to this many float32 values are formatted one by one with ``str`` (same text, less fixed cost).
SMALL = 48


def shortest(v: float | np.floating, dtype: np.dtype | None = None) -> str:
    """One value; ``dtype`` defaults to the value's own (float64 for Python floats)."""
    if dtype is not None and np.dtype(dtype) == np.float32:
        return str(np.float32(v))
    if isinstance(v, np.float32):
        return str(v)
    return repr(float(v))


def format_matrix(x: np.ndarray, nonfinite: str | None = None) -> list[list[str]]:
    """Rows of shortest-decimal strings for a 2-D float array.

    ``nonfinite``: the text for inf and nan (e.g. ``"null"`` for JSON); ``None``
    keeps ``inf`` / ``-inf`` / ``nan``.
    """
    grid = format_grid(x.reshape(-1), nonfinite)
    cells = grid.view(f"S{grid.shape[1]}").reshape(x.shape) if grid.shape[1] else np.full(x.shape, b"")
    return [[c.decode("ascii") for c in row] for row in cells.tolist()]


def format_grid(values: np.ndarray, nonfinite: str | None = None, room: int = 0) -> np.ndarray:
    """``uint8 [N, W + room]``: the text of each of the 1-D ``values``, NUL-padded on the right.

    ``W`` is at least the longest text; the ``room`` columns after it are NUL, for
    the caller (a separator, say). Texts are ASCII without NUL, so
    ``row[row != 0]`` is the text of a value.
    """
    values = np.ascontiguousarray(values)
    if values.dtype == np.float32 and len(values) > SMALL:
        grid = _float32_grid(values, room)
    else:  # float64, or a few float32 values (numpy's fixed cost per call would dominate): text by text
        spell = str if values.dtype == np.float32 else repr
        items = values if values.dtype == np.float32 else values.astype(np.float64, copy=False).tolist()
        strs = list(map(spell, items))
        texts = np.array(strs, dtype="S") if strs else np.zeros(0, "S1")
        width = texts.dtype.itemsize
        grid = np.zeros((len(strs), width + room), np.uint8)
        grid[:, :width] = texts.view(np.uint8).reshape(len(strs), width)
    if nonfinite is not None:
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            word = np.frombuffer(nonfinite.encode("ascii"), np.uint8)
            width = grid.shape[1] - room
            if len(word) > width:
                grid = np.concatenate([grid[:, :width], np.zeros((len(grid), len(word) - width + room), np.uint8)],
                                      axis=1)
            grid[bad] = 0
            grid[bad, :len(word)] = word
    return grid


def int_grid(values: np.ndarray) -> np.ndarray:
    """``uint8 [N, W]``: the decimal text of each int64 of ``values``, NUL-padded on the right."""
    values = np.asarray(values, dtype=np.int64)
    negative = values < 0
    magnitude = values.view(np.uint64).copy()
    magnitude[negative] = (-(values[negative] + 1)).view(np.uint64) + np.uint64(1)  # int64 min too
    count = np.searchsorted(_POW10[1:], magnitude, side="right") + 1
    sign = negative.astype(np.int64)
    width = int((count + sign).max()) if len(values) else 1
    grid = np.zeros((len(values), width), np.uint8)
    flat = grid.reshape(-1)
    row = np.arange(len(values), dtype=np.int64) * width
    flat[row[negative]] = _MINUS
    for j in range(int(count.max()) if len(values) else 0):
        has = np.flatnonzero(count > j)
        d = magnitude[has] // _POW10[count[has] - 1 - j] % np.uint64(10)
        flat[row[has] + sign[has] + j] = d.astype(np.uint8) + np.uint8(_ZERO)
    return grid


def _float32_grid(values: np.ndarray, room: int) -> np.ndarray:
    """``str(numpy.float32(v))`` of each of ``values`` as :func:`format_grid` lays it out, built with numpy.

    Every text is sign, digits and a point or an exponent. Digit ``j`` goes to
    column ``start + j + (j >= point)``, ``point`` being where the decimal point
    goes (1 in scientific notation): that covers ``123.5``, ``1200.0``,
    ``0.0125`` and ``1.25e-07`` alike. Past the last digit come zeros as long
    as a whole number needs them (``1200.0``), then NULs.
    """
    n = len(values)
    negative = np.signbit(values)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(values).astype(np.float64)
    nonzero = finite & (magnitude != 0)
    digits = np.zeros(n, np.uint64)
    exponent = np.zeros(n, np.int64)
    some = np.flatnonzero(nonzero)
    if len(some) == n:
        digits, exponent = shortest32.digits(values)
    elif len(some):
        digits[some], exponent[some] = shortest32.digits(values[some])
    count = np.searchsorted(_POW10[1:10], digits, side="right") + 1  # digits in `digits` (1..9)
    sign = negative.astype(np.int64)
    sci = nonzero & ~((magnitude >= F32_POSITIONAL[0]) & (magnitude < F32_POSITIONAL[1]))
    point = np.where(sci, 1, count + exponent)
    whole = ~sci & (exponent >= 0)  # 1200.0: zeros up to the point and one after it
    start = sign + np.maximum(1 - point, 0)  # 0.0125: "0." and zeros before the digits
    power = exponent + count - 1  # of scientific notation
    power_digits = np.where(np.abs(power) >= 100, 3, 2)
    length = np.where(sci, sign + np.where(count > 1, count + 1, 1) + 2 + power_digits,
                      np.maximum(start + count, sign + point) + 1 + whole)
    length[~finite] = 3 + (np.isinf(values) & negative)[~finite]  # nan, inf, -inf
    stop = np.where(whole, point + 1, count)  # digits written (the zeros of a whole number too)
    width = max(int(length.max()) if n else 0, int((start + stop.max() + 1).max()) if n else 0)
    grid = np.zeros((n, width + room), np.uint8)
    flat = grid.reshape(-1)
    row = np.arange(n, dtype=np.int64) * grid.shape[1]
    lead = np.flatnonzero(point < 1)
    if len(lead):
        for k in range(int((1 - point[lead]).max()) + 2):
            zero = lead[(k == 0) | ((k >= 2) & (k < 2 - point[lead]))]
            flat[row[zero] + sign[zero] + k] = _ZERO
    at = row + start
    left = digits * _POW10[9 - count]  # nine digits, the first one first
    for j in range(int(stop.max()) if n else 0):  # at most 9: a whole number below 1e6 has 7 at most
        d = left // _POW10[8 - j]
        left -= d * _POW10[8 - j]
        char = d.astype(np.uint8) + np.uint8(_ZERO)
        char[j >= stop] = 0
        flat[at + j + (point <= j)] = char
    flat[at + point] = _DOT
    s = np.flatnonzero(sci)
    if len(s):
        e_at = row[s] + sign[s] + np.where(count[s] > 1, count[s] + 1, 1)
        flat[e_at] = _E
        flat[e_at + 1] = np.where(power[s] < 0, _MINUS, _PLUS)
        p = np.abs(power[s])
        end = row[s] + length[s] - 1
        for k in range(int(power_digits[s].max())):
            flat[end - k] = (p // 10**k % 10).astype(np.uint8) + _ZERO
    flat[row[negative & ~np.isnan(values)]] = _MINUS
    for word, which in ((b"nan", np.isnan(values)), (b"inf", np.isinf(values) & ~negative),
                        (b"-inf", np.isinf(values) & negative)):
        rows = np.flatnonzero(which)
        if len(rows):
            grid[rows] = 0
            grid[rows, :len(word)] = np.frombuffer(word, np.uint8)
    return grid


def format_number(v: float, precision: int | None = None) -> str:
    """Compact decimal: ``12.5`` not ``12.5000``; ``3`` not ``3.0``.

    With ``precision`` the value is rounded to that many decimals first (trailing
    zeros dropped); without it, the shortest text that reads back as ``v``.
    Very large or very small magnitudes switch to scientific notation.
    """
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    a = abs(v)
    if precision is None:
        text = repr(v)
        if "e" in text or "E" in text:
            return text
        return text[:-2] if text.endswith(".0") else text
    if a >= 1e15 or a < 10.0 ** (-precision):
        return f"{v:.{max(precision, 1)}e}".replace("e+", "e")
    text = f"{v:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- the two dialects ---------------------------------------------------------
