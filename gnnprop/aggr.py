"""The aggregations gnnprop accepts: PyG's own, by their PyG names.

Each is passed to ``MessagePassing(aggr=...)`` by its PyG name, so the numbers
are PyG's. A node with no incoming message aggregates to 0 for every one of them
except ``mul``, where PyG gives the empty product, 1 (the tests pin both).
"""

from __future__ import annotations

from .resolver import resolve

# canonical name -> one-line description (the registry)
AGGREGATIONS: dict[str, str] = {
    "sum": "sum of the incoming messages",
    "mean": "mean of the incoming messages",
    "max": "elementwise maximum of the incoming messages",
    "min": "elementwise minimum of the incoming messages",
    "mul": "elementwise product of the incoming messages",
    "std": "elementwise standard deviation of the incoming messages, PyG's StdAggregation: "
           "sqrt(max(var, 1e-5)), then 0 wherever that is <= sqrt(1e-5) (so a spread under about 0.00316 reads 0)",
    "var": "elementwise population variance of the incoming messages (divides by N), PyG's VarAggregation: "
           "mean(m*m) - mean(m)**2, not clamped (rounding can leave it a little below 0)",
}

ALIASES = {"add": "sum"}
#: Names people try that are spelled unlike the right one: suggested in the error, not accepted.
HINTS = {"avg": "mean", "average": "mean", "maximum": "max", "minimum": "min", "product": "mul", "prod": "mul",
         "multiply": "mul", "stddev": "std", "variance": "var", "total": "sum"}


def resolve_aggr(name: str, key: str = "aggr") -> str:
    """Canonical PyG aggregation name for ``name`` (``"add"`` -> ``"sum"``)."""
    return resolve(name, AGGREGATIONS, what="aggregation", aliases=ALIASES, key=key, hints=HINTS)[0]
