"""``gnnprop bench --engine spark``'s library half: the Spark engine against gnnprop's own, on one graph.

    result = run_spark_bench(SparkBenchSpec(nodes=100_000, edges=1_000_000, features=16))
    json.dumps(result)                    # the schema below

Nothing here prints: progress goes to the ``say`` callback, and the result is
plain data that the CLI renders as a table or writes as JSON.

What is measured, all in this one process (a Spark session with a local
master runs its JVM as a child of it):

- **graph**: drawn as :mod:`gnnprop.bench.local` draws it (``uniform`` or ``rmat``,
  simple, reproducible from ``seed``), written in a temporary folder as a CSV
  edge file (``src,dst``) and a node table (``id,x0..x{F-1}``: the bench's
  standard normal float32 features, written with 9 significant digits), the
  files ``gnnprop run --engine spark`` reads. With a cluster master the
  executors read them too: point ``TMPDIR`` at a file system they share.
- **session start**: :func:`gnnprop.engine.spark.session.start` (the JVM and
  the SparkContext), timed once and apart; ``joined`` when a session existed;
  then the session's first job (``spark.range(1).collect()``), also apart.
- **cases**: each layer of :data:`gnnprop.bench.cases.CASES` that the Spark engine
  runs, ``rounds`` static rounds in float64 (so that agreement means
  something), ``repeat`` times, the two engines alternating:

  - Spark: ``load`` is :func:`~gnnprop.engine.spark.run.prepare_spark` (reading
    and checking both files, hash-partitioning nodes and edges, checkpoints and
    counts: its ``load_seconds``); then each round's ``SparkRound.seconds``
    (computed, checkpointed and checked: one Spark job a round); ``collect`` is
    bringing the last round to the driver.
  - local: ``load`` is :func:`gnnprop.io.load_graph` of the same two files;
    ``prepare`` the session and the kernel's set-up (engine ``auto``, the
    ``reorder`` given); then each round of its ``Propagation``.

  ``agree``: the last rounds, matched by node id: ``max``/``min`` bit for bit,
  the others within :data:`TOL` norm-wise (max |diff| over max |x|, per feature
  column, the largest), as ``tests/test_spark.py`` checks the engines.
- **peak memory**, in MB (10**6 bytes): the Python process's resident-set
  high-water mark above its start of the phase (as :class:`gnnprop.bench.measure.Phase`
  measures it) while Spark loads, runs and collects (``driver``), and while the
  local engine does (``local.peak_mb``); the Spark JVM's whole resident-set
  high-water mark (``VmHWM`` of its ``/proc/PID/status``, reset before each
  case where Linux allows). With a local master the executors are threads of
  that JVM; with a cluster master they run elsewhere and are not measured
  (``executors_peak_mb`` is None, ``executors`` says why).

JSON schema (``"schema": 1``, ``"engine": "spark"``; keys are only ever added)::

    {"schema": 1, "engine": "spark", "repeat": 1,
     "graph":   {"kind": "uniform" | "rmat", "file": null, "nodes", "edges", "features", "seed",
                 "simple", "csv_mb" (the edge file), "nodes_csv_mb" (the node table)},
     "machine": {"cpus", "torch_threads", "torch", "torch_geometric", "numpy", "python", "platform"},
     "spark":   {"master", "version", "partitions", "dtype": "float64", "rounds",
                 "session_start_s", "first_job_s" (``spark.range(1).collect()`` right after the start),
                 "joined" (an existing session was used),
                 "load_s" (median Spark load over cases and runs), "local_load_s" (the same, local),
                 "jvm": {"pid", "start_mb" (resident after the start), "peak_mb" (largest of the cases)},
                 "executors_peak_mb": null, "executors": "in the driver JVM (local master)" | "...",
                 "cases": [{"case": "fixed/max", "load_s", "rounds_s": [...] (round 1, 2, ...: medians
                              over the runs), "round_median_s", "collect_s",
                              "peak_mb": {"driver", "jvm"},
                              "local": {"engine", "reorder", "load_s", "prepare_s", "rounds_s": [...],
                                        "round_median_s", "peak_mb"},
                              "ratio" (Spark / local, median round), "load_ratio" (Spark / local load),
                              "agree", "check": "bit-exact" | "1e-12 norm-wise", "max_abs_diff",
                              "rel_diff", "runs": [{"load_s", "rounds_s", "local_load_s",
                                                    "local_rounds_s"}]}]}}

Times are seconds.
"""

from __future__ import annotations

import gc
from decimal import Decimal
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from ..engine.memory import proc_bytes
from ..errors import UsageError
from .cases import CASES
from .graphs import GRAPHS, write_edge_csv
from .local import BenchSpec
from .measure import MB, Phase, Say, _peak, _s, machine_info

#: Agreement of sum and mean (norm-wise, float64): the summation orders differ.
TOL = 1e-12
#: Aggregations whose results must be bit-exact across engines.
EXACT = ("max", "min")


@dataclass
class SparkBenchSpec(BenchSpec):
    nodes: int = 100_000
    edges: int = 1_000_000
    repeat: int = 1
    rounds: int = 10
    master: str = "local[*]"  # spark.master
    debug: bool = False       # Spark's own log at INFO
    row_level: bool = False   # also run the row-level rounds (the engine before its blocks), for comparison
    sizes: list[tuple[int, int]] | None = None  # a sweep: (nodes, edges) of each graph (then not nodes/edges)

    def check(self) -> None:
        if self.graph not in GRAPHS:
            raise UsageError(f"expected uniform or rmat with the spark engine, got {self.graph!r} "
                             "(the Spark bench writes its own graph)", key="graph", argument=True)
        for n, e in self.sizes or []:  # each graph of a sweep as --num-nodes / --num-edges would be checked
            try:
                BenchSpec.check(replace(self, nodes=n, edges=e, sizes=None))
            except UsageError as err:
                raise UsageError(f"{n}/{e}: {err.message}", key="sizes", argument=True) from None
        super().check()
        if self.rounds < 1:
            raise UsageError(f"expected at least 1 round, got {self.rounds}", key="rounds", argument=True)
        if not self.master.strip():
            raise UsageError("expected a master URL (local[*], spark://host:7077, yarn, ...)", key="spark.master")


_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000, "b": 1_000_000_000}


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``100K/1M,300K/3M`` as ``[(100_000, 1_000_000), (300_000, 3_000_000)]``: NODES/EDGES pairs, a number
    with K, M or G (B) for thousands, millions, billions."""
    def number(token: str) -> int:
        t = token.strip().lower().replace("_", "")
        head, unit = (t[:-1], t[-1]) if t[-1:] in _SUFFIX else (t, "")
        try:
            value = Decimal(head) * _SUFFIX[unit]
        except ArithmeticError:
            value = Decimal(-1)
        if not value.is_finite() or value < 0 or value != int(value):
            raise UsageError(f"expected NODES/EDGES pairs such as 100K/1M,300K/3M, got {token.strip()!r} in "
                             f"{text!r}", key="sizes", argument=True)
        return int(value)

    pairs = []
    for item in text.split(","):
        parts = item.split("/")
        if len(parts) != 2:
            raise UsageError(f"expected NODES/EDGES pairs such as 100K/1M,300K/3M, got {item.strip()!r} in {text!r}",
                             key="sizes", argument=True)
        pairs.append((number(parts[0]), number(parts[1])))
    return pairs


def spark_cases(names: list[str] | None) -> list[str]:
    """The cases to run on Spark: those named (each must be one the Spark engine runs), or
    every case of :data:`~gnnprop.bench.cases.CASES` it runs."""
    from .cases import resolve_cases
    from ..engine.spark import supported

    picked = resolve_cases(names)
    runs = [c for c in picked if _on_spark(c)]
    if names is not None and [n.strip().lower() for n in names] != ["all"] and runs != picked:
        bad = next(c for c in picked if c not in runs)
        raise UsageError(f"the spark engine does not run case {bad}; it supports {supported()}; "
                         f"cases it runs: {', '.join(c for c in CASES if _on_spark(c))}", key="cases", argument=True)
    return runs


def _on_spark(name: str) -> bool:
    from ..configure import from_mapping
    from ..engine.spark import check_supported
    from ..errors import ConfigError

    try:
        check_supported(from_mapping(CASES[name].config))
    except ConfigError:
        return False
    return True


def _config(name: str, spec: SparkBenchSpec, engine: str):
    from ..configure import from_mapping

    return from_mapping({**CASES[name].config, "rounds": spec.rounds, "engine": engine, "dtype": "float64",
                         "seed": spec.seed, "reorder": spec.reorder, "spark": {"master": spec.master}})


def write_node_csv(path: str, x: np.ndarray) -> int:
    """Write ``id,x0..x{F-1}`` rows (ids 0..N-1, 9 significant digits: float32 values read back
    exactly); returns the file size in bytes."""
    n, f = x.shape
    with open(path, "w") as fh:
        fh.write("id," + ",".join(f"x{k}" for k in range(f)) + "\n")
        table = np.hstack([np.arange(n, dtype=np.float64)[:, None], x.astype(np.float64)])
        np.savetxt(fh, table, fmt=["%d"] + ["%.9g"] * f, delimiter=",")
        return fh.tell()


# --- the Spark JVM's memory ---------------------------------------------------------

def _jvm_hwm(pid: int | None) -> float | None:
    b = None if pid is None else proc_bytes(f"/proc/{pid}/status", "VmHWM")
    return None if b is None else round(b / MB, 1)


def _jvm_rss(pid: int | None) -> float | None:
    b = None if pid is None else proc_bytes(f"/proc/{pid}/status", "VmRSS")
    return None if b is None else round(b / MB, 1)


def _jvm_reset(pid: int | None) -> None:
    if pid is None:
        return
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # then the peak is the JVM's lifetime's


# --- one case -------------------------------------------------------------------------

def _spark_run(spark, name: str, edges: str, nodes: str, spec: SparkBenchSpec, ids: np.ndarray, say: Say,
               exchange: str | None = None) -> tuple[dict[str, Any], np.ndarray]:
    from ..engine.spark.output import Collector
    from ..engine.spark.run import prepare_spark

    cfg = _config(name, spec, "spark")
    with Phase() as p:
        run = prepare_spark(spark, edges, cfg, node_features=nodes, exchange=exchange)
        g = run.graph
        how = run.meta()["exchange"]
        label = "spark" if exchange != "rows" else "spark rows"
        say(f"{name}: {label} load {run.load_seconds:.3g} s ({g.num_nodes} nodes, {g.num_edges} edges; "
            f"{'row by row' if how == 'rows' else f'{run.blocks.layout.blocks} blocks, {how}'})")
        rounds, last = [], None
        for r in run.propagate():
            if r.round:
                if r.rows != spec.nodes:
                    raise AssertionError(f"spark round {r.round} has {r.rows} rows, expected {spec.nodes}")
                rounds.append(r.seconds)
                say(f"{name}: {label} round {r.round}/{spec.rounds}: {r.seconds:.3g} s")
                last = r
        t0 = time.perf_counter()
        x = Collector(list(ids)).numpy(last.df, run.step.width, "float64")
        collect_s = time.perf_counter() - t0
    out = {"load_s": run.load_seconds, "rounds_s": rounds, "collect_s": collect_s, "peak_mb": p.peak_mb,
           "exchange": how}
    del run, last, g
    return out, x


def _local_run(name: str, edges: str, nodes: str, spec: SparkBenchSpec, say: Say
               ) -> tuple[dict[str, Any], np.ndarray]:
    from ..engine.session import prepare
    from ..io import load_graph

    cfg = _config(name, spec, "auto")
    with Phase() as p:
        t0 = time.perf_counter()
        graph = load_graph(edges, node_features=nodes)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        session = prepare(graph, cfg)
        rounds = iter(session.propagate())
        next(rounds)  # round 0: the kernel's set-up (CSR, reorder)
        prepare_s = time.perf_counter() - t0
        times, x = [], None
        while True:
            t0 = time.perf_counter()
            result = next(rounds, None)
            if result is None:
                break
            times.append(time.perf_counter() - t0)
            x = result.x
        say(f"{name}: local load {load_s:.3g} s, rounds {sum(times):.3g} s")
        by_id = np.empty((spec.nodes, x.shape[1]), dtype=np.float64)
        by_id[np.asarray(session.graph.node_ids, dtype=np.int64)] = x.numpy()
    out = {"engine": session.kernel.name, "reorder": session.reorder.name if session.reorder else "none",
           "load_s": load_s, "prepare_s": prepare_s, "rounds_s": times, "peak_mb": p.peak_mb}
    del session, graph, rounds, result, x
    gc.collect()
    return out, by_id


def compare(name: str, a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """``agree``, ``check``, ``max_abs_diff`` and ``rel_diff`` of two last rounds (rows by node id)."""
    exact = CASES[name].config.get("aggr") in EXACT
    check = "bit-exact" if exact else f"{TOL:g} norm-wise"
    if a.shape != b.shape:
        return {"agree": False, "check": check, "max_abs_diff": None, "rel_diff": None}
    diff = np.abs(a - b)
    scale = np.maximum(np.abs(b).max(axis=0), 1e-300) if b.size else np.ones(b.shape[1])
    rel = float((diff.max(axis=0) / scale).max()) if b.size else 0.0
    agree = bool(np.array_equal(a, b)) if exact else rel <= TOL
    return {"agree": agree, "check": check, "max_abs_diff": float(f"{float(diff.max(initial=0.0)):.3g}"),
            "rel_diff": float(f"{rel:.3g}")}


def _median_rounds(runs: list[list[float]]) -> list[float]:
    return [_s(statistics.median(ts)) for ts in zip(*runs)]


def bench_case(spark, name: str, edges: str, nodes: str, spec: SparkBenchSpec, jvm_pid: int | None,
               say: Say) -> dict[str, Any]:
    """Case ``name`` on Spark (and, with ``spec.row_level``, on its row-level rounds) and on the local engine,
    alternating, ``spec.repeat`` times."""
    from ..engine.spark.session import cached_ids, release_cached

    ids = np.arange(spec.nodes, dtype=np.int64)
    runs, local_runs, peaks, local_peaks, jvm_peaks, row_runs = [], [], [], [], [], []
    got = want = rows_got = None
    for k in range(spec.repeat):
        say(f"{name} {k + 1}/{spec.repeat}: spark")
        _jvm_reset(jvm_pid)
        before = cached_ids(spark)
        # beside the row-level rounds, the blocks whatever the graph's size (auto runs a small one row by row)
        run, got = _spark_run(spark, name, edges, nodes, spec, ids, say, exchange="blocks" if spec.row_level else None)
        jvm_peaks.append(_jvm_hwm(jvm_pid))
        release_cached(spark, keep=before)  # this run's checkpoints go: the next starts as this one did
        if spec.row_level:
            say(f"{name} {k + 1}/{spec.repeat}: spark, row-level rounds")
            row_run, rows_got = _spark_run(spark, name, edges, nodes, spec, ids, say, exchange="rows")
            release_cached(spark, keep=before)
            row_runs.append(row_run)
        say(f"{name} {k + 1}/{spec.repeat}: local")
        local, want = _local_run(name, edges, nodes, spec, say)
        runs.append(run)
        local_runs.append(local)
        peaks.append(run["peak_mb"])
        local_peaks.append(local["peak_mb"])
    rounds = _median_rounds([r["rounds_s"] for r in runs])
    local_rounds = _median_rounds([r["rounds_s"] for r in local_runs])
    med, local_med = statistics.median(rounds), statistics.median(local_rounds)
    load = statistics.median(r["load_s"] for r in runs)
    local_load = statistics.median(r["load_s"] for r in local_runs)
    agreement = compare(name, got, want)
    say(f"{name}: a round {med:.3g} s on spark, {local_med:.3g} s locally; "
        f"{'agree' if agreement['agree'] else 'DIFFER'} ({agreement['check']})")
    row_level = None
    if row_runs:
        row_rounds = _median_rounds([r["rounds_s"] for r in row_runs])
        row_med = statistics.median(row_rounds)
        row_level = {"load_s": _s(statistics.median(r["load_s"] for r in row_runs)), "rounds_s": row_rounds,
                     "round_median_s": _s(row_med), "peak_mb": _peak([r["peak_mb"] for r in row_runs]),
                     "speedup": _s(row_med / med) if med > 0 else None, **compare(name, rows_got, want)}
        say(f"{name}: a round {row_med:.3g} s row by row, {med:.3g} s in blocks: {row_med / med:.3g}x")
    return {
        "case": name, "exchange": runs[0]["exchange"], "row_level": row_level,
        "load_s": _s(load), "rounds_s": rounds, "round_median_s": _s(med),
        "collect_s": _s(statistics.median(r["collect_s"] for r in runs)),
        "peak_mb": {"driver": _peak(peaks), "jvm": _peak(jvm_peaks)},
        "local": {"engine": local_runs[0]["engine"], "reorder": local_runs[0]["reorder"], "load_s": _s(local_load),
                  "prepare_s": _s(statistics.median(r["prepare_s"] for r in local_runs)),
                  "rounds_s": local_rounds, "round_median_s": _s(local_med), "peak_mb": _peak(local_peaks)},
        "ratio": _s(med / local_med) if local_med > 0 else None,
        "load_ratio": _s(load / local_load) if local_load > 0 else None,
        **agreement,
        "runs": [{"load_s": _s(r["load_s"]), "rounds_s": [_s(t) for t in r["rounds_s"]],
                  "local_load_s": _s(lr["load_s"]), "local_rounds_s": [_s(t) for t in lr["rounds_s"]]}
                 for r, lr in zip(runs, local_runs)],
    }


# --- the benchmark ----------------------------------------------------------------

def run_spark_bench(spec: SparkBenchSpec, say: Say = lambda _: None) -> dict[str, Any]:
    """Run the whole Spark benchmark and return its result (the module docstring's schema).

    Raises :class:`~gnnprop.errors.UsageError` (before anything is drawn) where pyspark or Java
    is missing, as ``gnnprop run --engine spark`` does. A session this starts is stopped at the end.
    """
    from ..config.schema import SparkConfig
    from ..engine.spark import check_supported
    from ..engine.spark.session import active, driver_jvm_pid, partitions, start

    spec.check()
    names = spark_cases(spec.cases)
    for name in names:  # refused before Spark starts
        check_supported(_config(name, spec, "spark"))
    machine = machine_info()
    say(f"spark: starting a session ({spec.master})")
    joined = active() is not None
    t0 = time.perf_counter()
    spark = start(SparkConfig(master=spec.master), debug=spec.debug, app_name="gnnprop-bench")
    session_s = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        spark.range(1).collect()  # the JVM's first job (class loading), apart from the first case's load
        first_job_s = time.perf_counter() - t0
        master = spark.sparkContext.master
        local = master.startswith("local")
        pid = driver_jvm_pid(spark)
        start_mb = _jvm_rss(pid)
        parts = partitions(spark, SparkConfig(master=spec.master))
        say(f"spark: {spark.version}, {master}, {parts} partitions: session {'joined' if joined else 'started'} "
            f"in {session_s:.3g} s, first job {first_job_s:.3g} s")
        sweep = [_bench_graph(spark, replace(spec, nodes=n, edges=e), names, pid, say)
                 for n, e in (spec.sizes or [(spec.nodes, spec.edges)])]
        graph_info, cases = sweep[0]["graph"], sweep[0]["cases"]
        cases_all = [c for g in sweep for c in g["cases"]]
        jvm_peak = _peak([c["peak_mb"]["jvm"] for c in cases_all])
        version = spark.version
    finally:
        if not joined:
            spark.stop()
    section = {
        "master": master, "version": version, "partitions": parts, "dtype": "float64", "rounds": spec.rounds,
        "session_start_s": _s(session_s), "first_job_s": _s(first_job_s), "joined": joined,
        "load_s": _s(statistics.median(r["load_s"] for c in cases for r in c["runs"])),
        "local_load_s": _s(statistics.median(r["local_load_s"] for c in cases for r in c["runs"])),
        "jvm": {"pid": pid, "start_mb": start_mb, "peak_mb": jvm_peak},
        "executors_peak_mb": None,
        "executors": "in the driver JVM (local master)" if local
                     else f"not measured: they run on the cluster's machines ({master})",
        "cases": cases,
    }
    out = {"schema": 1, "engine": "spark", "repeat": spec.repeat, "graph": graph_info, "machine": machine,
           "spark": section}
    if spec.sizes:
        out["sweep"] = sweep
    return out


def _bench_graph(spark, spec: SparkBenchSpec, names: list[str], pid: int | None, say: Say) -> dict[str, Any]:
    """One graph of ``spec.nodes`` nodes and ``spec.edges`` edges, drawn and written, and every case on it:
    ``{"graph": ..., "cases": [...]}`` (a sweep's entry)."""
    say(f"graph: {spec.graph}, {spec.nodes} nodes, {spec.edges} edges, {spec.features} features, seed {spec.seed}")
    src, dst = GRAPHS[spec.graph](spec.nodes, spec.edges, spec.seed)
    gen = torch.Generator().manual_seed(spec.seed)
    x = torch.randn(spec.nodes, spec.features, generator=gen, dtype=torch.float32).numpy()
    with tempfile.TemporaryDirectory(prefix="gnnprop-bench-spark-") as tmp:
        edges, nodes = os.path.join(tmp, "edges.csv"), os.path.join(tmp, "nodes.csv")
        size = write_edge_csv(edges, src, dst)
        node_size = write_node_csv(nodes, x)
        del src, dst, x
        say(f"wrote {edges} ({size / MB:.1f} MB) and {nodes} ({node_size / MB:.1f} MB)")
        cases = [bench_case(spark, name, edges, nodes, spec, pid, say) for name in names]
    graph = {"kind": spec.graph, "file": None, "nodes": spec.nodes, "edges": spec.edges, "features": spec.features,
             "seed": spec.seed, "simple": True, "csv_mb": round(size / MB, 1), "nodes_csv_mb": round(node_size / MB, 1)}
    return {"graph": graph, "cases": cases}
