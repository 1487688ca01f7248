"""``gnnprop bench``'s library half: gnnprop's engine against plain PyG, on a random graph.

    result = run_bench(BenchSpec(nodes=1_000_000, edges=10_000_000, features=16))
    json.dumps(result)                    # the schema below

Nothing here prints: progress goes to the ``say`` callback, and the result is
plain data that the CLI renders as a table or writes as JSON.

What is measured, all in this one process:

- **graph**: ``nodes`` x ``features`` standard normal float32 features and
  ``edges`` directed edges drawn from ``numpy.random.default_rng(seed)``,
  uniformly (``uniform``, :func:`random_edges`) or by R-MAT (``rmat``,
  :func:`rmat_edges`: power-law degrees and communities, as real graphs have):
  a *simple* graph (no self loops, no duplicate edges), so that every case,
  GCN included, can take the fused path where the engine has one. Or a graph
  file (``graph`` names it): its edges and node ids, random features.
- **load**: the graph written as a CSV edge file (``src,dst`` header) in a
  temporary folder, loaded with :func:`gnnprop.io.load_graph` and with
  ``numpy.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64)``.
- **cases**: one round of each layer on gnnprop's engine (a session with engine
  ``auto``; ``kernel.prepare`` timed once as ``prepare_s``, then one untimed
  warm-up step, then ``kernel.step`` alone) and on the reference path: PyG
  ``MessagePassing`` classes written the way the tutorial and the snippet write them
  (:class:`SeedFixed`, :class:`SeedNN`, :class:`SeedDynamic`, below) or
  ``torch_geometric.nn.GCNConv``, called with ``edge_index`` and carrying
  gnnprop's weights (``load_state_dict``). Engine and reference alternate,
  ``repeat`` times; times are medians, peaks the largest seen.
- **peak memory** of a phase: the resident-set high-water mark after it
  (``VmHWM``, reset first through ``/proc/self/clear_refs``) minus the resident
  set before it, in MB (10**6 bytes); ``None`` where Linux's /proc is not there.
- **bound**: a lower bound for one round from the bytes it must move,
  :data:`BOUND_FORMULA`, at the measured copy bandwidth (:func:`copy_bandwidth`
  of 512 MiB, or of 4x the round's bytes but at least 64 MiB on small graphs).

``engine`` picks the benchmark (:data:`.cases.ENGINES`): ``local`` is this module's,
``spark`` the Spark engine against gnnprop's own (:mod:`gnnprop.bench.spark`,
with its own schema section).

JSON schema (``"schema": 1``; keys are only ever added)::

    {"schema": 1, "engine": "local", "repeat": 3,
     "graph":   {"kind": "uniform" | "rmat" | "file", "file", "nodes", "edges", "features", "seed",
                 "simple" (no self loops or duplicates: the drawn graphs), "csv_mb"},
     "machine": {"cpus", "torch_threads", "torch", "torch_geometric", "numpy", "python",
                 "platform", "copy_bandwidth_gbs", "copy_mb"},
     "load":    {"gnnprop_s", "numpy_s", "ratio" (gnnprop / numpy),
                 "gnnprop_peak_mb", "numpy_peak_mb"},
     "cases":   [{"case": "fixed/max", "engine": "fused", "engine_note", "reorder" (the node order the
                  engine ran in), "reorder_s" (computing it, once), "engine_s", "reference_s",
                  "ratio" (reference / engine), "engine_peak_mb", "reference_peak_mb",
                  "prepare_s", "first_step_s", "agree", "max_abs_diff",
                  "engine_runs_s": [...], "reference_runs_s": [...]}],
     "bound":   {"formula", "bytes", "seconds", "case": "fixed/max", "engine_s", "multiple",
                 "gather": {"formula", "bytes", "seconds", "multiple"}}}

Times are seconds; ``multiple`` is the engine's fixed/max time over the bound
(``None`` when fixed/max was not run). ``gather`` is the same against
:data:`GATHER_FORMULA`, which also counts the row of x every edge reads.
"""


from __future__ import annotations

import gc
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from ..errors import UsageError, setting
from ..graph import Graph
from .cases import CASES, resolve_cases
from .graphs import GRAPHS, write_edge_csv
from .measure import (BOUND_FORMULA, GATHER_FORMULA, MB, Phase, Say, _median, _peak, _s, bound_bytes,
                      copy_bandwidth, gather_bytes, machine_info)

#: Agreement of the engine with the reference: ``torch.allclose`` with these.
RTOL, ATOL = 1e-4, 1e-4


@dataclass
class BenchSpec:
    nodes: int = 1_000_000
    edges: int = 10_000_000
    features: int = 16
    seed: int = 0
    repeat: int = 3
    cases: Sequence[str] | None = None  # None: all of CASES
    graph: str = "uniform"  # uniform | rmat | a graph file (then nodes and edges are the file's)
    reorder: str = "auto"   # the engine's node order (gnnprop.reorder); its cost is reported as reorder_s

    def check(self) -> None:
        if self.graph not in GRAPHS and not os.path.isfile(self.graph):
            raise UsageError(f"expected uniform, rmat or a graph file, got {self.graph!r} (no such file)",
                             key="graph", argument=True)
        if self.graph in GRAPHS:
            if self.nodes < 2:
                raise UsageError(f"expected at least 2 nodes, got {self.nodes}", key="num_nodes", argument=True)
            if self.edges < 1:
                raise UsageError(f"expected at least 1 edge, got {self.edges}", key="num_edges", argument=True)
            most = self.nodes * (self.nodes - 1) // 2
            if self.edges > most:
                raise UsageError(f"{self.edges} edges on {self.nodes} nodes; a simple random graph here "
                                 f"takes at most half of the possible edges, {most}; use more {setting('num_nodes')} or "
                                 f"fewer {setting('num_edges')}", key="num_edges", argument=True)
        from ..config.names import ORDERS

        if self.reorder not in ORDERS:
            raise UsageError(f"unknown node order {self.reorder!r}; valid: {', '.join(ORDERS)}", key="reorder", argument=True)
        if self.features < 1:
            raise UsageError(f"expected at least 1 feature, got {self.features}", key="num_features", argument=True)
        if self.repeat < 1:
            raise UsageError(f"expected at least 1, got {self.repeat}", key="repeat", argument=True)
        if not 0 <= self.seed < 2**63:
            raise UsageError(f"expected an integer in [0, 2**63), got {self.seed}", key="seed", argument=True)


def bench_load(path: str, spec: BenchSpec, say: Say, numpy: bool = True) -> dict[str, Any]:
    """Load ``path`` with gnnprop and with numpy.loadtxt (``numpy``: a ``src,dst`` CSV of
    integers), alternating, ``spec.repeat`` times."""
    from ..io import load_graph

    g_runs, n_runs, g_peaks, n_peaks = [], [], [], []
    for r in range(spec.repeat):
        say(f"load {r + 1}/{spec.repeat}: gnnprop")
        with Phase() as p:
            g = load_graph(path)
        if numpy and g.num_edges != spec.edges:
            raise AssertionError(f"gnnprop loaded {g.num_edges} edges, expected {spec.edges}")
        del g
        g_runs.append(p.seconds)
        g_peaks.append(p.peak_mb)
        if not numpy:
            continue
        say(f"load {r + 1}/{spec.repeat}: numpy.loadtxt")
        with Phase() as p:
            a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64)
        if a.reshape(-1, 2).shape[0] != spec.edges:
            raise AssertionError(f"numpy loaded {a.shape} rows, expected {spec.edges}")
        del a
        n_runs.append(p.seconds)
        n_peaks.append(p.peak_mb)
    g_s = _median(g_runs)
    if not numpy:
        return {"gnnprop_s": _s(g_s), "numpy_s": None, "ratio": None, "gnnprop_peak_mb": _peak(g_peaks),
                "numpy_peak_mb": None}
    n_s = _median(n_runs)
    return {"gnnprop_s": _s(g_s), "numpy_s": _s(n_s), "ratio": _s(g_s / n_s),
            "gnnprop_peak_mb": _peak(g_peaks), "numpy_peak_mb": _peak(n_peaks)}


def bench_case(name: str, graph: Graph, spec: BenchSpec, say: Say) -> dict[str, Any]:
    """One round of case ``name`` on gnnprop's engine and on the reference, alternating."""
    from ..configure import from_mapping
    from ..engine.session import prepare

    case = CASES[name]
    cfg = from_mapping({**case.config, "rounds": 1, "engine": "auto", "dtype": "float32", "seed": spec.seed,
                        "reorder": spec.reorder})
    session = prepare(graph, cfg)
    layer, kernel, dgraph, x = session.params, session.kernel, session.dgraph, session.x0
    reference = case.reference(layer)
    edge_index = dgraph.edge_index
    e_runs, r_runs, e_peaks, r_peaks = [], [], [], []
    with torch.inference_mode():
        with Phase() as p:
            state = kernel.prepare(dgraph)
        prepare_s = p.seconds
        say(f"{name}: engine {kernel.name}, prepare {prepare_s:.3g} s")
        with Phase() as p:
            engine_out = kernel.step(x, dgraph, state)  # warm-up; fills caches (GCN's normalisation)
        first_s = p.seconds
        reference(x, edge_index[:, :64])  # warm-up of PyG's code paths, on a few edges
        reference_out = None
        for r in range(spec.repeat):
            say(f"{name} {r + 1}/{spec.repeat}: engine")
            with Phase() as p:
                y = kernel.step(x, dgraph, state)
            e_runs.append(p.seconds)
            e_peaks.append(p.peak_mb)
            del y
            say(f"{name} {r + 1}/{spec.repeat}: reference")
            with Phase() as p:
                y = reference(x, edge_index)
            r_runs.append(p.seconds)
            r_peaks.append(p.peak_mb)
            if reference_out is None:
                reference_out = y
            del y
        agree = engine_out.shape == reference_out.shape and bool(
            torch.allclose(engine_out, reference_out, rtol=RTOL, atol=ATOL))
        diff = float((engine_out - reference_out).abs().max()) if engine_out.shape == reference_out.shape \
            else None
    e_s, r_s = _median(e_runs), _median(r_runs)
    out = {
        "case": name, "engine": kernel.name, "engine_note": session.engine_note,
        "reorder": session.reorder.name, "reorder_s": _s(session.reorder.seconds),
        "engine_s": _s(e_s), "reference_s": _s(r_s), "ratio": _s(r_s / e_s),
        "engine_peak_mb": _peak(e_peaks), "reference_peak_mb": _peak(r_peaks),
        "prepare_s": _s(prepare_s), "first_step_s": _s(first_s),
        "agree": agree, "max_abs_diff": None if diff is None else float(f"{diff:.3g}"),
        "engine_runs_s": [_s(t) for t in e_runs], "reference_runs_s": [_s(t) for t in r_runs],
    }
    del session, layer, kernel, state, reference, engine_out, reference_out, dgraph, x
    gc.collect()  # free the big tensors before the next case
    return out


def run_bench(spec: BenchSpec, say: Say = lambda _: None) -> dict[str, Any]:
    """Run the whole benchmark and return its result (the module docstring's schema)."""
    spec.check()
    names = resolve_cases(spec.cases)
    machine = machine_info()
    if spec.graph in GRAPHS:
        say(f"graph: {spec.graph}, {spec.nodes} nodes, {spec.edges} edges, {spec.features} features, "
            f"seed {spec.seed}")
        src, dst = GRAPHS[spec.graph](spec.nodes, spec.edges, spec.seed)
        with tempfile.TemporaryDirectory(prefix="gnnprop-bench-") as tmp:
            path = os.path.join(tmp, "edges.csv")
            size = write_edge_csv(path, src, dst)
            say(f"wrote {path} ({size / MB:.1f} MB)")
            load = bench_load(path, spec, say)
        node_ids: list = list(range(spec.nodes))
        edge_index = torch.from_numpy(np.stack([src, dst]))
        del src, dst
    else:
        size = os.path.getsize(spec.graph)
        load = bench_load(spec.graph, spec, say, numpy=False)
        from ..io import load_graph

        loaded = load_graph(spec.graph)
        spec.nodes, spec.edges = loaded.num_nodes, loaded.num_edges
        say(f"graph: {spec.graph}, {spec.nodes} nodes, {spec.edges} edges, {spec.features} random features")
        node_ids, edge_index = loaded.node_ids, loaded.edge_index
        del loaded
    graph_info = {"kind": spec.graph if spec.graph in GRAPHS else "file", "file": None if spec.graph in GRAPHS
                  else spec.graph, "nodes": spec.nodes, "edges": spec.edges, "features": spec.features,
                  "seed": spec.seed, "simple": spec.graph in GRAPHS, "csv_mb": round(size / MB, 1)}

    nbytes = bound_bytes(spec.nodes, spec.edges, spec.features)
    copy_bytes = min(max(4 * nbytes, 64 * 2**20), 512 * 2**20)  # far beyond the caches, whatever the graph
    say(f"copy bandwidth ({copy_bytes / MB:.0f} MB memcpy)")
    bw = copy_bandwidth(copy_bytes)
    machine.update(copy_bandwidth_gbs=round(bw / 1e9, 2), copy_mb=round(copy_bytes / MB, 1))

    gen = torch.Generator().manual_seed(spec.seed)
    x = torch.randn(spec.nodes, spec.features, generator=gen, dtype=torch.float32)
    graph = Graph(edge_index, node_ids, x=x, source="<bench graph>")
    cases = [bench_case(name, graph, spec, say) for name in names]
    del graph, x, edge_index
    gc.collect()

    seconds = nbytes / bw
    fixed_max = next((c for c in cases if c["case"] == "fixed/max"), None)
    bound = {"formula": BOUND_FORMULA, "bytes": nbytes, "seconds": _s(seconds), "case": "fixed/max",
             "engine_s": fixed_max["engine_s"] if fixed_max else None,
             "multiple": _s(fixed_max["engine_s"] / seconds) if fixed_max else None}
    gbytes = gather_bytes(spec.nodes, spec.edges, spec.features)
    bound["gather"] = {"formula": GATHER_FORMULA, "bytes": gbytes, "seconds": _s(gbytes / bw),
                       "multiple": _s(fixed_max["engine_s"] / (gbytes / bw)) if fixed_max else None}
    return {"schema": 1, "engine": "local", "repeat": spec.repeat, "graph": graph_info, "machine": machine, "load": load,
            "cases": cases, "bound": bound}
