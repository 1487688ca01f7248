"""The parts of one whole run, in-process: imports, edge CSV, node CSV, prepare, 10 rounds, npy out."""
import time
t0 = time.perf_counter()
import torch  # noqa
t_torch = time.perf_counter()
import torch_geometric  # noqa
t_pyg = time.perf_counter()
from gnnprop.cli.app import app  # noqa
from gnnprop.config import from_mapping
from gnnprop.io import load_graph, load_node_table
from gnnprop.session import prepare
import numpy as np
t_imp = time.perf_counter()
nodes = load_node_table("nodes.csv")
t_nodes = time.perf_counter()
g = load_graph("edges.csv", node_features="nodes.csv")
t_edges_total = time.perf_counter()
s = prepare(g, from_mapping({"layer": {"type": "fixed"}, "aggr": "max", "rounds": 10}))
t_prep = time.perf_counter()
for r in s.propagate():
    x = r.x
t_rounds = time.perf_counter()
np.save("out_phases.npy", x.numpy())
t_out = time.perf_counter()
edges_only = (t_edges_total - t_nodes) - (t_nodes - t_imp)  # load_graph read the node file again
print(f"import torch {t_torch - t0:.2f} s, torch_geometric {t_pyg - t_torch:.2f} s, rest of gnnprop {t_imp - t_pyg:.2f} s")
print(f"node CSV {t_nodes - t_imp:.2f} s, edge CSV {edges_only:.2f} s, prepare {t_prep - t_edges_total:.2f} s, "
      f"10 rounds (incl. CSR build) {t_rounds - t_prep:.2f} s, npy out {t_out - t_rounds:.2f} s")
