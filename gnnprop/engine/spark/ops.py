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
  an edge (two joins);
- :meth:`Ops.gcn_normalized`: the same toolbox over PyG's ``gcn_norm`` edges
  (self loops added, ``D^-1/2 A D^-1/2``), computed once and checkpointed;
- :meth:`Ops.checkpoint`: a DataFrame materialised and cut from its lineage,
  for a kind that propagates several times within one round.

In a float32 run every operation is cast back to float (Spark computes in
double), which gives float32 arithmetic's own results; reductions are left
null where a node has no incoming edge, and the kinds ``coalesce`` them to 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Union

from ... import expr

Column = Any      # pyspark.sql.Column (pyspark is imported lazily)
DataFrame = Any   # pyspark.sql.DataFrame
Value = Any       # a Column or a Python float
Op = Union[str, list[str]]  # an aggregation (sum, mean, max, min) or a list of them


#: Most entries of a weight matrix written into a Spark plan as literals; a bigger one is applied
#: as a matrix product per Arrow batch (:meth:`Ops.matmul`).
LITERAL_LIMIT = 128


def each(op) -> list[str]:
    """The aggregations ``op`` names (one, or a list)."""
    return [op] if isinstance(op, str) else list(op)


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

    def __init__(self, edges: DataFrame, dtype: str, weighted: bool, *, width: int = 0,
                 checkpoint: Callable[[DataFrame], DataFrame] = lambda df: df, partitions: int = 1,
                 loops: DataFrame | None = None, file_weights: bool = False):
        self.edges = edges            # src, dst[, w]: partitioned by src
        self.dtype = dtype
        self.width = width            # the input's feature width
        self.float32 = dtype == "float32"
        self.weighted = weighted      # edges has a w column
        self.checkpoint = checkpoint  # df -> df, materialised and cut from its lineage
        self.partitions = partitions  # what the nodes and edges are hashed into
        self.loops = loops            # id, w: a node's last self loop's weight in file order (weighted files)
        self.file_weights = file_weights  # the graph file had edge weights (else w is 1)
        self.F = _functions()
        self._normalized: dict[tuple, "Ops"] = {}
        self._broadcasts: dict[tuple, tuple] = {}  # (id(weight), id(bias)) -> (weight, bias, broadcast)

    def step(self, fn: Callable[[DataFrame], DataFrame], width: int) -> SparkStep:
        """A kind's round, as the engine runs it."""
        return SparkStep(fn, width)

    def output(self, df: DataFrame, values: list[Column]) -> DataFrame:
        """The round's output: ``id`` and ``values`` as ``x0..``; where the width is unchanged also
        ``_change``, the node's largest absolute change (what converge mode measures, computed
        in the same pass; the engine drops it). The values are computed once (:meth:`stage`),
        then compared with the old ones."""
        F = self.F
        new = [self.fit(v) for v in values]
        old = [c for c in df.columns if c.startswith("x") and c[1:].isdigit()]
        if len(old) != len(new):
            return df.select(F.col("id"), *[v.alias(f"x{k}") for k, v in enumerate(new)])
        staged = df.select(F.col("id"), *[F.col(c).alias(f"_old{k}") for k, c in enumerate(old)],
                           *[v.alias(f"x{k}") for k, v in enumerate(new)])
        change = [F.abs(self.fit(F.col(f"x{k}") - F.col(f"_old{k}"))) for k in range(len(new))]  # in the run's dtype
        return staged.select("id", *[f"x{k}" for k in range(len(new))],
                             (F.greatest(*change) if len(change) > 1 else change[0]).alias("_change"))

    def stage(self, df: DataFrame, values: list[Column], prefix: str) -> tuple[DataFrame, list[Column]]:
        """``df`` with ``values`` computed once, as columns ``{prefix}0..``, and those columns: an
        expression that later ones read several times (an aggregation that every output of a
        linear map reads) is then evaluated once a row, and the plan holds it once, instead of
        copying it into each reader (Spark keeps a projection whose columns are read more than
        once)."""
        F = self.F
        df = df.select("*", *[v.alias(f"{prefix}{k}") for k, v in enumerate(values)])
        return df, [F.col(f"{prefix}{k}") for k in range(len(values))]

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
        if weight and len(weight[0]) != len(inputs):
            raise ValueError(f"a {len(weight)} x {len(weight[0])} weight on {len(inputs)} inputs")
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

    def linear_map(self, df: DataFrame, weight: list[list[float]], bias: list[float] | None,
                   inputs: list[Value], prefix: str) -> tuple[DataFrame, list[Column]]:
        """``W x + b`` for every row of ``df``: ``(df with what it needs, the outputs)``. A small
        ``W`` (at most :data:`LITERAL_LIMIT` entries) is written into the plan as literals
        (:meth:`linear`); a bigger one is a matrix product per Arrow batch in the executors' Python
        (:meth:`matmul`), its outputs the columns ``{prefix}0..``."""
        if len(weight) * len(inputs) <= LITERAL_LIMIT:
            return df, self.linear(weight, bias, inputs)
        df, names = self.stage(df, inputs, f"{prefix}in")
        return self.matmul(df, [f"{prefix}in{k}" for k in range(len(names))], weight, bias, prefix)

    def matmul(self, df: DataFrame, inputs: list[str], weight: list[list[float]], bias: list[float] | None,
               prefix: str) -> tuple[DataFrame, list[Column]]:
        """``df`` with the columns ``{prefix}k = sum_i W[k][i] inputs[i] + b[k]``, computed per Arrow
        batch with numpy's matrix product (BLAS; in float32 for a float32 run) in the executors'
        Python; ``W`` and ``b`` reach the executors once, as a broadcast. The summation order is
        BLAS's, as torch's is, so sums agree with the local engine within rounding."""
        import numpy as np
        from pyspark.sql.types import DoubleType, FloatType, StructField, StructType

        F = self.F
        key = (id(weight), id(bias))
        if key not in self._broadcasts:  # a kind's weights are built once a run: sent once, not every round
            dtype = np.float32 if self.float32 else np.float64
            w = np.asarray(weight, dtype=dtype).T.copy()   # [in, out]
            b = None if bias is None else np.asarray(bias, dtype=dtype)
            self._broadcasts[key] = (weight, bias, df.sparkSession.sparkContext.broadcast((w, b)))
        shared = self._broadcasts[key][2]
        names = [f"{prefix}{k}" for k in range(len(weight))]
        kind = FloatType() if self.float32 else DoubleType()
        schema = StructType(list(df.schema.fields) + [StructField(n, kind, True) for n in names])
        columns = list(inputs)

        def apply(batches):
            import numpy as np
            import pyarrow as pa

            w, b = shared.value
            for batch in batches:
                x = np.empty((batch.num_rows, len(columns)), dtype=w.dtype)
                for i, name in enumerate(columns):
                    x[:, i] = batch.column(name).to_numpy(zero_copy_only=False)
                y = x @ w
                if b is not None:
                    y += b
                y = np.ascontiguousarray(y.T)
                yield pa.RecordBatch.from_arrays(list(batch.columns) + [pa.array(v) for v in y],
                                                 names=list(batch.schema.names) + names)
        return df.mapInArrow(apply, schema), [F.col(n) for n in names]

    # --- reductions over in-neighbours -------------------------------------------

    def _aggregate(self, grouped: DataFrame, values: list[Column], op: Op, weighted_degree: bool) -> DataFrame:
        F = self.F
        fns = {"sum": F.sum, "mean": F.sum, "max": F.max, "min": F.min}
        cols = [fns[o](v).alias(f"_a{m * len(values) + k}") for m, o in enumerate(each(op)) for k, v in enumerate(values)]
        cols.append(F.count(F.lit(1)).alias("_deg"))
        if weighted_degree:
            cols.append(F.sum(self.fit(F.col("w"))).alias("_wdeg"))
        return grouped.agg(*cols)

    def _join_back(self, nodes: DataFrame, agg: DataFrame, width: int, op: Op, weighted_degree: bool) -> DataFrame:
        F = self.F
        agg = agg.withColumnRenamed("dst", "id")
        keep = [F.col(c) for c in nodes.columns]
        reduced = []
        for m, o in enumerate(each(op)):
            for k in range(width):
                a = F.col(f"_a{m * width + k}")
                if o == "mean":
                    a = self.fit(a / F.col("_deg"))  # mean = sum / count, as PyG's scatter mean
                reduced.append(self.fit(a).alias(f"_a{m * width + k}"))
        degs = [F.coalesce(F.col("_deg"), F.lit(0)).alias("_deg")]
        if weighted_degree:
            degs.append(self.fit(F.coalesce(F.col("_wdeg"), F.lit(0.0))).alias("_wdeg"))
        return nodes.join(agg, "id", "left").select(*keep, *reduced, *degs)

    def reduce(self, nodes: DataFrame, q: list[Column], op: Op, *,
               per_edge: Callable[[list[Column], Column | None], list[Column]] | None = None,
               weighted_degree: bool = False) -> DataFrame:
        """``nodes`` with ``_a{k}`` = ``op`` over each node's in-neighbours ``j`` of ``q[k]`` at ``j``,
        null where there are none, and ``_deg`` (with ``weighted_degree`` also ``_wdeg``, the
        weighted in-degree) beside them. ``per_edge(q_j, edge_weight)`` turns the gathered
        columns into the values reduced (e.g. times the edge weight). One join, one ``groupBy``.
        With a list of aggregations, the ``m``-th one's columns are ``_a{m * len(q) + k}`` (read
        them with :meth:`reduced`)."""
        F = self.F
        sources = nodes.select(F.col("id").alias("src"), *[c.alias(f"_q{k}") for k, c in enumerate(q)])
        joined = self.edges.join(sources, "src")
        values = [F.col(f"_q{k}") for k in range(len(q))]
        if per_edge is not None:
            values = per_edge(values, self.fit(F.col("w")) if self.weighted else None)
        agg = self._aggregate(joined.groupBy("dst"), values, op, weighted_degree)
        return self._join_back(nodes, agg, len(values), op, weighted_degree)

    def reduce_messages(self, nodes: DataFrame, in_width: int,
                        message: Callable[[list[Column], list[Column], Column | None], list[Column]],
                        op: Op) -> DataFrame:
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

    def reduced(self, width: int, op: Op, mode: str | None = None,
                per_op: Callable[[str, list[Column]], list[Column]] | None = None) -> list[Column]:
        """The aggregated messages on the output of :meth:`reduce` (``width`` columns per
        aggregation): ``per_op(aggregation, columns)`` applied to each aggregation's columns (a
        kind's node-level part of the message), 0 where a node has no incoming edge (PyG's empty
        aggregation), then several aggregations combined as PyG's ``MultiAggregation`` does
        (:meth:`combine`)."""
        parts = []
        for m, o in enumerate(each(op)):
            cols = [self.F.col(f"_a{m * width + k}") for k in range(width)]
            if per_op is not None:
                cols = per_op(o, cols)
            parts.append([self.if_edges(c) for c in cols])
        return self.combine(parts, mode)

    def combine(self, parts: list[list[Column]], mode: str | None) -> list[Column]:
        """Several aggregations' columns as one: ``cat`` (the default) concatenates them, the other
        modes combine them feature by feature, as torch's ``sum``, ``mean``, ``max``, ``min``,
        ``std``, ``var`` and ``logsumexp`` over the stacked aggregations do."""
        if len(parts) == 1:
            return parts[0]
        mode = mode or "cat"
        if mode == "cat":
            return [c for part in parts for c in part]
        F = self.F
        k = len(parts)
        out = []
        for cols in zip(*parts):
            if mode == "max":
                out.append(F.greatest(*cols))
                continue
            if mode == "min":
                out.append(F.least(*cols))
                continue
            if mode == "logsumexp":  # m + log(sum exp(c - m)), m the largest, as torch computes it
                top = F.greatest(*cols).cast("double")
                total = None
                for c in cols:
                    e = F.exp(c.cast("double") - top)
                    total = e if total is None else total + e
                out.append(self.fit(F.when(F.abs(top) == math.inf, top).otherwise(top + F.log(total))))
                continue
            total = cols[0]
            for c in cols[1:]:
                total = self.arith("+", total, c)
            if mode == "sum":
                out.append(total)
                continue
            mean = self.arith("/", total, float(k))
            if mode == "mean":
                out.append(mean)
                continue
            dev = None
            for c in cols:
                d = self.arith("-", c, mean)
                d = self.arith("*", d, d)
                dev = d if dev is None else self.arith("+", dev, d)
            var = self.arith("/", dev, float(k - 1))
            out.append(var if mode == "var" else self.fit(F.sqrt(var.cast("double"))))
        return out

    # --- PyG's gcn_norm ----------------------------------------------------------------

    def gcn_normalized(self, nodes: DataFrame, *, self_loops: bool, fill: float) -> "Ops":
        """This toolbox over the edges PyG's ``gcn_norm`` makes (its ``edge_index`` form, which
        gnnprop's local engine runs on graphs with self loops or duplicate edges):

        - with ``self_loops``, every self loop of the file is dropped and each node gets one, of
          weight 1 where the file has no weights, else its last self loop's weight in the file or
          ``fill`` (GCNConv's ``improved``: 2);
        - ``w`` becomes ``dinv[src] * w * dinv[dst]``, ``dinv = 1 / sqrt(weighted in-degree)``
          (0 where that is infinite), computed as torch computes ``deg.pow(-0.5)``.

        ``nodes`` gives the node ids. Computed once per run (the graph does not change between
        rounds), hashed by source and checkpointed like the input's edges."""
        key = (self_loops, fill)
        if key in self._normalized:
            return self._normalized[key]
        F = self.F
        edges = self.edges.select("src", "dst", self.fit(F.col("w")).alias("w"))
        if self_loops:
            loops = nodes.select(F.col("id").alias("src"), F.col("id").alias("dst"))
            if self.file_weights and self.loops is not None:
                kept = self.loops.select(F.col("id").alias("src"), F.col("w").alias("_w"))
                weight = F.coalesce(self.fit(F.col("_w")), self.lit(fill))
                loops = loops.join(kept, "src", "left").select("src", "dst", weight.alias("w"))
            else:
                loops = loops.select("src", "dst", self.lit(1.0).alias("w"))
            edges = edges.where(F.col("src") != F.col("dst")).unionByName(loops)
        degree = edges.groupBy("dst").agg(self.fit(F.sum("w")).alias("_d"))
        root = self.fit(F.sqrt(F.col("_d").cast("double")))
        inv = self.fit(F.lit(1.0) / root)                # torch's pow(-0.5): 1 / sqrt, rounded twice
        inv = F.when(inv == math.inf, self.lit(0.0)).otherwise(inv)
        dinv = degree.select(F.col("dst").alias("_id"), inv.alias("_inv"))
        at_src = dinv.select(F.col("_id").alias("src"), F.col("_inv").alias("_s"))
        at_dst = dinv.select(F.col("_id").alias("dst"), F.col("_inv").alias("_t"))
        zero = self.lit(0.0)
        norm = self.fit(self.fit(F.coalesce(F.col("_s"), zero) * F.col("w")) * F.coalesce(F.col("_t"), zero))
        edges = edges.join(at_src, "src", "left").join(at_dst, "dst", "left").select("src", "dst", norm.alias("w"))
        edges = self.checkpoint(edges.repartition(self.partitions, "src").sortWithinPartitions("src"))
        out = Ops(edges, self.dtype, True, width=self.width, checkpoint=self.checkpoint, partitions=self.partitions)
        self._normalized[key] = out
        return out
