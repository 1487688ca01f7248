"""The layer zoo: PyG's convolutions by name, with their keyword arguments and the graph's edge features."""


from dataclasses import replace

import pytest
import torch
from torch import nn
from torch_geometric.nn import GATConv, GATv2Conv, GCNConv

from gnnprop.configure import from_mapping, load_config
from gnnprop.engine.session import prepare
from gnnprop.io import load_graph

from .clitools import cli, fails
from .zoo import (
    F64,
    KARATE,
    RANDOM_FLAGS,
    REFERENCES,
    F,
    assert_same,
    cli_rounds,
    config,
    copied,
    direct,
    engine_of,
    rounds,
    session_for,
)

# --- 1. PyG's layers by name ---------------------------------------------------------


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


def test_layer_needing_a_constructor_argument_is_a_clear_error(graph_files):
    fails(cli("run", KARATE, "--layer", "GatedGraphConv", "--rounds", "1"), 2,
          "GatedGraphConv needs layer.num_layers", "layer: {type: GatedGraphConv, num_layers: ...}")
    fails(cli("run", KARATE, "--layer", "gmm", "--rounds", "1"), 2, "GMMConv needs edge attributes")
    # the width of the edge attributes (GMMConv's dim) comes from the graph; the kernel size does not
    fails(cli("run", graph_files["attr"], "--layer", "gmm", "--rounds", "1"), 2, "GMMConv needs layer.kernel_size")


def test_layer_needing_an_input_gnnprop_cannot_supply_is_a_clear_error():
    out = cli("run", KARATE, "--layer", "RGCNConv", "--arg", "num_relations=2", "--rounds", "1")
    fails(out, 2, "RGCNConv cannot run in gnnprop", "a type per edge (edge_type)")



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
