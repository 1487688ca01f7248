"""gnnprop's layers and rounds against the golden figures and against plain PyG."""

import re

import pytest
import torch

from gnnprop.aggregation import AGGREGATIONS
from gnnprop.configure import from_mapping
from gnnprop.errors import ConfigError, RunError
from gnnprop.engine.session import prepare

from .conftest import ROUND1, ROUND10, random_graph, seed_graph
from .reference import SeedDynamic, SeedFixed, SeedNN, SeedNNVerbatim


def run(graph, **cfg):
    """Propagate on the reference engine (PyG's own propagate) unless the test says otherwise."""
    cfg.setdefault("engine", "reference")
    session = prepare(graph, from_mapping(cfg))
    results = list(session.propagate())
    return session, results


def test_seed_round_1_exact():
    _, results = run(seed_graph(), rounds=1)
    assert results[0].x.tolist() == [[6.0, 4.0], [0.0, 1.0], [5.0, 3.0], [1.0, 2.0]]
    assert results[1].x.dtype == torch.float32
    assert results[1].x.tolist() == ROUND1


def test_seed_round_10_is_what_the_code_computes():
    _, results = run(seed_graph(), rounds=10)
    assert len(results) == 11
    assert results[-1].x.tolist() == ROUND10


def test_seed_round_10_float64_differs_only_by_rounding():
    _, results = run(seed_graph(), rounds=10, dtype="float64")
    assert torch.allclose(results[-1].x, torch.tensor(ROUND10, dtype=torch.float64), rtol=1e-5)


def _ref_rounds(layer, x, ei, n):
    out = [x]
    with torch.no_grad():
        for _ in range(n):
            x = layer(x, ei)
            out.append(x)
    return out


@pytest.mark.parametrize("aggr", list(AGGREGATIONS))
@pytest.mark.parametrize("gseed", [0, 1, 2])
def test_fixed_matches_pyg(aggr, gseed):
    g = random_graph(gseed)
    ref = SeedFixed(aggr=aggr).double()
    _, results = run(g, rounds=3, aggr=aggr, dtype="float64")
    expected = _ref_rounds(ref, g.x, g.edge_index, 3)
    for got, want in zip(results, expected):
        assert torch.equal(got.x, want)


@pytest.mark.parametrize("aggr", list(AGGREGATIONS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nn_matches_pyg(aggr, dtype):
    g = random_graph(3, f=4)
    session, results = run(g, layer={"type": "nn", "hidden_dim": 5}, rounds=2, aggr=aggr, dtype=dtype, seed=7)
    ref = SeedNN(4, 5, 4, aggr=aggr).to(session.dtype)
    ref.load_state_dict(session.layer.state_dict())
    expected = _ref_rounds(ref, g.x.to(session.dtype), g.edge_index, 2)
    for got, want in zip(results, expected):
        if dtype == "float64":
            assert torch.equal(got.x, want)
        else:
            assert torch.allclose(got.x, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("aggr", list(AGGREGATIONS))
def test_residual_matches_seed_dynamic(aggr):
    g = random_graph(4, f=3)
    session, results = run(g, layer={"type": "residual"}, rounds=3, aggr=aggr, dtype="float64", seed=3)
    ref = SeedDynamic(3, 3, aggr=aggr).double()
    ref.load_state_dict(session.layer.state_dict())
    with torch.no_grad():
        want = ref(g.x, g.edge_index, 3)
    assert torch.equal(results[-1].x, want)


def test_nn_default_aggregation_is_mean_and_seed_class_as_printed_sums():
    g = random_graph(5, f=2)
    session, results = run(g, layer={"type": "nn"}, rounds=1, dtype="float64")
    assert session.config.aggregation() == "mean"
    verbatim = SeedNNVerbatim(2, 2, 2).double()
    verbatim.load_state_dict(session.layer.state_dict())
    _, summed = run(g, layer={"type": "nn"}, rounds=1, dtype="float64", aggr="sum")
    with torch.no_grad():
        assert torch.equal(verbatim(g.x, g.edge_index), summed[1].x)
        assert not torch.equal(verbatim(g.x, g.edge_index), results[1].x)


def test_isolated_node_aggregates_to_zero():
    g = random_graph(0)
    _, results = run(g, rounds=1, aggr="max", dtype="float64")
    last = g.num_nodes - 1  # receives nothing: update is x + 0.5 * 0
    assert torch.equal(results[1].x[last], g.x[last])


def test_parameters_are_reproducible_from_the_seed():
    g = random_graph(1, f=3)
    a = run(g, layer={"type": "nn"}, rounds=2, seed=11)[1][-1].x
    b = run(g, layer={"type": "nn"}, rounds=2, seed=11)[1][-1].x
    c = run(g, layer={"type": "nn"}, rounds=2, seed=12)[1][-1].x
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_residual_width_mismatch_is_a_config_error_before_running():
    with pytest.raises(ConfigError, match="widths must match.*project"):
        run(random_graph(0, f=16), layer={"type": "residual", "out_dim": 32}, rounds=3)


def test_residual_projection_runs_one_round_but_not_three():
    g = random_graph(0, f=4)
    session, results = run(g, layer={"type": "residual", "out_dim": 6, "project": True}, rounds=1)
    assert results[-1].x.shape == (g.num_nodes, 6)
    with pytest.raises(ConfigError, match="can run only 1 round"):
        run(g, layer={"type": "residual", "out_dim": 6, "project": True}, rounds=3)


def test_nn_width_change_blocks_more_rounds():
    with pytest.raises(ConfigError, match="width 3 to width 2.*only 1 round"):
        run(random_graph(0, f=3), layer={"type": "nn", "out_dim": 2}, rounds=2)


def test_rule_rounds_follow_the_mean():
    g = random_graph(2, f=2)
    g.x = g.x.abs() + 0.1
    session, results = run(g, layer={"type": "residual"}, rounds={"mode": "rule", "if": "mean(x) > 0",
                                                                   "then": 3, "else": 1})
    assert session.propagation.rounds_run == 3
    assert session.plan.explanation.startswith("rule mean(x) = ")
    assert session.plan.explanation.endswith("> 0 -> 3 rounds")
    g.x = -g.x
    session, _ = run(g, layer={"type": "residual"}, rounds={"mode": "rule", "if": "mean(x) > 0",
                                                            "then": 3, "else": 1})
    assert session.propagation.rounds_run == 1
    assert "is false -> 1 round" in session.propagation.stop_reason


def test_rule_with_graph_statistics():
    g = seed_graph()
    session, _ = run(g, rounds={"mode": "rule", "if": "num_nodes == 4 and max_degree >= 3 and density < 1",
                                "then": 2, "else": 5})
    assert session.propagation.rounds_run == 2
    assert "num_nodes = 4 == 4" in session.plan.explanation
    assert "max_degree = 3 >= 3" in session.plan.explanation


def test_converge_stops_at_first_round_within_tol():
    g = seed_graph()
    session, results = run(g, layer={"type": "fixed", "message": "x_j", "update": "0.5 * x + 0.5 * aggr_out"},
                           aggr="mean", dtype="float64", rounds={"mode": "converge", "tol": "1e-6", "max_rounds": 500})
    p = session.propagation
    assert p.converged is True
    assert p.deltas[-1] <= 1e-6 < p.deltas[-2]
    assert p.rounds_run == len(results) - 1
    assert p.stop_reason.startswith(f"converged after {p.rounds_run} rounds")


def test_converge_reports_hitting_max_rounds():
    session, _ = run(seed_graph(), rounds={"mode": "converge", "tol": 1e-6, "max_rounds": 4})
    p = session.propagation
    assert p.converged is False and p.rounds_run == 4
    assert "did not converge: hit max_rounds = 4" in p.stop_reason


def test_overflow_stops_naming_round_and_node():
    with pytest.raises(RunError, match=r"round \d+: node \d+ feature \d+ became inf.*dtype='float64'") as e:
        run(seed_graph(), rounds=200)
    # the library names API keywords; the CLI's handler names its flags
    from gnnprop.cli.app import cli_message

    assert re.search(r"round \d+: node \d+ feature \d+ became inf.*--dtype float64.*--allow-nonfinite",
                     cli_message(e.value))


def test_edge_weight_reaches_the_fixed_layer():
    g = seed_graph()
    g.edge_weight = torch.arange(1, 9, dtype=torch.float64)
    _, results = run(g, layer={"type": "fixed", "message": "edge_weight * x_j", "update": "aggr_out"},
                     aggr="sum", rounds=1, dtype="float64")
    want = torch.zeros(4, 2, dtype=torch.float64).index_add_(0, g.edge_index[1], g.edge_weight[:, None] * g.x[g.edge_index[0]])
    assert torch.equal(results[1].x, want)


def test_constant_message_broadcasts():
    _, results = run(seed_graph(), layer={"type": "fixed", "message": "1", "update": "aggr_out"}, aggr="sum",
                     rounds=1, dtype="float64")
    assert results[1].x.tolist() == [[2.0, 2.0], [2.0, 2.0], [3.0, 3.0], [1.0, 1.0]]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    g = random_graph(0, f=3)
    for layer in ("fixed", "nn", "residual"):
        cpu = run(g, layer={"type": layer}, rounds=2, dtype="float64", device="cpu")[1][-1].x
        gpu = run(g, layer={"type": layer}, rounds=2, dtype="float64", device="cuda")[1][-1].x
        assert gpu.device.type == "cuda"
        assert torch.allclose(cpu, gpu.cpu(), rtol=1e-12, atol=1e-12)
