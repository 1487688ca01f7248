"""Numbers as the shortest decimal that reads back to the same value in the run's dtype.

float32 0.1 is written ``0.1`` (not ``0.10000000149011612``); a float64 value
is written as Python's ``repr`` writes it. Both read back bit-exactly with
``numpy.float32(text)`` / ``float(text)``.
"""

from __future__ import annotations

import numpy as np


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
    if x.dtype == np.float32:
        rows = [[str(v) for v in row] for row in x]
    else:
        rows = [[repr(v) for v in row] for row in x.astype(np.float64, copy=False).tolist()]
    if nonfinite is not None and not np.isfinite(x).all():
        bad = {"inf", "-inf", "nan"}
        rows = [[nonfinite if s in bad else s for s in row] for row in rows]
    return rows
