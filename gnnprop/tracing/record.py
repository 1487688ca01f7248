"""The documented JSON record of an explanation (``inspect --format json``, ``gnnprop.explain``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..output.numbers import shortest
from .recorder import Explanation
from .text import aggregation_detail


def to_dict(ex: Explanation, dtype) -> dict[str, Any]:
    """The record, numbers as shortest round-trip decimals in the run's dtype (``None`` for inf/nan)."""
    def vec(a):
        if a is None:
            return None
        return [_num(v, dtype) for v in np.ravel(a)]

    steps = []
    for s in ex.steps:
        detail = aggregation_detail(s, ex.aggr)
        aggregation = {"op": ex.aggr, "value": vec(s.aggregated), "count": detail["count"]}
        for key in ("argmax", "argmin"):
            if key in detail:
                aggregation[key] = detail[key]
        if "sum" in detail:
            aggregation["sum"] = vec(detail["sum"])
        steps.append({
            "round": s.round,
            "inputs": {"x": vec(s.x)},
            "messages": [{"from": m.source, "edge": m.edge, "inputs": {k: vec(v) for k, v in m.inputs.items()},
                          "value": vec(m.value)} for m in s.messages],
            "aggregation": aggregation,
            "update": {"inputs": {"x": vec(s.x), "aggr_out": vec(s.aggregated)}, "value": vec(s.output)},
        })
    return {"node": ex.node, "layer": ex.layer, "aggr": ex.aggr, "formulas": ex.formulas, "plan": ex.plan,
            "steps": steps, "meta": ex.meta}


def _num(v, dtype) -> float | None:
    v = np.asarray(v, dtype=dtype)[()]
    if not np.isfinite(v):
        return None
    return float(shortest(v, dtype))
