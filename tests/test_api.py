"""The Python API: the same numbers and records as the CLI, and PyG / networkx conversion."""

import json

import networkx as nx
import pytest
import torch

import gnnprop
from gnnprop.errors import ConfigError, InputError, UsageError

from .clitools import cli
from .conftest import CONFIGS, ROUND1, ROUND10, SAMPLES, SEED_EDGES, SEED_X
from .reference import SeedFixed
from .test_convert import assert_same

SEED = str(SAMPLES / "seed_example.json")


def test_propagate_gives_the_golden_figures():
    res = gnnprop.propagate(SEED, layer="fixed", aggr="max", rounds=10)
    assert sorted(res.rounds) == list(range(11))
    assert res.rounds[0].tolist() == SEED_X
    assert res.rounds[1].tolist() == ROUND1
    assert res.x.tolist() == ROUND10 and res.x.dtype == torch.float32
    assert res.rounds_run == 10 and res.stop_reason == "10 rounds (static)" and res.converged is None
    assert res.node_ids == [0, 1, 2, 3]
    assert res.meta["layer"] == "fixed" and res.meta["aggr"] == "max" and res.meta["engine"] == "fused"


def test_propagate_matches_pyg_and_the_cli():
    x = torch.tensor(SEED_X)
    ref = SeedFixed("max")
    for _ in range(3):
        x = ref(x, torch.tensor(SEED_EDGES))
    res = gnnprop.propagate(SEED, rounds=3, engine="reference")
    assert torch.equal(res.x, x)
    out = cli("run", SEED, "--rounds", "3", "-f", "json")
    assert [r["x"] for r in json.loads(out.stdout)["rounds"]] == [res.rounds[r].tolist() for r in range(4)]


def test_keep_last_and_converge():
    res = gnnprop.propagate(SEED, keep="last", rounds=5, dtype="float64")
    assert list(res.rounds) == [5] and res.x.dtype == torch.float64
    conv = gnnprop.propagate(str(SAMPLES / "karate.json"), CONFIGS / "converge.yaml")
    assert conv.converged is True and conv.stop_reason.startswith("converged after")
    assert len(conv.deltas) == conv.rounds_run and conv.deltas[-1] <= 1e-6


def test_config_forms_and_overrides():
    from_yaml = gnnprop.make_config(CONFIGS / "nn_mean.yaml")
    from_map = gnnprop.make_config({"layer": {"type": "nn"}, "aggr": "mean"})
    assert from_yaml.layer.type == from_map.layer.type == "nn"
    cfg = gnnprop.make_config(from_map, aggr=["mean", "max"], rounds=1, dtype="float64")
    assert cfg.aggr == ["mean", "max"] and cfg.rounds.n == 1 and from_map.aggr == "mean"  # the input is not changed
    a = gnnprop.propagate(SEED, cfg)
    b = gnnprop.propagate(SEED, {"layer": {"type": "nn"}, "aggr": ["mean", "max"], "rounds": 1, "dtype": "float64"})
    assert torch.equal(a.x, b.x) and a.x.shape == (4, 2)
    with pytest.raises(UsageError, match="unknown keyword argument 'layr'; did you mean layer"):
        gnnprop.propagate(SEED, layr="gcn")
    with pytest.raises(ConfigError, match="aggr"):
        gnnprop.propagate(SEED, aggr="maximum-ish")
    with pytest.raises(UsageError, match="keep"):
        gnnprop.propagate(SEED, keep="some")
    with pytest.raises(UsageError, match="expected a path"):
        gnnprop.propagate(42)
    with pytest.raises(ConfigError, match="no such config file"):
        gnnprop.propagate(SEED, "missing.yaml")


def test_explain_is_inspects_record():
    rec = gnnprop.explain(SEED, node=0, round=1)
    out = cli("inspect", SEED, "--node", "0", "--round", "1", "-f", "json")
    assert rec == json.loads(out.stdout) | {"meta": rec["meta"]}  # meta holds the run time
    step = rec["steps"][0]
    assert [m["value"] for m in step["messages"]] == [[3.0, 4.0], [13.0, 8.0]]
    assert step["aggregation"]["value"] == [13.0, 8.0] and step["update"]["value"] == [12.5, 8.0]
    several = gnnprop.explain(SEED, node="2", round=[1, 3], rounds=3)
    assert [s["round"] for s in several["steps"]] == [1, 3]
    with pytest.raises(InputError, match="no node with id '9'"):
        gnnprop.explain(SEED, node=9)


def test_pyg_round_trip():
    g = gnnprop.load_graph(str(SAMPLES / "path3.json"))
    data = gnnprop.to_pyg(g)
    assert torch.equal(data.edge_index, g.edge_index) and torch.equal(data.x, g.x)
    assert_same(g, gnnprop.from_pyg(data))
    a = gnnprop.propagate(data, layer="gcn", rounds=2)
    b = gnnprop.propagate(g, layer="gcn", rounds=2)
    assert torch.equal(a.x, b.x)
    res = gnnprop.propagate(g, rounds=1)
    assert torch.equal(gnnprop.to_pyg(g, x=res.x).x, res.x)
    from torch_geometric.data import Data

    with pytest.raises(InputError, match="node indices must lie in 0..1"):
        gnnprop.from_pyg(Data(edge_index=torch.tensor([[0], [5]]), num_nodes=2))


def test_networkx_round_trip_and_karate():
    karate = gnnprop.from_networkx(nx.karate_club_graph())
    sample = gnnprop.load_graph(str(SAMPLES / "karate.csv"))
    assert karate.num_nodes == sample.num_nodes == 34
    assert sorted(map(tuple, karate.edge_index.T.tolist())) == sorted(map(tuple, sample.edge_index.T.tolist()))
    assert karate.edge_weight is not None  # the club graph's edges carry a weight
    g = gnnprop.load_graph(SEED)
    back = gnnprop.from_networkx(gnnprop.to_networkx(g))  # edges come back in networkx's adjacency order
    assert back.node_ids == g.node_ids and torch.equal(back.x, g.x)
    assert sorted(map(tuple, back.edge_index.T.tolist())) == sorted(map(tuple, g.edge_index.T.tolist()))
    assert torch.equal(gnnprop.propagate(back, rounds=10).x, gnnprop.propagate(g, rounds=10).x)
    w = gnnprop.from_networkx(gnnprop.to_networkx(gnnprop.load_graph(str(SAMPLES / "ca-grqc.txt"))))
    assert w.num_nodes == 5242 and w.num_edges == 28980
    G = nx.DiGraph()
    G.add_node("a", x=[1.0])
    G.add_node("b")
    with pytest.raises(InputError, match="node at position 1 has no 'x'"):
        gnnprop.from_networkx(G)


def test_save_graph(tmp_path):
    g = gnnprop.load_graph(SEED)
    gnnprop.save_graph(g, tmp_path / "g.csv", nodes_path=tmp_path / "n.csv")
    assert_same(g, gnnprop.load_graph(str(tmp_path / "g.csv"), node_features=str(tmp_path / "n.csv")))
    with pytest.raises(UsageError, match="would lose data"):
        gnnprop.save_graph(g, tmp_path / "h.csv")


def test_the_python_page_examples_run(tmp_path, monkeypatch):
    """docs/python.md's examples (its Spark example runs in tests/test_spark.py)."""
    import re

    from .conftest import ROOT

    page = (ROOT / "docs" / "python.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", page, re.S) if 'engine="spark"' not in b]
    assert len(blocks) == 2
    for name in ("sample_graphs", "configs"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(blocks[0], scope)
    assert scope["res"].rounds_run == 167 and scope["res"].converged is True
    assert scope["rec"]["steps"][0]["messages"][1]["value"] == [13.0, 8.0]
    assert gnnprop.load_graph("seed.csv", node_features="seed.nodes.csv").num_nodes == 4
    exec(blocks[1], {"print": lambda *a: None})


def test_library_errors_name_keywords_and_the_cli_names_flags():
    """The library speaks in settings (keys); the CLI's one handler turns them into its flags."""
    from gnnprop.cli.app import cli_message
    from gnnprop.errors import RunError

    with pytest.raises(UsageError) as e:
        gnnprop.explain(SEED, node=0, round=11)
    assert e.value.key == "round" and str(e.value).startswith("round: round 11 is beyond the run")
    assert cli_message(e.value).startswith("--round: round 11 is beyond the run")
    with pytest.raises(ConfigError) as e:
        gnnprop.make_config(aggr="maximum")
    assert str(e.value).startswith("aggr (aggr): unknown aggregation 'maximum'")
    with pytest.raises(RunError) as e:
        gnnprop.propagate(SEED, rounds=200)
    assert "try dtype='float64' or fewer rounds, or allow_nonfinite=True" in str(e.value)
    assert "try --dtype float64 or fewer rounds, or --allow-nonfinite" in cli_message(e.value)
    assert "--" not in str(e.value)
