"""Whether a value ``inspect`` shows is its formula applied to the inputs it shows, bit for bit.

Every shown result (a message, the aggregation, the update) comes with a :class:`Check`: inspect
redoes the formula on the shown inputs, in the run's dtype and in the order the formula is written
(:mod:`gnnprop.layers.inorder`), and compares. ``exact`` is

- ``True``: the shown value is that arithmetic, bit for bit;
- ``False``: it is not, because the engine computed it in another order (a fused, reassociated
  sum; a matrix product through BLAS); ``redone`` holds the formula's own result and ``why`` what
  the engine did instead, and the difference (:func:`difference`, :func:`ulps`) is shown beside;
- ``None``: inspect cannot redo it (a PyG class's or your class's own code after ``propagate``),
  and ``why`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Check:
    exact: bool | None
    redone: np.ndarray | None = None  # the formula on the shown inputs (where exact is False)
    why: str = ""                     # what the engine did instead, or why nothing was redone


def same_bits(a, b) -> bool:
    """Whether two arrays hold the same values bit for bit (shape, dtype and every bit, nan included)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a.view(_ints(a.dtype)), b.view(_ints(b.dtype))))


def compare(value, redone, why: str) -> Check:
    """The check of a shown ``value`` against the formula's ``redone`` result."""
    if redone is None:
        return Check(None, None, why)
    redone = np.asarray(redone, dtype=np.asarray(value).dtype).reshape(np.shape(value))
    if same_bits(value, redone):
        return Check(True)
    return Check(False, redone, why)


def not_redone(why: str) -> Check:
    return Check(None, None, why)


def difference(value, redone) -> np.ndarray:
    """``value - redone``, in the values' dtype."""
    value = np.asarray(value)
    return value - np.asarray(redone, dtype=value.dtype)


def ulps(value, redone) -> int | None:
    """The largest distance between the two, in units in the last place (the number of representable
    values between them); ``None`` where either holds an inf or a nan."""
    a, b = np.ravel(np.asarray(value)), np.ravel(np.asarray(redone, dtype=np.asarray(value).dtype))
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    if a.size == 0:
        return 0
    return max(abs(_ordinal(x) - _ordinal(y)) for x, y in zip(a.tolist(), b.tolist())) if a.dtype == np.float64 \
        else int(np.max(np.abs(_ordinals(a) - _ordinals(b))))


def _ints(dtype):
    return {2: np.int16, 4: np.int32, 8: np.int64}[np.dtype(dtype).itemsize]


def _ordinals(a: np.ndarray) -> np.ndarray:
    """float32 values as integers in the order of the values (adjacent floats differ by 1)."""
    i = a.view(np.int32).astype(np.int64)
    return np.where(i < 0, -(2**31) - i, i)


def _ordinal(v: float) -> int:
    i = int(np.float64(v).view(np.int64))
    return -(2**63) - i if i < 0 else i


__all__ = ["Check", "compare", "difference", "not_redone", "same_bits", "ulps"]
