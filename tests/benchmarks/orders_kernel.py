"""Kernel alone (no permutation), per round, on R-MAT: each order vs none, for an aggregation; alternating, medians of 7."""
import statistics, sys, time, numpy as np, torch
from gnnprop.bench.graphs import rmat_edges
from gnnprop.config import from_mapping
from gnnprop.graph import Graph
from gnnprop.session import prepare
from gnnprop import reorder
n, e, aggr = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
src, dst = rmat_edges(n, e, 0); ei = np.stack([src, dst])
g = Graph(torch.from_numpy(ei), list(range(n)), x=torch.randn(n, 16), source="g")
s = prepare(g, from_mapping({"layer": {"type": "fixed"}, "aggr": aggr, "rounds": 1, "engine": "fused"}))
with torch.inference_mode():
    variants = {"none": (s.kernel.prepare(s.layer, s.dgraph), s.x0)}
    for name in ("degree", "bfs", "rcm"):
        kr = reorder.ReorderedKernel(s.kernel, reorder.ORDER_FUNCTIONS[name](ei, n), torch.device("cpu"))
        variants[name] = (kr.prepare(s.layer, s.dgraph).inner, s.x0.index_select(0, kr.order))
    runs = {k: [] for k in variants}
    for _ in range(7):
        for k, (st, x) in variants.items():
            t0 = time.perf_counter(); s.kernel.step(s.layer, x, None, st); runs[k].append(time.perf_counter() - t0)
b = statistics.median(runs["none"])
print(f"R-MAT {n} nodes / {e} edges, fixed/{aggr}, torch threads {torch.get_num_threads()}")
for k, v in runs.items():
    print(f"  kernel only, {k}: {statistics.median(v):.3f} s, none/this {b / statistics.median(v):.2f}x")
