"""The Spark engine's vectorised rounds: nodes in blocks held as arrays, a round computed per block.

The row-level rounds (:mod:`.ops`) join every round's node rows to the edges and group the
messages by target, one row per edge. Here, as GraphX routes its vertices:

- the nodes are hashed by id into ``P`` blocks (a block is a partition); a block's rows are
  one numpy array, its ids one Arrow array;
- the edges are grouped once by the target's block: each block's in-edges with sources
  numbered locally (its own nodes, then the other blocks' nodes they read, the ghosts), as
  a CSR by target, and for every other block the rows it reads from it (its route); laid
  out once and checkpointed;
- a round moves only those rows: each block sends every other block the rows it reads
  (``shuffle``), or, while the node table is small (at most :data:`BROADCAST_VALUES`
  values), the driver gathers the round and broadcasts it (``broadcast``, no shuffle);
- each block then computes its nodes' new rows inside the executors with the layer kind's
  own block form (:mod:`gnnprop.layers.blocks`): the local engine's fused round (or PyG's
  form) on the block's subgraph, so the numbers are the local engine's;
- every round is checkpointed, and checked in the same job (rows, non-finite values, the
  largest change in converge mode).

The executors' side is :mod:`.blocktask`; they need Python with torch, numpy, pyarrow (and
torch_geometric for PyG's layers and formulas with no fused form); gnnprop itself is sent
to them by the driver when the master is not local.
"""

from __future__ import annotations

import functools
import math
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from . import blocktask as bt

DataFrame = Any

#: Most values (nodes x features) of a round gathered on the driver and broadcast to the blocks each
#: round; a bigger round is exchanged by a shuffle (each block sends each other block what it reads).
#: A broadcast round is two Spark jobs (the gather, then the blocks), a shuffled one is one: on
#: ``local[2]`` at 100K nodes x 16 features the shuffle measured 1.0 s a round against 1.6 s (see
#: docs/spark-cost-model.md), so the broadcast is kept for small tables (512 KB of doubles), where
#: it saves a cluster's blocks the shuffle files of a round.
BROADCAST_VALUES = 1 << 16
#: Most in-edges and most values (nodes x features) of one block when the number of blocks is picked
#: (``spark.partitions`` unset): a block is one task's arrays in an executor's Python.
EDGES_PER_BLOCK = 8_000_000
VALUES_PER_BLOCK = 1 << 25
#: Values (rows x features, the rows each block reads included) the rounds may leave behind before Spark
#: is made to free them (:meth:`BlockRounds._free`: a garbage collection in Python and in the JVM, 0.35-0.47 s
#: at 100K x 16 on local[2], most of a round's 0.7 s when it ran every other round). The rounds' rows are
#: checkpointed to the executors' disks, not kept in a JVM's heap: what waits is disk (about 16 bytes a value
#: left behind: the checkpoint and the shuffle files), 1 GB at most, freed every 20 rounds at 100K x 16.
RELEASE_VALUES = 1 << 26
#: Fewest edges for which the rounds are laid out in blocks when no exchange is asked for: laying the
#: blocks out costs Spark jobs of its own (partition keys, the routes, the blocks' CSR: a tiny graph's run
#: measured 5.5 s in blocks against 3 s row by row), which a round's saving (4-6.5x a round at 1M edges,
#: docs/spark-cost-model.md) repays only on a graph this big. ``spark.exchange`` decides instead when set.
BLOCKS_FROM_EDGES = 200_000
MASK = (1 << 33) - 1  # monotonically_increasing_id: the partition above bit 33, the row below


@dataclass(frozen=True)
class Layout:
    """How the rounds are laid out: ``blocks`` blocks, ghost rows by ``exchange``, and why."""

    blocks: int
    exchange: str      # broadcast | shuffle
    why: str


def choose(spark, cfg, num_nodes: int, num_edges: int, width: int, exchange: str | None = None) -> Layout:
    """The number of blocks (``spark.partitions``, else Spark's cores, more where a block would hold more than
    :data:`EDGES_PER_BLOCK` edges or :data:`VALUES_PER_BLOCK` values, a multiple of the cores) and the exchange
    (``exchange`` when given, else broadcast up to :data:`BROADCAST_VALUES` values)."""
    if cfg.spark.partitions:
        blocks, how = cfg.spark.partitions, "spark.partitions"
    else:
        cores = max(1, int(spark.sparkContext.defaultParallelism))
        need = max(1, math.ceil(num_edges / EDGES_PER_BLOCK), math.ceil(num_nodes * width / VALUES_PER_BLOCK))
        blocks, how = cores * math.ceil(need / cores), f"{cores} cores"
    values = num_nodes * width
    if exchange is None:
        exchange = "broadcast" if values <= BROADCAST_VALUES else "shuffle"
        why = f"{values:,} values {'<=' if exchange == 'broadcast' else '>'} {BROADCAST_VALUES:,}"
    else:
        why = "asked for"
    return Layout(blocks, exchange, f"{blocks} blocks ({how}), ghost rows by {exchange} ({why})")


def _spark_hash(v: int, seed: int = 42) -> int:
    """Spark's ``hash()`` of a long (``Murmur3_x86_32.hashLong`` with Spark's seed), a signed 32-bit int:
    what ``repartition(P, col)`` partitions a long column by (``pmod(hash, P)``)."""
    m = 0xFFFFFFFF

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & m

    def mix(h: int, k: int) -> int:
        k = rotl((k * 0xCC9E2D51) & m, 15) * 0x1B873593 & m
        return (rotl(h ^ k, 13) * 5 + 0xE6546B64) & m

    h = mix(mix(seed, v & m), (v >> 32) & m) ^ 8
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & m
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & m
    h ^= h >> 16
    return h - (1 << 32) if h >= 1 << 31 else h


def partition_keys(blocks: int) -> list[int]:
    """For each partition ``d`` of ``blocks`` the smallest long ``k >= 0`` that Spark's hash partitioning
    sends there (``pmod(hash(k), blocks) == d``), computed here (no Spark job; checked against Spark in
    tests/test_spark_blocks.py)."""
    found: dict[int, int] = {}
    k = 0
    while len(found) < blocks:
        found.setdefault(_spark_hash(k) % blocks, k)
        k += 1
    return [found[d] for d in range(blocks)]


class BlockRounds:
    """The rounds of one Spark run (a :class:`~.run.SparkRun`) as blocks; :meth:`propagate` is the run's."""

    def __init__(self, run, form, layout: Layout, edges: DataFrame, weighted: bool):
        from pyspark.sql import functions as F

        self.run, self.form, self.layout = run, form, layout
        self.spark = run.spark
        self.P = layout.blocks
        self.F = F
        self.dtype = run.dtype
        self.keys = partition_keys(self.P)
        self._ship_package()
        cp = self._checkpoint
        g = run.graph
        xs = [F.col(f"x{k}") for k in range(g.width)]
        placed = cp(g.nodes.select("id", *xs).repartition(self.P, "id").sortWithinPartitions("id")
                    .withColumn("_m", F.monotonically_increasing_id()))
        self.placed = placed
        self.index = placed.select("id", *self._placement())
        counts = {r["blk"]: r["count"] for r in self.index.groupBy("blk").count().collect()}
        self.sizes = [int(counts.get(d, 0)) for d in range(self.P)]
        self.graph_rows = cp(self._graph(edges, weighted))
        state = {k: v.detach().cpu() for k, v in run.params.state_dict().items()}
        c = run.config
        self.spec = bt.LayerSpec(uuid.uuid4().hex, c.layer, g.width, c.aggregation(), c.aggr_mode, c.seed, state,
                                 self.dtype)
        self.shared = self.spark.sparkContext.broadcast(self.spec)
        self.id_type = "long" if g.integer_ids else "string"

    def _ship_package(self) -> None:
        """Executors of a cluster run the driver's gnnprop: its package, zipped, goes with the jobs (once a
        SparkContext: Spark refuses a second file of the same name)."""
        sc = self.spark.sparkContext
        if sc.master.startswith("local") or getattr(sc, "_gnnprop_shipped", False):
            return
        import shutil
        import tempfile

        import gnnprop

        root = os.path.dirname(os.path.dirname(os.path.abspath(gnnprop.__file__)))
        folder = tempfile.mkdtemp(prefix="gnnprop-py-")
        path = shutil.make_archive(os.path.join(folder, "gnnprop"), "zip", root, "gnnprop")
        sc.addPyFile(path)
        sc._gnnprop_shipped = True

    # --- laying out (once a run) ----------------------------------------------------------------

    def _map(self, df: DataFrame, fn, **kwargs) -> DataFrame:
        return df.mapInArrow(functools.partial(fn, **kwargs), bt.SCHEMA)

    def _graph(self, edges: DataFrame, weighted: bool) -> DataFrame:
        """Every block's graph and ids (``STATIC`` and ``IDS`` rows, one partition a block)."""
        F = self.F
        src = self.index.select(F.col("id").alias("src"), F.col("blk").alias("sb"), F.col("loc").alias("sl"))
        dst = self.index.select(F.col("id").alias("dst"), F.col("blk").alias("db"), F.col("loc").alias("dl"))
        cols = ["dst", "db", "sb", "sl", "dl"] + (["w"] if weighted else [])
        by_target = edges.join(src, "src").join(dst, "dst").select(*cols).repartition(self.P, "dst")
        static = self._map(by_target, bt.build_static, keys=self.keys, sizes=self.sizes, weighted=weighted)
        ids = self._map(self.placed.select(*self._placement(), "id"), bt.build_nodes,
                        keys=self.keys, width=0, dtype=self.dtype, with_ids=True).where(F.col("kind") == bt.IDS)
        return self._map(static.unionByName(ids).repartition(self.P, "key"), bt.merge_routes, keys=self.keys,
                         sizes=self.sizes, weighted=weighted).repartition(self.P, "key")

    def _placement(self) -> list:
        F = self.F
        return [F.shiftright("_m", 33).cast("int").alias("blk"), F.col("_m").bitwiseAND(MASK).alias("loc")]

    def _start(self, table: DataFrame | None) -> DataFrame:
        """A round's start: the graph rows, ``X`` from ``table`` (``id, x0..``; the input when None) and, with
        a shuffle, the rows each block reads; checkpointed."""
        F = self.F
        if table is None:
            width = self.run.graph.width
            placed = self.placed.select(*self._placement(), "id", *[f"x{k}" for k in range(width)])
        else:
            width = len([c for c in table.columns if c.startswith("x")])
            placed = table.join(self.index, "id").select("blk", "loc", "id", *[F.col(f"x{k}").cast("double")
                                                                        for k in range(width)]) \
                .repartition(self.P, "id")
        x = self._map(placed, bt.build_nodes, keys=self.keys, width=width, dtype=self.dtype, with_ids=False)
        spec = bt.Pass(tuple(self.keys), -1, self.form.stages, self.layout.exchange == "shuffle", False, self.dtype)
        return self._checkpoint(self._pass(x.repartition(self.P, "key"), spec, None))

    def _pass(self, rows: DataFrame, spec, shared, observed=None) -> DataFrame:
        """One pass over the blocks: each block given its graph rows and ``rows`` (hashed by key into the
        blocks' partitions: the union is partition by partition, no shuffle), its output hashed by key
        again (a shuffle: the rows each block reads go to it)."""
        given = self.graph_rows.unionByName(rows).repartition(self.P, "key")
        out = self._map(given, bt.round_pass, spec=spec, layer=self.shared, ghosts=shared)
        if observed is not None:
            out = out.observe(observed, *self._checks())
        return out.repartition(self.P, "key")

    # --- the rounds ----------------------------------------------------------------------------------

    def frame(self, rows: DataFrame, width: int) -> DataFrame:
        """A round's rows as its table ``id, x0..`` (computed from the checkpointed blocks when read)."""
        t = "float" if self.dtype == "float32" else "double"
        schema = f"id {self.id_type}, " + ", ".join(f"x{k} {t}" for k in range(width))
        # the graph's rows and the round's, partition by partition (no shuffle; each DataFrame call is a
        # py4j call and an analysis of the plan: as few as can be, expand passes over the other kinds)
        given = self.graph_rows.unionByName(rows).repartition(self.P, "key")
        return given.mapInArrow(
            functools.partial(bt.expand, width=width, dtype=self.dtype, id_type=self.id_type), schema)

    def _gather(self, rows: DataFrame, kind: int, width: int):
        """The blocks' ``kind`` rows as one array in block order, broadcast (the broadcast exchange)."""
        import pickle

        import numpy as np

        F = self.F
        table = rows.where(F.col("kind") == kind).select("blk", "part", "data").toArrow()
        chunks: dict[int, dict[int, bytes]] = {}
        for b, p, data in zip(*(table.column(c).to_pylist() for c in ("blk", "part", "data"))):
            chunks.setdefault(b, {})[p] = data
        out = np.empty((sum(self.sizes), width), dtype=np.dtype(self.dtype))
        at = 0
        for d in range(self.P):
            part = chunks.get(d, {})
            value = pickle.loads(b"".join(part[p] for p in sorted(part))) if part else out[:0]
            out[at:at + len(value)] = value
            at += self.sizes[d]
        return self.spark.sparkContext.broadcast(out)

    def _round(self, rows: DataFrame, width: int, measure: bool, observed) -> DataFrame:
        """A round from the checkpointed ``rows`` of the one before (``width`` features): its stages (between
        two, sg's and appnp's rows keep that width), checkpointed, its checks ``observed``."""
        shuffle = self.layout.exchange == "shuffle"
        stages = self.form.stages
        for k in range(stages):
            last = k == stages - 1
            spec = bt.Pass(tuple(self.keys), k, stages, shuffle, measure, self.dtype)
            shared = None if shuffle else self._gather(rows, bt.X if k == 0 else bt.H, width)
            rows = self._pass(rows, spec, shared, observed if last else None)
            if last or not shuffle:
                rows = self._checkpoint(rows)
            if shared is not None:
                shared.destroy()
        return rows

    def _checks(self) -> list:
        F = self.F
        return [F.sum("n").alias("rows"), F.sum("bad").alias("bad"), F.max("delta").alias("delta")]

    def propagate(self, start=None) -> Iterator[Any]:
        """Round 0 (the input), 1, 2, ...; from ``start`` = (round, its table, deltas, first non-finite
        round): that round first. The run's :meth:`~.run.SparkRun.propagate`."""
        from pyspark.sql import Observation

        from .run import SparkRound

        run, book, plan = self.run, self.run.book, self.run.plan
        if start is None:
            first, table, shown = 0, None, run.input()
        else:
            first, table, deltas, nonfinite = start
            book.resume(first, deltas, nonfinite)
            shown = table
        width = run.graph.width if first == 0 else run.step.width
        rows = self._start(table)
        yield SparkRound(first, shown, 0.0, run.graph.num_nodes)
        measure = book.measures_change(run.step.width == run.graph.width)
        for r in range(first + 1, plan.max_rounds + 1):
            t0 = time.perf_counter()
            observed = Observation(f"blocks{r}")
            rows = self._round(rows, width, measure, observed)
            width = run.step.width
            stats = observed.get
            if stats["bad"]:
                self._nonfinite(rows, r)
            delta = None
            if measure:
                delta = float(stats["delta"]) if stats["delta"] is not None else 0.0
            stop = book.done(r, delta)
            n = int(stats["rows"] or 0)
            self._free(n * width)
            yield SparkRound(r, self.frame(rows, run.step.width), time.perf_counter() - t0, n, delta)
            if stop:
                return
        book.finish()

    def _checkpoint(self, df: DataFrame) -> DataFrame:
        """``df`` materialised and cut from its lineage (a reliable checkpoint in ``spark.checkpoint_dir`` when
        set, else a local one, kept on the executors' disks: the blocks' rows are large byte strings, which
        in a JVM's heap cost garbage collection and, with a local master, the driver's memory; read back
        from the page cache they cost little)."""
        if self.run.config.spark.checkpoint_dir:
            return df.checkpoint(eager=True)
        from pyspark import StorageLevel

        return df.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)

    def _free(self, values: int) -> None:
        """Let Spark free what earlier rounds left behind (their checkpointed blocks and shuffle files) once
        they hold about :data:`RELEASE_VALUES` values: Spark's cleaner learns what is no longer read from a JVM
        garbage collection, the JVM what Python dropped from Python's (PySpark's objects sit in cycles)."""
        self._left = getattr(self, "_left", 0) + 2 * values  # a round, and about as many rows read elsewhere
        if self._left >= RELEASE_VALUES:
            import gc

            gc.collect()
            self.spark.sparkContext._jvm.System.gc()
            self._left = 0

    def _nonfinite(self, rows: DataFrame, r: int) -> None:
        """Round ``r`` has a non-finite value: the first node in node order that has one, as the row-level
        rounds find it (on the round's table: an error's path, run once)."""
        F, width = self.F, self.run.step.width
        cols = [F.col(f"x{k}") for k in range(width)]
        bad = F.lit(False)
        for c in cols:
            bad = bad | F.isnan(c) | (F.abs(c) == float("inf"))
        self.run._nonfinite(self.frame(rows, width), bad, cols, r)

    def note(self) -> str:
        return f"{self.run.kind.name}'s block form on {self.layout.why}; every round checkpointed"


def attach(run, ops, exchange: str | None = None) -> None:
    """Give ``run`` block rounds where its layer kind has a block form (``exchange``: broadcast or shuffle;
    ``blocks``: either, chosen; ``rows`` keeps the row-level rounds; None: row by row below
    :data:`BLOCKS_FROM_EDGES` edges, else chosen); else it keeps its row-level rounds and ``run.row_level``
    says why."""
    if exchange == "rows":
        run.row_level = "asked for"
        return
    if exchange == "blocks":  # blocks whatever the graph's size, the exchange chosen
        exchange = None
    elif exchange is None and run.graph.num_edges < BLOCKS_FROM_EDGES:
        run.row_level = f"{run.graph.num_edges:,} edges < {BLOCKS_FROM_EDGES:,}: laying out blocks costs more than it saves"
        return
    blocks_of = getattr(run.kind, "spark_blocks", None)
    form = blocks_of(run.params) if blocks_of is not None else f"the {run.kind.name} layer has no block form"
    if isinstance(form, str):
        run.row_level = form
        return
    g = run.graph
    layout = choose(run.spark, run.config, g.num_nodes, g.num_edges, max(g.width, run.step.width), exchange)
    if form.normalise is not None:
        loops, fill = form.normalise
        edges, weighted = ops.gcn_normalized(g.nodes, self_loops=loops, fill=fill).edges, True
    else:
        edges, weighted = g.edges, g.weighted
    run.blocks = BlockRounds(run, form, layout, edges, weighted)


def describe(run) -> tuple[str, dict[str, Any]]:
    """How a run's rounds ran, for its meta: a note and ``blocks``, ``exchange`` (``rows``: row by row) and
    ``exchange_why`` (the layout's reasons, or why the rounds ran row by row)."""
    if run.blocks is not None:
        layout = run.blocks.layout
        return run.blocks.note(), {"blocks": layout.blocks, "exchange": layout.exchange, "exchange_why": layout.why}
    why = run.row_level or "asked for"
    return (f"{run.kind.name}'s row-level Spark form ({why}); every round checkpointed",
            {"blocks": None, "exchange": "rows", "exchange_why": why})
