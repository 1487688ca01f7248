"""The layer zoo: several aggregations at once (cat and the combining modes)."""



import pytest
from torch import nn
from torch_geometric.nn import GATConv, MessagePassing, SAGEConv

from gnnprop.errors import ConfigError

from .clitools import cli, fails
from .reference import SeedFixed, SeedNN
from .conftest import ROOT
from .zoo import (
    KARATE,
    RANDOM_FLAGS,
    F,
    assert_same,
    config,
    copied,
    direct,
    engine_of,
    rounds,
    session_for,
)

# --- 4. several aggregations ----------------------------------------------------------


class CatNN(SeedNN):
    """Seed 000's learned layer with k aggregations concatenated: updateNN takes F + k*H inputs."""

    def __init__(self, f, h, o, aggr):
        super().__init__(f, h, o, aggr=aggr)
        self.updateNN = nn.Linear(f + len(aggr) * h, o)


class CombinedFixed(SeedFixed):
    """Seed 000's hand-written layer with several aggregations combined elementwise."""

    def __init__(self, aggr, mode):
        MessagePassing.__init__(self, aggr=aggr, aggr_kwargs={"mode": mode})


@pytest.mark.parametrize("mode", ["cat", None])
def test_nn_with_concatenated_aggregations(mode, karate):
    more = {"aggr": ["mean", "max"]} | ({} if mode is None else {"aggr_mode": mode})
    session = session_for(karate, config({"type": "nn", "hidden_dim": 3}, **more))
    assert session.layer.updateNN.in_features == F + 2 * 3
    ref = copied(CatNN(F, 3, F, ["mean", "max"]), session)
    assert_same(rounds(session), direct(ref, session.x0, edge_index=karate.edge_index), engine_of(session))


@pytest.mark.parametrize("flags", [("--aggr", "mean,max", "--aggr-mode", "cat"), ("--aggr", "mean,max")],
                         ids=["cat", "default-cat"])
def test_fixed_layer_refuses_cat_because_it_changes_the_width(flags):
    fails(cli("run", KARATE, "--layer", "fixed", *flags, "--rounds", "2", *RANDOM_FLAGS), 2,
          f"cat makes aggr_out 2 x {F} wide", "use aggr_mode sum, mean, max, min, std, var or logsumexp")


@pytest.mark.parametrize("mode", ["max", "sum", "mean"])
def test_fixed_layer_with_combined_aggregations(mode, karate):
    session = session_for(karate, config("fixed", aggr=["mean", "max"], aggr_mode=mode))
    ref = CombinedFixed(["mean", "max"], mode).double()
    assert_same(rounds(session), direct(ref, session.x0, edge_index=karate.edge_index), engine_of(session))


def test_sage_with_several_aggregations(karate):
    session = session_for(karate, config("sage", aggr=["mean", "max"]))
    assert session.layer.lin_l.in_channels == 2 * F  # mean and max side by side
    ref = copied(SAGEConv(F, F, aggr=["mean", "max"]), session)
    assert_same(rounds(session), direct(ref, session.x0, edge_index=karate.edge_index), engine_of(session))
    assert session.meta()["aggr"] == "[mean, max] (cat)"


def test_width_changing_layer_runs_only_one_round(karate):
    fails(cli("run", KARATE, "--layer", "gat", "--arg", "heads=2", "--rounds", "2", *RANDOM_FLAGS), 2,
          f"maps width {F} to width {2 * F}", "only 1 round", "concat: false")
    with pytest.raises(ConfigError, match="only 1 round"):
        session_for(karate, config({"type": "gat", "heads": 2}))
    one = session_for(karate, config({"type": "gat", "heads": 2}, rounds=1))
    got = rounds(one)
    assert got[1].shape == (karate.num_nodes, 2 * F)
    ref = copied(GATConv(F, F, heads=2), one)
    assert_same(got, direct(ref, one.x0, n=1, edge_index=karate.edge_index), engine_of(one))


def test_pyg_writing_propagate_from_a_multi_aggregation_instance_does_not_break_later_fused_runs():
    """PyG generates a class's propagate once per process, from its first instance; a first
    instance with several aggregations leaves the sparse path out. gnnprop builds a
    one-aggregation instance first, and where a user's own instance came first, it sees the
    sparse path is missing and runs the reference path instead of failing."""
    import subprocess
    import sys

    code = """
import gnnprop
from torch_geometric.nn import SAGEConv
g = "sample_graphs/karate.json"
multi = gnnprop.propagate(g, layer="sage", aggr=["mean", "max"], rounds=1)
from torch_geometric.nn import GraphConv
GraphConv(1, 1, aggr=["mean", "max"])  # the user's own instance, first in this process
after = gnnprop.propagate(g, layer="graphconv", rounds=2)
print(gnnprop.propagate(g, layer="sage", rounds=2).meta["engine"], after.meta["engine"], after.meta["engine_note"][:35])
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["fused", "reference", "PyG", "generated", "GraphConv's", "propagate"]
