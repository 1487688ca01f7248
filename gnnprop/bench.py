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

``engine`` picks the benchmark (:data:`ENGINES`): ``local`` is this module's,
``spark`` the Spark engine against gnnprop's own (:mod:`gnnprop.bench_spark`,
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
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
from torch_geometric.nn import MessagePassing  # the reference classes below are PyG's, by design

from .errors import ConfigError, UsageError, setting
from .graph import Graph
from .resolver import resolve
from .engine.memory import proc_bytes

MB = 1e6
Say = Callable[[str], None]

BOUND_FORMULA = ("E*4 (CSR column indices, int32) + (N+1)*4 (row pointers, int32) "
                 "+ N*F*4 (read x once, float32) + N*F*4 (write the output, float32) bytes, "
                 "at the copy bandwidth (bytes read + bytes written per second)")
#: The same with every edge reading its source's row of x from memory, as it must when x
#: is larger than the last-level cache and the graph has no locality (a random graph).
GATHER_FORMULA = ("E*4 (column indices) + (N+1)*4 (row pointers) + E*64*ceil(F*4/64) (each edge reads "
                  "the cache lines of its source's row of x) + N*F*4 (write the output) bytes, "
                  "at the copy bandwidth")
#: Agreement of the engine with the reference: ``torch.allclose`` with these.
RTOL, ATOL = 1e-4, 1e-4


# --- the reference path: the tutorial's and the snippet's classes -------------

class SeedFixed(MessagePassing):
    """The tutorial's hand-written layer, with the aggregation as a parameter."""

    def __init__(self, aggr="max"):
        super(SeedFixed, self).__init__(aggr=aggr)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x)

    def message(self, x_i, x_j):
        return 0.5 * x_i + 2 * x_j

    def update(self, aggr_out, x):
        return x + 0.5 * aggr_out


class SeedNN(MessagePassing):
    """The tutorial's learned layer (the aggregation passed to ``MessagePassing.__init__``)."""

    def __init__(self, input_dim, hidden_dim, output_dim, aggr="mean"):
        super(SeedNN, self).__init__(aggr=aggr)
        self.messageNN = nn.Linear(input_dim * 2, hidden_dim)
        self.updateNN = nn.Linear(input_dim + hidden_dim, output_dim)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x, messageNN=self.messageNN, updateNN=self.updateNN)

    def message(self, x_i, x_j, messageNN):
        return messageNN(torch.cat((x_i, x_j), dim=-1))

    def update(self, aggr_out, x, updateNN):
        return updateNN(torch.cat((x, aggr_out), dim=-1))


class SeedDynamic(MessagePassing):
    """The dynamic-rounds snippet's ``DynamicGNN`` (gnnprop's ``residual`` layer)."""

    def __init__(self, in_channels, out_channels, aggr="add"):
        super(SeedDynamic, self).__init__(aggr=aggr)
        self.lin = torch.nn.Linear(in_channels, out_channels)

    def forward(self, x, edge_index, num_iterations):
        for _ in range(num_iterations):
            x = self.propagate(edge_index, x=x)
        return x

    def message(self, x_j):
        return self.lin(x_j)

    def update(self, aggr_out, x):
        new_x = aggr_out + x
        return new_x


Reference = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x, edge_index) -> x'


def _with_weights(module: torch.nn.Module, layer: torch.nn.Module) -> torch.nn.Module:
    module.load_state_dict(layer.state_dict())
    return module.eval()


def _fixed_ref(aggr: str) -> Callable[[MessagePassing], Reference]:
    def build(layer):
        return SeedFixed(aggr)
    return build


def _nn_ref(layer) -> Reference:
    return _with_weights(SeedNN(layer.in_channels, layer.hidden_channels, layer.out_channels, aggr="mean"), layer)


def _residual_ref(layer) -> Reference:
    m = _with_weights(SeedDynamic(layer.in_channels, layer.out_channels, aggr="add"), layer)
    return lambda x, edge_index: m(x, edge_index, 1)


def _gcn_ref(layer) -> Reference:
    from torch_geometric.nn import GCNConv

    return _with_weights(GCNConv(layer.in_channels, layer.out_channels), layer)


@dataclass(frozen=True)
class Case:
    config: dict[str, Any]                           # gnnprop config (from_mapping keys)
    reference: Callable[[MessagePassing], Reference]  # gnnprop's built layer -> the reference


#: The cases, in the order they run.
CASES: dict[str, Case] = {
    "fixed/max": Case({"layer": {"type": "fixed"}, "aggr": "max"}, _fixed_ref("max")),
    "fixed/sum": Case({"layer": {"type": "fixed"}, "aggr": "sum"}, _fixed_ref("sum")),
    "nn/mean": Case({"layer": {"type": "nn"}, "aggr": "mean"}, _nn_ref),
    "residual/add": Case({"layer": {"type": "residual"}, "aggr": "add"}, _residual_ref),
    "gcn": Case({"layer": {"type": "gcn"}}, _gcn_ref),
}


#: The benchmarks ``bench --engine`` picks from.
ENGINES: dict[str, str] = {
    "local": "gnnprop's engine against plain PyG: one round of each case (this module)",
    "spark": "the Spark engine against gnnprop's engine: load, rounds and memory (gnnprop.bench_spark)",
}


def resolve_engine(name: str) -> str:
    """The canonical name in :data:`ENGINES` (``Spark`` -> ``spark``); else a :class:`UsageError` with
    the closest names."""
    try:
        return resolve(name, ENGINES, what="engine", key="engine")[0]
    except ConfigError as e:
        raise UsageError(e.message, key="engine", argument=True) from None


def resolve_cases(names: Sequence[str] | None) -> list[str]:
    """Canonical case names, in :data:`CASES` order (``None`` or ``all``: every case)."""
    if names is None or [n.strip().lower() for n in names] == ["all"]:
        return list(CASES)
    def canonical(n: str) -> str:  # fixed-max and fixed_max mean fixed/max
        return resolve(n.strip().replace("-", "/").replace("_", "/"), CASES, what="case", key="cases")[0]  # "cases" is no config key

    picked = {canonical(n) for n in names if n.strip()}
    if not picked:
        raise UsageError(f"no case given; valid: {', '.join(CASES)}", key="cases", argument=True)
    return [c for c in CASES if c in picked]


# --- measuring ------------------------------------------------------------------

def _rss_bytes() -> int | None:
    return proc_bytes("/proc/self/status", "VmRSS")


def _hwm_bytes() -> int | None:
    return proc_bytes("/proc/self/status", "VmHWM")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Phase:
    """Time a phase and its peak memory above the resident set it started with.

        with Phase() as p:
            ...
        p.seconds, p.peak_mb   # peak_mb is None where /proc cannot say
    """

    def __enter__(self) -> "Phase":
        self.before = _rss_bytes()
        self.can = self.before is not None and _reset_peak()
        self.seconds = 0.0
        self.peak_mb: float | None = None
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> bool:
        self.seconds = time.perf_counter() - self.t0
        if self.can:
            hwm = _hwm_bytes()
            if hwm is not None:
                self.peak_mb = max(hwm - self.before, 0) / MB
        return False


def copy_bandwidth(nbytes: int = 512 * 2**20, times: int = 5) -> float:
    """Median bandwidth of a large memcpy (``dst.copy_(src)``), in bytes per second.

    Both directions count: a copy of B bytes moves 2*B (B read, B written), the
    same accounting as :data:`BOUND_FORMULA`.
    """
    n = nbytes // 4
    src = torch.ones(n, dtype=torch.float32)
    dst = torch.zeros(n, dtype=torch.float32)  # touched, so no page faults in the timed copies
    dst.copy_(src)
    runs = []
    for _ in range(times):
        t0 = time.perf_counter()
        dst.copy_(src)
        runs.append(time.perf_counter() - t0)
    del src, dst
    return 2 * nbytes / statistics.median(runs)


def bound_bytes(nodes: int, edges: int, features: int) -> int:
    """Bytes one round must move at least: see :data:`BOUND_FORMULA`."""
    return edges * 4 + (nodes + 1) * 4 + 2 * nodes * features * 4


def gather_bytes(nodes: int, edges: int, features: int) -> int:
    """Bytes one round moves when every gathered row comes from memory: :data:`GATHER_FORMULA`."""
    return edges * 4 + (nodes + 1) * 4 + edges * 64 * -(-features * 4 // 64) + nodes * features * 4


# --- the graph ----------------------------------------------------------------

def random_edges(nodes: int, edges: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``edges`` distinct directed edges without self loops, uniformly at random.

    Returns ``(src, dst)``, int64 arrays in the order drawn (not sorted).
    Requires ``edges <= nodes * (nodes - 1) / 2`` so that redrawing duplicates ends quickly.
    """
    rng = np.random.default_rng(seed)
    src = np.empty(0, dtype=np.int64)
    dst = np.empty(0, dtype=np.int64)
    while src.size < edges:
        want = edges - src.size
        draw = want + want // 50 + 16
        s = rng.integers(0, nodes, draw, dtype=np.int64)
        d = (s + rng.integers(1, nodes, draw, dtype=np.int64)) % nodes  # never s itself
        src, dst = np.concatenate([src, s]), np.concatenate([dst, d])
        _, first = np.unique(src * nodes + dst, return_index=True)
        first.sort()  # keep the first copy of each edge, in drawing order
        first = first[:edges]
        src, dst = src[first], dst[first]
    return src, dst


#: Graph500's R-MAT quadrant probabilities (the fourth, d, is 1 - a - b - c).
RMAT_ABC = (0.57, 0.19, 0.19)


def rmat_edges(nodes: int, edges: int, seed: int, abc: tuple[float, float, float] = RMAT_ABC
               ) -> tuple[np.ndarray, np.ndarray]:
    """``edges`` distinct directed R-MAT edges without self loops (Chakrabarti et al., as Graph500 draws them).

    Each edge picks one quadrant of the adjacency matrix per level, ``scale =
    ceil(log2(nodes))`` levels, with probabilities ``a, b, c, d``; endpoints
    ``>= nodes`` (when ``nodes`` is not a power of two), self loops and duplicates
    are drawn again, as in :func:`random_edges`. Node ids are then shuffled with a
    random permutation, so that the heavy nodes are not the low ids (the order of
    the ids carries no locality). Returns ``(src, dst)`` int64 in the order drawn.
    """
    a, b, c = abc
    rng = np.random.default_rng(seed)
    scale = max(1, (nodes - 1).bit_length())
    src = np.empty(0, dtype=np.int64)
    dst = np.empty(0, dtype=np.int64)
    while src.size < edges:
        want = edges - src.size
        draw = want + want // 4 + 16
        s = np.zeros(draw, np.int64)
        d = np.zeros(draw, np.int64)
        for _ in range(scale):
            r = rng.random(draw)
            s <<= 1
            d <<= 1
            s += r >= a + b
            d += ((r >= a) & (r < a + b)) | (r >= a + b + c)
        keep = (s < nodes) & (d < nodes) & (s != d)
        src, dst = np.concatenate([src, s[keep]]), np.concatenate([dst, d[keep]])
        _, first = np.unique(src * nodes + dst, return_index=True)
        first.sort()
        first = first[:edges]
        src, dst = src[first], dst[first]
    perm = rng.permutation(nodes)
    return perm[src], perm[dst]


#: Graphs ``bench --graph`` draws; anything else names a graph file.
GRAPHS = {"uniform": random_edges, "rmat": rmat_edges}


def _digits(v: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """ASCII digits of non-negative ``v``, right-aligned in ``width`` columns, and which are real."""
    chars = np.empty((v.size, width), dtype=np.uint8)
    keep = np.empty((v.size, width), dtype=bool)
    rest = v.copy()
    for k in range(width - 1, -1, -1):
        chars[:, k] = rest % 10 + 48
        keep[:, k] = (rest > 0) if k < width - 1 else True  # a leading zero goes, the units digit stays
        rest //= 10
    return chars, keep


def write_edge_csv(path: str, src: np.ndarray, dst: np.ndarray, chunk: int = 1 << 22) -> int:
    """Write ``src,dst`` rows under a ``src,dst`` header, vectorised; returns the file size in bytes."""
    width = len(str(int(max(src.max(initial=0), dst.max(initial=0)))))
    with open(path, "wb") as f:
        f.write(b"src,dst\n")
        for start in range(0, src.size, chunk):
            s, d = src[start:start + chunk], dst[start:start + chunk]
            cs, ks = _digits(s, width)
            cd, kd = _digits(d, width)
            sep = np.full((s.size, 1), ord(","), dtype=np.uint8)
            end = np.full((s.size, 1), ord("\n"), dtype=np.uint8)
            yes = np.ones((s.size, 1), dtype=bool)
            rows = np.hstack([cs, sep, cd, end])
            keep = np.hstack([ks, yes, kd, yes])
            f.write(rows[keep].tobytes())
        return f.tell()


# --- the benchmark ----------------------------------------------------------------

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
        from .config.names import ORDERS

        if self.reorder not in ORDERS:
            raise UsageError(f"unknown node order {self.reorder!r}; valid: {', '.join(ORDERS)}", key="reorder", argument=True)
        if self.features < 1:
            raise UsageError(f"expected at least 1 feature, got {self.features}", key="num_features", argument=True)
        if self.repeat < 1:
            raise UsageError(f"expected at least 1, got {self.repeat}", key="repeat", argument=True)
        if not 0 <= self.seed < 2**63:
            raise UsageError(f"expected an integer in [0, 2**63), got {self.seed}", key="seed", argument=True)


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _peak(xs: list[float | None]) -> float | None:
    known = [x for x in xs if x is not None]
    return round(max(known), 1) if known else None


def _s(x: float) -> float:
    return float(f"{x:.6g}")


def bench_load(path: str, spec: BenchSpec, say: Say, numpy: bool = True) -> dict[str, Any]:
    """Load ``path`` with gnnprop and with numpy.loadtxt (``numpy``: a ``src,dst`` CSV of
    integers), alternating, ``spec.repeat`` times."""
    from .io import load_graph

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
    from .configure import from_mapping
    from .engine.session import prepare

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


def machine_info() -> dict[str, Any]:
    import torch_geometric

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    return {"cpus": cpus, "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "platform": sys.platform}


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
        from .io import load_graph

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
