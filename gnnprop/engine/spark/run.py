"""A run on Spark: the graph read by Spark, the layer kind's Spark lowering, round by round.

    run = prepare_spark(spark, "edges.csv", config)
    for r in run.propagate():       # SparkRound: round 0 (the input), 1, 2, ...
        r.df.write.parquet(...)     # id, x0..  (materialised: every round is checkpointed)
    run.meta()

Every round is checkpointed (``localCheckpoint`` unless ``spark.checkpoint_dir``
is set), so round R's plan is one round deep, not R. One Spark aggregate a
round counts the rows, finds non-finite values and, in converge mode, the
largest change.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import torch

from ... import expr
from ...config.schema import Config
from ...errors import ConfigError
from ...layers import build, resolve_kind
from ...weights import load_weights
from ..rounds import RoundBook, RoundPlan, check_widths, plan_rounds, plan_rule
from . import check_supported
from .inputs import SparkGraph, read_graph
from .ops import Ops, SparkStep
from .session import partitions

DataFrame = Any

#: A round table of at least this many values (8 MB of doubles) has its predecessors' storage
#: released as soon as the round is done (:meth:`SparkRun._release`).
RELEASE_VALUES = 1 << 20


@dataclass
class SparkRound:
    round: int                    # 0 = the input
    df: DataFrame                 # id, x0.. (checkpointed)
    seconds: float                # to compute and check this round
    rows: int                     # nodes in this round
    delta: float | None = None    # converge mode: max |x_r - x_(r-1)|


@dataclass
class SparkRun:
    spark: Any
    config: Config
    graph: SparkGraph
    kind: Any
    params: torch.nn.Module
    step: SparkStep
    plan: RoundPlan
    allow_nonfinite: bool = False
    started: float = field(default_factory=time.perf_counter)
    load_seconds: float = 0.0
    start_seconds: float = 0.0       # starting (or joining) the Spark session
    seconds: float = 0.0             # computing the rounds
    on_event: Any = None             # progress: on_event("round", round=..., seconds=..., rows=..., delta=...)
    stop: Any = None                 # the Interruptible a run is in: checked between rounds
    blocks: Any = None               # the vectorised rounds (blocks.BlockRounds), else row by row:
    row_level: str | None = None     # why
    book: RoundBook = field(init=False)
    engine = "spark"

    def __post_init__(self) -> None:
        self.book = RoundBook(self.plan, self.allow_nonfinite)
        self._ids: list | None = None

    # -- the run seam (gnnprop.engine.run.Run) --------------------------------------------------------------

    source = property(lambda self: self.graph.source)
    num_nodes = property(lambda self: self.graph.num_nodes)
    num_edges = property(lambda self: self.graph.num_edges)
    in_width = property(lambda self: self.graph.width)

    def rounds(self, start: Any = None) -> Iterator[SparkRound]:
        self.seconds = 0.0
        for result in self.propagate(start):
            if self.stop is not None:
                self.stop.check()  # Ctrl-C between two jobs: at the latest here, once a round
            self.seconds += result.seconds
            if self.on_event is not None and result.round > (start[0] if start else 0):
                self.on_event("round", round=result.round, seconds=result.seconds, rows=result.rows,
                              delta=result.delta)
            yield result

    @property
    def stopped(self) -> bool:
        return self.stop is not None and self.stop.stopped() is not None

    def node_ids(self) -> list:
        if self._ids is None:
            self._ids = self.order()
        return self._ids

    def pick(self, tokens) -> Any:
        """The named nodes (ids typed as the graph's); a missing one is the local engine's error."""
        from ...errors import InputError
        from ..run import Picked

        ids: list = []
        for t in tokens:
            if self.graph.integer_ids:
                try:
                    ids.append(int(t))
                except ValueError:
                    raise InputError(f"{self.source}: no node with id {t!r} (its ids are integers)") from None
            else:
                ids.append(t)
        found = {r["id"] for r in self.graph.nodes.where(_F().col("id").isin(ids)).select("id").collect()}
        for i, t in zip(ids, tokens):
            if i not in found:
                hint = ""
                if self.num_nodes <= 20:
                    hint = f"; the nodes are: {', '.join(str(n) for n in self.node_ids())}"
                raise InputError(f"{self.source}: no node with id {t!r}{hint}")
        return Picked(ids)

    def will_collect(self, rounds: int, picked: Any = None) -> None:
        """Refuse, before the first round, to bring more than ``spark.collect_limit`` values to the driver."""
        from .output import check_collect

        n = self.num_nodes if picked is None else len(picked.ids)
        check_collect(n, self.width, rounds, self.config.spark.collect_limit)

    def array(self, result: SparkRound, picked: Any = None) -> Any:
        from .output import Collector

        ids = self.node_ids() if picked is None else picked.ids
        width = self.step.width if result.round else self.graph.width
        df = result.df if picked is None else result.df.where(_F().col("id").isin(picked.ids))
        return Collector(ids).numpy(df, width, "float32" if self.dtype == "float32" else "float64")

    def write_part(self, result: SparkRound, folder: str, picked: Any = None) -> None:
        df = result.df if picked is None else result.df.where(_F().col("id").isin(picked.ids))
        df.write.mode("errorifexists").parquet(folder)

    def file_system(self, path: str) -> Any:
        from .output import HadoopFS

        return HadoopFS(self.spark)

    def read_start(self, folder: str, manifest: dict) -> Any:
        """The last round the run folder lists as written, read by Spark, cast to the run's dtype and
        laid out as a round's table is."""
        F = _F()
        r = max(manifest["written"]["rounds"])
        width = self.graph.width if r == 0 else self.step.width
        t = "float" if self.dtype == "float32" else "double"
        df = self.spark.read.parquet(f"{folder.rstrip('/')}/round={r}")
        df = df.select("id", *[F.col(f"x{k}").cast(t).alias(f"x{k}") for k in range(width)])
        df = self.checkpoint(df.repartition(self.graph.nodes.rdd.getNumPartitions(), "id"))
        return (r, df, list(manifest.get("deltas") or []), manifest.get("nonfinite_round"))

    rounds_run = property(lambda self: self.book.rounds_run)
    converged = property(lambda self: self.book.converged)
    deltas = property(lambda self: self.book.deltas)
    nonfinite_round = property(lambda self: self.book.nonfinite_round)
    stop_reason = property(lambda self: self.book.stop_reason)

    @property
    def dtype(self) -> str:
        return self.config.dtype

    @property
    def width(self) -> int:
        return max(self.graph.width, self.step.width)

    def checkpoint(self, df: DataFrame) -> DataFrame:
        return checkpointer(self.spark, self.config)(df)

    def input(self) -> DataFrame:
        F = _F()
        t = "float" if self.dtype == "float32" else "double"
        return self.graph.nodes.select("id", *[F.col(f"x{k}").cast(t).alias(f"x{k}") for k in range(self.graph.width)])

    def order(self) -> list:
        """The node ids in gnnprop's node order (node table order; else integer ids ascending,
        then the others by first appearance): the ids and their order keys collected as Arrow
        columns (one job), sorted here (Spark's orderBy is a sampling job, then a sort, then rows
        as Python objects; the ids come here either way)."""
        import numpy as np

        t = self.graph.nodes.select("id", "_o1", "_o2", "_o3").toArrow()
        perm = np.lexsort([t.column(c).to_numpy() for c in ("_o3", "_o2", "_o1")])  # the last key first
        return t.column("id").take(perm).to_pylist()

    def propagate(self, start: tuple[int, DataFrame, list[float], int | None] | None = None) -> Iterator[SparkRound]:
        """Round 0 (the input), 1, 2, ...; from ``start`` = (round, its table, the deltas and the first
        non-finite round before it), a resumed run's round, when given: that round first."""
        if self.blocks is not None:
            yield from self.blocks.propagate(start)
            return
        F = _F()
        self.started = time.perf_counter()
        plan, book = self.plan, self.book
        if start is None:
            first, x = 0, self.input()  # a projection of the checkpointed nodes
        else:
            first, x, deltas, nonfinite = start
            book.resume(first, deltas, nonfinite)
        yield SparkRound(first, x, 0.0, self.graph.num_nodes)
        for r in range(first + 1, plan.max_rounds + 1):
            t0 = time.perf_counter()
            step = self.step.step(x)
            cols = [F.col(f"x{k}") for k in range(self.step.width)]
            bad = F.lit(False)
            for c in cols:
                bad = bad | F.isnan(c) | (F.abs(c) == float("inf"))
            converge = book.measures_change(self.step.width == self.graph.width)
            aggs = [F.count(F.lit(1)).alias("rows"), F.sum(F.when(bad, 1).otherwise(0)).alias("bad")]
            if converge:
                aggs.append(F.max("_change").alias("delta"))
            # the round's checks are observed while it is computed: one Spark job a round
            observed = Observation(f"round{r}")
            new = self.checkpoint(step.observe(observed, *aggs))
            del step  # its plan reads round r - 1's checkpoint
            stats = observed.get
            new = new.drop("_change")
            if stats["bad"]:
                self._nonfinite(new, bad, cols, r)
            delta = None
            if converge:
                delta = float(stats["delta"]) if stats["delta"] is not None else 0.0
            stop = book.done(r, delta)
            x = new  # round r - 1 is no longer read here
            del new
            self._release(int(stats["rows"]))
            yield SparkRound(r, x, time.perf_counter() - t0, int(stats["rows"]), delta)
            if stop:
                return
        book.finish()

    def _release(self, rows: int) -> None:
        """Let Spark free what the earlier rounds left behind: their checkpointed blocks and shuffle
        files. Spark's ContextCleaner releases both once nothing on the driver references them,
        which it learns from a JVM garbage collection (else only every 30 minutes); the JVM learns
        what Python dropped when py4j's proxies die, and PySpark's DataFrames and Columns sit in
        reference cycles, so Python collects first. Called when round r is checkpointed: round
        r - 1 and everything before it that the consumer no longer holds go. Once a round's
        table is big enough for its storage to matter (RELEASE_VALUES values) every round ends
        with this (about 0.1 s); smaller runs leave it to Spark."""
        if rows * max(self.width, 1) >= RELEASE_VALUES:
            gc.collect()
            self.spark.sparkContext._jvm.System.gc()

    def _nonfinite(self, df: DataFrame, bad, cols, r: int) -> None:
        if self.allow_nonfinite:  # noted, not looked for
            self.book.nonfinite(r, None, 0, math.inf, self.dtype)
            return
        order = self.graph.nodes.select("id", "_o1", "_o2", "_o3")  # the first such node in node order, as locally
        row = df.where(bad).join(order, "id").orderBy("_o1", "_o2", "_o3").first()
        k = next(k for k in range(len(cols)) if not math.isfinite(row[f"x{k}"]))
        self.book.nonfinite(r, row["id"], k, float(row[f"x{k}"]), self.dtype)

    def meta(self) -> dict[str, Any]:
        from ..run import meta

        from .blocks import describe

        note, extra = describe(self)
        return meta(self.config, self.book, aggr=self.kind.aggr_text(self.params),
                    device=f"spark {self.spark.sparkContext.master}", dtype=self.dtype, engine="spark",
                    engine_note=note, num_nodes=self.num_nodes, num_edges=self.num_edges, seconds=self.seconds,
                    extra={"start_seconds": round(self.start_seconds, 6), "read_seconds": round(self.load_seconds, 6),
                           **extra})


def _F():
    from pyspark.sql import functions as F

    return F


def Observation(name: str):
    from pyspark.sql import Observation as Obs

    return Obs(name)


def checkpointer(spark, cfg: Config):
    """``df -> df`` materialised and cut from its lineage: a reliable checkpoint in
    ``spark.checkpoint_dir`` when set, else a local one (executor storage)."""
    reliable = bool(cfg.spark.checkpoint_dir)

    def cut(df: DataFrame) -> DataFrame:
        return df.checkpoint(eager=True) if reliable else df.localCheckpoint(eager=True)
    return cut


def _rule_plan(cfg: Config, g: SparkGraph, x: DataFrame) -> RoundPlan:
    """A rule's statistics as Spark aggregates over all features of all nodes, and the graph's."""
    F = _F()
    cols = [F.col(f"x{k}").cast("double") for k in range(g.width)]
    flat = x.select(F.explode(F.array(*cols)).alias("v"))
    s = flat.agg(F.count("v").alias("n"), F.sum("v").alias("sum"), F.min("v").alias("min"),
                 F.max("v").alias("max"), F.sum(F.col("v") * F.col("v")).alias("sq")).first()
    n = s["n"]
    mean = s["sum"] / n if n else math.nan
    values = {"sum": s["sum"], "min": s["min"], "max": s["max"], "mean": mean,
              "norm": math.sqrt(s["sq"]) if n else math.nan}

    def stat(call: expr.Call) -> float:
        if call.func == "std":
            if "std" not in values:
                dev = flat.agg(F.sum((F.col("v") - F.lit(mean)) ** 2).alias("d")).first()["d"]
                values["std"] = math.sqrt(dev / (n - 1)) if n > 1 else math.nan
        return float(values[call.func])

    nn, ne = g.num_nodes, g.num_edges
    top = g.edges.groupBy("dst").count().agg(F.max("count").alias("m")).first()["m"] if ne else 0
    names = {"num_nodes": nn, "num_edges": ne, "density": ne / (nn * (nn - 1)) if nn > 1 else 0.0,
             "mean_degree": ne / nn if nn else 0.0, "max_degree": int(top or 0)}
    return plan_rule(cfg.rounds, stat, names)


def prepare_spark(spark, graph_path: str, config: Config, *, input_format: str | None = None,
                  node_features: str | None = None, weights: str | None = None,
                  allow_nonfinite: bool = False, exchange: str | None = None) -> SparkRun:
    """Read the graph with Spark and build the run: the layer's parameters (from the seed or
    ``weights``), its Spark lowering and the rounds plan, and the blocks its rounds run on
    (:mod:`.blocks`; ``exchange``: broadcast | shuffle, ``rows``: the row-level rounds; else the config's
    ``spark.exchange``, where ``auto`` chooses).
    Nothing is computed but the input's layout and counts (and a rule's statistics)."""
    cfg = config
    check_supported(cfg)
    started = time.perf_counter()
    g = read_graph(spark, graph_path, input_format=input_format, node_features=node_features,
                   undirected=cfg.graph_cfg.undirected, features=cfg.graph_cfg.features,
                   feature_dim=cfg.graph_cfg.feature_dim, partitions=partitions(spark, cfg.spark),
                   checkpoint=checkpointer(spark, cfg))
    check_widths(cfg.layer.type, g.source, g.width, g.width, None)  # no features: before the layer is built
    kind = resolve_kind(cfg.layer.type)
    params = build(kind, cfg.layer, g.width, cfg.aggregation(), cfg.seed, aggr_mode=cfg.aggr_mode)
    if weights is not None:
        load_weights(params, weights)
    params = params.to(torch.float32 if cfg.dtype == "float32" else torch.float64)
    edges = g.edges
    if not g.weighted:
        edges = edges.withColumn("w", _F().lit(1.0))  # edge_weight is 1 where a graph has none
    ops = Ops(edges, cfg.dtype, weighted=True, width=g.width, checkpoint=checkpointer(spark, cfg),
              partitions=partitions(spark, cfg.spark), loops=g.loops, file_weights=g.weighted)
    step = kind.spark(params, ops)
    if isinstance(step, str):
        raise ConfigError(f"the spark engine cannot run this {kind.name} layer: {step}", key="layer")
    if cfg.rounds.mode == "rule":
        plan = _rule_plan(cfg, g, g.nodes)
    else:
        plan = plan_rounds(cfg.rounds, None, None)  # static / converge: no statistics
    check_widths(cfg.layer.type, g.source, g.width, step.width, plan, heads="heads" in cfg.layer.args)
    run = SparkRun(spark, cfg, g, kind, params, step, plan, allow_nonfinite=allow_nonfinite)
    from .blocks import attach

    attach(run, ops, exchange or (None if cfg.spark.exchange == "auto" else cfg.spark.exchange))
    run.load_seconds = time.perf_counter() - started
    return run
