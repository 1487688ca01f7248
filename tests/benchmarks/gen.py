"""The issue-14 whole-run files: a 300K-node / 3M-edge CSV (the bench's uniform graph) and a 300K x 16 node CSV (float32, shortest digits)."""
import numpy as np
from gnnprop.bench.graphs import random_edges, write_edge_csv
n, e = 300_000, 3_000_000
src, dst = random_edges(n, e, 0)
write_edge_csv("edges.csv", src, dst)
rng = np.random.default_rng(1)
x = rng.standard_normal((n, 16)).astype(np.float32)
with open("nodes.csv", "w") as f:
    f.write("id," + ",".join(f"x{j}" for j in range(16)) + "\n")
    for i in range(n):
        f.write(str(i) + "," + ",".join(map(str, x[i])) + "\n")
