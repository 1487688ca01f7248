"""The layer zoo: PyG's convolutions by name, users' own MessagePassing classes,
edge features, several aggregations and saved weights.

Every number is checked against an independent computation: the same PyG class
built here and called directly, round by round, with the parameters copied
from gnnprop's layer. Runs are float64; where both sides run PyG's own
``propagate`` on ``edge_index`` the comparison is bit for bit, and where
gnnprop's engine computed a round another way (a fused sparse product sums in
another order) it is ``rtol=1e-12``.
"""

import io
import json
import os
import pickle
import shlex
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn
from torch_geometric.nn import (APPNP, ChebConv, GATConv, GATv2Conv, GCNConv, GINConv, GraphConv, MessagePassing,
                                SAGEConv, SGConv)

import gnnprop
from gnnprop.configure import from_mapping, load_config
from gnnprop.errors import ConfigError
from gnnprop.tracing import explain
from gnnprop.io import load_graph
from gnnprop.engine.session import prepare
from gnnprop.weights import save_weights

from .clitools import cli, fails
from .conftest import ROOT, SAMPLES
from .reference import SeedFixed, SeedNN

KARATE = str(SAMPLES / "karate.json")
FIXTURES = ROOT / "tests" / "fixtures"
SEED_LAYERS = FIXTURES / "seed_layers.py"
BROKEN = FIXTURES / "broken_layers.py"
F = 4  # feature width of every run here
RANDOM_FEATURES = {"features": "random", "feature_dim": F}
RANDOM_FLAGS = ("--features", "random", "--feature-dim", str(F))
F64 = ("--dtype", "float64")


def seed_layer(name: str) -> str:
    return f"{SEED_LAYERS}:{name}"


def broken_layer(name: str) -> str:
    return f"{BROKEN}:{name}"


# --- running and comparing -----------------------------------------------------


def config(layer, **more) -> dict:
    """A float64, 3-round config on random features of width F (``layer``: a name or a mapping)."""
    cfg = {"layer": layer if isinstance(layer, dict) else {"type": layer}, "rounds": 3, "dtype": "float64",
           "graph": dict(RANDOM_FEATURES)}
    cfg.update(more)
    return cfg


def session_for(graph, cfg: dict, weights=None):
    return prepare(graph, from_mapping(cfg), weights=None if weights is None else str(weights))


def rounds(session) -> list[torch.Tensor]:
    """Every round's features, round 0 (the input) first."""
    return [r.x.clone() for r in session.propagate()]


def direct(layer, x, n: int = 3, **inputs) -> list[torch.Tensor]:
    """``n`` rounds of ``layer`` called directly: x_(r+1) = layer(x_r, **inputs); round 0 first."""
    xs = [x]
    with torch.no_grad():
        for _ in range(n):
            xs.append(layer(xs[-1], **inputs))
    return xs


def copied(ref: torch.nn.Module, session) -> torch.nn.Module:
    """``ref`` in float64 with ``session``'s layer's parameters."""
    ref = ref.double()
    ref.load_state_dict(session.layer.state_dict())
    return ref.eval()


def engine_of(run) -> str:
    """The engine a session or a CLI run (its JSON meta) used."""
    return run["engine"] if isinstance(run, dict) else run.meta()["engine"]


def assert_same(got, want, *engines: str) -> None:
    """Equal round by round: bit for bit when every run took PyG's reference path, else within rtol 1e-12."""
    got, want = list(got), list(want)
    assert len(got) == len(want)
    exact = all(e == "reference" for e in engines)
    for r, (a, b) in enumerate(zip(got, want)):
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        assert a.shape == b.shape, (r, a.shape, b.shape)
        if exact:
            assert torch.equal(a, b), f"round {r}: {(a - b).abs().max()}"
        else:
            assert torch.allclose(a, b, rtol=1e-12, atol=1e-12), f"round {r}: {(a - b).abs().max()}"


def cli_rounds(out) -> tuple[list[torch.Tensor], dict]:
    """The rounds and the meta of a successful ``run -f json`` (float64 text reads back exactly)."""
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout)
    return [torch.tensor(r["x"], dtype=torch.float64) for r in doc["rounds"]], doc["meta"]


# --- graphs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def karate():
    return load_graph(KARATE)


@pytest.fixture(scope="module")
def graph_files(tmp_path_factory, karate) -> dict[str, str]:
    """karate as tensor-form JSON with fixed features (so a run's seed changes only its parameters),
    alone, with edge weights, and with 2 edge attributes."""
    gen = torch.Generator().manual_seed(42)
    e = karate.num_edges
    x = torch.randn(karate.num_nodes, F, generator=gen, dtype=torch.float64)
    weight = torch.rand(e, generator=gen, dtype=torch.float64) + 0.5
    attr = torch.randn(e, 2, generator=gen, dtype=torch.float64)
    base = {"x": x.tolist(), "edge_index": karate.edge_index.tolist()}
    folder = tmp_path_factory.mktemp("graphs")
    files = {}
    for name, extra in (("plain", {}), ("weighted", {"edge_weight": weight.tolist()}),
                        ("attr", {"edge_attr": attr.tolist()})):
        path = folder / f"karate_{name}.json"
        path.write_text(json.dumps({**base, **extra}))
        files[name] = str(path)
    return files


# --- 1. PyG's layers by name ---------------------------------------------------------


def gin_mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(F, F), nn.ReLU(), nn.Linear(F, F))


# The classes built directly, with the arguments gnnprop promises (in/out width F; cheb K=2; appnp K=10, alpha=0.1)
REFERENCES = {
    "gcn": lambda: GCNConv(F, F),
    "sage": lambda: SAGEConv(F, F),
    "graphconv": lambda: GraphConv(F, F),
    "gin": lambda: GINConv(gin_mlp()),
    "gat": lambda: GATConv(F, F),
    "gatv2": lambda: GATv2Conv(F, F),
    "cheb": lambda: ChebConv(F, F, K=2),
    "sg": lambda: SGConv(F, F),
    "appnp": lambda: APPNP(K=10, alpha=0.1),
}
TAKE_EDGE_WEIGHT = ("gcn", "graphconv", "cheb", "sg", "appnp")


@pytest.mark.parametrize("name", list(REFERENCES))
def test_named_layer_equals_the_pyg_class_called_directly(name, karate):
    session = session_for(karate, config(name))
    got = rounds(session)
    ref = copied(REFERENCES[name](), session)
    want = direct(ref, session.x0, edge_index=karate.edge_index)
    assert_same(got, want, engine_of(session))
    assert not torch.equal(got[3], got[0])

    out = cli("run", KARATE, "--layer", name, "--rounds", "3", *F64, *RANDOM_FLAGS)
    from_cli, meta = cli_rounds(out)
    assert meta["layer"] == name and out.stderr == ""
    assert_same(from_cli, want, engine_of(meta))


@pytest.mark.parametrize("name", TAKE_EDGE_WEIGHT)
def test_named_layer_gets_the_edge_weights(name, karate):
    weight = torch.rand(karate.num_edges, generator=torch.Generator().manual_seed(5), dtype=torch.float64) + 0.5
    g = replace(karate, edge_weight=weight)
    session = session_for(g, config(name))
    got = rounds(session)
    ref = copied(REFERENCES[name](), session)
    assert_same(got, direct(ref, session.x0, edge_index=g.edge_index, edge_weight=weight), engine_of(session))
    unweighted = direct(ref, session.x0, edge_index=g.edge_index)
    assert not torch.allclose(got[3], unweighted[3])


def test_defaults_that_let_cheb_appnp_and_gin_run(karate):
    cheb = session_for(karate, config("cheb")).layer
    appnp = session_for(karate, config("appnp")).layer
    assert len(cheb.lins) == 2  # K = 2
    assert (appnp.K, appnp.alpha) == (10, 0.1)
    gin = session_for(karate, config("gin")).layer
    assert [type(m) for m in gin.nn] == [nn.Linear, nn.ReLU, nn.Linear]
    assert [(m.in_features, m.out_features) for m in (gin.nn[0], gin.nn[2])] == [(F, F), (F, F)]


GATV2_YAML = f"""\
layer: {{type: gatv2, heads: 2, concat: false}}
rounds: 3
dtype: float64
graph: {{features: random, feature_dim: {F}}}
"""


def test_layer_keyword_arguments_from_yaml_and_from_the_command_line(tmp_path, karate):
    path = tmp_path / "gatv2.yaml"
    path.write_text(GATV2_YAML)
    session = prepare(karate, load_config(path))
    assert (session.layer.heads, session.layer.concat) == (2, False)
    ref = copied(GATv2Conv(F, F, heads=2, concat=False), session)
    want = direct(ref, session.x0, edge_index=karate.edge_index)
    assert_same(rounds(session), want, engine_of(session))
    # the same arguments under args:, as --arg flags, and on top of a file that names the layer
    nested = session_for(karate, config({"type": "gatv2", "args": {"heads": 2, "concat": False}}))
    assert_same(rounds(nested), want, engine_of(nested))
    for out in (cli("run", KARATE, "-c", path),
                cli("run", KARATE, "--layer", "gatv2", "--arg", "heads=2", "--arg", "concat=false", "--rounds", "3",
                    *F64, *RANDOM_FLAGS)):
        got, meta = cli_rounds(out)
        assert_same(got, want, engine_of(meta))
    # without them, one head: other numbers
    plain, _ = cli_rounds(cli("run", KARATE, "--layer", "gatv2", "--rounds", "3", *F64, *RANDOM_FLAGS))
    assert not torch.allclose(plain[3], want[3])


@pytest.mark.parametrize("spelling, canonical", [
    ("gcn", "gcn"), ("GCNConv", "gcn"), ("gcn_conv", "gcn"), ("gcn-conv", "gcn"), ("GCN", "gcn"),
    ("GATv2", "gatv2"), ("GATv2Conv", "gatv2"), ("gat_v2", "gatv2"), ("SAGEConv", "sage"), ("Cheb", "cheb"),
    ("APPNP", "appnp"), ("SGConv", "sg"), ("GraphConv", "graphconv"), ("gin", "gin"),
    ("LEConv", "LEConv"), ("le_conv", "LEConv"), ("tag", "TAGConv"),
])
def test_layer_names_resolve(spelling, canonical):
    assert from_mapping({"layer": {"type": spelling}}).layer.type == canonical


def test_class_name_on_the_command_line_runs_the_friendly_layer(karate):
    by_class, meta = cli_rounds(cli("run", KARATE, "--layer", "GCNConv", "--rounds", "2", *F64, *RANDOM_FLAGS))
    by_name, _ = cli_rounds(cli("run", KARATE, "--layer", "gcn", "--rounds", "2", *F64, *RANDOM_FLAGS))
    assert meta["layer"] == "gcn"
    assert all(torch.equal(a, b) for a, b in zip(by_class, by_name, strict=True))  # the same run both times


@pytest.mark.parametrize("typo, closest", [("gatv3", "closest: gatv2, gat"), ("sagee", "closest: sage"),
                                           ("gcnn", "closest: gcn"), ("TransformerConvv", "closest: TransformerConv")])
def test_unknown_layer_lists_the_closest_names(typo, closest):
    out = cli("run", KARATE, "--layer", typo, "--rounds", "1")
    fails(out, 2, f"unknown layer {typo!r}", closest, "gnnprop layers")


def test_typo_of_a_class_name_suggests_the_class():
    out = cli("run", KARATE, "--layer", "GINEConvv", "--rounds", "1")
    fails(out, 2, "unknown layer 'GINEConvv'")
    closest = out.stderr.split("closest: ")[1].split(" (")[0].split(", ")
    assert "GINEConv" in closest


def test_bad_keyword_argument_is_named():
    out = cli("run", KARATE, "--layer", "gat", "--arg", "headz=2", "--rounds", "1")
    fails(out, 2, "'headz'", "GATConv takes no argument", "closest: heads")


def test_bad_keyword_argument_in_yaml_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("layer: {type: gcn, improve: true}\n")
    fails(cli("run", KARATE, "-c", path), 2, str(path), "layer.improve", "GCNConv takes no argument 'improve'",
          "closest: improved")


def test_gin_mlp_cannot_come_from_yaml():
    fails(cli("run", KARATE, "--layer", "gin", "--arg", "nn=1", "--rounds", "1"), 2, "torch module")


def test_layer_needing_a_constructor_argument_is_a_clear_error():
    fails(cli("run", KARATE, "--layer", "RGCNConv", "--rounds", "1"), 2,
          "RGCNConv needs 'num_relations'", "layer: {type: RGCNConv, num_relations: ...}")
    fails(cli("run", KARATE, "--layer", "gmm", "--rounds", "1"), 2, "GMMConv needs 'dim', 'kernel_size'")


def test_layer_needing_an_input_gnnprop_cannot_supply_is_a_clear_error():
    out = cli("run", KARATE, "--layer", "RGCNConv", "--arg", "num_relations=2", "--rounds", "1")
    fails(out, 2, "RGCNConv")


# --- 2. users' own layers ------------------------------------------------------------


@pytest.mark.parametrize("aggr", [None, "mean"])
def test_seed_hand_written_class_equals_builtin_fixed(aggr, karate):
    more = {} if aggr is None else {"aggr": aggr}
    user = session_for(karate, config(seed_layer("self_designed_MessagePassingLayer"), **more))
    builtin = session_for(karate, config("fixed", **more))
    assert user.layer.aggr == (aggr or "max")
    got = rounds(user)
    assert_same(got, rounds(builtin), engine_of(user), engine_of(builtin))
    ref = SeedFixed(aggr=aggr or "max").double()
    assert_same(got, direct(ref, user.x0, edge_index=karate.edge_index), engine_of(user))


def test_seed_nn_class_and_builtin_nn_share_weights_both_ways(tmp_path, graph_files):
    g = graph_files["plain"]
    common = ("--rounds", "3", *F64)
    user = ("--layer", seed_layer("NN_MessagePassingLayer"))
    summed = ("--layer", "nn", "--aggr", "sum")
    to_user, to_builtin = tmp_path / "from_builtin.safetensors", tmp_path / "from_user.safetensors"

    a, meta_a = cli_rounds(cli("run", g, *summed, "--seed", "1", "--save-weights", to_user, *common))
    b, meta_b = cli_rounds(cli("run", g, *user, "--seed", "2", "--weights", to_user, *common))
    assert_same(b, a, engine_of(meta_a), engine_of(meta_b))
    c, meta_c = cli_rounds(cli("run", g, *user, "--seed", "3", "--save-weights", to_builtin, *common))
    d, meta_d = cli_rounds(cli("run", g, *summed, "--seed", "4", "--weights", to_builtin, *common))
    assert_same(d, c, engine_of(meta_c), engine_of(meta_d))
    assert not torch.allclose(a[3], c[3])  # the seeds drew other weights: the files carried them

    # the class as printed sums: gnnprop's nn with its own mean differs, and asking the class for mean changes nothing
    mean, _ = cli_rounds(cli("run", g, "--layer", "nn", "--weights", to_user, *common))
    assert not torch.allclose(mean[3], a[3])
    graph = load_graph(g)
    asked_mean = session_for(graph, config(seed_layer("NN_MessagePassingLayer"), aggr="mean"), weights=to_user)
    assert_same(rounds(asked_mean), a, engine_of(asked_mean), engine_of(meta_a))


def test_seed_nn_class_equals_the_reference_with_sum(graph_files):
    g = load_graph(graph_files["plain"])
    session = session_for(g, config(seed_layer("NN_MessagePassingLayer"), seed=9))
    ref = copied(SeedNN(F, F, F, aggr="sum"), session)
    assert_same(rounds(session), direct(ref, session.x0, edge_index=g.edge_index), engine_of(session))


def test_meta_names_the_aggregation_the_seed_nn_class_really_uses(graph_files):
    _, meta = cli_rounds(cli("run", graph_files["plain"], "--layer", seed_layer("NN_MessagePassingLayer"),
                             "--rounds", "1"))
    assert meta["aggr"] in ("sum", "add")


def test_dynamic_gnn_equals_builtin_residual(tmp_path, graph_files):
    g = load_graph(graph_files["plain"])
    residual = session_for(g, config("residual", seed=1))
    assert residual.config.aggregation() == "sum"
    path = tmp_path / "residual.safetensors"
    save_weights(residual.layer, str(path))
    user = session_for(g, config(seed_layer("DynamicGNN"), seed=2), weights=path)
    got = rounds(user)
    assert_same(got, rounds(residual), engine_of(user), engine_of(residual))
    # one propagation per round: the class called with num_iterations=1 three times, or once with 3
    assert_same(got, direct(user.layer, user.x0, edge_index=g.edge_index, num_iterations=1), engine_of(user))
    with torch.no_grad():
        assert torch.equal(user.layer(user.x0, g.edge_index, num_iterations=3), got[3])


def test_user_layer_gets_the_edge_weights(tmp_path):
    # 0 -> 1 (w 0.5), 2 -> 1 (w 3), 1 -> 0 (w 2); node 2 receives nothing
    path = tmp_path / "weighted.json"
    path.write_text(json.dumps({"x": [[1.0], [2.0], [4.0]], "edge_index": [[0, 2, 1], [1, 1, 0]],
                                "edge_weight": [0.5, 3.0, 2.0]}))
    got, _ = cli_rounds(cli("run", path, "--layer", broken_layer("WeightedSum"), "--rounds", "2", *F64))
    assert [x.tolist() for x in got] == [[[1.0], [2.0], [4.0]], [[4.0], [12.5], [0.0]], [[25.0], [2.0], [0.0]]]


@pytest.mark.parametrize("spec, words", [
    (f"{FIXTURES}/nope.py:Layer", ("no such file", "nope.py")),
    (seed_layer("Nope"), ("has no class 'Nope'", "its MessagePassing classes: self_designed_MessagePassingLayer, "
                                                 "NN_MessagePassingLayer, DynamicGNN")),
    (broken_layer("NotALayer"), ("NotALayer is not a subclass", "MessagePassing")),
    (f"{SEED_LAYERS}:not-a-name", ("expected path/to/file.py:ClassName",)),
], ids=["missing-file", "missing-class", "not-message-passing", "bad-class-name"])
def test_user_layer_errors_are_one_line(spec, words):
    fails(cli("run", KARATE, "--layer", spec, "--rounds", "1"), 2, *words)


def test_user_constructor_argument_that_is_not_there_is_named():
    fails(cli("run", KARATE, "--layer", seed_layer("DynamicGNN"), "--arg", "dropout=0.5", "--rounds", "1"), 2,
          "DynamicGNN.__init__ takes no argument 'dropout'", "in_channels, out_channels")


def test_exception_in_user_layer_shows_their_traceback_then_one_line():
    failing = next(k for k, line in enumerate(BROKEN.read_text().splitlines(), 1) if "# shape bug" in line)
    out = cli("run", KARATE, "--layer", broken_layer("Explodes"), "--rounds", "2")
    assert out.code == 1
    assert out.stdout == ""
    assert out.stderr.startswith("Traceback (most recent call last):\n")
    assert f'broken_layers.py", line {failing}, in message' in out.stderr
    assert "x_j @ torch.ones(x_j.shape[1] + 1, 1)" in out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines[-2].startswith("RuntimeError: ")
    assert lines[-1].startswith("gnnprop: error: ") and "broken_layers.py:Explodes: RuntimeError" in lines[-1]
    assert sum(line.startswith("gnnprop: error:") for line in lines) == 1
    assert str(Path(gnnprop.__file__).parent) not in out.stderr  # none of gnnprop's own frames


# --- 3. edge features -----------------------------------------------------------


def test_gcn_uses_the_graphs_edge_weights(graph_files):
    path = graph_files["weighted"]
    g = load_graph(path)
    assert g.edge_weight is not None
    got, meta = cli_rounds(cli("run", path, "--layer", "gcn", "--rounds", "3", *F64))
    session = session_for(g, config("gcn"))
    ref = copied(GCNConv(F, F), session)
    assert_same(got, direct(ref, g.x, edge_index=g.edge_index, edge_weight=g.edge_weight), engine_of(meta))
    assert not torch.allclose(got[3], direct(ref, g.x, edge_index=g.edge_index)[3])


def test_gat_gets_edge_dim_from_the_graphs_edge_attributes(graph_files):
    path = graph_files["attr"]
    g = load_graph(path)
    assert tuple(g.edge_attr.shape) == (g.num_edges, 2)
    session = session_for(g, config("gat"))
    assert session.layer.edge_dim == 2 and session.layer.lin_edge is not None
    ref = copied(GATConv(F, F, edge_dim=2), session)
    want = direct(ref, g.x, edge_index=g.edge_index, edge_attr=g.edge_attr)
    assert_same(rounds(session), want, engine_of(session))
    got, meta = cli_rounds(cli("run", path, "--layer", "gat", "--rounds", "3", *F64))
    assert_same(got, want, engine_of(meta))
    # the plain graph: no edge_dim, no lin_edge
    assert session_for(load_graph(graph_files["plain"]), config("gat")).layer.lin_edge is None


# --- 4. several aggregations ----------------------------------------------------------


class CatNN(MessagePassing):
    """Seed 000's learned layer with k aggregations concatenated: updateNN takes F + k*H inputs."""

    def __init__(self, f, h, o, aggr):
        super().__init__(aggr=aggr)
        self.messageNN = nn.Linear(2 * f, h)
        self.updateNN = nn.Linear(f + len(aggr) * h, o)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x)

    def message(self, x_i, x_j):
        return self.messageNN(torch.cat((x_i, x_j), dim=-1))

    def update(self, aggr_out, x):
        return self.updateNN(torch.cat((x, aggr_out), dim=-1))


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
          f"cat makes aggr_out 2 x {F} wide", "use aggr_mode sum, mean, max or min")


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


# --- 5. weights ----------------------------------------------------------------


@pytest.mark.parametrize("saved_in", ["float32", "float64"])
@pytest.mark.parametrize("loaded_in", ["float32", "float64"])
@pytest.mark.parametrize("layer", ["nn", "gat"])
def test_saved_weights_reproduce_the_run_that_saved_them(tmp_path, graph_files, layer, saved_in, loaded_in):
    g = graph_files["plain"]
    path = tmp_path / "w.safetensors"
    saver = cli("run", g, "--layer", layer, "--rounds", "3", "--seed", "1", "--save-weights", path,
                "--dtype", saved_in, "-f", "npy", "--last")
    assert saver.code == 0, saver.stderr
    # parameters are drawn in float32 whatever the run's dtype, so they cross dtypes exactly
    same_seed = cli("run", g, "--layer", layer, "--rounds", "3", "--seed", "1", "--dtype", loaded_in, "-f", "npy",
                    "--last")
    loaded = cli("run", g, "--layer", layer, "--rounds", "3", "--seed", "2", "--weights", path,
                 "--dtype", loaded_in, "-f", "npy", "--last")
    other_seed = cli("run", g, "--layer", layer, "--rounds", "3", "--seed", "2", "--dtype", loaded_in, "-f", "npy",
                     "--last")
    want = np.load(_bytes(same_seed))
    assert want.dtype == np.dtype(loaded_in)
    assert np.array_equal(np.load(_bytes(loaded)), want)
    assert not np.array_equal(np.load(_bytes(other_seed)), want)
    if saved_in == loaded_in:
        assert np.array_equal(np.load(_bytes(saver)), want)


def _bytes(out):
    assert out.code == 0, out.stderr
    return io.BytesIO(out.stdout_bytes)


def test_pt_state_dict_of_tensors_loads(tmp_path, graph_files):
    g = load_graph(graph_files["plain"])
    saver = session_for(g, config({"type": "nn", "hidden_dim": 3}, seed=1))
    path = tmp_path / "w.pt"
    torch.save(saver.layer.state_dict(), path)
    loaded = session_for(g, config({"type": "nn", "hidden_dim": 3}, seed=2), weights=path)
    assert all(torch.equal(a, b) for a, b in zip(rounds(loaded), rounds(saver), strict=True))


def _nn_state(graph_file) -> dict[str, torch.Tensor]:
    session = session_for(load_graph(graph_file), config("nn"))
    return {k: v.detach().clone().contiguous() for k, v in session.layer.state_dict().items()}


@pytest.mark.parametrize("change, words", [
    (lambda s: s.pop("updateNN.bias"), ("missing updateNN.bias",)),
    (lambda s: s.update({"extra.weight": torch.zeros(2)}), ("unexpected extra.weight",)),
    (lambda s: s.update({"messageNN.weight": torch.zeros(F, 3)}),
     (f"wrong shape messageNN.weight ({F}, 3) (expected ({F}, {2 * F}))",)),
    (lambda s: (s.pop("messageNN.bias"), s.update({"messageNN.biass": torch.zeros(F)})),
     ("missing messageNN.bias", "unexpected messageNN.biass")),
], ids=["missing", "unexpected", "wrong-shape", "renamed"])
def test_weights_that_do_not_fit_name_the_keys(tmp_path, graph_files, change, words):
    state = _nn_state(graph_files["plain"])
    change(state)
    path = tmp_path / "w.safetensors"
    save_file(state, str(path))
    fails(cli("run", graph_files["plain"], "--layer", "nn", "--rounds", "1", "--weights", path), 1,
          "the weights do not fit the layer", *words)


class _Payload:
    """Unpickling this runs a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def _torch_save(obj, path):
    torch.save(obj, path)


def _pickle_dump(obj, path):
    with open(path, "wb") as f:
        pickle.dump(obj, f)


@pytest.mark.parametrize("write, unsafe_load", [
    (_torch_save, lambda p: torch.load(p, weights_only=False)),
    (_pickle_dump, lambda p: pickle.loads(p.read_bytes())),
], ids=["torch.save", "pickle"])
def test_pt_file_with_a_pickle_payload_is_refused(tmp_path, graph_files, write, unsafe_load):
    marker = tmp_path / "MARKER"
    path = tmp_path / "evil.pt"
    write({"messageNN.weight": _Payload(marker)}, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's pickle-protocol warning: see the next test
        out = cli("run", graph_files["plain"], "--layer", "nn", "--rounds", "1", "--weights", path)
    fails(out, 1, str(path), "refused", "only tensors")
    assert not marker.exists()
    unsafe_load(path)  # the control: loaded without the safe loader, the payload does run
    assert marker.exists()


def test_refusing_a_plain_pickle_prints_only_the_error_line(tmp_path, graph_files):
    path = tmp_path / "evil.pt"
    _pickle_dump({"messageNN.weight": _Payload(tmp_path / "MARKER")}, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = cli("run", graph_files["plain"], "--layer", "nn", "--rounds", "1", "--weights", path)
    fails(out, 1, "refused")
    assert [str(w.message) for w in caught] == []  # outside pytest these go to stderr


def test_pt_file_that_is_not_a_state_dict(tmp_path, graph_files):
    path = tmp_path / "w.pt"
    torch.save(torch.zeros(3), path)
    fails(cli("run", graph_files["plain"], "--layer", "nn", "--rounds", "1", "--weights", path), 1,
          "expected a mapping of parameter names to tensors")


@pytest.mark.parametrize("flag, name, words", [
    ("--weights", "w.bin", ("cannot read weights as .bin",)),
    ("--weights", "weights", ("a file without extension",)),
    ("--save-weights", "w.pt", ("--save-weights writes .safetensors files",)),
    ("--save-weights", "missing/w.safetensors", ("does not exist",)),
], ids=["bin", "no-extension", "save-pt", "save-missing-folder"])
def test_weights_file_extension_and_folder(tmp_path, flag, name, words):
    path = tmp_path / name
    if flag == "--weights":
        path.write_bytes(b"\0")
    fails(cli("run", KARATE, "--layer", "nn", "--rounds", "1", flag, path), 2, *words)


def test_missing_weights_file(tmp_path):
    fails(cli("run", KARATE, "--layer", "nn", "--rounds", "1", "--weights", tmp_path / "no.safetensors"), 1,
          "no such weights file")


# --- 6. inspect on PyG's and users' layers --------------------------------------------


NODES = (0, 11, 33)  # the busiest-but-one node, a node with one neighbour, the busiest node


@pytest.mark.parametrize("name", list(REFERENCES))
def test_inspect_named_layer_equals_run(name, karate):
    cfg = config(name)
    run_rounds = rounds(session_for(karate, cfg))
    ex = explain(session_for(karate, cfg), 33, [1, 3])
    assert [s.round for s in ex.steps] == [1, 3]
    for step in ex.steps:
        assert np.array_equal(step.output, run_rounds[step.round][33].numpy())  # bit for bit
        assert len(step.messages) >= int(karate.in_degree()[33])


def test_inspect_gcn_shows_the_self_loop_and_equals_run(karate):
    cfg = config("gcn")
    run_rounds = rounds(session_for(karate, cfg))
    deg = karate.in_degree()
    for node in NODES:
        session = session_for(karate, cfg)
        ex = explain(session, node, [1, 2, 3])
        assert [s.round for s in ex.steps] == [1, 2, 3]
        for step in ex.steps:
            assert np.array_equal(step.output, run_rounds[step.round][node].numpy())  # bit for bit
            assert np.array_equal(step.x, run_rounds[step.round - 1][node].numpy())
            sources = [m.source for m in step.messages]
            assert len(sources) == int(deg[node]) + 1 and sources.count(node) == 1  # GCN's self loop
            # what the layer aggregated plus its bias is its output (recorded, or replayed when a round was fused)
            assert_same([step.output], [step.aggregated + session.layer.bias.detach().numpy()], engine_of(session))


def test_inspect_user_layer_equals_run(karate):
    cfg = config(seed_layer("DynamicGNN"))
    run_rounds = rounds(session_for(karate, cfg))
    deg = karate.in_degree()
    for node in NODES:
        ex = explain(session_for(karate, cfg), node, [1, 2, 3])
        for step in ex.steps:
            assert np.array_equal(step.output, run_rounds[step.round][node].numpy())  # bit for bit
            assert step.calls == 1  # num_iterations=1
            assert sorted(m.source for m in step.messages) == sorted(
                karate.edge_index[0, karate.edge_index[1] == node].tolist())
            assert len(step.messages) == int(deg[node])
            assert np.array_equal(step.output, step.aggregated + step.x)  # the residual update


@pytest.mark.parametrize("layer", ["gcn", seed_layer("DynamicGNN")],
                         ids=["gcn", "DynamicGNN"])
def test_inspect_json_equals_run_json(layer):
    flags = ("--layer", layer, "--rounds", "3", *F64, *RANDOM_FLAGS)
    ran, _ = cli_rounds(cli("run", KARATE, *flags))
    out = cli("inspect", KARATE, "--node", "33", "--round", "2", *flags, "-f", "json")
    assert out.code == 0, out.stderr
    step = json.loads(out.stdout)["steps"][0]
    assert step["round"] == 2
    assert step["update"]["value"] == ran[2][33].tolist()
    assert step["inputs"]["x"] == ran[1][33].tolist()
