"""The explorer's data: node colours for every round, and the recorded derivations, compactly.

Colours are a picture, not numbers to read: each channel (the row's norm, or one feature) is cut
into 255 levels between that round's smallest and largest value (level 255: no value, as for an
inf or a feature the round does not have). Every number a reader is shown (the derivation panel, the
table) comes from the derivation records, which are ``inspect --format json``'s steps with each
vector stored once (:class:`Pool`) and referred to by its place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..output.numbers import format_grid, shortest
from ..tracing import Explanation, aggregation_detail

#: Features offered as colours (and the norm); a wider round offers its first MAX_CHANNELS.
MAX_CHANNELS = 32
MISSING = 255


def channels(width: int) -> list[str]:
    return ["norm"] + [f"x{k}" for k in range(min(width, MAX_CHANNELS))]


def levels(x: np.ndarray, names: list[str], dtype) -> tuple[np.ndarray, list[list[Any]]]:
    """``[channels, n]`` uint8 levels of the rows ``x`` ([n, F], one round) and each channel's
    ``[low, high]`` (shortest decimals in the run's dtype; the norm to 4 digits)."""
    n = x.shape[0]
    out = np.full((len(names), n), MISSING, dtype=np.uint8)
    ranges: list[list[Any]] = []
    x64 = x.astype(np.float64)
    for c, name in enumerate(names):
        if name == "norm":
            with np.errstate(over="ignore", invalid="ignore"):
                v = np.sqrt((x64 ** 2).sum(axis=1)) if x.shape[1] else np.zeros(n)
            text = (lambda a: float(f"{a:.4g}"))  # a colour's range, not a recorded number
        else:
            k = int(name[1:])
            if k >= x.shape[1]:
                ranges.append([None, None])
                continue
            v = x64[:, k]
            text = (lambda a: _text(a, dtype))
        finite = np.isfinite(v)
        if not finite.any():
            ranges.append([None, None])
            continue
        lo, hi = float(v[finite].min()), float(v[finite].max())
        span = hi - lo
        lv = np.zeros(n) if span == 0 else np.round((v - lo) / span * 254)
        out[c, finite] = lv[finite].astype(np.uint8)
        ranges.append([text(lo), text(hi)])
    return out, ranges


def _text(v: float, dtype) -> float:
    return float(shortest(np.asarray(v, dtype=dtype)[()], dtype))


class Pool:
    """Vectors stored once, in the run's dtype: :meth:`add` gives a vector's place (-1 for ``None``);
    :meth:`texts` writes them all at once as JSON arrays of shortest decimals (``null`` for inf and
    nan), the numbers ``inspect --format json`` writes."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.vectors: list[np.ndarray] = []
        self._index: dict[bytes, int] = {}

    def add(self, v) -> int:
        if v is None:
            return -1
        a = np.ascontiguousarray(np.ravel(np.asarray(v, dtype=self.dtype)))
        key = a.shape[0].to_bytes(4, "little") + a.tobytes()
        i = self._index.get(key)
        if i is None:
            i = self._index[key] = len(self.vectors)
            self.vectors.append(a)
        return i

    def texts(self) -> str:
        """``[[...],[...],...]``: every vector, in order."""
        if not self.vectors:
            return "[]"
        flat = np.concatenate(self.vectors)
        grid = format_grid(flat, nonfinite="null", room=1)
        grid[np.arange(len(grid)), (grid != 0).sum(axis=1)] = ord(",")
        cells = grid[grid != 0].tobytes().decode("ascii").split(",")[:-1]
        out, k = [], 0
        for v in self.vectors:
            out.append("[" + ",".join(cells[k:k + len(v)]) + "]")
            k += len(v)
        return "[" + ",".join(out) + "]"


def encode(ex: Explanation, pool: Pool) -> list[list]:
    """An explanation's steps as :func:`gnnprop.tracing.to_dict` writes them, with vectors as places in
    ``pool``; the page's decodeStep (explore.js) gives ``to_dict``'s steps back, key for key (a test
    checks every layer kind against ``inspect --format json``):

    ``[round, x, [input names], [[from, edge, [inputs], value, check], ...], [op, value, count, who, sum,
    check], [update x, aggr_out, check], update value, computed_by, {labels}]`` where ``who`` is
    ``["argmax", ids]``, ``["argmin", ids]`` or ``0``, ``sum`` a place, or -2 where the record has
    none, and a check is :func:`encode_check`'s.
    """
    out = []
    for s in ex.steps:
        detail = aggregation_detail(s, ex.aggr)
        names = list(s.messages[0].inputs) if s.messages else []
        messages = [[_json_id(m.source), m.edge, [pool.add(m.inputs[k]) for k in names], pool.add(m.value),
                     encode_check(m.check, m.value, pool)] for m in s.messages]
        who = next(([k, [_json_id(v) for v in detail[k]]] for k in ("argmax", "argmin") if k in detail), 0)
        total = pool.add(detail["sum"]) if "sum" in detail else -2
        x = pool.add(s.x)
        out.append([s.round, x, names, messages,
                    [ex.aggr, pool.add(s.aggregated), detail["count"], who, total,
                     encode_check(s.aggregate_check, s.aggregated, pool)],
                    [x, pool.add(s.aggregated), encode_check(s.update_check, s.output, pool)], pool.add(s.output),
                    s.computed_by, dict(s.labels)])
    return out


def encode_check(check, value, pool: Pool):
    """A :class:`gnnprop.tracing.checks.Check` with its vectors as places: ``0`` (none), ``1`` (exact),
    ``[null, why]`` (not redone) or ``[false, redone, difference, ulp, why]``, the record's check."""
    from ..tracing.checks import difference, ulps

    if check is None:
        return 0
    if check.exact:
        return 1
    if check.exact is None:
        return [None, check.why]
    return [False, pool.add(check.redone), pool.add(difference(value, check.redone)), ulps(value, check.redone),
            check.why]


def _json_id(v: Any) -> Any:
    """A node id as JSON keeps it (numpy integers as int)."""
    return v.item() if isinstance(v, np.generic) else v
