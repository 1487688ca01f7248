"""Adding a layer kind is one module plus one registry line: a kind written here, registered
in the registry only, runs on both engines, in inspect, in `gnnprop layers` and `config show`."""

import pytest
import torch

import gnnprop
from gnnprop.engine.csr import fused_op, reduce
from gnnprop.layers import registry
from gnnprop.layers.base import Fused, OwnKind, mp_kwargs

from .clitools import cli
from .conftest import SAMPLES


class ScaleParams(torch.nn.Module):
    """A learned scale per feature: x_i' = s * aggr_j x_j."""

    def __init__(self, width: int, aggr: str):
        super().__init__()
        self.in_channels = self.out_channels = width
        self.aggr, self.aggr_mode = aggr, None
        self.scale = torch.nn.Parameter(torch.linspace(0.5, 1.5, width))


class ScaleKind(OwnKind):
    name = "scale"
    default_aggr = "mean"
    fields = ()
    summary = "a learned scale of the aggregated neighbours: x_i' = s * aggr_j x_j"

    def build(self, cfg, in_dim, aggr, aggr_mode, edge_dim):
        return ScaleParams(in_dim, aggr)

    def formulas(self, p):
        return {"message": "m_ij = x_j", "aggregate": f"a_i = {p.aggr} over the incoming messages",
                "update": "x_i' = s * a_i"}

    def reference(self, p):
        from torch_geometric.nn import MessagePassing

        class ScaleLayer(MessagePassing):
            def __init__(self):
                super().__init__(**mp_kwargs(p.aggr, None))
                self.scale = p.scale

            def forward(self, x, edge_index, edge_weight=None):
                return self.propagate(edge_index, x=x)

            def update(self, aggr_out):
                return self.scale * aggr_out

        return ScaleLayer()

    def fused(self, p, graph):
        op = fused_op(p.aggr)
        if op is None:
            return f"the {p.aggr} aggregation has no fused form"
        return Fused(lambda x, adj: p.scale * reduce(adj, x, op))


@pytest.fixture
def scale_kind(monkeypatch):
    monkeypatch.setitem(registry.KINDS, "scale", ScaleKind())  # the one registry line


@pytest.mark.parametrize("aggr", ["sum", "mean", "max", "min"])
def test_a_new_kind_runs_on_both_engines_alike(scale_kind, aggr):
    runs = {engine: gnnprop.propagate(SAMPLES / "karate.json", layer="scale", aggr=aggr, engine=engine, rounds=3,
                                      features="random", feature_dim=3, dtype="float64")
            for engine in ("fused", "reference")}
    assert runs["fused"].meta["engine"] == "fused" and runs["reference"].meta["engine"] == "reference"
    torch.testing.assert_close(runs["fused"].x, runs["reference"].x, rtol=1e-12, atol=1e-12)
    want = gnnprop.propagate(SAMPLES / "karate.json", layer="fixed", message="x_j", update="aggr_out", aggr=aggr,
                             rounds=1, features="random", feature_dim=3, dtype="float64").x
    torch.testing.assert_close(runs["reference"].rounds[1], torch.linspace(0.5, 1.5, 3, dtype=torch.float64) * want)


def test_a_new_kind_is_listed_explained_and_shown(scale_kind):
    assert "scale" in cli("layers").stdout and "learned scale" in cli("layers").stdout
    assert "type: scale" in cli("config", "show", "--layer", "scale").stdout
    rec = gnnprop.explain(SAMPLES / "seed_example.json", layer="scale", node=0)
    assert rec["formulas"]["update"] == "x_i' = s * a_i" and rec["aggr"] == "mean"
    assert rec["steps"][0]["aggregation"]["count"] == 2
