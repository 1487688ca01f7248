"""The figures of docs/exactness.md: how far the engines' sums are from each other, and how often and how
far inspect's shown results are from their formulas redone in order.

1. fused against reference: 10 rounds of each layer on both engines, the largest normwise difference
   over the rounds, ||fused - reference|| / ||reference||, in machine epsilons of the dtype;
2. inspect's marks: round 2 of 30 nodes (the busiest first), the share of aggregations and updates
   inspect marks as not their formula on the shown inputs, and the largest distance it reports, in ulp.

Graphs: karate (16 random features) and ca-grqc as undirected (16 random features).

    python tests/benchmarks/exactness.py           # about 2 minutes on 2 cores
"""

import torch

from gnnprop.configure import from_mapping
from gnnprop.engine.session import prepare
from gnnprop.io import load_graph
from gnnprop.tracing import explain
from gnnprop.tracing.checks import ulps

CASES = [("fixed", "sum"), ("fixed", "mean"), ("fixed", "max"), ("nn", "sum"), ("nn", "mean"), ("residual", "sum"),
         ("residual", "mean"), ("gcn", None), ("sage", None), ("graphconv", None), ("gin", None)]


def graphs():
    yield "karate", load_graph("sample_graphs/karate.json")
    yield "ca-grqc", load_graph("sample_graphs/ca-grqc.txt", undirected=True)


def config(layer, aggr, dtype, engine="auto", rounds=10):
    cfg = {"layer": {"type": layer}, "rounds": rounds, "dtype": dtype, "engine": engine,
           "graph": {"features": "random", "feature_dim": 16}}
    if aggr:
        cfg["aggr"] = aggr
    return from_mapping(cfg)


def main() -> None:
    for gname, g in graphs():
        deg = g.in_degree()
        nodes = [g.node_ids[int(k)] for k in torch.argsort(deg, descending=True, stable=True)[:30]]
        for layer, aggr in CASES:
            for dtype in ("float32", "float64"):
                eps = torch.finfo(getattr(torch, dtype)).eps
                fused = prepare(g, config(layer, aggr, dtype))
                if fused.kernel.name != "fused":
                    continue
                ref = prepare(g, config(layer, aggr, dtype, "reference"))
                a = [r.x.clone() for r in fused.propagate()]
                b = [r.x.clone() for r in ref.propagate()]
                rel = max(float(torch.linalg.norm(x - y) / max(float(torch.linalg.norm(y)), 1e-300))
                          for x, y in zip(a, b)) / eps
                marks = {"aggregation": [], "update": []}
                for node in nodes:
                    step = explain(prepare(g, config(layer, aggr, dtype, rounds=2)), node, [2]).steps[0]
                    for what, check, value in (("aggregation", step.aggregate_check, step.aggregated),
                                               ("update", step.update_check, step.output)):
                        if check is not None and check.exact is False:
                            marks[what].append(ulps(value, check.redone) or 0)
                        elif check is not None and check.exact:
                            marks[what].append(0)
                words = ", ".join(f"{w} marked {sum(1 for u in v if u)}/{len(v)} (max {max(v, default=0)} ulp)"
                                  for w, v in marks.items() if v)
                print(f"{gname:8} {layer + '/' + (aggr or '-'):14} {dtype}: fused vs reference {rel:6.2f} eps; "
                      f"inspect: {words}", flush=True)


if __name__ == "__main__":
    main()
