"""How far --reorder moves each kind's rounds from the file order's (docs/exactness.md).

For every layer on the fused engine, every node order and both dtypes: 10 rounds in the file's order
and in the node order, and the largest normwise difference over the rounds, ||a - b|| / ||b||, in
machine epsilons of the dtype (0: bit for bit). Graphs: karate, ca-grqc (as undirected) and a
uniform random graph (20K nodes, 200K edges), 16 random features.

    python tests/benchmarks/reorder_bound.py            # about a minute on 2 cores
"""

import sys

import numpy as np
import torch

from gnnprop.configure import from_mapping
from gnnprop.engine.session import prepare
from gnnprop.graph import Graph
from gnnprop.io import load_graph

LAYERS = ["fixed", "nn", "residual", "gcn", "sage", "graphconv", "gin", "sg", "appnp"]
ORDERS = ["degree", "bfs", "rcm"]


def graphs():
    yield "karate", load_graph("sample_graphs/karate.json")
    yield "ca-grqc", load_graph("sample_graphs/ca-grqc.txt", undirected=True)
    rng = np.random.default_rng(0)
    n, e = 20_000, 200_000
    yield "random", Graph(torch.from_numpy(rng.integers(0, n, (2, e))), list(range(n)), source="random")


def rounds(g, cfg):
    s = prepare(g, from_mapping(cfg))
    return [r.x.clone() for r in s.propagate()], s.meta()


def main() -> None:
    layers = sys.argv[1:] or LAYERS
    worst: dict[str, float] = {}
    for gname, g in graphs():
        for layer in layers:
            for dtype in ("float32", "float64"):
                eps = torch.finfo(getattr(torch, dtype)).eps
                cfg = {"layer": {"type": layer}, "aggr": "sum" if layer in ("fixed", "nn", "residual") else None,
                       "rounds": 10, "dtype": dtype, "graph": {"features": "random", "feature_dim": 16}}
                base, meta = rounds(g, {**cfg, "reorder": "none"})
                if meta["engine"] != "fused":
                    print(f"{gname:8} {layer:10} {dtype}: engine {meta['engine']}, not reordered")
                    break
                for order in ORDERS:
                    got, meta = rounds(g, {**cfg, "reorder": order})
                    rel = max(float(torch.linalg.norm(a - b) / max(float(torch.linalg.norm(b)), 1e-300))
                              for a, b in zip(got, base)) / eps
                    exact = all(torch.equal(a, b) for a, b in zip(got, base))
                    worst[layer] = max(worst.get(layer, 0.0), rel)
                    print(f"{gname:8} {layer:10} {dtype} {order:6}: {'bit for bit' if exact else f'{rel:.2f} eps'}"
                          f" (meta: exact={meta['reorder_exact']})", flush=True)
    print("worst, in machine epsilons:", {k: round(v, 2) for k, v in worst.items()})


if __name__ == "__main__":
    main()
