"""The layer zoo: inspect on PyG's and users' layers equals run."""


import json

import numpy as np
import pytest

from gnnprop.tracing import explain

from .clitools import cli
from .zoo import (
    F64,
    KARATE,
    RANDOM_FLAGS,
    REFERENCES,
    assert_same,
    cli_rounds,
    config,
    engine_of,
    rounds,
    seed_layer,
    session_for,
)

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
