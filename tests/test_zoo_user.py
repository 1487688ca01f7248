"""The layer zoo: users' own MessagePassing classes (the seed documents' classes pasted unchanged)."""


import json
from pathlib import Path

import pytest
import torch

import gnnprop
from gnnprop.io import load_graph
from gnnprop.weights import save_weights

from .clitools import cli, fails
from .reference import SeedFixed, SeedNN
from .zoo import (
    BROKEN,
    F64,
    FIXTURES,
    KARATE,
    SEED_LAYERS,
    F,
    assert_same,
    broken_layer,
    cli_rounds,
    config,
    copied,
    direct,
    engine_of,
    rounds,
    seed_layer,
    session_for,
)

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
