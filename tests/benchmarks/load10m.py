"""10M-edge CSV (1M nodes, the bench's default graph): gnnprop's load_graph vs numpy.loadtxt vs pyarrow alone; alternating, medians of 3."""
import os, statistics, time, numpy as np, pyarrow.csv as pc
from gnnprop.bench.graphs import random_edges, write_edge_csv
from gnnprop.io import load_graph
if not os.path.exists("edges10m.csv"):
    s, d = random_edges(1_000_000, 10_000_000, 0); write_edge_csv("edges10m.csv", s, d)
r = {"gnnprop": [], "numpy.loadtxt": [], "pyarrow.csv": []}
for _ in range(3):
    for k, f in (("gnnprop", lambda: load_graph("edges10m.csv")),
                 ("numpy.loadtxt", lambda: np.loadtxt("edges10m.csv", delimiter=",", skiprows=1, dtype=np.int64)),
                 ("pyarrow.csv", lambda: pc.read_csv("edges10m.csv"))):
        t0 = time.perf_counter(); f(); r[k].append(time.perf_counter() - t0)
m = {k: statistics.median(v) for k, v in r.items()}
print({k: round(v, 3) for k, v in m.items()}, "gnnprop/numpy", round(m["gnnprop"] / m["numpy.loadtxt"], 2))
