"""The documented JSON record of an explanation (``inspect --format json``, ``gnnprop.explain``).

A step (one round of the node)::

    {"round": 1,
     "computed_by": "reference" | "fused" | "replay",   # see gnnprop.tracing.derive
     "inputs": {"x": [...]},
     "labels": {"x_j": "x_j after lin (W x_j)", ...},   # message inputs that are not the round's own values
     "messages": [{"from": id, "edge": k, "inputs": {"x_i": [...], ...}, "value": [...], "check": CHECK}],
     "aggregation": {"op": "max", "value": [...], "count": n, "argmax": [...] | "sum": [...], "check": CHECK},
     "update": {"inputs": {"x": [...], "aggr_out": [...]}, "value": [...], "check": CHECK}}

``update.value`` is the run's value, bit for bit. A CHECK says whether the value beside it is its
formula applied to the inputs shown, in the run's dtype (:mod:`.checks`): ``{"exact": true}``;
``{"exact": false, "redone": [...], "difference": [...], "ulp": n, "why": "..."}`` (``difference``
is the value minus the formula's ``redone`` result, ``ulp`` the largest distance in units in the
last place); ``{"exact": null, "why": "..."}`` where inspect cannot redo it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..output.numbers import shortest
from .checks import Check, difference, ulps
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
        aggregation["check"] = check_dict(s.aggregate_check, s.aggregated, vec)
        steps.append({
            "round": s.round,
            "computed_by": s.computed_by,
            "inputs": {"x": vec(s.x)},
            "labels": dict(s.labels),
            "messages": [{"from": m.source, "edge": m.edge, "inputs": {k: vec(v) for k, v in m.inputs.items()},
                          "value": vec(m.value), "check": check_dict(m.check, m.value, vec)} for m in s.messages],
            "aggregation": aggregation,
            "update": {"inputs": {"x": vec(s.x), "aggr_out": vec(s.aggregated)}, "value": vec(s.output),
                       "check": check_dict(s.update_check, s.output, vec)},
        })
    return {"node": ex.node, "layer": ex.layer, "aggr": ex.aggr, "formulas": ex.formulas, "plan": ex.plan,
            "steps": steps, "meta": ex.meta}


def check_dict(check: Check | None, value, vec) -> dict[str, Any] | None:
    """A :class:`Check` as the record writes it (see the module)."""
    if check is None:
        return None
    if check.exact:
        return {"exact": True}
    if check.exact is None:
        return {"exact": None, "why": check.why}
    return {"exact": False, "redone": vec(check.redone), "difference": vec(difference(value, check.redone)),
            "ulp": ulps(value, check.redone), "why": check.why}


def _num(v, dtype) -> float | None:
    v = np.asarray(v, dtype=dtype)[()]
    if not np.isfinite(v):
        return None
    return float(shortest(v, dtype))
