"""Per-round fixed/max on R-MAT and uniform graphs, each node order; alternating; medians. And order-computing time."""
import statistics, sys, time
import numpy as np, torch
from gnnprop.bench.graphs import rmat_edges, random_edges
from gnnprop.config import from_mapping
from gnnprop.graph import Graph
from gnnprop.session import prepare
from gnnprop import reorder
n, e = int(sys.argv[1]), int(sys.argv[2])
for kind, gen in (("rmat", rmat_edges), ("uniform", random_edges)):
    t0 = time.perf_counter(); src, dst = gen(n, e, 0); print(f"{kind}: drawn in {time.perf_counter() - t0:.1f} s", flush=True)
    ei = np.stack([src, dst])
    print(f"  skew (top 1% share) {reorder.skew(ei, n):.3f}")
    x = torch.randn(n, 16)
    g = Graph(torch.from_numpy(ei), list(range(n)), x=x, source="g")
    s = prepare(g, from_mapping({"layer": {"type": "fixed"}, "aggr": "max", "rounds": 1, "engine": "fused"}))
    kernels = {"none": s.kernel}
    for name in ("degree", "bfs", "rcm"):
        t0 = time.perf_counter(); order = reorder.ORDER_FUNCTIONS[name](ei, n); dt = time.perf_counter() - t0
        assert np.array_equal(np.sort(order), np.arange(n))
        kernels[name] = reorder.ReorderedKernel(s.kernel, order, torch.device("cpu"))
        print(f"  {name}: order computed in {dt:.2f} s", flush=True)
    states = {k: kr.prepare(s.layer, s.dgraph) for k, kr in kernels.items()}
    runs = {k: [] for k in kernels}
    ref = None
    with torch.inference_mode():
        for _ in range(5):
            for k, kr in kernels.items():
                x0 = s.x0.clone()  # a new input each time: the permuted copy is not reused
                t0 = time.perf_counter(); y = kr.step(s.layer, x0, s.dgraph, states[k]); runs[k].append(time.perf_counter() - t0)
                if ref is None: ref = y
                assert torch.equal(y, ref), k
    base = statistics.median(runs["none"])
    for k, v in runs.items():
        m = statistics.median(v)
        print(f"  {k}: {m:.3f} s/round (incl. input+output permutation), none/this {base / m:.2f}x")
