"""The expression whitelist and the typed config."""

import pytest

from gnnprop import expr
from gnnprop.config import dump_yaml, parse_yaml
from gnnprop.configure import apply_overrides, from_mapping, load_config
from gnnprop.errors import ConfigError


@pytest.mark.parametrize("text, words", [
    ("__import__('os').system('touch /tmp/pwned')", ["calling", "column 1"]),
    ("__import__('os')", ["function '__import__'", "column 1"]),
    ("x_i.__class__", ["attribute access"]),
    ("open('f')", ["function 'open'"]),
    ("lambda: 1", ["a lambda"]),
    ("[v for v in x_i]", ["a comprehension"]),
    ("x_i ** 2", ["operator '**' (Pow) at column 5", "use + - * /"]),
    ("x_i % 2", ["operator '%' (Mod) at column 5"]),
    ("x_i[0]", ["indexing"]),
    ("y + 1", ["name 'y'", "x_i, x_j, edge_weight"]),
    ("x_i > 0", ["a comparison"]),
    ("relu(x_i, x_j)", ["takes 1 argument"]),
    ("relu(x=x_i)", ["keyword argument"]),
    ("'a'", ["constant"]),
    ("0.5 * (x_i", ["cannot parse"]),
    ("x_i +", ["cannot parse"]),
    ("-" * 50 + "x_i", ["nested too deeply"]),
    ("x_i + " * 300 + "1", ["characters long"]),
])
def test_message_expressions_refused(text, words):
    with pytest.raises(ConfigError) as info:
        expr.parse(text, expr.MESSAGE, "layer.message")
    message = str(info.value)
    assert message.startswith("layer.message: ")
    for w in words:
        assert w in message


def test_refused_expression_is_never_evaluated(tmp_path):
    marker = tmp_path / "marker"
    with pytest.raises(ConfigError):
        expr.parse(f"__import__('os').system('touch {marker}')", expr.MESSAGE, "layer.message")
    assert not marker.exists()


def test_render_substitutes_values():
    e = expr.parse("0.5 * x_i + 2 * x_j", expr.MESSAGE, "m")
    text = e.render(lambda n: {"x_i": "(6, 4)", "x_j": "(0, 1)"}.get(getattr(n, "id", None)))
    assert text == "0.5*(6, 4) + 2*(0, 1)"
    e = expr.parse("(x_i - x_j) / (2 - -1)", expr.MESSAGE, "m")
    assert e.render(lambda n: None) == "(x_i - x_j)/(2 - -1)"


def test_rule_dialect():
    e = expr.parse("mean(x) > 0 and not (num_nodes < 3 or max(x) >= 1e3)", expr.RULE, "rounds.if")
    assert e.names() == {"x", "num_nodes"}
    with pytest.raises(ConfigError, match="mean\\(\\) takes x"):
        expr.parse("mean(num_nodes) > 0", expr.RULE, "rounds.if")
    with pytest.raises(ConfigError, match="name 'x_i'"):
        expr.parse("x_i > 0", expr.RULE, "rounds.if")


@pytest.mark.parametrize("v, p, text", [(12.5, 4, "12.5"), (12.5, None, "12.5"), (8.0, 4, "8"), (3.0, None, "3"),
                                        (1 / 3, 4, "0.3333"), (-0.00001, 2, "-1.00e-05"), (0.0, 3, "0")])
def test_format_number(v, p, text):
    assert expr.format_number(v, p) == text


def test_defaults_are_the_seed():
    cfg = from_mapping(None)
    assert (cfg.layer.type, cfg.aggregation(), cfg.rounds.n, cfg.dtype, cfg.device) == ("fixed", "max", 10, "float32", "auto")
    assert from_mapping({"layer": {"type": "nn"}}).aggregation() == "mean"
    assert from_mapping({"layer": {"type": "Residual"}}).aggregation() == "sum"
    assert from_mapping({"aggr": "add"}).aggregation() == "sum"


@pytest.mark.parametrize("data, words", [
    ({"layr": {}}, ["layr: unknown key", "layer"]),
    ({"layer": {"typo": 1}}, ["layer.typo: unknown key", "hidden_dim"]),
    ({"rounds": {"mode": "rule", "if": "mean(x) > 0", "then": 3, "els": 1}}, ["rounds.els: unknown key"]),
    ({"graph": {"undirectd": True}}, ["graph.undirectd: unknown key"]),
    ({"layer": {"type": "gcnn"}}, ["layer.type: unknown layer 'gcnn'", "fixed"]),
    ({"aggr": "maxx"}, ["unknown aggregation 'maxx'", "valid: max"]),
    ({"rounds": "ten"}, ["rounds: expected a number of rounds"]),
    ({"rounds": -1}, ["rounds: expected a number of rounds from 0"]),
    ({"rounds": {"mode": "rule", "then": 3, "else": 1}}, ["rounds.if: required with mode rule"]),
    ({"rounds": {"mode": "static", "tol": 1e-3}}, ["rounds.tol: only used with mode converge"]),
    ({"rounds": {"mode": "sometimes"}}, ["unknown round mode"]),
    ({"rounds": {"mode": "converge", "tol": "small"}}, ["rounds.tol: expected a number"]),
    ({"layer": {"hidden_dim": "8"}}, ["layer.hidden_dim: expected an integer"]),
    ({"layer": {"project": "yes"}}, ["layer.project: expected true or false"]),
    ({"layer": {"type": False}}, ["expected a string, got false", "quote"]),
    ({"dtype": "float16"}, ["unknown dtype"]),
    ({"seed": 1.5}, ["seed: expected an integer"]),
    ({"layer": {"message": "x_i +* 2"}}, ["layer.message: cannot parse"]),
    ({"layer": "fixed"}, ["layer: expected a mapping"]),
    ({"graph": {"features": "zeros"}}, ["unknown feature initialiser"]),
])
def test_config_errors_name_the_key(data, words):
    with pytest.raises(ConfigError) as info:
        from_mapping(data)
    for w in words:
        assert w in str(info.value)


def test_yaml_1_1_float_trap_accepted():
    cfg = from_mapping(parse_yaml("rounds: {mode: converge, tol: 1e-6}", "c.yaml"))
    assert cfg.rounds.tol == 1e-6


@pytest.mark.parametrize("text, words", [
    ("aggr: max\naggr: sum\n", ["c.yaml:2:1", "duplicate key 'aggr'"]),
    ("layer: [unclosed\n", ["c.yaml:2:1"]),
    ("!!python/object/apply:os.system ['touch /tmp/x']\n", ["c.yaml:1:1", "could not determine a constructor"]),
    ("a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(f"b{i}: &b{i} [*{'a' if i == 0 else f'b{i-1}'}]\n" for i in range(150)),
     ["more than 100 aliases"]),
])
def test_yaml_refusals(text, words):
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "c.yaml")
    for w in words:
        assert w in str(info.value)


def test_load_config_prefixes_the_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("layer:\n  typ: fixed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: layer.typ: unknown key"):
        load_config(p)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.yaml")


def test_overrides_win_and_keep_the_rest():
    cfg = from_mapping({"aggr": "sum", "rounds": {"mode": "converge", "tol": 0.1}, "seed": 3})
    new = apply_overrides(cfg, {"rounds": 2, "layer.type": "nn", "aggr": None})
    assert (new.rounds.mode, new.rounds.n, new.layer.type, new.aggregation(), new.seed) == ("static", 2, "nn", "sum", 3)
    assert cfg.rounds.mode == "converge"
    with pytest.raises(ConfigError, match="command line: aggr: unknown aggregation"):
        apply_overrides(cfg, {"aggr": "nope"})


def test_shipped_configs_load_and_show_round_trips():
    import pathlib

    for path in sorted((pathlib.Path(__file__).parent.parent / "configs").glob("*.yaml")):
        cfg = load_config(path)
        again = from_mapping(parse_yaml(dump_yaml(cfg), "shown"))
        assert dump_yaml(again) == dump_yaml(cfg), path
