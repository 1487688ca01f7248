"""``gnnprop convert`` and the graph writers: reading the output back gives the same graph."""

import json
import os

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnnprop.errors import UsageError
from gnnprop.graph import Graph
from gnnprop.io import load_graph
from gnnprop.io.ids import INT_TOKEN
from gnnprop.io.save import graph_texts, needs_node_file

from .clitools import cli, fails
from .conftest import SAMPLES

EXT = {"json": ".json", "csv": ".csv", "edgelist": ".txt"}


def assert_same(a: Graph, b: Graph) -> None:
    assert a.node_ids == b.node_ids
    assert [type(i) for i in a.node_ids] == [type(i) for i in b.node_ids]
    assert torch.equal(a.edge_index, b.edge_index)
    for key in ("x", "edge_weight", "edge_attr"):
        u, v = getattr(a, key), getattr(b, key)
        assert (u is None) == (v is None), key
        if u is not None:
            assert torch.equal(u.to(torch.float64).reshape(v.shape), v.to(torch.float64)), key  # bit for bit


def write(g: Graph, fmt: str, folder, with_nodes: bool) -> Graph:
    edges, nodes = graph_texts(g, fmt, with_nodes, "out")
    path = folder / f"g{EXT[fmt]}"
    path.write_text("".join(edges))
    node_path = None
    if nodes is not None:
        node_path = folder / f"n{EXT[fmt]}"
        node_path.write_text("".join(nodes))
    return load_graph(str(path), node_features=None if node_path is None else str(node_path))


@pytest.mark.parametrize("sample", ["seed_example.json", "karate.json", "karate.csv", "ca-grqc.txt", "path3.json"])
@pytest.mark.parametrize("fmt", ["json", "csv", "edgelist"])
def test_samples_round_trip_through_the_cli(tmp_path, sample, fmt):
    g = load_graph(str(SAMPLES / sample))
    out = tmp_path / f"out{EXT[fmt]}"
    args = ["convert", SAMPLES / sample, out]
    if fmt != "json" and needs_node_file(g):
        args += ["--nodes-out", tmp_path / f"nodes{EXT[fmt]}"]
    r = cli(*args)
    assert r.code == 0, r.stderr
    assert r.stdout == ""
    assert r.stderr.startswith(f"gnnprop: wrote {g.num_nodes:,} nodes, {g.num_edges:,} edges as {fmt} to ")
    back = load_graph(str(out), node_features=str(args[-1]) if "--nodes-out" in args else None)
    assert_same(g, back)


def test_converted_graph_runs_to_the_same_numbers(tmp_path):
    before = cli("run", SAMPLES / "seed_example.json", "--rounds", "10", "--last", "-f", "json")
    r = cli("convert", SAMPLES / "seed_example.json", tmp_path / "g.txt", "--nodes-out", tmp_path / "n.txt")
    assert r.code == 0, r.stderr
    after = cli("run", tmp_path / "g.txt", "--node-features", tmp_path / "n.txt", "--rounds", "10", "--last",
                "-f", "json")
    assert json.loads(before.stdout)["rounds"] == json.loads(after.stdout)["rounds"]


def test_stdout_with_to(tmp_path):
    r = cli("convert", SAMPLES / "karate.csv", "-", "--to", "edges")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "# source target" and lines[1] == "0 1" and len(lines) == 157
    (tmp_path / "k.txt").write_text(r.stdout)
    assert_same(load_graph(str(SAMPLES / "karate.csv")), load_graph(str(tmp_path / "k.txt")))


@pytest.mark.parametrize("sample", ["seed_example.json", "karate.json", "karate.csv", "ca-grqc.txt", "path3.json"])
@pytest.mark.parametrize("fmt, ext", [("parquet", ".parquet"), ("nodelink", ".json")])
def test_parquet_and_node_link_round_trip_through_the_cli(tmp_path, sample, fmt, ext):
    """convert X Y.parquet writes Parquet (an edge table, and a node table where needed) that reads back
    as the same graph; --to nodelink writes networkx's node-link JSON, read back the same."""
    g = load_graph(str(SAMPLES / sample))
    out = tmp_path / f"out{ext}"
    args = ["convert", SAMPLES / sample, out] + (["--to", fmt] if fmt == "nodelink" else [])
    if fmt == "parquet" and needs_node_file(g):
        args += ["--nodes-out", tmp_path / "nodes.parquet"]
    r = cli(*args)
    assert r.code == 0, r.stderr
    assert r.stderr.startswith(f"gnnprop: wrote {g.num_nodes:,} nodes, {g.num_edges:,} edges as {fmt} to ")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(out).column_names[:2] == ["src", "dst"]
    else:
        assert set(json.loads(out.read_text())) == {"directed", "multigraph", "graph", "nodes", "links"}
    back = load_graph(str(out), node_features=str(args[-1]) if "--nodes-out" in args else None)
    assert_same(g, back)


def test_refusals(tmp_path):
    seed = SAMPLES / "seed_example.json"
    out = tmp_path / "s.csv"
    fails(cli("convert", seed, out), 2, str(out), "would lose data", "node features (2 per node)", "--nodes-out")
    assert not out.exists() and os.listdir(tmp_path) == []
    fails(cli("convert", seed, tmp_path / "s.xyz"), 2, "cannot tell the format", "--to")
    fails(cli("convert", seed, "-"), 2, "--to")
    fails(cli("convert", seed, tmp_path / "s.json", "--nodes-out", tmp_path / "n.csv"), 2, "JSON graph carries")
    fails(cli("convert", seed, tmp_path / "s.csv", "--nodes-out", "-"), 2, "--nodes-out")
    fails(cli("convert", seed, tmp_path / "s.csv", "--to", "yaml"), 2, "--to", "yaml", "parquet")
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps({"node_ids": [7, "7"], "edge_index": [[0], [1]]}))
    fails(cli("convert", mixed, tmp_path / "m.parquet"), 2, "mix integers (such as 7) and strings")
    fails(cli("convert", tmp_path / "missing.json", tmp_path / "s.csv"), 1, "missing.json")
    copy = tmp_path / "copy.json"
    copy.write_bytes(seed.read_bytes())
    fails(cli("convert", copy, copy), 2, "one of the input files")
    assert copy.read_bytes() == seed.read_bytes()
    fails(cli("convert", seed, tmp_path / "nofolder" / "s.json"), 2, "OUT", "does not exist")


def test_what_an_edge_file_alone_cannot_hold():
    def g(ids, edges, **kw):
        return Graph(torch.tensor(edges, dtype=torch.long).reshape(2, -1), ids, **kw)

    assert needs_node_file(g([0, 1, 2], [[0, 1], [1, 2]])) is None
    assert "without edges" in needs_node_file(g([0, 1, 2], [[0], [1]]))
    assert "ascending" in needs_node_file(g([5, 3], [[0], [1]]))
    assert needs_node_file(g(["b", "a"], [[0], [1]])) is None  # strings: order of first appearance
    assert "order" in needs_node_file(g(["b", "a"], [[1], [0]]))
    assert needs_node_file(g([7, "a"], [[1], [0]])) is None  # integers first, then strings
    with pytest.raises(UsageError, match="cannot be written in an edge list"):
        graph_texts(g(["a b", "c"], [[0], [1]]), "edgelist", False, "out")
    with pytest.raises(UsageError, match="attributes without weights"):
        graph_texts(g([0, 1], [[0], [1]], edge_attr=torch.ones(1, 2, dtype=torch.float64)), "edgelist", False, "o")


def test_awkward_ids_in_csv(tmp_path):
    g = Graph(torch.tensor([[0, 1, 2], [1, 2, 0]]), ['a,b', 'say "hi"', "007"],
              edge_weight=torch.tensor([0.1, 1e-300, 2.5], dtype=torch.float64))
    assert_same(g, write(g, "csv", tmp_path, False))
    assert_same(g, write(g, "json", tmp_path, False))


node_ids = st.one_of(
    st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=8, unique=True).map(sorted),
    st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=5),
             min_size=1, max_size=8, unique=True))
finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=node_ids, data=st.data(), fmt=st.sampled_from(["json", "csv", "edgelist"]),
       weighted=st.booleans(), attrs=st.integers(0, 2), features=st.integers(0, 3))
def test_any_graph_round_trips(tmp_path, ids, data, fmt, weighted, attrs, features):
    n = len(ids)
    e = data.draw(st.integers(0, 12))
    edges = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=e, max_size=e))
    ei = torch.tensor(edges, dtype=torch.long).reshape(-1, 2).T.contiguous()
    def floats(*shape):
        count = 1
        for s in shape:
            count *= s
        values = data.draw(st.lists(finite, min_size=count, max_size=count))
        return torch.tensor(values, dtype=torch.float64).reshape(*shape)
    attrs = attrs if (weighted or fmt != "edgelist") else 0
    if e == 0 and fmt == "edgelist":  # an edge list without lines cannot say whether edges have weights
        weighted, attrs = False, 0
    g = Graph(ei, list(ids), x=floats(n, features) if features else None,
              edge_weight=floats(e) if weighted else None, edge_attr=floats(e, attrs) if attrs else None)
    ints_as_text = fmt != "json" and any(type(i) is str and (INT_TOKEN.fullmatch(i) or i != i.strip())
                                         for i in ids)
    if ints_as_text or fmt == "edgelist" and any(type(i) is str and (not i or any(c.isspace() for c in i)
                                                                     or i[0] in "#%") for i in ids):
        with pytest.raises(UsageError):
            write(g, fmt, tmp_path, True)
        return
    assert_same(g, write(g, fmt, tmp_path, True))
