"""What the layer kinds' Spark lowerings are built from.

A kind's ``spark(params, ops)`` gets an :class:`Ops` and returns a
:class:`SparkStep`: one round as a DataFrame transformation, nodes
``id, x0..x{F-1}`` in, nodes ``id, x0..x{O-1}`` out. The helpers:

- :meth:`Ops.compile`: the safe expression language (:mod:`gnnprop.expr`) as a
  Spark Column, one feature at a time; numbers fold in Python as the local
  engine folds them, division follows IEEE (x/0 = +-inf, 0/0 = nan) where
  Spark would return null or fail;
- :meth:`Ops.linear`: ``W x + b`` with the weights as literals;
- :meth:`Ops.reduce`: ``op`` over each node's in-neighbours of node-level
  columns (one join of the nodes to the edges' sources, one ``groupBy(dst)``);
- :meth:`Ops.reduce_messages`: the same for messages that need both ends of
  an edge (two joins).

In a float32 run every operation is cast back to float (Spark computes in
double), which gives float32 arithmetic's own results; reductions are left
null where a node has no incoming edge, and the kinds ``coalesce`` them to 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from ... import expr

Column = Any      # pyspark.sql.Column (pyspark is imported lazily)
DataFrame = Any   # pyspark.sql.DataFrame
Value = Any       # a Column or a Python float


@dataclass(frozen=True)
class SparkStep:
    """One round on Spark: ``step(nodes) -> nodes'`` and the width it produces."""

    step: Callable[[DataFrame], DataFrame]
    width: int


def _functions():
    from pyspark.sql import functions as F

    return F


class Ops:
    """The helpers a kind's Spark lowering uses, for one run's edges and dtype."""

    def __init__(self, edges: DataFrame, dtype: str, weighted: bool):
        self.edges = edges            # src, dst[, w]: partitioned by src
        self.float32 = dtype == "float32"
        self.weighted = weighted      # edges has a w column
        self.F = _functions()

    def step(self, fn: Callable[[DataFrame], DataFrame], width: int) -> SparkStep:
        """A kind's round, as the engine runs it."""
        return SparkStep(fn, width)

    def output(self, df: DataFrame, values: list[Column]) -> DataFrame:
        """The round's output: ``id`` and ``values`` as ``x0..``; where the width is unchanged also
        ``_change``, the node's largest absolute change (what converge mode measures, computed
        in the same pass; the engine drops it)."""
        F = self.F
        new = [self.fit(v) for v in values]
        old = [c for c in df.columns if c.startswith("x") and c[1:].isdigit()]
        extra = []
        if len(old) == len(new):
            change = [F.abs(self.fit(v - F.col(c))) for v, c in zip(new, old)]  # in the run's dtype, as locally
            extra.append((F.greatest(*change) if len(change) > 1 else change[0]).alias("_change"))
        return df.select(F.col("id"), *[v.alias(f"x{k}") for k, v in enumerate(new)], *extra)

    # --- values --------------------------------------------------------------

    def fit(self, c: Column) -> Column:
        """``c`` in the run's dtype (float32 runs: rounded to float after every operation)."""
        return c.cast("float") if self.float32 else c

    def lit(self, v: float) -> Column:
        return self.fit(self.F.lit(float(v)))

    def col(self, v: Value) -> Column:
        return v if not isinstance(v, (int, float)) else self.lit(v)

    def if_edges(self, c: Value) -> Column:
        """``c`` where the node has incoming edges, else 0 (PyG's empty aggregation),
        on the output of :meth:`reduce`."""
        return self.F.when(self.F.col("_deg") > 0, self.col(c)).otherwise(self.lit(0.0))

    def degree(self, weighted: bool = False) -> Column:
        """The (weighted) in-degree, on the output of :meth:`reduce` (``weighted_degree`` there)."""
        return self.fit(self.F.col("_wdeg" if weighted else "_deg"))

    def x(self, width: int, prefix: str = "x") -> list[Column]:
        return [self.F.col(f"{prefix}{k}") for k in range(width)]

    # --- the expression language ------------------------------------------------

    def compile(self, expression: expr.Expression, env: dict[str, Value]) -> Column:
        """``expression`` with its names bound to Columns (or numbers), as one Column."""
        return self.col(self._compile(expression.tree, env))

    def _compile(self, node: expr.Node, env: dict[str, Value]) -> Value:
        if isinstance(node, expr.Num):
            return node.value
        if isinstance(node, expr.Name):
            return env[node.id]
        if isinstance(node, expr.Neg):
            v = self._compile(node.operand, env)
            return -v if isinstance(v, float) else self.fit(-v)
        if isinstance(node, expr.BinOp):
            a, b = self._compile(node.left, env), self._compile(node.right, env)
            if isinstance(a, float) and isinstance(b, float):
                return expr.arithmetic(node.op, a, b)
            return self.arith(node.op, a, b)
        if isinstance(node, expr.Call):
            (arg,) = (self._compile(a, env) for a in node.args)
            if isinstance(arg, float):
                return float(node.fn(arg))
            return self.fit(self._call(node.func, arg))
        raise AssertionError(f"not in the layer dialect: {node!r}")  # pragma: no cover - parse refuses it

    def arith(self, op: str, a: Value, b: Value) -> Column:
        a, b = self.col(a), self.col(b)
        if op == "+":
            return self.fit(a + b)
        if op == "-":
            return self.fit(a - b)
        if op == "*":
            return self.fit(a * b)
        return self.fit(self.divide(a, b))

    def divide(self, a: Column, b: Column) -> Column:
        """IEEE division (Spark's own gives null for x/0, or fails in ANSI mode)."""
        F = self.F
        # the sign of a zero divisor: atan2(+0, -1) = pi, atan2(-0, -1) = -pi
        zero_sign = F.signum(F.atan2(b.cast("double"), F.lit(-1.0)))
        inf = F.lit(math.inf) * F.signum(a.cast("double")) * zero_sign
        return F.when(b != 0, a / b).when(a.isNull() | b.isNull(), F.lit(None)) \
            .when(F.isnan(a) | (a == 0), F.lit(math.nan)).otherwise(inf)

    def _call(self, name: str, v: Column) -> Column:
        F = self.F
        d = v.cast("double")
        if name == "relu":
            return F.when(d > 0, d).when(F.isnan(d), d).otherwise(F.lit(0.0))
        if name == "tanh":
            return F.tanh(d)
        if name == "sigmoid":
            return F.when(d >= 0, 1.0 / (1.0 + F.exp(-d))).otherwise(F.exp(d) / (1.0 + F.exp(d)))
        if name == "abs":
            return F.abs(d)
        if name == "exp":
            return F.exp(d)
        raise AssertionError(name)  # pragma: no cover - the dialect lists these

    # --- linear maps --------------------------------------------------------------

    def linear(self, weight: list[list[float]], bias: list[float] | None, inputs: list[Value]) -> list[Column]:
        """``W x + b`` per output, with ``W`` and ``b`` as literals (summed left to right)."""
        out = []
        for h, row in enumerate(weight):
            acc: Column | None = None
            for w, x in zip(row, inputs):
                term = self.arith("*", self.lit(w), x)
                acc = term if acc is None else self.arith("+", acc, term)
            if bias is not None:
                acc = self.arith("+", acc, self.lit(bias[h])) if acc is not None else self.lit(bias[h])
            out.append(acc if acc is not None else self.lit(0.0))
        return out

    # --- reductions over in-neighbours -------------------------------------------

    def _aggregate(self, grouped: DataFrame, values: list[Column], op: str, weighted_degree: bool) -> DataFrame:
        F = self.F
        fn = {"sum": F.sum, "mean": F.sum, "max": F.max, "min": F.min}[op]
        cols = [fn(v).alias(f"_a{k}") for k, v in enumerate(values)]
        cols.append(F.count(F.lit(1)).alias("_deg"))
        if weighted_degree:
            cols.append(F.sum(self.fit(F.col("w"))).alias("_wdeg"))
        return grouped.agg(*cols)

    def _join_back(self, nodes: DataFrame, agg: DataFrame, width: int, op: str, weighted_degree: bool) -> DataFrame:
        F = self.F
        agg = agg.withColumnRenamed("dst", "id")
        keep = [F.col(c) for c in nodes.columns]
        reduced = []
        for k in range(width):
            a = F.col(f"_a{k}")
            if op == "mean":
                a = self.fit(a / F.col("_deg"))  # mean = sum / count, as PyG's scatter mean
            reduced.append(self.fit(a).alias(f"_a{k}"))
        degs = [F.coalesce(F.col("_deg"), F.lit(0)).alias("_deg")]
        if weighted_degree:
            degs.append(self.fit(F.coalesce(F.col("_wdeg"), F.lit(0.0))).alias("_wdeg"))
        return nodes.join(agg, "id", "left").select(*keep, *reduced, *degs)

    def reduce(self, nodes: DataFrame, q: list[Column], op: str, *,
               per_edge: Callable[[list[Column], Column | None], list[Column]] | None = None,
               weighted_degree: bool = False) -> DataFrame:
        """``nodes`` with ``_a{k}`` = ``op`` over each node's in-neighbours ``j`` of ``q[k]`` at ``j``,
        null where there are none, and ``_deg`` (with ``weighted_degree`` also ``_wdeg``, the
        weighted in-degree) beside them. ``per_edge(q_j, edge_weight)`` turns the gathered
        columns into the values reduced (e.g. times the edge weight). One join, one ``groupBy``."""
        F = self.F
        sources = nodes.select(F.col("id").alias("src"), *[c.alias(f"_q{k}") for k, c in enumerate(q)])
        joined = self.edges.join(sources, "src")
        values = [F.col(f"_q{k}") for k in range(len(q))]
        if per_edge is not None:
            values = per_edge(values, self.fit(F.col("w")) if self.weighted else None)
        agg = self._aggregate(joined.groupBy("dst"), values, op, weighted_degree)
        return self._join_back(nodes, agg, len(q), op, weighted_degree)

    def reduce_messages(self, nodes: DataFrame, in_width: int,
                        message: Callable[[list[Column], list[Column], Column | None], list[Column]],
                        op: str) -> DataFrame:
        """Like :meth:`reduce`, for messages computed per edge from both ends:
        ``message(x_i, x_j, edge_weight)`` gives the columns of one edge's message."""
        F = self.F
        j = nodes.select(F.col("id").alias("src"), *[F.col(f"x{k}").alias(f"_j{k}") for k in range(in_width)])
        i = nodes.select(F.col("id").alias("dst"), *[F.col(f"x{k}").alias(f"_i{k}") for k in range(in_width)])
        joined = self.edges.join(j, "src").join(i, "dst")
        w = self.fit(F.col("w")) if self.weighted else None
        values = message(self.x(in_width, "_i"), self.x(in_width, "_j"), w)
        agg = self._aggregate(joined.groupBy("dst"), values, op, False)
        return self._join_back(nodes, agg, len(values), op, False)

