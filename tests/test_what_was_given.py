"""Say what happened to what the user gave: unread keys, unused flags, typos, misread files."""

from __future__ import annotations

import json

import pytest

from .clitools import cli, fails
from .conftest import SAMPLES

SEED = str(SAMPLES / "seed_example.json")


def test_node_link_keys_that_are_not_read_are_named(tmp_path):
    g = tmp_path / "g.json"
    g.write_text(json.dumps({"directed": True,
                             "nodes": [{"id": 0, "features": [1, 2], "club": "a"}, {"id": 1, "features": [3, 4]}],
                             "links": [{"source": 0, "target": 1, "w": 2.5}]}))
    out = cli("run", str(g), "--rounds", "1", "-f", "csv")
    assert out.code == 0
    assert out.stdout.splitlines()[:3] == ["round,node,x0", "0,0,1.0", "0,1,1.0"]  # ones, as said below
    assert out.stderr.splitlines() == [
        f'gnnprop: warning: {g}: nodes have keys gnnprop does not read: "club" (1 of 2), '
        '"features" (2 of 2, lists of numbers); node features are read from "x"; the graph has none, '
        "so they come from graph.features (default: ones)",
        f'gnnprop: warning: {g}: links have a key gnnprop does not read: "w" (1 of 1); '
        'edge weights are read from "weight", edge attributes from "edge_attr"',
    ]
    val = cli("validate", str(g))
    assert val.code == 0 and '"features"' in val.stderr


def test_networkx_node_link_keys_that_are_read_give_no_warning():
    out = cli("run", str(SAMPLES / "karate.json"), "--rounds", "1", "-f", "csv")
    assert out.code == 0 and out.stderr == ""


@pytest.mark.parametrize("args, said", [
    (["--features", "degree"], "--features degree"),
    (["--features", "onehot"], "--features onehot"),
])
def test_features_flag_on_a_graph_with_features_warns_and_the_graph_wins(args, said):
    out = cli("run", SEED, "--rounds", "1", "--last", "-f", "csv", *args)
    assert out.code == 0
    assert out.stdout.splitlines()[1] == "1,0,12.5,8.0"  # the file's features, not degrees
    assert out.stderr == (f"gnnprop: warning: {said} is not used: {SEED} has node features of its own "
                          "(2 per node); an initialiser only fills in a graph without any\n")


def test_features_in_the_config_on_a_graph_with_features_warns_with_the_key(tmp_path):
    c = tmp_path / "c.yaml"
    c.write_text("graph: {features: degree}\n")
    out = cli("run", SEED, "-c", str(c), "--rounds", "1", "-f", "csv")
    assert "graph.features: degree is not used" in out.stderr
    assert cli("run", str(SAMPLES / "karate.json"), "--features", "degree", "--rounds", "1").stderr == ""


@pytest.mark.parametrize("args, words", [
    (["--layer", "fixd"], ["unknown layer 'fixd'", "closest: fixed "]),
    (["--layer", "fxed"], ["closest: fixed "]),
    (["--aggr", "maximum"], ["unknown aggregation 'maximum'", "did you mean 'max'?"]),
    (["--aggr", "avg"], ["unknown aggregation 'avg'", "did you mean 'mean'?"]),
    (["--aggr", "average"], ["did you mean 'mean'?"]),
    (["--aggr", "mean,minimum"], ["aggr[1]: unknown aggregation 'minimum'", "did you mean 'min'?"]),
    (["--features", "degre"], ["did you mean 'degree'?"]),
    (["--engine", "fuse"], ["did you mean 'fused'?"]),
])
def test_did_you_mean_for_names(args, words):
    fails(cli("run", SEED, *args), 2, *words)


@pytest.mark.parametrize("yaml, words", [
    ("layer:\n  mesage: x_j\n", ["layer.mesage: unknown key", "did you mean 'message'?"]),
    ("rounds:\n  tolerance: 1e-3\n", ["rounds.tolerance: unknown key", "did you mean 'tol'?"]),
    ("rounds: {mode: converge, tolerance: 1e-3}\n", ["did you mean 'tol'?"]),
    ("grph: {features: degree}\n", ["grph: unknown key", "did you mean 'graph'?"]),
    ("layer: fixed\n", ["layer: expected a mapping, got 'fixed'", "write layer: {type: fixed}"]),
])
def test_did_you_mean_for_config_keys(tmp_path, yaml, words):
    c = tmp_path / "c.yaml"
    c.write_text(yaml)
    fails(cli("run", SEED, "-c", str(c)), 2, *words)


@pytest.mark.parametrize("text, hint", [
    ("0,1\n1,2\n", "that line looks like an edge, add a header line above it: src,dst"),
    ("0,1,2.5\n1,2,1\n", "add a header line above it: src,dst,weight"),
    ("0,1,2.5,7\n", "src,dst,weight,a1"),
    ("alice,bob\n", "if that line is an edge, add a header line above it: src,dst"),
])
def test_a_headerless_csv_says_which_header_to_add(tmp_path, text, hint):
    g = tmp_path / "g.csv"
    g.write_text(text)
    fails(cli("run", str(g)), 1, f"{g}: line 1", hint)


def test_an_edge_list_with_commas_says_the_separator_is_whitespace(tmp_path):
    g = tmp_path / "g.txt"
    g.write_text("0 1\n1,2\n")
    fails(cli("run", str(g)), 1, f"{g}: line 2: 1 field", "separated by whitespace, not commas", "header line src,dst")


@pytest.mark.parametrize("args, words", [
    (["run", SEED, "-f", "jsno"], ["unknown format 'jsno'", "did you mean 'json' or 'ndjson'?"]),
    (["run", SEED, "--device", "cdua"], ["unknown device 'cdua'", "did you mean 'cuda'?"]),
    (["inspect", SEED, "--node", "0", "-f", "jsn"], ["did you mean 'json'?"]),
    (["validate", SEED, "-f", "tabel"], ["did you mean 'table'?"]),
    (["plot", SEED, "-o", "x.png", "--layout", "sprng"], ["did you mean 'spring'?"]),
    (["plot", SEED, "-o", "x.png", "--kind", "derivaton"], ["did you mean 'derivation'?"]),
    (["run", SEED, "--input-format", "edgelsit"], ["did you mean 'edgelist'?"]),
    (["convert", SEED, "-", "--to", "jsn"], ["did you mean 'json'?"]),
])
def test_did_you_mean_for_every_chosen_name(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    fails(cli(*args), 2, *words)
