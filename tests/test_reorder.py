"""Node orders (gnnprop.reorder): each is a permutation with the promised shape; a run of gnnprop's
own kinds in any order gives the run in the file's order bit for bit, PyG's layers within the stated
bound, and a reorder that is not applied says why (meta and the summary)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gnnprop.engine import reorder
from gnnprop.configure import from_mapping
from gnnprop.graph import Graph
from gnnprop.engine.session import prepare
from gnnprop.io import load_graph

from .clitools import cli
from .conftest import ROOT

PATH = np.array([[0, 1, 2, 3], [1, 2, 3, 4]])  # 0-1-2-3-4


def ei(*pairs):
    return np.array(pairs, dtype=np.int64).T.reshape(2, -1)


def test_degree_order_puts_hubs_first():
    edges = ei((0, 3), (1, 3), (2, 3), (3, 4), (4, 1))  # degrees: 1, 2, 1, 4, 2, 0 (node 5 isolated)
    assert reorder.degree_order(edges, 6).tolist() == [3, 1, 4, 0, 2, 5]


def test_bfs_order_goes_level_by_level_from_the_hub():
    # hub 2 with neighbours 0, 4, 5; 0 leads on to 1; 3 and 6 form another component, 7 is isolated
    edges = ei((2, 0), (4, 2), (2, 5), (0, 1), (3, 6))
    # a node's neighbours in the order the symmetrised CSR lists them: out-edges, then in-edges
    assert reorder.bfs_order(edges, 8).tolist() == [2, 0, 5, 4, 1, 3, 6, 7]


def test_rcm_numbers_a_path_from_one_end():
    shuffled = np.array([3, 0, 4, 1, 2])  # node k of the path is called shuffled[k]
    order = reorder.rcm_order(shuffled[PATH], 5)
    assert order.tolist() in ([3, 0, 4, 1, 2], [2, 1, 4, 0, 3])  # bandwidth 1: the path in either direction


def test_orders_are_permutations_on_awkward_graphs():
    rng = np.random.default_rng(0)
    edges = rng.integers(0, 40, (2, 120))
    edges[:, :10] = 7  # self loops
    for name, order_of in reorder.ORDER_FUNCTIONS.items():
        for n, e in ((50, edges), (3, np.zeros((2, 0), np.int64)), (1, np.zeros((2, 0), np.int64))):
            order = order_of(e, n)
            assert order.dtype == np.int64 and sorted(order.tolist()) == list(range(n)), name
    assert reorder.inverse(np.array([2, 0, 1])).tolist() == [1, 2, 0]


def test_auto_keeps_the_order_and_the_reference_path_is_never_reordered():
    choice = reorder.choose("auto", PATH, 5)
    assert choice.name == "none" and choice.order is None
    assert reorder.choose("rcm", PATH, 5).name == "rcm"


def run_all(graph: Graph, config: dict) -> tuple[list[torch.Tensor], dict]:
    session = prepare(graph, from_mapping(config))
    return [r.x.clone() for r in session.propagate()], session.meta()


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 30))
    e = draw(st.integers(0, 80))
    src = draw(st.lists(st.integers(0, n - 1), min_size=e, max_size=e))
    dst = draw(st.lists(st.integers(0, n - 1), min_size=e, max_size=e))  # self loops and duplicates
    seed = draw(st.integers(0, 2**16))
    return n, np.array([src, dst], dtype=np.int64).reshape(2, e), seed


@settings(max_examples=60, deadline=None)
@given(graphs(), st.sampled_from(["max", "min", "sum", "mean"]), st.sampled_from(["degree", "bfs", "rcm"]),
       st.sampled_from(["fixed", "nn", "residual", "fixed-weighted"]), st.sampled_from(["float32", "float64"]))
def test_any_order_gives_the_same_rounds_bit_for_bit(graph, aggr, order, layer, dtype):
    n, edges, seed = graph
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((n, 3)))
    weight = torch.from_numpy(rng.random(edges.shape[1]) + 0.5) if layer == "fixed-weighted" else None
    g = Graph(torch.from_numpy(edges), list(range(100, 100 + n)), x=x, edge_weight=weight, source="g")
    spec = {"type": "fixed", "message": "edge_weight * x_j - 0.5 * x_i"} if weight is not None else {"type": layer}
    config = {"layer": spec, "aggr": aggr, "rounds": 3, "engine": "fused", "dtype": dtype, "seed": seed}
    if weight is not None and aggr in ("max", "min"):
        config["engine"] = "auto"  # a weighted message has no fused max/min
    want, _ = run_all(g, {**config, "reorder": "none"})
    got, meta = run_all(g, {**config, "reorder": order})
    if meta["engine"] == "fused":
        assert (meta["reorder"], meta["reorder_exact"]) == (order, True)
    for a, b in zip(got, want):
        assert torch.equal(a, b) and torch.equal(torch.signbit(a), torch.signbit(b))


@pytest.mark.parametrize("layer", ["gcn", "graphconv", "sage", "gin"])
def test_pyg_layers_in_another_order_stay_within_the_stated_bound(layer):
    karate = load_graph(str(ROOT / "sample_graphs" / "karate.json"))
    for dtype in ("float32", "float64"):
        config = {"layer": {"type": layer}, "rounds": 10, "dtype": dtype,
                  "graph": {"features": "random", "feature_dim": 8}}
        want, _ = run_all(karate, {**config, "reorder": "none"})
        got, meta = run_all(karate, {**config, "reorder": "rcm"})
        assert (meta["engine"], meta["reorder"], meta["reorder_exact"]) == ("fused", "rcm", False)
        assert f"within {reorder.ROWS_BOUND_EPS} machine epsilons" in meta["reorder_note"]
        eps = torch.finfo(getattr(torch, dtype)).eps
        for a, b in zip(got, want):
            assert torch.linalg.norm(a - b) <= reorder.ROWS_BOUND_EPS * eps * torch.linalg.norm(b)


def test_a_reorder_that_is_not_applied_says_why():
    from gnnprop.engine.rounds import RoundBook, plan_rounds
    from gnnprop.engine.run import meta

    g = Graph(torch.from_numpy(PATH), list(range(5)), x=torch.ones(5, 1, dtype=torch.float64), source="g")
    _, m = run_all(g, {"engine": "reference", "reorder": "bfs"})
    assert (m["reorder"], m["reorder_exact"]) == ("none", None)
    assert m["reorder_note"] == "bfs not applied: the reference engine computes per edge, in the edge list's order"
    _, m = run_all(g, {"reorder": "auto"})
    assert m["reorder"] == "none" and m["reorder_note"].startswith("auto: no order has paid")
    cfg = from_mapping({"reorder": "rcm"})
    spark = meta(cfg, RoundBook(plan_rounds(cfg.rounds, None, None)), aggr="max", device="spark", dtype="float64",
                 engine="spark", engine_note="", num_nodes=5, num_edges=4, seconds=0.0)
    assert spark["reorder_note"] == "rcm not applied: the spark engine keeps the file's order"


@pytest.mark.parametrize("order", ["degree", "bfs", "rcm"])
def test_cli_output_and_inspect_are_the_same_in_every_order(tmp_path, order):
    rng = np.random.default_rng(3)
    edges = rng.integers(0, 60, (300, 2))
    path = tmp_path / "e.csv"
    path.write_text("src,dst\n" + "".join(f"{a * 7},{b * 7}\n" for a, b in edges))
    args = ["run", str(path), "--rounds", "3", "--layer", "fixed", "--aggr", "max", "--features", "random"]
    base = cli(*args, "-f", "csv", "--reorder", "none")
    other = cli(*args, "-f", "csv", "--reorder", order)
    assert base.code == other.code == 0 and other.stdout == base.stdout
    table = cli(*args, "--reorder", order, tty=True)
    assert f"engine fused, node order {order} (bit-identical)\n" in table.stdout
    table = cli(*args, "--reorder", order, "--engine", "reference", tty=True)
    assert f"engine reference, {order} not applied: the reference engine computes per edge" in table.stdout
    assert "node order" not in cli(*args, tty=True).stdout  # auto: no order has paid, the file's order ran
    inspect = ["inspect", str(path), "--node", "21", "--round", "2", "--layer", "fixed", "--aggr", "max",
               "--features", "random"]
    a, b = cli(*inspect, "--reorder", "none"), cli(*inspect, "--reorder", order)
    assert a.code == b.code == 0
    doc_a, doc_b = json.loads(a.stdout), json.loads(b.stdout)
    meta_a, meta_b = doc_a.pop("meta"), doc_b.pop("meta")
    assert doc_a == doc_b and (meta_a["reorder"], meta_b["reorder"]) == ("none", order)
