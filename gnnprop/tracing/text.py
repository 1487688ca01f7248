"""An explanation in words: what ``inspect`` prints and ``plot --kind derivation`` draws.

The fixed layer's formulas are shown with the recorded values substituted
(:func:`message_text`, :func:`update_text`); the aggregation says which
neighbour supplied each feature of a max/min, or the sum and the count of a
mean (:func:`aggregation_detail`, :func:`aggregation_lines`).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import expr
from ..layers import inorder
from .checks import Check, difference, ulps
from .recorder import Message, Step

Fmt = Callable[[float], str]


def aggregation_detail(step: Step, op: str) -> dict[str, Any]:
    """For max/min, which neighbour supplied each feature; for sum/mean, the sum and the count.

    ``op`` is the aggregation as the layer reports it (``max``, ``sum``, ...)."""
    from ..aggregation import get

    detail: dict[str, Any] = {"count": len(step.messages)}
    if not step.messages or step.aggregated is None:
        return detail
    values = np.stack([m.value for m in step.messages])
    how = getattr(get(op), "explain", None)
    if how == "pick":
        supplier = []
        for k, v in enumerate(step.aggregated):
            hits = np.nonzero(values[:, k] == v)[0]
            supplier.append(step.messages[int(hits[0])].source if hits.size else None)
        detail["argmax" if op == "max" else "argmin"] = supplier
    if how in ("sum", "mean"):  # added in the order listed (what inspect checks the aggregation against)
        detail["sum"] = inorder.reduce("sum", list(values), values.shape[1], values.dtype)
    return detail


def aggregation_lines(step: Step, op: str, fmt: Fmt, name: Callable[[Any], str] = str) -> list[str]:
    """How the aggregated row came about, in words: the supplier of each feature of a
    max/min (``x0 from node 2, x1 from node 2``), the sum over the count of a mean.
    ``name`` writes a node id (a terminal view escapes control characters)."""
    detail = aggregation_detail(step, op)
    n = len(step.messages)
    if n == 0:
        return [f"no incoming messages: {op} of nothing is {vector_text(step.aggregated, fmt)}"]
    who = detail.get("argmax") or detail.get("argmin")
    if who is not None:
        return [", ".join(f"x{k} from node {name(s)}" for k, s in enumerate(who))]
    if "sum" in detail:
        if op == "mean":
            return [f"sum {vector_text(detail['sum'], fmt)} / {n:,} message{'s' if n != 1 else ''}"]
        return [f"sum of {n:,} message{'s' if n != 1 else ''}"]
    return []


def check_lines(check: Check | None, value, fmt: Fmt, what: str) -> list[str]:
    """A shown value's check in words where it is not exact (nothing where it is): ``≠ <what>: (0.3,
    0.2)``, then this value in full and the difference (``1 ulp``: the largest distance, in units in
    the last place), then what the engine did instead. ``fmt`` should write numbers in full."""
    if check is None or check.exact:
        return []
    if check.exact is None:
        return [f"not redone: {check.why}"]
    n = ulps(value, check.redone)
    size = f", {n:,} ulp" if n is not None else ""
    return [f"≠ {what}: {vector_text(check.redone, fmt)}",
            f"this value in full: {vector_text(value, fmt)}; the difference: "
            f"{vector_text(difference(value, check.redone), fmt)}{size}",
            f"why: {check.why}"]


def vector_text(v: np.ndarray, fmt: Fmt) -> str:
    return "(" + ", ".join(fmt(float(a)) for a in np.ravel(v)) + ")"


def _substituted(e: expr.Expression, values: dict[str, Any], fmt: Fmt) -> str:
    def leaf(node):
        if isinstance(node, expr.Name) and node.id in values:
            v = values[node.id]
            # edge_weight is a scalar per edge; the rest are feature vectors
            return fmt(float(np.ravel(v)[0])) if node.id == "edge_weight" else vector_text(v, fmt)
        return None
    return e.render(leaf)


def message_text(params, msg: Message, fmt: Fmt) -> str | None:
    """``0.5*(6, 4) + 2*(0, 1)`` for a layer with formulas (the fixed layer); ``None`` for others."""
    e = getattr(params, "message_expr", None)
    if e is None:
        return None
    return _substituted(e, msg.inputs, fmt)


def update_text(params, step: Step, fmt: Fmt) -> str | None:
    e = getattr(params, "update_expr", None)
    if e is None or step.aggregated is None:
        return None
    return _substituted(e, {"x": step.x, "aggr_out": step.aggregated}, fmt)
