"""Small truths: what std and var compute, converge verdicts in inspect, the overflow hint."""

from __future__ import annotations

import json
import math

import pytest

from .clitools import cli, fails
from .conftest import CONFIGS, SAMPLES

KARATE = str(SAMPLES / "karate.json")
SEED = str(SAMPLES / "seed_example.json")


def _star(tmp_path, values):
    """Nodes 0..k-1 with one feature each, all sending to node k (x = 0)."""
    k = len(values)
    g = tmp_path / "star.json"
    g.write_text(json.dumps({"x": [[v] for v in values] + [[0.0]],
                             "edge_index": [list(range(k)), [k] * k]}))
    return g


def _node_value(g, aggr, node):
    out = cli("run", str(g), "--message", "x_j", "--update", "aggr_out", "--aggr", aggr, "--rounds", "1",
              "--last", "--dtype", "float64", "-f", "json")
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)["rounds"][0]["x"][node][0]


def test_aggr_var_is_the_population_variance_and_std_its_root(tmp_path):
    g = _star(tmp_path, [1.0, 2.0, 3.0])
    assert _node_value(g, "var", 3) == pytest.approx(2 / 3, rel=1e-12)  # sum of squares 2, divided by 3 (not 2)
    assert _node_value(g, "std", 3) == pytest.approx(math.sqrt(2 / 3), rel=1e-12)


def test_aggr_std_reads_0_below_sqrt_1e_5_but_var_does_not(tmp_path):
    g = _star(tmp_path, [1.0, 1.001, 1.002])  # population std 0.000816, under sqrt(1e-5) = 0.00316
    assert _node_value(g, "std", 3) == 0.0
    assert _node_value(g, "var", 3) == pytest.approx(2e-6 / 3, rel=1e-6)
    g = _star(tmp_path, [1.0, 1.01])  # std 0.005: above the cut, unchanged by the clamp
    assert _node_value(g, "std", 2) == pytest.approx(0.005, rel=1e-9)


def test_rule_std_is_the_sample_std_of_every_value(tmp_path):
    g = tmp_path / "g.json"  # x = 1, 2, 3, 0: sample std sqrt(5/3) = 1.29, population sqrt(5/4) = 1.118
    g.write_text(json.dumps({"x": [[1.0], [2.0], [3.0], [0.0]], "edge_index": [[0, 1, 2], [3, 3, 3]]}))
    c = tmp_path / "c.yaml"
    c.write_text('rounds: {mode: rule, if: "std(x) > 1.2", then: 3, else: 1}\n')
    out = cli("run", str(g), "-c", str(c), "--last", "-f", "json")
    assert json.loads(out.stdout)["meta"]["rounds_run"] == 3


def test_layers_says_what_std_and_var_compute():
    text = cli("layers").stdout
    std = next(line for line in text.splitlines() if line.split()[:2] == ["aggr", "std"])
    var = next(line for line in text.splitlines() if line.split()[:2] == ["aggr", "var"])
    assert "StdAggregation" in std and "sqrt(max(var, 1e-5))" in std and "0.00316" in std
    assert "population variance" in var and "divides by N" in var
    rule = next(line for line in text.splitlines() if line.split()[:2] == ["rule", "std(x)"])
    assert "sample standard deviation" in rule and "N*F - 1" in rule


def _plan(*args):
    out = cli("inspect", KARATE, "-c", str(CONFIGS / "converge.yaml"), "--features", "degree", "--node", "0",
              "-f", "json", *args)
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)["plan"]


def test_inspect_at_the_round_a_converge_run_stops_says_converged():
    assert _plan("--round", "167")["converged"] is True  # the run stops after round 167 (see run's meta)
    assert _plan("--round", "20")["converged"] is None  # not known yet at round 20
    assert _plan("--all-rounds")["converged"] is True


def test_inspect_at_max_rounds_without_converging_says_not_converged(tmp_path):
    c = tmp_path / "c.yaml"
    c.write_text("layer: {type: fixed, message: x_j, update: '0.5 * x + 0.5 * aggr_out'}\naggr: mean\n"
                 "rounds: {mode: converge, tol: 1.0e-12, max_rounds: 4}\n")
    out = cli("inspect", KARATE, "-c", str(c), "--features", "degree", "--node", "0", "--round", "4", "-f", "json")
    assert json.loads(out.stdout)["plan"]["converged"] is False


def test_overflow_in_float64_does_not_suggest_float64():
    out = cli("run", SEED, "--rounds", "1000", "--dtype", "float64")
    fails(out, 1, "became inf", "float64 overflow", "fewer rounds", "--allow-nonfinite")
    assert "--dtype float64" not in out.stderr
    fails(cli("run", SEED, "--rounds", "300"), 1, "float32 overflow", "try --dtype float64 or fewer rounds")
