"""The aggregations: one unit each, the one home every engine, command, help text and doc reads.

An :class:`Aggregation` is PyG's (it is passed to ``MessagePassing(aggr=...)`` by its PyG
name, so the numbers are PyG's) and says how gnnprop's other forms compute it: the fused
engine's sparse reduction (:mod:`gnnprop.engine.csr`), the Spark engine's reduce, and how
``inspect`` explains it. A node with no incoming message aggregates to 0 for every one of
them except ``mul``, where PyG gives the empty product, 1 (the tests pin both). A
:class:`Mode` combines a list of aggregations (``aggr: [mean, max]``), as PyG's
``MultiAggregation`` does.

Plain data (no torch), so the CLI's help and shell completion read it without loading the library.
"""

from __future__ import annotations

from dataclasses import dataclass

from .resolver import resolve


@dataclass(frozen=True)
class Aggregation:
    name: str                  # PyG's name (MessagePassing(aggr=name))
    description: str
    pyg_class: str             # the class PyG builds for it (read back from a built layer)
    fused: bool = False        # the fused engine reduces with it (one sparse reduction a round)
    spark: bool = False        # the Spark engine reduces with it
    explain: str | None = None  # how inspect explains it: "pick" (which message supplied each feature),
    #                             "sum" (the sum), "mean" (the sum over the count); None: the value alone
    aliases: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()  # names people try that are spelled unlike it: suggested, not accepted

    @property
    def order_free(self) -> bool:
        """Its value does not depend on the order the messages are combined in (so engines agree bit for bit)."""
        return self.explain == "pick"


AGGREGATIONS: dict[str, Aggregation] = {a.name: a for a in (
    Aggregation("sum", "sum of the incoming messages", "SumAggregation", fused=True, spark=True, explain="sum",
                aliases=("add",), hints=("total",)),
    Aggregation("mean", "mean of the incoming messages", "MeanAggregation", fused=True, spark=True, explain="mean",
                hints=("avg", "average")),
    Aggregation("max", "elementwise maximum of the incoming messages", "MaxAggregation", fused=True, spark=True,
                explain="pick", hints=("maximum",)),
    Aggregation("min", "elementwise minimum of the incoming messages", "MinAggregation", fused=True, spark=True,
                explain="pick", hints=("minimum",)),
    Aggregation("mul", "elementwise product of the incoming messages", "MulAggregation",
                hints=("product", "prod", "multiply")),
    Aggregation("std", "elementwise standard deviation of the incoming messages, PyG's StdAggregation: "
                "sqrt(max(var, 1e-5)), then 0 wherever that is <= sqrt(1e-5) (so a spread under about 0.00316 "
                "reads 0)", "StdAggregation", hints=("stddev",)),
    Aggregation("var", "elementwise population variance of the incoming messages (divides by N), PyG's "
                "VarAggregation: mean(m*m) - mean(m)**2, not clamped (rounding can leave it a little below 0)",
                "VarAggregation", hints=("variance",)),
)}


@dataclass(frozen=True)
class Mode:
    name: str
    description: str


#: How a list of aggregations is combined (``aggr_mode``; PyG's MultiAggregation modes).
MODES: dict[str, Mode] = {m.name: m for m in (
    Mode("cat", "concatenate the aggregations (the width grows k-fold)"),
    Mode("sum", "sum of the aggregations"),
    Mode("mean", "mean of the aggregations"),
    Mode("max", "elementwise max"),
    Mode("min", "elementwise min"),
    Mode("std", "elementwise sample std of the k aggregations (torch.std, divides by k-1)"),
    Mode("var", "elementwise sample variance of the k aggregations (torch.var, divides by k-1)"),
    Mode("logsumexp", "elementwise logsumexp"),
)}

ALIASES: dict[str, str] = {alias: a.name for a in AGGREGATIONS.values() for alias in a.aliases}
HINTS: dict[str, str] = {hint: a.name for a in AGGREGATIONS.values() for hint in a.hints}
#: The names the fused engine and the Spark engine reduce with.
FUSED = tuple(n for n, a in AGGREGATIONS.items() if a.fused)
SPARK = tuple(n for n, a in AGGREGATIONS.items() if a.spark)


def resolve_aggr(name: str, key: str = "aggr") -> str:
    """Canonical PyG aggregation name for ``name`` (``"add"`` -> ``"sum"``)."""
    return resolve(name, AGGREGATIONS, what="aggregation", aliases=ALIASES, key=key, hints=HINTS)[0]


def get(name: str) -> Aggregation | None:
    return AGGREGATIONS.get(name)


def by_pyg_class(class_name: str) -> str:
    """The aggregation a PyG aggregation module is (its class name when it is none of these)."""
    return next((a.name for a in AGGREGATIONS.values() if a.pyg_class == class_name), class_name)


def names_text() -> str:
    """``sum (add) | mean | max | ...``, for help texts."""
    return " | ".join(a.name + (f" ({', '.join(a.aliases)})" if a.aliases else "") for a in AGGREGATIONS.values())


def modes_text() -> str:
    return " | ".join(MODES)
