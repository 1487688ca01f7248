"""The fused engine equals the reference path (PyG's propagate) on random graphs."""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnnprop.configure import from_mapping
from gnnprop.errors import ConfigError
from gnnprop.engine.csr import affine
from gnnprop import expr
from gnnprop.graph import Graph
from gnnprop.engine.session import prepare

from .clitools import cli, fails
from .conftest import SAMPLES


@st.composite
def graphs(draw, weighted=False):
    n = draw(st.integers(1, 10))
    e = draw(st.integers(0, 30))
    src = draw(st.lists(st.integers(0, n - 1), min_size=e, max_size=e))
    dst = draw(st.lists(st.integers(0, n - 1), min_size=e, max_size=e))  # self loops and duplicates happen
    f = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, f, generator=gen, dtype=torch.float64)
    w = torch.rand(e, generator=gen, dtype=torch.float64) + 0.5 if weighted else None
    return Graph(torch.tensor([src, dst], dtype=torch.long).reshape(2, e), list(range(n)), x=x, edge_weight=w)


def both(g, cfg):
    out = {}
    for engine in ("reference", "fused"):
        session = prepare(g, from_mapping({**cfg, "engine": engine}))
        assert session.kernel.name == engine
        out[engine] = [r.x for r in session.propagate()]
    return out["reference"], out["fused"]


def close(ref, fused, dtype):
    for a, b in zip(ref, fused):
        if dtype == "float64":
            torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-12)
        else:
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5)


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
coef = st.sampled_from([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0])


@SETTINGS
@given(g=graphs(), a=coef, b=coef, c=coef, aggr=st.sampled_from(["sum", "mean", "max", "min"]),
       dtype=st.sampled_from(["float32", "float64"]))
def test_fixed_affine(g, a, b, c, aggr, dtype):
    layer = {"type": "fixed", "message": f"{a} * x_i + {b} * x_j + {c}", "update": "0.5 * x + tanh(aggr_out)"}
    close(*both(g, {"layer": layer, "aggr": aggr, "rounds": 2, "dtype": dtype}), dtype)


@SETTINGS
@given(g=graphs(weighted=True), aggr=st.sampled_from(["sum", "mean"]), dtype=st.sampled_from(["float32", "float64"]))
def test_fixed_with_edge_weight(g, aggr, dtype):
    layer = {"type": "fixed", "message": "edge_weight * (x_j - 0.5 * x_i) + 0.1 * edge_weight - x_i / 4",
             "update": "x + aggr_out"}
    close(*both(g, {"layer": layer, "aggr": aggr, "rounds": 2, "dtype": dtype}), dtype)


@SETTINGS
@given(g=graphs(), kind=st.sampled_from(["nn", "residual"]), aggr=st.sampled_from(["sum", "mean", "max", "min"]),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 5))
def test_learned_layers(g, kind, aggr, dtype, seed):
    close(*both(g, {"layer": {"type": kind}, "aggr": aggr, "rounds": 2, "dtype": dtype, "seed": seed}), dtype)


# Messages and updates whose names occur several times: the fused path evaluates them
# into its own temporaries, and must never overwrite a value it still needs.
MESSAGES = ["x_j - x_i", "(x_j - x_i) / 4 + 1", "-(x_i * 0.5) + x_j * 2", "1 - x_i + x_j / 2",
            "x_i + x_i - 3 * x_j", "-x_j", "x_i"]
UPDATES = ["aggr_out + 0.5 * aggr_out", "aggr_out * aggr_out - x * aggr_out", "x - aggr_out",
           "(aggr_out + x) / 2 - aggr_out / 3", "-(aggr_out) + relu(aggr_out)", "x"]


@SETTINGS
@given(g=graphs(), message=st.sampled_from(MESSAGES), update=st.sampled_from(UPDATES),
       aggr=st.sampled_from(["sum", "mean", "max", "min"]), dtype=st.sampled_from(["float32", "float64"]))
def test_fixed_expressions_with_repeated_names(g, message, update, aggr, dtype):
    layer = {"type": "fixed", "message": message, "update": update}
    x0 = g.x.clone()
    ref, fused = both(g, {"layer": layer, "aggr": aggr, "rounds": 2, "dtype": dtype})
    assert torch.equal(g.x, x0)  # the input features are never written to
    if aggr in ("max", "min") and message.count("x_j") == 1:
        for a, b in zip(ref, fused):  # a monotone message commutes with max/min exactly
            assert torch.equal(a, b)
    elif dtype == "float64":
        close(ref, fused, dtype)
    else:  # a squaring update doubles float32's reassociation error every round; a clobbered value is far off
        for a, b in zip(ref, fused):
            torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)


@SETTINGS
@given(g=graphs(weighted=True), a=coef, b=coef, c=coef, p=coef, q=coef, r=coef, aggr=st.sampled_from(["sum", "mean"]),
       weighted=st.booleans(), dtype=st.sampled_from(["float32", "float64"]))
def test_affine_message_and_update_in_one_pass(g, a, b, c, p, q, r, aggr, weighted, dtype):
    w = "edge_weight * " if weighted else ""
    layer = {"type": "fixed", "message": f"{a} * x_i + {w}{b} * x_j + {c}",
             "update": f"{p} * x + {q} * aggr_out + {r}"}
    ref, fused = both(g, {"layer": layer, "aggr": aggr, "rounds": 2, "dtype": dtype})
    if dtype == "float64":
        close(ref, fused, dtype)
    else:  # one pass reassociates sums of terms that can cancel: float32 agrees to ~1e-5 of the terms' size
        for a_, b_ in zip(ref, fused):
            torch.testing.assert_close(b_, a_, rtol=1e-4, atol=1e-4 * max(1.0, float(a_.abs().max())))


def _pyg_graph(weighted, simple):
    from torch_geometric.utils import coalesce, remove_self_loops

    gen = torch.Generator().manual_seed(3)
    n, e = 12, 40
    ei = torch.randint(0, n - 1, (2, e), generator=gen)  # node n-1 stays isolated
    if simple:
        ei = remove_self_loops(coalesce(ei))[0]
    w = torch.rand(ei.shape[1], generator=gen, dtype=torch.float64) + 0.5 if weighted else None
    return Graph(ei, list(range(n)), x=torch.randn(n, 3, generator=gen, dtype=torch.float64), edge_weight=w)


@pytest.mark.parametrize("name", ["gcn", "sage", "graphconv", "gin", "sg", "appnp"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("simple", [False, True])
def test_pyg_layers_with_their_own_fused_path(name, weighted, simple):
    g = _pyg_graph(weighted, simple)
    cfg = {"layer": {"type": name}, "rounds": 3, "dtype": "float64"}
    session = prepare(g, from_mapping(cfg))
    if name in ("gcn", "sg", "appnp") and not simple:
        assert session.kernel.name == "reference" and "self loops" in session.engine_note
        return
    assert session.kernel.name == "fused"
    close(*both(g, cfg), "float64")


def test_affine_analysis():
    def poly(text):
        return affine(expr.parse(text, expr.MESSAGE, "m").tree)

    assert poly("0.5 * x_i + 2 * x_j") == {("x_i", 0): 0.5, ("x_j", 0): 2.0}
    assert poly("(x_j - x_i) / 4 + 1") == {("x_j", 0): 0.25, ("x_i", 0): -0.25, ("1", 0): 1.0}
    assert poly("edge_weight * x_j") == {("x_j", 1): 1.0}
    for text in ["x_i * x_j", "relu(x_j)", "x_j / x_i", "edge_weight * edge_weight * x_j", "x_j / (1 - 1)"]:
        assert poly(text) is None, text


def test_auto_picks_fused_and_falls_back_with_a_reason():
    g = Graph(torch.tensor([[0, 1], [1, 0]]), [0, 1], x=torch.ones(2, 2, dtype=torch.float64))
    assert prepare(g, from_mapping({})).kernel.name == "fused"
    s = prepare(g, from_mapping({"layer": {"type": "fixed", "message": "relu(x_j)"}}))
    assert s.kernel.name == "reference" and "not affine" in s.engine_note
    assert prepare(g, from_mapping({"aggr": "std"})).kernel.name == "reference"
    with pytest.raises(ConfigError, match="engine: fused is not possible here: the message 'x_i \\* x_j'"):
        prepare(g, from_mapping({"engine": "fused", "layer": {"type": "fixed", "message": "x_i * x_j"}}))


def test_engine_shown_in_run_and_inspect():
    seed = str(SAMPLES / "seed_example.json")
    import json

    meta = json.loads(cli("run", seed, "--rounds", "1").stdout)["meta"]
    assert meta["engine"] == "fused"
    meta = json.loads(cli("run", seed, "--rounds", "1", "--engine", "reference").stdout)["meta"]
    assert meta["engine"] == "reference" and meta["engine_note"] == "asked for"
    doc = json.loads(cli("inspect", seed, "--node", "0").stdout)
    assert doc["meta"]["engine"] == "fused"
    assert doc["steps"][0]["update"]["value"] == [12.5, 8.0]
    fails(cli("run", seed, "--engine", "fused", "--aggr", "var"), 2, "engine: fused is not possible", "var")
