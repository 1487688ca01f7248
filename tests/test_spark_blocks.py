"""The Spark engine's vectorised rounds (gnnprop.engine.spark.blocks) against the local engine: every
layer kind the Spark engine runs, with every aggregation it reduces with (and a list of them), in static,
converge and rule rounds, in float32 and float64, on a tiny graph with string ids, isolated nodes, a
self loop, duplicate edges and edge weights; both exchanges (broadcast and shuffle) and several blocks.

max/min bit for bit, the others within 1e-12 norm-wise in float64 (1e-5 in float32). One Spark session
(the suite's), the library called directly (the CLI's path is tests/test_spark.py's and
tests/test_engines_agree.py's), so that the table stays fast.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from .spark_tools import skip_reason, write_random_graph

REASON = skip_reason()
pytestmark = [pytest.mark.spark, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

OWN = ("fixed", "nn", "residual")
AGGRS = ("sum", "mean", "max", "min", ["max", "sum"])
PYG = ("gcn", "sage", "graphconv", "gin", "sg", "appnp")
MODES = {
    "static": {"rounds": 2},
    "converge": {"rounds": {"mode": "converge", "tol": 1e-3, "max_rounds": 3}},
    "rule": {"rounds": {"mode": "rule", "if": "std(x) > 0.5 and max_degree >= 2", "then": 2, "else": 1}},
}
#: fixed layers' expressions: affine, weighted, not affine
MESSAGES = ("x_j", "x_j * edge_weight - 0.5 * x_i", "relu(x_j - x_i) * edge_weight + sigmoid(x_i)")


@pytest.fixture(autouse=True)
def blocks_on_tiny_graphs(monkeypatch):
    """The tiny graphs here are far below BLOCKS_FROM_EDGES, where ``auto`` runs row by row: lay them
    out in blocks all the same (test_auto_runs_a_small_graph_row_by_row checks the threshold)."""
    from gnnprop.engine.spark import blocks

    monkeypatch.setattr(blocks, "BLOCKS_FROM_EDGES", 0)


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blocks")
    return write_random_graph(folder, seed=47, n=14, e=40, f=3, weights=True)


def _config(layer, aggr, mode: str, dtype: str, partitions: int = 3, rounds: int | None = None):
    from gnnprop.configure import from_mapping

    doc = {"layer": layer, "dtype": dtype, "seed": 3, "spark": {"partitions": partitions}, **MODES[mode]}
    if rounds is not None:
        doc["rounds"] = rounds
    if aggr is not None:
        doc["aggr"] = aggr
        if isinstance(aggr, list):
            doc["aggr_mode"] = "cat" if layer["type"] == "nn" else "max"
    return from_mapping(doc)


def _local(graph, cfg) -> tuple[dict, np.ndarray, dict]:
    from gnnprop.engine.session import prepare
    from gnnprop.io import load_graph

    edges, nodes = graph
    g = load_graph(edges, node_features=nodes)
    prop = prepare(g, cfg).propagate()
    rounds = {r.round: r.x.numpy().astype(np.float64) for r in prop}
    return rounds, list(g.node_ids), {"rounds_run": prop.rounds_run, "stop_reason": prop.stop_reason}


def _spark(spark, graph, cfg, exchange=None):
    from gnnprop.engine.spark.output import Collector
    from gnnprop.engine.spark.run import prepare_spark

    edges, nodes = graph
    run = prepare_spark(spark, edges, cfg, node_features=nodes, exchange=exchange)
    ids = run.node_ids()
    rounds = {}
    for r in run.propagate():
        width = run.step.width if r.round else run.graph.width
        rounds[r.round] = Collector(ids).numpy(r.df, width, "float64")
    return rounds, ids, run


def agree(spark, graph, cfg, exact: bool, exchange=None):
    want, ids_l, book = _local(graph, cfg)
    got, ids_s, run = _spark(spark, graph, cfg, exchange)
    assert [str(i) for i in ids_s] == [str(i) for i in ids_l]
    assert sorted(got) == sorted(want)
    tol = 1e-12 if cfg.dtype == "float64" else 1e-5
    for r in want:
        a, b = want[r], got[r]
        assert a.shape == b.shape, (r, a.shape, b.shape)
        if exact:
            assert np.array_equal(a, b, equal_nan=True), (r, np.abs(a - b).max())
        else:
            scale = np.maximum(np.abs(a).max(axis=0), 1e-300)
            err = (np.abs(a - b).max(axis=0) / scale).max()
            assert err <= tol, (r, err)
    assert run.rounds_run == book["rounds_run"] and run.stop_reason == book["stop_reason"]
    meta = run.meta()
    assert meta["exchange"] in ("broadcast", "shuffle"), meta["engine_note"]  # never the row-level path
    assert "block form" in meta["engine_note"]
    return meta


PYG_LAYERS = {
    "gcn": {"type": "gcn", "args": {"improved": True}},
    "sage": {"type": "sage"},
    "graphconv": {"type": "graphconv", "args": {"aggr": "max"}},
    "gin": {"type": "gin"},
    "sg": {"type": "sg", "args": {"K": 2}},
    "appnp": {"type": "appnp", "args": {"K": 2, "alpha": 0.2}},
}


def _layer(kind: str, at: int) -> dict:
    if kind in PYG_LAYERS:
        return PYG_LAYERS[kind]
    if kind == "fixed":
        return {"type": "fixed", "message": MESSAGES[at % len(MESSAGES)], "update": "0.5 * x + aggr_out"}
    return {"type": kind}


def _exact(kind: str, aggr, dtype: str) -> bool:
    """max/min of the fixed layer bit for bit in float64 (in float32 an elementwise function of a message,
    sigmoid, may differ by an ulp with the position of its value in a vector: within 1e-5 there)."""
    return kind == "fixed" and aggr in ("max", "min") and dtype == "float64"


#: Every kind, every aggregation, every round mode and both dtypes, each at least once (the whole product
#: is FULL, below): (kind, aggr, mode, dtype).
COVER = [
    ("fixed", "sum", "static", "float64"), ("fixed", "mean", "converge", "float32"),
    ("fixed", "max", "rule", "float64"), ("fixed", "min", "static", "float64"),
    ("fixed", ["max", "sum"], "converge", "float64"),
    ("nn", "mean", "static", "float64"), ("nn", ["mean", "max"], "rule", "float32"),
    ("residual", "max", "converge", "float64"), ("residual", "sum", "static", "float32"),
    ("gcn", None, "static", "float32"), ("sage", None, "converge", "float64"), ("graphconv", None, "rule", "float64"),
    ("gin", None, "static", "float64"), ("sg", None, "rule", "float64"), ("appnp", None, "converge", "float32"),
]
FULL = [(kind, aggr, mode, dtype) for kind in (*OWN, *PYG) for aggr in (AGGRS if kind in OWN else (None,))
        for mode in MODES for dtype in ("float64", "float32")]
FULL_REASON = ("the whole product (126 Spark runs, about 10 minutes on 2 shared cores; COVER runs each kind, "
               "aggregation, mode and dtype at least once): set GNNPROP_SPARK_TABLE=full to run it")


def _name(case) -> str:
    kind, aggr, mode, dtype = case
    shown = "+".join(aggr) if isinstance(aggr, list) else aggr or "own"
    return f"{kind}-{shown}-{mode}-{dtype}"


def _case(spark, graph, case, at: int):
    kind, aggr, mode, dtype = case
    agree(spark, graph, _config(_layer(kind, at), aggr, mode, dtype), exact=_exact(kind, aggr, dtype))


@pytest.mark.parametrize("case", COVER, ids=_name)
def test_every_kind_aggregation_mode_and_dtype(spark_session, graph, case):
    _case(spark_session, graph, case, COVER.index(case))


@pytest.mark.skipif(os.environ.get("GNNPROP_SPARK_TABLE") != "full", reason=FULL_REASON)
@pytest.mark.parametrize("case", FULL, ids=_name)
def test_the_whole_table(spark_session, graph, case):
    _case(spark_session, graph, case, FULL.index(case))


@pytest.mark.parametrize("exchange", ["broadcast", "shuffle"])
@pytest.mark.parametrize("partitions", [1, 4])
def test_both_exchanges_and_block_counts(spark_session, graph, exchange, partitions):
    """The same numbers whichever way the rows each block reads travel, on one block or several."""
    cfg = _config({"type": "fixed", "message": MESSAGES[1]}, "max", "static", "float64", partitions)
    meta = agree(spark_session, graph, cfg, exact=True, exchange=exchange)
    assert meta["exchange"] == exchange and meta["blocks"] == partitions
    cfg = _config(PYG_LAYERS["appnp"], None, "static", "float64", partitions)
    agree(spark_session, graph, cfg, exact=False, exchange=exchange)


def test_the_row_level_rounds_when_asked(spark_session, graph):
    """exchange ``rows`` keeps the row-level rounds (the bench's comparison): the same numbers, and the
    meta says so."""
    cfg = _config({"type": "fixed"}, "max", "static", "float64")
    want, _, _ = _local(graph, cfg)
    got, _, run = _spark(spark_session, graph, cfg, exchange="rows")
    assert all(np.array_equal(want[r], got[r]) for r in want)
    meta = run.meta()
    assert meta["exchange"] == "rows" and meta["blocks"] is None
    assert "row-level" in meta["engine_note"] and "asked for" in meta["engine_note"]


def test_auto_runs_a_small_graph_row_by_row_and_spark_exchange_decides(spark_session, graph, monkeypatch):
    """Below BLOCKS_FROM_EDGES laying out blocks costs more than it saves: ``auto`` runs row by row and
    says why; the config's ``spark.exchange`` lays the blocks out anyway; a misspelt one is refused."""
    from gnnprop.configure import from_mapping
    from gnnprop.engine.spark import blocks
    from gnnprop.errors import ConfigError

    monkeypatch.setattr(blocks, "BLOCKS_FROM_EDGES", 1000)
    cfg = _config({"type": "fixed"}, "max", "static", "float64")
    want, _, _ = _local(graph, cfg)
    got, _, run = _spark(spark_session, graph, cfg)
    assert all(np.array_equal(want[r], got[r]) for r in want)
    meta = run.meta()
    assert meta["exchange"] == "rows" and "edges < 1,000: laying out blocks costs more" in meta["engine_note"]
    cfg = from_mapping({"aggr": "max", "dtype": "float64", "rounds": 2, "spark": {"exchange": "Shuffle"}})
    assert cfg.spark.exchange == "shuffle"
    got, _, run = _spark(spark_session, graph, cfg)
    assert run.meta()["exchange"] == "shuffle" and all(np.array_equal(want[r], got[r]) for r in (0, 1, 2))
    cfg = from_mapping({"aggr": "max", "dtype": "float64", "rounds": 2, "spark": {"exchange": "blocks"}})
    got, _, run = _spark(spark_session, graph, cfg)
    assert run.meta()["exchange"] == "broadcast" and all(np.array_equal(want[r], got[r]) for r in (0, 1, 2))
    with pytest.raises(ConfigError, match="spark.exchange"):
        from_mapping({"spark": {"exchange": "shufle"}})


def test_the_exchange_is_chosen_from_the_node_table_size():
    """Broadcast while nodes x features is at most BROADCAST_VALUES, else a shuffle; blocks from
    spark.partitions, else the cores (more where a block would be too big)."""
    from types import SimpleNamespace

    from gnnprop.engine.spark.blocks import BROADCAST_VALUES, EDGES_PER_BLOCK, choose

    spark = SimpleNamespace(sparkContext=SimpleNamespace(defaultParallelism=2))
    cfg = SimpleNamespace(spark=SimpleNamespace(partitions=None))
    small = choose(spark, cfg, BROADCAST_VALUES // 16, 10, 16)
    assert (small.blocks, small.exchange) == (2, "broadcast")
    big = choose(spark, cfg, BROADCAST_VALUES // 16 + 1, 5 * EDGES_PER_BLOCK, 16)
    assert (big.blocks, big.exchange) == (6, "shuffle")
    assert "6 blocks (2 cores)" in big.why and f"> {BROADCAST_VALUES:,}" in big.why
    cfg.spark.partitions = 5
    assert choose(spark, cfg, 10, 10, 2, "shuffle").blocks == 5


def test_partition_keys_are_where_spark_hashes_them(spark_session):
    """The blocks' keys are computed in Python, not by a Spark job: Spark's hash of a long (Murmur3, seed 42) for
    small, negative and large longs, and each block's key is the smallest long Spark's repartition sends there."""
    from pyspark.sql import functions as F

    from gnnprop.engine.spark.blocks import _spark_hash, partition_keys

    values = [1, -1, 7, 1 << 31, -(1 << 31) - 1, (1 << 40) + 3, (1 << 63) - 1, -(1 << 63), 123456789012]
    n = 64 * 64  # every block of 64 is hit well before this
    table = spark_session.createDataFrame([(v,) for v in values], "v long") \
        .unionByName(spark_session.range(n).withColumnRenamed("id", "v"))
    got = table.select("v", F.hash("v").alias("h"), F.expr("pmod(hash(v), 7)").alias("p7"),
                       F.expr("pmod(hash(v), 64)").alias("p64")).collect()  # one job
    assert all(r["h"] == _spark_hash(r["v"]) for r in got)
    for blocks, col in ((7, "p7"), (64, "p64")):
        first = {}
        for r in sorted((r for r in got if 0 <= r["v"] < n), key=lambda r: r["v"]):
            first.setdefault(r[col], r["v"])
        assert partition_keys(blocks) == [first[d] for d in range(blocks)], blocks
    assert partition_keys(1) == [0]


@pytest.mark.parametrize("layer, rounds, exchange, per_round", [
    ({"type": "fixed"}, 5, "shuffle", 1),
    ({"type": "appnp", "args": {"K": 4, "alpha": 0.1}}, 3, "broadcast", 4),  # each propagation gathered
])
def test_plan_does_not_grow_with_the_rounds(spark_session, graph, monkeypatch, layer, rounds, exchange, per_round):
    """Every round (and, with a broadcast, every propagation) is checkpointed: the last round's plan is as
    long as the first's, and the graph's layout is not computed again (no join)."""
    from gnnprop.engine.spark import blocks

    plans: list[str] = []
    real = blocks.BlockRounds._checkpoint

    def recording(self, df):
        plans.append(df._jdf.queryExecution().optimizedPlan().toString())
        return real(self, df)
    monkeypatch.setattr(blocks.BlockRounds, "_checkpoint", recording)
    cfg = _config(layer, "sum" if layer["type"] == "fixed" else None, "static", "float64", rounds=rounds)
    from gnnprop.engine.spark.run import prepare_spark

    run = prepare_spark(spark_session, graph[0], cfg, node_features=graph[1], exchange=exchange)
    per = []
    for r in run.propagate():
        if r.round:
            per.append(plans[:])
        plans.clear()
    assert len(per) == rounds and all(len(p) == per_round for p in per), [len(p) for p in per]
    first, last = per[0], per[-1]
    assert max(map(len, last)) <= max(map(len, first)) * 1.1, ([len(p) for p in first], [len(p) for p in last])
    assert not any("Join " in p for p in last), last[-1]


def test_earlier_rounds_storage_is_released(spark_session, graph, monkeypatch):
    """A round's checkpointed blocks are freed once later rounds no longer read them: during a 5-round run
    the checkpoints held are the layout's and the last round or two's, not one more per round."""
    from gnnprop.engine.spark import blocks
    from gnnprop.engine.spark.run import prepare_spark

    monkeypatch.setattr(blocks, "RELEASE_VALUES", 1)  # as if the tiny graph were big
    cached = lambda: len(spark_session.sparkContext._jsc.sc().getRDDStorageInfo())  # noqa: E731
    before = cached()
    cfg = _config({"type": "fixed"}, "sum", "static", "float64", rounds=5)
    run = prepare_spark(spark_session, graph[0], cfg, node_features=graph[1], exchange="shuffle")
    laid_out = cached() - before
    counts = [cached() - before - laid_out for r in run.propagate()]
    assert len(counts) == 6 and max(counts) <= 3, counts  # without the release: 1, 2, 3, ..., 6


def test_the_python_workers_daemon_hides_its_imports_from_the_collector():
    """PySpark collects garbage in a reused Python worker after every task; over torch's and PyG's heap that
    was 0.25 s before the worker took its next task. The daemon the workers fork from (local masters) imports
    them, and what a worker imports for its first task, then freezes it all: a worker's collection scans
    only what its tasks made, and the imports a task needs are already done."""
    import subprocess
    import sys

    probe = ("import gc, sys; import gnnprop.engine.spark.daemon; "
             "print(gc.get_freeze_count(), len(gc.get_objects()), "
             "all(m in sys.modules for m in ('torch', 'torch_geometric', 'pyarrow', 'pyspark.worker', "
             "'gnnprop.engine.spark.blocktask')))")
    got = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert got.returncode == 0, got.stderr
    frozen, tracked, imported = got.stdout.split()
    assert imported == "True"
    assert int(frozen) > 100_000 and int(tracked) * 20 < int(frozen), got.stdout
