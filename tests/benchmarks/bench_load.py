"""Load the 300K x 16 node CSV and the 3M-edge CSV: gnnprop's bulk path vs pyarrow.csv alone vs numpy.loadtxt; alternating, medians."""
import sys, time, statistics, pyarrow.csv as pc
from gnnprop.io import load_node_table, load_graph
def timed(f):
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0
runs = {k: [] for k in ("nodes gnnprop", "nodes arrow", "edges gnnprop", "edges arrow")}
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
    runs["nodes gnnprop"].append(timed(lambda: load_node_table("nodes.csv")))
    runs["nodes arrow"].append(timed(lambda: pc.read_csv("nodes.csv")))
    runs["edges gnnprop"].append(timed(lambda: load_graph("edges.csv")))
    runs["edges arrow"].append(timed(lambda: pc.read_csv("edges.csv")))
for k, v in runs.items():
    print(f"{k}: {statistics.median(v):.3f} s  {[round(x, 3) for x in v]}")
print("nodes ratio", statistics.median(runs["nodes gnnprop"]) / statistics.median(runs["nodes arrow"]))
print("edges ratio", statistics.median(runs["edges gnnprop"]) / statistics.median(runs["edges arrow"]))
