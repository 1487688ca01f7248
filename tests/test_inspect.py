"""`gnnprop inspect`: the seed's hand derivation, and agreement with `run` for every layer and aggregation."""

import json

import numpy as np
import pytest
import torch

from gnnprop.aggregation import AGGREGATIONS
from gnnprop.configure import from_mapping
from gnnprop.tracing import explain
from gnnprop.engine.session import prepare

from .clitools import cli, fails
from .conftest import CONFIGS, ROOT, SAMPLES, random_graph

SEED = str(SAMPLES / "seed_example.json")
GOLDEN = ROOT / "tests" / "golden"


def test_seed_node_0_round_1_terminal_golden():
    out = cli("inspect", SEED, "--node", "0", tty=True)
    assert out.code == 0 and out.stderr == ""
    assert out.stdout == (GOLDEN / "inspect_seed_node0_round1.txt").read_text()
    for line in ["from node 1: 0.5*(6, 4) + 2*(0, 1) = (3, 4)",
                 "from node 2: 0.5*(6, 4) + 2*(5, 3) = (13, 8)",
                 "max -> (13, 8)",
                 "(6, 4) + 0.5*(13, 8) = (12.5, 8)"]:
        assert line in out.stdout


def test_seed_node_0_round_1_json():
    out = cli("inspect", SEED, "--node", "0")
    doc = json.loads(out.stdout)
    assert doc["node"] == 0 and doc["layer"] == "fixed" and doc["aggr"] == "max"
    assert doc["steps"] == json.loads((GOLDEN / "inspect_seed_node0_round1.json").read_text())
    step = doc["steps"][0]
    assert step["round"] == 1 and step["inputs"]["x"] == [6.0, 4.0]
    assert [(m["from"], m["value"]) for m in step["messages"]] == [(1, [3.0, 4.0]), (2, [13.0, 8.0])]
    assert step["messages"][0]["inputs"] == {"x_i": [6.0, 4.0], "x_j": [0.0, 1.0]}
    assert step["aggregation"] == {"op": "max", "value": [13.0, 8.0], "count": 2, "argmax": [2, 2],
                                   "check": {"exact": True}}
    assert step["update"] == {"inputs": {"x": [6.0, 4.0], "aggr_out": [13.0, 8.0]}, "value": [12.5, 8.0],
                              "check": {"exact": True}}
    assert step["computed_by"] == "fused" and step["labels"] == {}
    assert doc["plan"] == {"mode": "static", "explanation": "10 rounds (static)", "rounds": 10}


def _run_value(g, cfg, r, pos):
    session = prepare(g, from_mapping(cfg))
    for result in session.propagate():
        if result.round == r:
            return result.x[pos]


LAYERS = [{"type": "fixed"}, {"type": "fixed", "message": "relu(x_j - x_i) * 0.5", "update": "tanh(x) + aggr_out"},
          {"type": "nn", "hidden_dim": 3}, {"type": "residual"}]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda l: l["type"] + ("-custom" if "message" in l else ""))
@pytest.mark.parametrize("aggr", list(AGGREGATIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("engine", ["reference", "auto"])
def test_inspect_equals_run(layer, aggr, dtype, engine):
    g = random_graph(6, f=3)
    g.x = g.x * 0.25  # keep products (mul) finite over 3 rounds
    cfg = {"layer": layer, "aggr": aggr, "dtype": dtype, "rounds": 3, "seed": 2, "engine": engine}
    deg = g.in_degree()
    for pos in (int(deg.argmax()), g.num_nodes - 1, 1):  # busiest node, a node with no incoming edge, a self loop
        ex = explain(prepare(g, from_mapping(cfg)), pos, [1, 2, 3])
        for step in ex.steps:
            want = _run_value(g, cfg, step.round, pos).numpy()
            assert np.array_equal(step.output, want)  # bit for bit
            assert len(step.messages) == int(deg[pos])
            if step.round > 1:
                assert np.array_equal(step.x, _run_value(g, cfg, step.round - 1, pos).numpy())


def test_node_without_incoming_edges():
    g = random_graph(0)
    last = g.num_nodes - 1
    ex = explain(prepare(g, from_mapping({"aggr": "max"})), last, [1])
    step = ex.steps[0]
    assert step.messages == [] and step.aggregated.tolist() == [0.0, 0.0, 0.0]
    out = cli("inspect", SEED, "--node", "0", "--message", "x_j", "--update", "aggr_out", tty=True)
    assert out.code == 0


def test_isolated_node_text(tmp_path):
    p = tmp_path / "g.json"
    p.write_text(json.dumps({"x": [[1.0], [2.0], [3.0]], "edge_index": [[0], [1]]}))
    out = cli("inspect", str(p), "--node", "2", "--aggr", "sum", tty=True)
    assert "no incoming edges" in out.stdout
    assert "no incoming messages: sum of nothing is (0)" in out.stdout


def test_mean_shows_sum_and_count():
    out = cli("inspect", SEED, "--node", "2", "--aggr", "mean", tty=True)
    assert "mean -> " in out.stdout and "/ 3 messages" in out.stdout


def test_numeric_trace_for_nn_and_residual():
    out = cli("inspect", SEED, "--node", "2", "--layer", "nn", tty=True)
    assert "m_ij = W_m [x_i || x_j] + b_m   (W_m: 2 x 4" in out.stdout
    assert "from node 0: x_i = (5, 3), x_j = (6, 4) -> (" in out.stdout
    out = cli("inspect", str(SAMPLES / "path3.json"), "--node", "1", "-c", str(CONFIGS / "dynamic_seed.yaml"),
              "--all-rounds", "-f", "json")
    doc = json.loads(out.stdout)
    assert [s["round"] for s in doc["steps"]] == [1, 2, 3]
    assert doc["plan"]["mode"] == "rule" and doc["plan"]["condition"] is True
    assert doc["plan"]["values"]["mean(x)"] == pytest.approx(0.0258584, rel=1e-5)


def test_dynamic_rounds_explained_first():
    out = cli("inspect", str(SAMPLES / "path3.json"), "--node", "0", "-c", str(CONFIGS / "dynamic_seed.yaml"), tty=True)
    plan = out.stdout.split("node 0, round")[0].splitlines()  # wrapped between fields at the terminal's width
    assert all(len(line) <= 100 for line in plan)
    assert " ".join(plan).endswith("; rounds: rule mean(x) = 0.0258584 > 0 -> 3 rounds")
    out = cli("inspect", SEED, "--node", "0", "-c", str(CONFIGS / "converge.yaml"), "--all-rounds", "-f", "json")
    doc = json.loads(out.stdout)
    changes = doc["plan"]["max_change"]
    assert doc["plan"]["converged"] is True and changes[-1] <= 1e-6 < changes[-2]
    assert len(doc["steps"]) == len(changes)


def test_many_neighbours_are_summarised_but_json_has_all():
    out = cli("inspect", str(SAMPLES / "karate.json"), "--node", "33", "--max-messages", "5", tty=True)
    assert "… and 12 more messages" in out.stdout
    assert out.stdout.count("── from node ") == 5
    doc = json.loads(cli("inspect", str(SAMPLES / "karate.json"), "--node", "33", "--max-messages", "5").stdout)
    assert len(doc["steps"][0]["messages"]) == 17


def test_unknown_node_and_round_out_of_range():
    fails(cli("inspect", SEED, "--node", "7"), 1, "no node with id '7'", "the nodes are: 0, 1, 2, 3")
    fails(cli("inspect", SEED, "--node", "0", "--round", "11"), 2, "round 11", "the config runs 10 rounds")
    fails(cli("inspect", SEED, "--node", "0", "--round", "0"), 2, "round 0 is the input")
    fails(cli("inspect", SEED, "--node", "0", "-c", str(CONFIGS / "converge.yaml"), "--round", "150"), 2,
          "stopped after", "converged")


def test_inspect_does_not_change_the_layer():
    g = random_graph(1, f=3)
    session = prepare(g, from_mapping({"layer": {"type": "nn"}}))
    explain(session, 0, [1, 2])
    for hooks in ("_propagate_forward_pre_hooks", "_message_forward_hooks", "_aggregate_forward_hooks",
                  "_propagate_forward_hooks"):
        assert len(getattr(session.layer, hooks)) == 0
    torch.testing.assert_close(session.layer(g.x.float(), g.edge_index), session.layer(g.x.float(), g.edge_index))


def test_edge_weight_is_substituted(tmp_path):
    p = tmp_path / "w.json"
    p.write_text(json.dumps({"x": [[1.0, 2.0], [3.0, 4.0]], "edge_index": [[1], [0]], "edge_weight": [0.5]}))
    out = cli("inspect", str(p), "--node", "0", "--message", "edge_weight * x_j", "--aggr", "sum", tty=True)
    assert "from node 1: 0.5*(3, 4) = (1.5, 2)" in out.stdout
    doc = json.loads(cli("inspect", str(p), "--node", "0", "--message", "edge_weight * x_j").stdout)
    assert doc["steps"][0]["messages"][0]["inputs"]["edge_weight"] == [0.5]


def test_inspect_from_a_runs_parquet_rounds_equals_inspect(tmp_path):
    """inspect --from-run reads round R-1's rows of the node and its in-neighbours from a run's
    Parquet rounds and shows the derivation inspect computes, without recomputing the rounds."""
    pytest.importorskip("pyarrow")
    karate = str(SAMPLES / "karate.json")
    flags = ["--features", "random", "--feature-dim", "3", "--aggr", "mean", "--rounds", "3", "--dtype", "float64"]
    out = tmp_path / "run"
    assert cli("run", karate, *flags, "-f", "parquet", "-o", f"{out}/").code == 0
    for node, r in (("33", 2), ("0", 1), ("11", 3)):
        want = json.loads(cli("inspect", karate, *flags, "--node", node, "--round", str(r), "-f", "json").stdout)
        got = cli("inspect", karate, *flags, "--node", node, "--round", str(r), "-f", "json", "--from-run", str(out))
        assert got.code == 0, got.stderr
        got = json.loads(got.stdout)
        assert [s.pop("computed_by") for s in got["steps"]] == ["replay"]  # from the run's rows, computed again
        assert [s.pop("computed_by") for s in want["steps"]] == ["fused"]  # in the run itself
        assert got["steps"] == want["steps"] and got["formulas"] == want["formulas"]
        assert got["meta"]["from_run"] == str(out)
    text = cli("inspect", karate, *flags, "--node", "33", "--round", "2", "--from-run", str(out), tty=True).stdout
    assert text.startswith(f"from the run in {out}") and "node 33, round 2" in text
    every = tmp_path / "every"
    assert cli("run", karate, *flags, "--every", "2", "-f", "parquet", "-o", f"{every}/").code == 0
    fails(cli("inspect", karate, *flags, "--node", "0", "--round", "2", "--from-run", str(every)), 2,
          "--from-run", "has no round 1", "rounds kept: 0, 2, 3")
    fails(cli("inspect", karate, "--layer", "gcn", "--node", "0", "--from-run", str(out)), 2,
          "--layer (layer.type): gcn is not what the run in", "used (layer.type: fixed)")
    gcn = tmp_path / "gcn"
    assert cli("run", karate, "--layer", "gcn", "--rounds", "2", "-o", f"{gcn}/").code == 0
    fails(cli("inspect", "--node", "0", "--from-run", str(gcn)), 2, "only gnnprop's own layers")
    fails(cli("inspect", karate, *flags, "--node", "0", "--from-run", str(tmp_path / "nope")), 2,
          "nope: no such folder")
