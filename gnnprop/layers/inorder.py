"""The layers' formulas as arithmetic in the order they are written: what ``inspect`` redoes.

Every operation rounds in the values' own dtype (numpy float32 or float64), one at a time, in the
order a person working through the formula would take: a matrix product ``W v + b`` is, for each
output, ``W[o, 0] v[0]``, then ``+ W[o, 1] v[1]``, ... left to right, then ``+ b[o]``; a sum over
messages adds them in the order listed, the first one first. An engine that computes the same
formula in another order (a matrix product through BLAS, a sum reassociated by the fused engine)
can differ in the last bits; ``inspect`` shows where and by how much.
"""

from __future__ import annotations

import numpy as np


def linear(weight: np.ndarray, bias: np.ndarray | None, v: np.ndarray) -> np.ndarray:
    """``W v + b`` (``W`` [O, K], ``v`` [K], or [E, K] for E vectors at once): each output's products
    added left to right, then the bias (every vector's arithmetic is the same as on its own)."""
    weight = np.asarray(weight)
    v = np.asarray(v, dtype=weight.dtype)
    if weight.shape[1] == 0:
        out = np.zeros(v.shape[:-1] + (weight.shape[0],), weight.dtype)
    else:
        out = v[..., 0, None] * weight[:, 0]
        for k in range(1, weight.shape[1]):
            out = out + v[..., k, None] * weight[:, k]
    return out if bias is None else out + np.asarray(bias, dtype=weight.dtype)


def reduce(op: str, rows: list[np.ndarray], width: int, dtype) -> np.ndarray:
    """``sum``, ``mean``, ``max`` or ``min`` of ``rows`` in the order given (0 for no rows, as PyG);
    a sum starts from 0 (so ``-0`` sums to ``0``, as PyG's does), a mean is that sum divided by the count."""
    if not rows:
        return np.zeros(width, dtype)
    if op in ("sum", "mean"):
        out = np.zeros(width, dtype)
        for r in rows:
            out = out + np.asarray(r, dtype)
        return out / np.asarray(len(rows), dtype) if op == "mean" else out
    out = np.array(rows[0], dtype=dtype)
    for r in rows[1:]:
        out = np.maximum(out, r) if op == "max" else np.minimum(out, r)
    return out


OPS = ("sum", "mean", "max", "min")
