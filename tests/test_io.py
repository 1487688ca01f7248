"""Loaders in gnnprop.io: every format, node ids and order, and every error message.

Files are written into a temporary directory that is also the working directory,
so paths are short relative names and messages can be checked to start with them.
"""

from __future__ import annotations

import io
import re
import json

import numpy as np
import pytest

from gnnprop.cli.app import cli_message
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gnnprop.errors import ConfigError, InputError, UsageError
from gnnprop.io import FORMATS, bulk, csvfmt, detect_format, edgelist, intscan, load_graph
from gnnprop.io.ids import index_tokens, lookup_ints, parse_token, rank_ints
from gnnprop.io.source import decode, read_text
from gnnprop.io.tables import build_graph_bulk

SEED_X = [[6, 4], [0, 1], [5, 3], [1, 2]]
SEED_EI = [[0, 1, 0, 2, 1, 2, 2, 3], [1, 0, 2, 0, 2, 1, 3, 2]]
SEED_PAIRS = list(zip(*SEED_EI))

SEED_TENSOR_JSON = json.dumps({"x": SEED_X, "edge_index": SEED_EI})
SEED_NODE_LINK_JSON = json.dumps({
    "directed": True, "multigraph": False, "graph": {"name": "seed"},
    "nodes": [{"id": i, "x": row, "label": "ignored"} for i, row in enumerate(SEED_X)],
    "links": [{"source": s, "target": t} for s, t in SEED_PAIRS],
})
SEED_CSV = "src,dst\n" + "".join(f"{s},{t}\n" for s, t in SEED_PAIRS)
SEED_EDGELIST = "# seed graph\n" + "".join(f"{s} {t}\n" for s, t in SEED_PAIRS)
SEED_NODES_CSV = "id,a,b\n" + "".join(f"{i},{a},{b}\n" for i, (a, b) in enumerate(SEED_X))
SEED_NODES_TXT = "% id a b\n" + "".join(f"{i} {a} {b}\n" for i, (a, b) in enumerate(SEED_X))

# A small graph whose edges carry a weight and two attributes, written in every format.
ATTR_PAIRS = [(0, 1), (1, 2), (2, 0), (1, 1)]
ATTR_W = [0.5, -2.0, 1000.0, 0.0]
ATTR_A = [[1.0, 0.25], [-3.5, 2.0], [0.0, 0.001], [7.0, -0.125]]
ATTR_TEXT = [("0.5", "1", "0.25"), ("-2", "-3.5", "2"), ("1e3", "0", "1e-3"), ("0", "7.0", "-0.125")]
ATTR_TENSOR_JSON = json.dumps({"edge_index": [list(c) for c in zip(*ATTR_PAIRS)], "num_nodes": 3,
                               "edge_weight": ATTR_W, "edge_attr": ATTR_A})
ATTR_NODE_LINK_JSON = json.dumps({
    "directed": True, "nodes": [{"id": i} for i in range(3)],
    "links": [{"source": s, "target": t, "weight": w, "edge_attr": a}
              for (s, t), w, a in zip(ATTR_PAIRS, ATTR_W, ATTR_A)],
})
ATTR_CSV = "src,dst,weight,len,cost\n" + "".join(f"{s},{t},{w},{a},{b}\n"
                                                 for (s, t), (w, a, b) in zip(ATTR_PAIRS, ATTR_TEXT))
ATTR_EDGELIST = "# src dst weight len cost\n" + "".join(f"{s}\t{t} {w}  {a} {b}\n"
                                                         for (s, t), (w, a, b) in zip(ATTR_PAIRS, ATTR_TEXT))


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Write files into the working directory: ``here(name=content, ...)``."""
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str | bytes]) -> None:
        for name, content in files.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (tmp_path / name).write_bytes(data)

    return write


def ei(graph) -> list[list[int]]:
    assert graph.edge_index.dtype == torch.int64
    assert graph.edge_index.shape == (2, graph.num_edges)
    return graph.edge_index.tolist()


def assert_seed(graph) -> None:
    assert ei(graph) == SEED_EI
    assert graph.node_ids == [0, 1, 2, 3]
    assert graph.x.dtype == torch.float64
    assert torch.equal(graph.x, torch.tensor(SEED_X, dtype=torch.float64))
    assert graph.edge_weight is None and graph.edge_attr is None


# -- every format reads the seed graph --------------------------------------------------


@pytest.mark.parametrize("files, kwargs", [
    ({"g.json": SEED_TENSOR_JSON}, {}),
    ({"g.json": SEED_NODE_LINK_JSON}, {}),
    ({"g.json": SEED_NODE_LINK_JSON.replace('"links"', '"edges"')}, {}),
    ({"e.csv": SEED_CSV, "n.csv": SEED_NODES_CSV}, {"node_features": "n.csv"}),
    ({"e.csv": SEED_CSV.replace("src,dst", " Source , TARGET "), "n.txt": SEED_NODES_TXT},
     {"node_features": "n.txt"}),
    ({"e.edgelist": SEED_EDGELIST, "n.txt": SEED_NODES_TXT}, {"node_features": "n.txt"}),
    ({"e.tsv": SEED_EDGELIST.replace(" ", "\t"), "n.csv": SEED_NODES_CSV}, {"node_features": "n.csv"}),
    ({"e.dat": SEED_CSV, "n.csv": SEED_NODES_CSV}, {"node_features": "n.csv", "input_format": "CSV"}),
    ({"e.dat": SEED_EDGELIST, "n.csv": SEED_NODES_CSV}, {"node_features": "n.csv", "input_format": "edges"}),
], ids=["tensor-json", "node-link", "node-link-edges-key", "csv", "csv-source-target", "edgelist",
        "tsv", "forced-csv", "forced-edgelist-alias"])
def test_seed_graph_loads_identically_from_every_format(here, files, kwargs):
    here(files)
    path = next(iter(files))
    graph = load_graph(path, **kwargs)
    assert_seed(graph)
    assert graph.source == path


def test_formats_registry():
    assert list(FORMATS) == ["json", "csv", "edgelist", "parquet"]
    assert all(isinstance(d, str) and d for d in FORMATS.values())


def test_tensor_json_optional_fields(here):
    here({"g.json": json.dumps({
        "x": [[1.5], [2]], "edge_index": [[0, 1], [1, 1]], "edge_weight": [0.5, 2],
        "edge_attr": [[1, 2], [3, 4]], "y": [0, "b"], "node_ids": ["a", 7],
    })})
    g = load_graph("g.json")
    assert ei(g) == [[0, 1], [1, 1]]
    assert g.node_ids == ["a", 7]
    assert g.x.tolist() == [[1.5], [2.0]]
    assert g.edge_weight.dtype == torch.float64 and g.edge_weight.tolist() == [0.5, 2.0]
    assert g.edge_attr.dtype == torch.float64 and g.edge_attr.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert g.y == [0, "b"]


@pytest.mark.parametrize("doc, n", [
    ({"edge_index": [[0, 3], [1, 0]]}, 4),                 # max index + 1
    ({"edge_index": [[], []], "num_nodes": 3}, 3),        # no edges at all
    ({"edge_index": [[0], [1]], "num_nodes": 5}, 5),
    ({"edge_index": [[0], [1]], "node_ids": [9, 8]}, 2),
    ({"x": [[1], [2], [3]], "edge_index": [[], []], "num_nodes": None}, 3),  # null = absent
])
def test_tensor_json_node_count(here, doc, n):
    here({"g.json": json.dumps(doc)})
    g = load_graph("g.json")
    assert g.num_nodes == n
    assert g.node_ids == doc.get("node_ids", list(range(n)))
    assert g.x is None or g.x.shape == (n, 1)


def test_weights_in_text_formats(here):
    here({"e.csv": "weight,dst,src\n0.5,b,a\n-2,a,b\n", "e.txt": "a b 0.5\nb a -2e0\n"})
    for path in ("e.csv", "e.txt"):
        g = load_graph(path)
        assert g.node_ids == ["a", "b"]
        assert ei(g) == [[0, 1], [1, 0]]
        assert g.edge_weight.dtype == torch.float64
        assert g.edge_weight.tolist() == [0.5, -2.0]
        assert g.x is None


def test_node_link_weights_and_string_ids(here):
    here({"g.json": json.dumps({"directed": True, "nodes": [{"id": "b"}, {"id": "a"}],
                                "links": [{"source": "a", "target": "b", "weight": 3, "key": 0}]})})
    g = load_graph("g.json")
    assert g.node_ids == ["b", "a"]
    assert ei(g) == [[1], [0]]
    assert g.edge_weight.tolist() == [3.0]
    assert g.x is None


# -- edge attributes ------------------------------------------------------------------


def assert_attr_graph(graph, weight=True) -> None:
    assert ei(graph) == [list(c) for c in zip(*ATTR_PAIRS)]
    assert graph.node_ids == [0, 1, 2]
    assert graph.edge_attr.dtype == torch.float64 and graph.edge_attr.is_contiguous()
    assert torch.equal(graph.edge_attr, torch.tensor(ATTR_A, dtype=torch.float64))
    if weight:
        assert graph.edge_weight.dtype == torch.float64
        assert torch.equal(graph.edge_weight, torch.tensor(ATTR_W, dtype=torch.float64))
    else:
        assert graph.edge_weight is None


@pytest.mark.parametrize("name, text", [
    ("g.json", ATTR_TENSOR_JSON), ("g.json", ATTR_NODE_LINK_JSON), ("e.csv", ATTR_CSV), ("e.txt", ATTR_EDGELIST),
], ids=["tensor-json", "node-link", "csv", "edgelist"])
def test_edge_attr_loads_identically_from_every_format(here, name, text):
    here({name: text})
    assert_attr_graph(load_graph(name))


def test_edge_attr_without_weight(here):
    tensor = json.loads(ATTR_TENSOR_JSON)
    del tensor["edge_weight"]
    node_link = json.loads(ATTR_NODE_LINK_JSON)
    for link in node_link["links"]:
        link["weight"] = None  # null is the same as absent
    csv_text = "src,dst,len,cost\n" + "".join(f"{s},{t},{a},{b}\n" for (s, t), (_, a, b) in zip(ATTR_PAIRS, ATTR_TEXT))
    here({"t.json": json.dumps(tensor), "n.json": json.dumps(node_link), "e.csv": csv_text})
    for name in ("t.json", "n.json", "e.csv"):
        assert_attr_graph(load_graph(name), weight=False)


def test_csv_edge_attr_columns_follow_the_header_order(here):
    here({"e.csv": " Cost ,dst,WEIGHT,source,len\n"
                   + "".join(f"{b},{t},{w},{s},{a}\n" for (s, t), (w, a, b) in zip(ATTR_PAIRS, ATTR_TEXT))})
    g = load_graph("e.csv")
    assert ei(g) == [list(c) for c in zip(*ATTR_PAIRS)]
    assert g.edge_weight.tolist() == ATTR_W
    assert g.edge_attr.tolist() == [[b, a] for a, b in ATTR_A]  # cost, then len


def test_edge_list_with_one_attribute(here):
    here({"e.txt": "a b 1 2.5\n% c\nb a 3 -4\n"})
    g = load_graph("e.txt")
    assert g.node_ids == ["a", "b"]
    assert g.edge_weight.tolist() == [1.0, 3.0]
    assert g.edge_attr.shape == (2, 1) and g.edge_attr.tolist() == [[2.5], [-4.0]]


def test_edges_without_attributes_have_none(here):
    here({"e.csv": "src,dst,weight\n0,1,1\n", "e.txt": "0 1 1\n", "f.txt": "0 1\n",
          "g.json": json.dumps({"nodes": [{"id": 0}], "links": [{"source": 0, "target": 0, "edge_attr": None}]})})
    for name in ("e.csv", "e.txt", "f.txt", "g.json"):
        assert load_graph(name).edge_attr is None


def test_csv_attr_header_without_edges_gives_an_empty_attr_table(here):
    here({"e.csv": "src,dst,weight,len,cost\n", "n.txt": "0\n1\n"})
    g = load_graph("e.csv", node_features="n.txt")
    assert g.num_edges == 0 and g.edge_weight.shape == (0,)
    assert g.edge_attr.dtype == torch.float64 and g.edge_attr.shape == (0, 2)


@pytest.mark.parametrize("name, text", [
    ("g.json", ATTR_NODE_LINK_JSON.replace('"directed": true', '"directed": false')),
    ("g.json", ATTR_NODE_LINK_JSON), ("e.csv", ATTR_CSV), ("e.txt", ATTR_EDGELIST), ("g.json", ATTR_TENSOR_JSON),
], ids=["node-link-undirected", "node-link", "csv", "edgelist", "tensor-json"])
def test_undirected_copies_edge_attr_to_the_reverse_edges(here, name, text):
    here({name: text})
    g = load_graph(name, undirected="directed\": false" not in text)
    # (1, 1) is its own reverse; the other three edges get a reverse with their weight and attributes
    assert ei(g) == [[0, 1, 2, 1, 1, 2, 0], [1, 2, 0, 1, 0, 1, 2]]
    assert g.edge_weight.tolist() == ATTR_W + ATTR_W[:3]
    assert g.edge_attr.tolist() == ATTR_A + ATTR_A[:3]


# -- node ids and order -------------------------------------------------------------


@pytest.mark.parametrize("token, value", [
    ("7", 7), ("-7", -7), ("0", 0), ("-0", 0), ("007", "007"), ("+7", "+7"), ("1.0", "1.0"),
    ("1e3", "1e3"), ("1_000", "1_000"), ("\uff17", "\uff17"), ("abc", "abc"), ("-", "-"),
    ("9223372036854775807", 2**63 - 1),
])
def test_parse_token(token, value):
    parsed = parse_token(token)
    assert parsed == value and type(parsed) is type(value)


def test_text_ids_ints_ascending_then_strings_by_first_appearance(here):
    here({"e.txt": "10 b\n-3 007\n7 10\nb a\n0 -0\n"})
    g = load_graph("e.txt")
    assert g.node_ids == [-3, 0, 7, 10, "b", "007", "a"]
    assert ei(g) == [[3, 0, 2, 4, 1], [4, 5, 3, 6, 1]]


def test_csv_ids_are_stripped_and_quoted(here):
    here({"e.csv": 'src,dst\n" 2 ", "x,y"\n007,7\n'})
    g = load_graph("e.csv")
    assert g.node_ids == [2, 7, "x,y", "007"]
    assert ei(g) == [[0, 3], [2, 1]]


def test_node_table_fixes_order_and_set(here):
    here({"e.txt": "1 c\n2 1\n", "n.csv": "name,f\nc,0.5\n2,1\n1,2\n007,3\n"})
    g = load_graph("e.txt", node_features="n.csv")
    assert g.node_ids == ["c", 2, 1, "007"]
    assert ei(g) == [[2, 1], [0, 2]]
    assert g.x.tolist() == [[0.5], [1.0], [2.0], [3.0]]


def test_node_table_without_feature_columns_only_fixes_order(here):
    here({"e.txt": "1 2\n", "n.txt": "2\n1\n3\n"})
    g = load_graph("e.txt", node_features="n.txt")
    assert g.node_ids == [2, 1, 3] and g.x is None
    assert ei(g) == [[1], [0]]


def test_json_ids_keep_their_type(here):
    here({"g.json": json.dumps({"nodes": [{"id": 7}, {"id": "7"}, {"id": "007"}],
                                "links": [{"source": "7", "target": 7}, {"source": 7, "target": "007"}]})})
    g = load_graph("g.json")
    assert g.node_ids == [7, "7", "007"]
    assert [type(i) for i in g.node_ids] == [int, str, str]
    assert ei(g) == [[1, 0], [0, 2]]


def test_index_tokens_matches_a_plain_python_reference():
    rng = np.random.default_rng(0)
    ints = [str(v) for v in rng.integers(-50, 50, 300)] + ["9223372036854775807", "-9223372036854775808"]
    for tokens in (ints, ints + ["x", "05", "x", "-0"]):   # all-int fast path, then the general path
        positions, node_ids = index_tokens(tokens, lambda k: f"token {k}")
        values = [parse_token(t) for t in tokens]
        expected = sorted({v for v in values if type(v) is int})
        expected += list(dict.fromkeys(v for v in values if type(v) is str))
        assert node_ids == expected
        assert [node_ids[p] for p in positions.tolist()] == values


def test_big_int_ids_in_node_table_fast_path(here):
    here({"e.txt": "9223372036854775807 -9223372036854775808\n",
          "n.txt": "-9223372036854775808 1\n9223372036854775807 2\n"})
    g = load_graph("e.txt", node_features="n.txt")
    assert ei(g) == [[1], [0]]


# -- undirected ---------------------------------------------------------------------


def test_node_link_undirected_adds_only_missing_reverses(here):
    here({"g.json": json.dumps({"directed": False, "nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
                                "links": [{"source": "a", "target": "b", "weight": 1},
                                          {"source": "b", "target": "a", "weight": 2},
                                          {"source": "b", "target": "c", "weight": 3},
                                          {"source": "c", "target": "c", "weight": 4}]})})
    g = load_graph("g.json")
    assert ei(g) == [[0, 1, 1, 2, 2], [1, 0, 2, 2, 1]]
    assert g.edge_weight.tolist() == [1.0, 2.0, 3.0, 4.0, 3.0]
    assert ei(load_graph("g.json", undirected=True)) == ei(g)


def test_undirected_flag(here):
    here({"e.txt": "0 1 5\n1 0 6\n1 2 7\n"})
    assert ei(load_graph("e.txt")) == [[0, 1, 1], [1, 0, 2]]
    g = load_graph("e.txt", undirected=True)
    assert ei(g) == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert g.edge_weight.tolist() == [5.0, 6.0, 7.0, 7.0]


# -- stdin and format detection --------------------------------------------------------


@pytest.mark.parametrize("text", [
    SEED_TENSOR_JSON, "\n  " + SEED_NODE_LINK_JSON, "\ufeff" + SEED_TENSOR_JSON,
])
def test_stdin_sniffs_json(text):
    g = load_graph("-", stdin=io.StringIO(text))
    assert_seed(g)
    assert g.source == "<stdin>"


@pytest.mark.parametrize("text, ids", [
    ("# comment, with a comma\nsrc,dst\na,b\n", ["a", "b"]),
    ("% comment\n\na b\n", ["a", "b"]),
    ("a\tb 2\n", ["a", "b"]),
])
def test_stdin_sniffs_text(text, ids):
    g = load_graph("-", stdin=io.StringIO(text))
    assert g.node_ids == ids and ei(g) == [[0], [1]]


def test_stdin_with_node_features_file(here):
    here({"n.csv": SEED_NODES_CSV})
    assert_seed(load_graph("-", node_features="n.csv", stdin=io.StringIO(SEED_EDGELIST)))


@pytest.mark.parametrize("path, fmt", [
    ("g.json", "json"), ("G.JSON", "json"), ("dir.v2/e.csv", "csv"), ("e.txt", "edgelist"),
    ("e.edgelist", "edgelist"), ("e.tsv", "edgelist"), ("cora.cites", "edgelist"), ("e.el", "edgelist"),
    ("e.edges", "edgelist"),
])
def test_detect_format_by_extension(path, fmt):
    assert detect_format(path) == fmt


@pytest.mark.parametrize("head, fmt", [
    ('{"x": []}', "json"), ("  [1]", "json"), ("#a,b\n%c,d\n\n1,2\n", "csv"), ("1 2\n", "edgelist"), ("", "edgelist"),
])
def test_detect_format_sniffs_stdin(head, fmt):
    assert detect_format("-", head) == fmt


# -- encodings and line ends -----------------------------------------------------------


def test_bom_and_crlf_accepted(here):
    bom = b"\xef\xbb\xbf"
    crlf = {
        "e.csv": bom + SEED_CSV.replace("\n", "\r\n").encode(),
        "n.csv": bom + SEED_NODES_CSV.replace("\n", "\r\n").encode(),
        "e.txt": bom + SEED_EDGELIST.replace("\n", "\r\n").encode(),
        "n.txt": bom + SEED_NODES_TXT.replace("\n", "\r\n").encode(),
        "g.json": bom + SEED_TENSOR_JSON.replace(", ", ",\r\n").encode(),
    }
    here(crlf)
    assert_seed(load_graph("e.csv", node_features="n.csv"))
    assert_seed(load_graph("e.txt", node_features="n.txt"))
    assert_seed(load_graph("g.json"))


def test_crlf_error_line_numbers(here):
    here({"e.txt": b"0 1\r\n\r\n1 2 3 4\r\n", "e.csv": b"src,dst\r\n0,1\r\n1,2,3\r\n"})
    with pytest.raises(InputError, match=r"^e\.txt: line 3: 4 fields"):
        load_graph("e.txt")
    with pytest.raises(InputError, match=r"^e\.csv: line 3 \(data row 2\): 3 fields, expected 2"):
        load_graph("e.csv")


# -- errors --------------------------------------------------------------------------

def two_nodes(links: str, key: str = "links") -> str:
    """A node-link document with nodes 1 and 2 and ``links`` (JSON text of the link objects)."""
    return '{"nodes": [{"id": 1}, {"id": 2}], "%s": [%s]}' % (key, links)


JSON_ERRORS = [
    # malformed documents
    ('{"x": [[1]],\n "edge_index": [[0], [0]] oops}', ["g.json:2:", "malformed JSON"]),
    ('{"x": [[1]], "x": [[2]], "edge_index": [[0], [0]]}', ['duplicate key "x"']),
    ('{"x": [[1], [NaN]], "edge_index": [[0], [1]]}', ["x[1][0]", "NaN", "finite"]),
    ('{"x": [[1, 2], [3, 4], [5, 6], [7, -Infinity]], "edge_index": [[], []]}', ["x[3][1]", "-Infinity"]),
    ('{"x": [[1, 1e400]], "edge_index": [[], []]}', ["x[0][1]", "1e400"]),
    ('[1, 2]', ["expected a JSON object", "got a list"]),
    ('"edges"', ["expected a JSON object", '"edges"']),
    ('{"foo": 1}', ['"edge_index"', '"nodes"', "got keys: foo"]),
    ('{"x": [[1]], "edge_index": [[0], [0]], "edge_weights": [1]}', ['unknown key "edge_weights"', "edge_weight"]),
    ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", ["nested too deeply"]),
    # x
    ('{"x": [[1, 2], [3, 4], [5, 6, 7]], "edge_index": [[0], [1]]}', ["x[2] has 3 features, expected 2 (as in x[0])"]),
    ('{"x": [[1], ["abc"]], "edge_index": [[0], [1]]}', ['x[1][0]: expected a number, got "abc"']),
    ('{"x": [[1, true]], "edge_index": [[0], [0]]}', ["x[0][1]: expected a number, got true"]),
    ('{"x": [[null]], "edge_index": [[0], [0]]}', ["x[0][0]: expected a number, got null"]),
    ('{"x": [[[1]]], "edge_index": [[0], [0]]}', ["x[0][0]: expected a number, got a list"]),
    ('{"x": [1, 2], "edge_index": [[0], [1]]}', ["x[0]: expected a list of numbers, got 1"]),
    ('{"x": {"a": 1}, "edge_index": [[0], [0]]}', ["x: expected a list of rows", "got an object"]),
    ('{"x": [[], []], "edge_index": [[0], [1]]}', ["x[0]: no features"]),
    # edge_index
    ('{"x": [[1], [2]], "edge_index": [[0, 1], [1, 0], [0, 0]]}', ["edge_index must have shape [2, E]", "got [3, 2]",
                                                                   "not as a list of pairs"]),
    ('{"x": [[1], [2]], "edge_index": [[0, 1], [1]]}', ["shape [2, E]", "got [2, ragged]"]),
    ('{"x": [[1], [2]], "edge_index": 5}', ["shape [2, E]", "got 5"]),
    ('{"x": [[1], [2]]}', ['missing "edge_index"']),
    ('{"x": [[1], [2]], "edge_index": [[0, -1], [1, 0]]}', ["edge_index[0][1]: node index -1 is negative"]),
    ('{"x": [[1], [2]], "edge_index": [[0], [1.5]]}', ["edge_index[1][0]", "got 1.5"]),
    ('{"x": [[1], [2]], "edge_index": [[true], [1]]}', ["edge_index[0][0]", "got true"]),
    ('{"x": [[1], [2]], "edge_index": [[0], ["1"]]}', ["edge_index[1][0]", 'got "1"']),
    ('{"x": [[1], [2]], "edge_index": [[0, 0, 0, 0, 0], [1, 1, 0, 1, 2]]}',
     ["edge_index[1][4]: node index 2 is out of range for 2 nodes"]),
    ('{"edge_index": [[9223372036854775808], [0]]}', ["edge_index[0][0]", "64-bit"]),
    ('{"edge_index": [[0], [5000000000]]}', ["node index 5000000000 but only 1 edges", "num_nodes"]),
    ('{"edge_index": [[], []]}', ["no nodes"]),
    # node counts, ids, edge data, labels
    ('{"x": [[1], [2]], "node_ids": [1, 2, 3], "edge_index": [[], []]}', ["x has 2 rows", "node_ids has 3 ids"]),
    ('{"x": [[1], [2]], "num_nodes": 5, "edge_index": [[], []]}', ["x has 2 rows", "num_nodes is 5"]),
    ('{"num_nodes": -1, "edge_index": [[], []]}', ["num_nodes", "got -1"]),
    ('{"num_nodes": true, "edge_index": [[], []]}', ["num_nodes", "got true"]),
    ('{"node_ids": ["a", "b", "a"], "edge_index": [[], []]}', ['node_ids[2]: duplicate node id "a"', "node_ids[0]"]),
    ('{"node_ids": ["a", 1.5], "edge_index": [[], []]}', ["node_ids[1]", "integer or a string", "got 1.5"]),
    ('{"node_ids": [false], "edge_index": [[], []]}', ["node_ids[0]", "got false"]),
    ('{"node_ids": [9223372036854775808], "edge_index": [[], []]}', ["node_ids[0]", "64-bit"]),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_weight": [1]}', ["edge_weight has 1 values, expected 2"]),
    ('{"edge_index": [[0], [1]], "edge_weight": [NaN]}', ["edge_weight[0]", "NaN"]),
    ('{"edge_index": [[0], [1]], "edge_weight": ["1"]}', ['edge_weight[0]: expected a number, got "1"']),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_attr": [[1, 2]]}', ["edge_attr has 1 rows, expected 2"]),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_attr": [[1, 2], [3]]}', ["edge_attr[1] has 1 values, expected 2"]),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_attr": [[1], [2], [3]]}',
     ["edge_attr has 3 rows, expected 2 (one per edge)"]),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_attr": []}', ["edge_attr has 0 rows, expected 2"]),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_attr": [1, 2]}', ["edge_attr must have shape [E, D]", "flat list [2]",
                                                               "edge_weight"]),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_attr": [[1], 2]}', ["edge_attr[1]: expected a list of numbers, got 2"]),
    ('{"edge_index": [[0], [1]], "edge_attr": 5}', ["edge_attr: expected a list of rows", "got 5"]),
    ('{"edge_index": [[0], [1]], "edge_attr": {"len": [1]}}', ["edge_attr: expected a list of rows", "got an object"]),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_attr": [[], []]}', ["edge_attr[0]: no values"]),
    ('{"edge_index": [[0, 1], [1, 0]], "edge_attr": [[1, 2], [3, NaN]]}', ["edge_attr[1][1]", "NaN", "finite"]),
    ('{"edge_index": [[0], [1]], "edge_attr": [[-Infinity]]}', ["edge_attr[0][0]", "-Infinity", "finite"]),
    ('{"edge_index": [[0], [1]], "edge_attr": [[1e400]]}', ["edge_attr[0][0]", "1e400", "overflows"]),
    ('{"edge_index": [[0], [1]], "edge_attr": [["1"]]}', ['edge_attr[0][0]: expected a number, got "1"']),
    ('{"edge_index": [[0], [1]], "edge_attr": [[[1]]]}', ["edge_attr[0][0]: expected a number, got a list"]),
    ('{"edge_index": [[0], [1]], "edge_attr": [[null]]}', ["edge_attr[0][0]: expected a number, got null"]),
    ('{"x": [[1], [2]], "edge_index": [[], []], "y": [1]}', ["y has 1 labels, expected 2"]),
    ('{"x": [[1], [2]], "edge_index": [[], []], "y": [1, [Infinity]]}', ["y[1][0]"]),
    # node-link
    ('{"nodes": [{"id": "a", "x": [1]}, {"id": "b"}], "links": []}', ['nodes[1] (id "b") has no "x"', "nodes[0]"]),
    ('{"nodes": [{"id": "a"}, {"id": "b", "x": [1]}], "links": []}', ['nodes[0] (id "a") has no "x"', "nodes[1]"]),
    ('{"nodes": [{"id": "a", "x": [1]}, {"id": "b", "x": [1, 2]}], "links": []}',
     ["nodes[1].x has 2 features, expected 1 (as in nodes[0].x)"]),
    ('{"nodes": [{"id": "a", "x": ["1"]}], "links": []}', ['nodes[0].x[0]: expected a number, got "1"']),
    ('{"nodes": [{"id": "a"}], "links": [{"source": "a", "target": "z"}]}', ['links[0].target: no node with id "z"']),
    ('{"nodes": [{"id": "1"}], "links": [{"source": 1, "target": "1"}]}',
     ["links[0].source: no node with id 1", 'there is a node "1"']),
    ('{"nodes": [{"id": "a"}], "edges": [{"source": "a"}]}', ['edges[0]: missing "target"']),
    ('{"nodes": [{"id": "a"}], "links": [["a", "a"]]}', ["links[0]", 'expected an object with "source"']),
    ('{"nodes": [{"id": "a"}, {"name": "b"}], "links": []}', ['nodes[1]: expected an object with an "id"']),
    ('{"nodes": [{"id": null}], "links": []}', ["nodes[0].id", "got null"]),
    ('{"nodes": [{"id": {"k": 1}}], "links": []}', ["nodes[0].id", "got an object"]),
    ('{"nodes": [{"id": 2}, {"id": 2}], "links": []}', ["nodes[1].id: duplicate node id 2", "nodes[0].id"]),
    ('{"nodes": [{"id": -9223372036854775809}], "links": []}', ["nodes[0].id", "64-bit"]),
    ('{"directed": "yes", "nodes": [{"id": 1}], "links": []}', ['directed: expected true or false, got "yes"']),
    ('{"nodes": [{"id": 1}], "links": [], "edges": []}', ['both "links" and "edges"']),
    ('{"nodes": [{"id": 1}]}', ['missing "links"']),
    ('{"nodes": [], "links": []}', ["no nodes"]),
    ('{"nodes": [{"id": 1}], "links": [], "extra": 1}', ['unknown key "extra"', "node-link"]),
    ('{"nodes": [{"id": 1}, {"id": 2}], "links": [{"source": 1, "target": 2, "weight": 1}, {"source": 2, "target": 1}]}',
     ['links[1] has no "weight" but links[0] has one']),
    ('{"nodes": [{"id": 1}], "links": [{"source": 1, "target": 1, "weight": "heavy"}]}',
     ['links[0].weight: expected a number, got "heavy"']),
    (two_nodes('{"source": 1, "target": 2, "edge_attr": [1]}, {"source": 2, "target": 1}'),
     ['links[1] has no "edge_attr" but links[0] has one', "for all or for none"]),
    (two_nodes('{"source": 1, "target": 2}, {"source": 2, "target": 1, "edge_attr": [1]}'),
     ['links[0] has no "edge_attr" but links[1] has one']),
    (two_nodes('{"source": 1, "target": 2, "edge_attr": [1]}, {"source": 2, "target": 1, "edge_attr": null}', "edges"),
     ['edges[1] has no "edge_attr" but edges[0] has one']),
    (two_nodes('{"source": 1, "target": 2, "edge_attr": [1, 2]}, {"source": 2, "target": 1, "edge_attr": [1, 2]}, '
               '{"source": 1, "target": 1, "edge_attr": [3]}'),
     ["links[2].edge_attr has 1 values, expected 2 (as in links[0].edge_attr)"]),
    (two_nodes('{"source": 1, "target": 2, "edge_attr": [1]}, {"source": 2, "target": 1, "edge_attr": ["x"]}'),
     ['links[1].edge_attr[0]: expected a number, got "x"']),
    (two_nodes('{"source": 1, "target": 2, "edge_attr": [1, NaN]}'), ["links[0].edge_attr[1]", "NaN", "finite"]),
    (two_nodes('{"source": 1, "target": 2, "edge_attr": [1e999]}'), ["links[0].edge_attr[0]", "1e999"]),
    (two_nodes('{"source": 1, "target": 2, "edge_attr": 3}'),
     ["links[0].edge_attr: expected a list of numbers, got 3"]),
    (two_nodes('{"source": 1, "target": 2, "edge_attr": []}'), ["links[0].edge_attr: no values"]),
]


@pytest.mark.parametrize("text, words", JSON_ERRORS)
def test_json_errors(here, text, words):
    here({"g.json": text})
    check_error(InputError, "g.json", words, lambda: load_graph("g.json"))


TEXT_ERRORS = [
    # csv edge files
    ("e.csv", "src,dst\n0,1\n1,2,3\n", ["e.csv: line 3 (data row 2): 3 fields, expected 2"]),
    ("e.csv", "# note\n\nsrc,dst\n\n0,1\n1\n", ["e.csv: line 6 (data row 2): 1 field, expected 2"]),
    ("e.csv", 'src,dst\n0,1\n"2,3\n', ["e.csv: line 3", "malformed CSV", "quote"]),
    ("e.csv", 'src,dst\n0,"1"x\n', ["e.csv: line 2", "malformed CSV"]),
    ("e.csv", "a,b\n0,1\n", ["line 1", "header must have src,dst or source,target", "got a,b"]),
    ("e.csv", "0,1\n1,2\n", ["header must have", "got 0,1"]),
    ("e.csv", "src,dst,label\n0,1,x\n", ["e.csv: line 2 (data row 1): edge attribute 'label' (column 3): "
                                         "expected a number, got 'x'"]),
    ("e.csv", "src,dst,weight,len\n0,1,1,2\n1,0,1,2 m\n", ["e.csv: line 3 (data row 2): edge attribute 'len' "
                                                       "(column 4): expected a number, got '2 m'"]),
    ("e.csv", "cost,src,dst\n nan,0,1\n", ["line 2 (data row 1): edge attribute 'cost' (column 1)", "finite", "'nan'"]),
    ("e.csv", "src,dst,len\n0,1,1e400\n", ["line 2 (data row 1): edge attribute 'len'", "finite", "'1e400'"]),
    ("e.csv", "src,dst,len\n0,1,\n", ["line 2 (data row 1): edge attribute 'len'", "got ''"]),
    ("e.csv", "src,dst,weight,len\n0,1,1,x\n1,0,y,1\n", ["e.csv: line 2 (data row 1): edge attribute 'len'"]),
    ("e.csv", "src,dst,weight,len\n0,1,y,1\n1,0,1,x\n", ["e.csv: line 2 (data row 1): weight: expected a number"]),
    ("e.csv", "src,dst,len,cost\n0,1,2,3\n0,1,2\n",
     ["e.csv: line 3 (data row 2): 3 fields, expected 4 (src,dst,len,cost)"]),
    ("e.csv", "from,to,len\n0,1,2\n", ["e.csv: line 1: the header must have src,dst or source,target",
                                        "edge attribute", "got from,to,len"]),
    ("e.csv", "src,source,dst\n0,1,2\n", ["e.csv: line 1: the header has both 'src' and 'source' columns"]),
    ("e.csv", "Target,src,dst\n0,1,2\n", ["e.csv: line 1: the header has both 'Target' and 'dst' columns"]),
    ("e.csv", "src,dst,,len\n0,1,2,3\n", ["e.csv: line 1: column 3 has no name in the header (src,dst,,len)",
                                          "edge attributes"]),
    ("e.csv", "src,dst,len,LEN\n0,1,2,3\n", ["column 'LEN' appears twice"]),
    ("e.csv", "src,dst,SRC\n0,1,2\n", ["column 'SRC' appears twice"]),
    ("e.csv", "src,dst,weight\n0,1,1\n0,1,heavy\n", ["e.csv: line 3 (data row 2): weight: expected a number, got 'heavy'"]),
    ("e.csv", "src,dst,weight\n0,1,inf\n", ["line 2 (data row 1)", "finite", "'inf'"]),
    ("e.csv", "src,dst,weight\n0,1,nan\n", ["line 2 (data row 1)", "finite", "'nan'"]),
    ("e.csv", "src,dst,weight\n0,1,\n", ["line 2 (data row 1)", "weight", "got ''"]),
    ("e.csv", "src,dst\n0, \n", ["line 2 (data row 1): empty dst"]),
    ("e.csv", "src,dst\n", ["e.csv: has no edges and no nodes"]),
    ("e.csv", "src,dst\n1,99999999999999999999\n", ["e.csv: line 2 (data row 1)", "99999999999999999999", "64-bit"]),
    ("e.csv", "# only a comment\n", ["e.csv: the file is empty"]),
    # edge lists
    ("e.txt", "0 1\n2\n", ["e.txt: line 2: 1 field, expected 2 or more (source target [weight [edge attributes...]])"]),
    ("e.txt", "a\n", ["e.txt: line 1: 1 field, expected 2 or more"]),
    ("e.txt", "0 1 0.5\n# note\n1 2\n", ["e.txt: line 3: 2 fields, expected 3 as on line 1 (source target weight;",
                                          "same number of fields"]),
    ("e.txt", "0 1 2 3\n1 2 3\n", ["e.txt: line 2: 3 fields, expected 4 as on line 1 "
                                    "(source target weight and 1 edge attribute;"]),
    ("e.txt", "% c\n0 1 1 2 3\n1 0 1 2 3\n1 0 1 2\n", ["e.txt: line 4: 4 fields, expected 5 as on line 2 "
                                                       "(source target weight and 2 edge attributes;"]),
    ("e.txt", "0 1 1 2\n1 0 1 2 3 4\n", ["e.txt: line 2: 6 fields, expected 4 as on line 1"]),
    ("e.txt", "0 1 1 2 3\n1 0 1 x 3\n", ["e.txt: line 2: edge attribute 1 (column 4): expected a number, got 'x'"]),
    ("e.txt", "0 1 1 2 inf\n", ["e.txt: line 1: edge attribute 2 (column 5): expected a finite number, got 'inf'"]),
    ("e.txt", "0 1 1 2 3\n1 0 z 2 NaN\n", ["e.txt: line 2: weight: expected a number, got 'z'"]),
    ("e.txt", "0 1\n1 2 0.5\n", ["e.txt: line 2: 3 fields, expected 2 as on line 1"]),
    ("e.txt", "% c\n0 1 x\n", ["e.txt: line 2: weight: expected a number, got 'x'"]),
    ("e.txt", "0 1 1\n0 1 1e400\n", ["e.txt: line 2", "finite", "'1e400'"]),
    ("e.txt", "0 1 -inf\n", ["e.txt: line 1", "finite", "'-inf'"]),
    ("e.txt", "# a\n% b\n\n", ["e.txt: has no edges and no nodes"]),
    ("e.txt", " \n\t\n", ["e.txt: the file is empty"]),
    ("e.txt", "", ["e.txt: the file is empty"]),
    ("e.txt", "a -9223372036854775809\n", ["e.txt: line 1", "64-bit"]),
    # raw bytes
    ("e.txt", b"0 1\n\x00\x01", ["e.txt: not a text file (binary data at byte 4)"]),
    ("e.txt", b"0 1\n\xff", ["e.txt: not a text file (binary data at byte 4)"]),
    ("e.txt", b"\xef\xbb\xbf0 \xe9\n", ["e.txt: not a text file (binary data at byte 5)"]),
    ("g.json", "\ufeff{}".encode("utf-16"), ["g.json: not a text file", "UTF-16"]),
]


@pytest.mark.parametrize("name, content, words", TEXT_ERRORS)
def test_text_errors(here, name, content, words):
    here({name: content})
    check_error(InputError, name, words, lambda: load_graph(name))


NODE_FILE_ERRORS = [
    ("e.csv", "src,dst\n0,1\n1,9\n", "n.csv", "id,a\n0,1\n1,2\n", ["e.csv: line 3 (data row 2): node 9 is not in the node file n.csv"]),
    ("e.txt", "0 1\n\n1 c\n", "n.txt", "0 1\n1 2\n", ["e.txt: line 3: node 'c' is not in the node file n.txt"]),
    ("e.txt", "0 007\n", "n.txt", "0 1\n7 2\n", ["e.txt: line 1: node '007' is not in the node file n.txt"]),
    ("e.txt", "0 1\n", "n.csv", "id,a,b\n0,1,2\n1,x,3\n", ["n.csv: line 3, column 2 ('a'): feature: expected a number, got 'x'"]),
    ("e.txt", "0 1\n", "n.csv", "id,a\n0,1\n1,2\n1,3\n", ["n.csv: line 4: duplicate node id 1 (first on line 3)"]),
    ("e.txt", "0 1\n", "n.csv", "id,a\n0,1\n1,2,3\n", ["n.csv: line 3 (data row 2): 3 fields, expected 2"]),
    ("e.txt", "0 1\n", "n.csv", "id,a\n", ["n.csv: has no nodes"]),
    ("e.txt", "0 1\n", "n.csv", "id,a\n0,nan\n", ["n.csv: line 2, column 2 ('a')", "finite"]),
    ("e.txt", "0 1\n", "n.txt", "# ids\n0 1 2\n1 2 x\n", ["n.txt: line 3, column 3: feature: expected a number, got 'x'"]),
    ("e.txt", "0 1\n", "n.txt", "0 1 2\n1 2\n", ["n.txt: line 2: 2 fields, expected 3", "as on line 1"]),
    ("e.txt", "0 1\n", "n.txt", "a 1\nb 2\na 3\n", ["n.txt: line 3: duplicate node id 'a' (first on line 1)"]),
    ("e.txt", "0 1\n", "n.txt", "# nothing\n", ["n.txt: has no nodes"]),
    ("e.txt", "0 1\n", "n.txt", "", ["n.txt: the file is empty"]),
]


@pytest.mark.parametrize("edges, edge_text, nodes, node_text, words", NODE_FILE_ERRORS)
def test_node_file_errors(here, edges, edge_text, nodes, node_text, words):
    here({edges: edge_text, nodes: node_text})
    check_error(InputError, words[0].split(":")[0], words, lambda: load_graph(edges, node_features=nodes))


def test_file_errors(here, tmp_path):
    (tmp_path / "d.txt").mkdir()
    here({"e.txt": "0 1\n"})
    check_error(InputError, "nope.txt", ["nope.txt: no such file"], lambda: load_graph("nope.txt"))
    check_error(InputError, "d.txt", ["d.txt: is a directory"], lambda: load_graph("d.txt"))
    check_error(InputError, "n.txt", ["n.txt: no such file"], lambda: load_graph("e.txt", node_features="n.txt"))


@pytest.mark.parametrize("call, words", [
    (lambda: load_graph("g.xyz"), ["g.xyz", "'.xyz'", "--input-format", "json", "csv", "edgelist"]),
    (lambda: load_graph("graph"), ["graph", "without extension", "--input-format"]),
    (lambda: load_graph("g.json", node_features="n.csv"), ["g.json", "--node-features", '"x"']),
    (lambda: load_graph("-", node_features="n.csv", stdin=io.StringIO("{}")), ["<stdin>", "--node-features"]),
    (lambda: load_graph("-", node_features="-"), ["the graph and --node-features", "stdin"]),
])
def test_usage_errors(here, call, words):
    here({"g.xyz": "0 1\n", "graph": "0 1\n", "g.json": SEED_TENSOR_JSON, "n.csv": SEED_NODES_CSV})
    check_error(UsageError, words[0], words, call, as_cli=True)


def test_unknown_input_format_is_a_config_error(here):
    here({"e.txt": "0 1\n"})
    with pytest.raises(ConfigError) as e:
        load_graph("e.txt", input_format="graphml")
    assert re.match(r"--input-format: unknown input format 'graphml'; valid: ", cli_message(e.value))
    assert str(e.value).startswith("input_format: unknown input format 'graphml'")  # the library names its argument


def test_stdin_errors_name_stdin():
    check_error(InputError, "<stdin>", ["<stdin>: line 2: 1 field"], lambda: load_graph("-", stdin=io.StringIO("0 1\n2\n")))
    check_error(InputError, "<stdin>", ["<stdin>:1:2: malformed JSON"], lambda: load_graph("-", stdin=io.StringIO("{x")))
    check_error(InputError, "<stdin>", ["<stdin>: the file is empty"], lambda: load_graph("-", stdin=io.StringIO("\n")))


def check_error(kind, prefix, words, call, as_cli=False):
    """``call()`` raises ``kind`` with a one-line message starting with ``prefix`` and containing ``words``
    (``as_cli``: the message as the CLI shows it, settings named as flags; the library's names no flag)."""
    with pytest.raises(kind) as info:
        call()
    message = cli_message(info.value) if as_cli else str(info.value)
    assert "--" not in str(info.value), str(info.value)
    assert type(info.value) is kind
    assert message.startswith(prefix), message
    assert "\n" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


# -- the bulk (vectorised) reader against the exact one -----------------------------------


def exact_graph(path: str, fmt: str, node_path: str | None = None):
    """The graph as the line-by-line reader makes it (never the bulk path)."""
    text, name = read_text(path)
    nodes = None
    if node_path is not None:
        node_text, node_name = read_text(node_path)
        module = csvfmt if node_path.endswith(".csv") else edgelist
        nodes = module.read_nodes(node_text, node_name)
    return (csvfmt if fmt == "csv" else edgelist).load(text, name, nodes)


def assert_same_graph(a, b) -> None:
    assert a.edge_index.dtype == b.edge_index.dtype == torch.int64 and a.edge_index.is_contiguous()
    assert torch.equal(a.edge_index, b.edge_index)
    assert a.node_ids == b.node_ids and [type(i) for i in a.node_ids] == [type(i) for i in b.node_ids]
    for got, want in ((a.x, b.x), (a.edge_weight, b.edge_weight), (a.edge_attr, b.edge_attr)):
        assert (got is None) == (want is None)
        if got is not None:
            assert got.dtype == want.dtype and got.shape == want.shape and got.is_contiguous()
            assert torch.equal(got, want) and torch.equal(torch.signbit(got), torch.signbit(want))
    assert a.source == b.source


def generated_edges(rng, n: int, *, weights: int = 0, negative: bool = False, spread: int = 1000) -> list[list[str]]:
    """Rows of ``n`` random edges as text: two integer ids and ``weights`` numbers in varied spellings."""
    low = -spread if negative else 0
    ids = rng.integers(low, spread, (n, 2))
    spellings = [lambda v: repr(float(v)), lambda v: f"{v:.3f}", lambda v: f"{v:g}", lambda v: str(int(v * 100)),
                 lambda v: f"{v:.2e}", lambda v: f"{v:.15f}", lambda v: "-0" if v < 0 else "0.5"]
    rows = []
    for a, b in ids.tolist():
        row = [str(a), str(b)]
        for _ in range(weights):
            v = float(rng.standard_normal() * 10.0 ** rng.integers(-3, 4))
            row.append(spellings[int(rng.integers(len(spellings)))](v))
        rows.append(row)
    return rows


BULK_CASES = {
    "csv-ids": lambda rows: "src,dst\n" + "".join(",".join(r[:2]) + "\n" for r in rows),
    "csv-weight-attrs": lambda rows: "dst,weight,src,len,cost\n" + "".join(f"{r[1]},{r[2]},{r[0]},{r[3]},{r[4]}\n"
                                                                         for r in rows),
    "csv-crlf-blanks": lambda rows: "# made by a tool\r\n\r\n Source , Target ,weight\r\n"
                                     + "".join(f"{r[0]}, {r[1]} ,\t{r[2]}\r\n" for r in rows),
    "csv-no-final-newline": lambda rows: "src,dst,weight\n" + "\n".join(",".join(r[:3]) for r in rows),
    "csv-bom": lambda rows: "\ufeffsrc,dst\n" + "".join(",".join(r[:2]) + "\n" for r in rows) + "\n\n",
    "snap": lambda rows: "# Directed graph (each unordered pair of nodes is saved once)\n# Nodes: 1000 Edges: 9\n"
                         "# FromNodeId\tToNodeId\n" + "".join("\t".join(r[:2]) + "\n" for r in rows),
    "edgelist-weights-attrs": lambda rows: "% src dst w a b\n" + "".join(" ".join(r[:5]) + "\n" for r in rows),
    "edgelist-ragged-blanks": lambda rows: "".join(("  " if i % 3 else "") + "  \t ".join(r[:3])
                                                   + (" \n\n" if i % 5 == 0 else "\n") for i, r in enumerate(rows)),
    "edgelist-crlf-no-final-newline": lambda rows: "\r\n".join(" ".join(r[:2]) for r in rows),
}


@pytest.mark.parametrize("block", [256, 1 << 20], ids=["small-blocks", "default-blocks"])
@pytest.mark.parametrize("case", list(BULK_CASES))
def test_bulk_reader_gives_the_exact_readers_graph(here, monkeypatch, case, block):
    monkeypatch.setattr(bulk, "BLOCK_SIZE", block)  # small blocks: many threads, rows across block ends
    monkeypatch.setattr(intscan, "CHUNK", block // 4)  # and chunk boundaries of the integer reader
    rng = np.random.default_rng(sum(map(ord, case)))
    rows = generated_edges(rng, 600, weights=3, negative="attrs" in case or "crlf" in case)
    fmt = "csv" if case.startswith("csv") else "edgelist"
    name = "e.csv" if fmt == "csv" else "e.txt"
    text = BULK_CASES[case](rows)
    here({name: text})
    assert (csvfmt if fmt == "csv" else edgelist).scan(text.encode()) is not None, "the bulk path stepped aside"
    graph = load_graph(name)
    assert_same_graph(graph, exact_graph(name, fmt))
    assert graph.num_edges == 600


@pytest.mark.parametrize("node_file", ["n.csv", "n.txt"])
def test_bulk_node_file_and_edges_against_it(here, node_file):
    rng = np.random.default_rng(1)
    order = rng.permutation(500) - 100
    features = rng.standard_normal((500, 3)).round(4)
    if node_file == "n.csv":
        text = "# nodes\nid,a,b,c\n" + "".join(f"{i},{a},{b},{c}\n" for i, (a, b, c) in zip(order, features))
    else:
        text = "% id a b c\n" + "".join(f"{i} {a} {b} {c}\n" for i, (a, b, c) in zip(order, features))
    edges = rng.choice(order, (2000, 2))
    here({node_file: text, "e.txt": "".join(f"{a} {b}\n" for a, b in edges)})
    graph = load_graph("e.txt", node_features=node_file)
    assert_same_graph(graph, exact_graph("e.txt", "edgelist", node_file))
    assert graph.node_ids == order.tolist()
    assert torch.equal(graph.x, torch.tensor(features))


@pytest.mark.parametrize("name, text, bulk_reads", [
    ("e.csv", 'src,dst\n1,2\n"3",4\n', False),              # quotes
    ("e.csv", "src,dst\n1,2\n\n3,4\n", True),                # a blank line between data lines
    ("e.csv", "src,dst\n1,2\na,b\n", False),                  # string ids
    ("e.csv", "src,dst\n1,2\n007,4\n", False),                # "007" is a string id
    ("e.csv", "src,dst\n1,2\n-0,4\n", True),                  # "-0" is node 0
    ("e.csv", "src,dst,w\n1,2,1\n-0,4,1\n", False),           # read as text by Arrow, "-0" is too long
    ("e.csv", "src,dst\n1,2\r3,4\n", False),                  # a bare CR ends a CSV row
    ("e.txt", "1 2\n# a comment after the data\n3 4\n", True),
    ("e.txt", "1 2\n3 9223372036854775807\n", True),           # 19 digits, within int64
    ("e.txt", "1 2\n3 9223372036854775808\n", False),          # beyond int64: the exact reader says so
    ("e.txt", "1 2 0.5\n3 4 1_000\n", False),                  # Python's float reads it, Arrow does not
    ("e.txt", "1 2\n3 4\x0b\n", True),                         # a vertical tab is whitespace to str.split
    ("e.txt", "1 2\r3 4\n", True),                              # and so is a bare CR in an edge list
    ("e.txt", "1 2\n3 \u00e9\n", False),                       # not ASCII
])
def test_bulk_reader_steps_aside_or_agrees(here, name, text, bulk_reads):
    here({name: text})
    fmt = "csv" if name.endswith(".csv") else "edgelist"
    module = csvfmt if fmt == "csv" else edgelist
    scanned = module.scan(text.encode())
    assert (scanned is not None) == bulk_reads
    try:
        expected = exact_graph(name, fmt)
    except InputError:
        assert not bulk_reads
        return
    assert_same_graph(load_graph(name), expected)


def big_file(lines: int, bad_line: int, bad: str, csv_file: bool) -> str:
    """``lines`` lines of integer edges; line ``bad_line`` (1-based, counting the header) is ``bad``."""
    rows = [f"{i % 997},{(i * 7) % 1009}" if csv_file else f"{i % 997} {(i * 7) % 1009}" for i in range(lines)]
    if csv_file:
        rows[0] = "src,dst,weight"
        rows = [rows[0]] + [r + ",0.5" for r in rows[1:]]
    rows[bad_line - 1] = bad
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("name, bad, words", [
    ("e.csv", "5,6,7,8", "e.csv: line 150001 (data row 150000): 4 fields, expected 3 (src,dst,weight)"),
    ("e.csv", "5,6,heavy", "e.csv: line 150001 (data row 150000): weight: expected a number, got 'heavy'"),
    ("e.csv", "5,6,inf", "e.csv: line 150001 (data row 150000): weight: expected a finite number, got 'inf'"),
    ("e.csv", "5,,1", "e.csv: line 150001 (data row 150000): empty dst"),
    ("e.csv", '5,"6"x,1', "e.csv: line 150001: malformed CSV"),
    ("e.csv", "5,99999999999999999999,1", "e.csv: line 150001 (data row 150000): node id 99999999999999999999"),
    ("e.txt", "5 6 7", "e.txt: line 150001: 3 fields, expected 2 as on line 1"),
    ("e.txt", "5", "e.txt: line 150001: 1 field, expected 2 or more"),
])
def test_a_bad_line_deep_in_a_big_file_keeps_its_line_number(here, name, bad, words):
    here({name: big_file(200_000, 150_001, bad, name.endswith(".csv"))})
    check_error(InputError, name, [words], lambda: load_graph(name))


def test_a_missing_node_deep_in_a_big_file_keeps_its_line_number(here):
    lines = [f"{i % 50} {(i + 1) % 50}" for i in range(100_000)]
    lines[87_654] = "3 77"
    here({"e.txt": "\n".join(lines) + "\n", "n.txt": "".join(f"{i}\n" for i in range(50))})
    check_error(InputError, "e.txt", ["e.txt: line 87655: node 77 is not in the node file n.txt"],
                lambda: load_graph("e.txt", node_features="n.txt"))


_IDS = st.sampled_from(["0", "1", "7", "-3", "-0", "12", "123456789012", "999999999999999999", "007", "+5",
                        "a", "1.0", "x y", "#1", "%2", ""])
_NUMBERS = st.sampled_from(["0", "1", "-2", "0.5", "-0.25", "5.", ".5", "-.5", "1e3", "1E-3", "+2", "inf", "nan",
                            "1_000", "abc", "", "1.2.3", "-", ".", "123456789012345", "1234567890123456",
                            "007.5", "1e400", "-0.0", "3.14159"])
_BLANK = st.sampled_from(["", "", "", " ", "\t", "  "])


@st.composite
def text_graph_files(draw) -> tuple[bool, str]:
    """``(is_csv, text)``: a small CSV or edge-list file of plain and awkward tokens, some lines malformed."""
    csv_file = draw(st.booleans())
    width = draw(st.integers(2, 4))
    lines = draw(st.lists(st.sampled_from(["# c, d", "% e", "", " "]), max_size=2))
    if csv_file:
        lines.append(",".join(["src", "dst", "weight", "len"][:width]))
    for _ in range(draw(st.integers(1, 12))):
        cells = [draw(_IDS), draw(_IDS)] + [draw(_NUMBERS) for _ in range(width - 2)]
        if draw(st.integers(0, 9)) == 0:
            cells = cells[:-1] if len(cells) > 2 else cells + ["1"]
        sep = "," if csv_file else draw(st.sampled_from([" ", "\t", "  "]))
        lines.append(draw(_BLANK) + sep.join(draw(_BLANK) + c + draw(_BLANK) for c in cells) + draw(_BLANK))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return csv_file, newline.join(lines) + draw(st.sampled_from(["", newline, newline * 2]))


@settings(max_examples=400, deadline=None)
@given(text_graph_files(), st.sampled_from([128, 1 << 20]))
def test_bulk_reader_agrees_with_the_exact_one_on_random_files(file, block):
    """The bulk reader either steps aside (``None``) or gives exactly the exact reader's
    graph, and never accepts a file the exact reader rejects."""
    csv_file, text = file
    module = csvfmt if csv_file else edgelist
    default, bulk.BLOCK_SIZE, chunk, intscan.CHUNK = bulk.BLOCK_SIZE, block, intscan.CHUNK, block // 8
    try:
        edges = module.scan(text.encode())
    finally:
        bulk.BLOCK_SIZE, intscan.CHUNK = default, chunk
    try:
        expected = module.load(decode(text.encode(), "f"), "f", None)
    except InputError:
        expected = None
    graph = None if edges is None else build_graph_bulk(edges, "f", None)
    if graph is not None:
        assert expected is not None, "the bulk reader accepted a file the exact reader rejects"
        assert_same_graph(graph, expected)


def test_rank_ints_matches_numpy_unique_in_every_regime():
    rng = np.random.default_rng(7)
    for values in (rng.integers(0, 50, 400),                          # lookup table from 0
                   rng.integers(10**12, 10**12 + 60, (2, 200)),      # lookup table from the minimum
                   rng.integers(-10**15, 10**15, 3000),              # packed sort
                   np.array([2**63 - 1, -(2**63), 0, 5, 5]),          # np.unique
                   np.zeros(0, np.int64)):
        positions, distinct = rank_ints(values)
        want_distinct, want_positions = np.unique(values, return_inverse=True)
        assert np.array_equal(distinct, want_distinct)
        assert np.array_equal(positions, want_positions.reshape(values.shape)) and positions.dtype == np.int64
        keys = rng.permutation(want_distinct)[: len(want_distinct) // 2]
        found = np.arange(len(keys), dtype=np.int64) + 10
        got, hit = lookup_ints(values, keys, found)
        table = dict(zip(keys.tolist(), found.tolist()))
        assert hit.shape == values.shape and hit.ravel().tolist() == [v in table for v in values.ravel().tolist()]
        assert [g for g, h in zip(got.ravel().tolist(), hit.ravel().tolist()) if h] == \
            [table[v] for v in values.ravel().tolist() if v in table]


HARD_NUMBERS = [
    "0.1", "0.3", "5.", ".5", "-.5", "+2", "1e3", "1E-3", "-0", "-0.0", "9007199254740993", "123456789012345",
    "1234567890123456789012345", "0.000000000000001", "2.2250738585072011e-308", "2.2250738585072014e-308",
    "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400",
    "1.7976931348623157e308", "1.7976931348623158e308", "9007199254740992.5", "9007199254740993.0000000001",
    "0.30000000000000004", "8.589973e9", "7.1e-10", "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203124", "123456789e-30", "3.4028235e38",
]


def numbers_file(texts: list[str], csv_file: bool) -> bytes:
    if csv_file:
        return ("src,dst,weight\n" + "".join(f"{i},{i + 1},{t}\n" for i, t in enumerate(texts))).encode()
    return "".join(f"{i}\t{i + 1}\t{t}\n" for i, t in enumerate(texts)).encode()


@pytest.mark.parametrize("csv_file", [True, False], ids=["csv", "edgelist"])
def test_bulk_numbers_are_read_exactly_as_python_reads_them(csv_file):
    rng = np.random.default_rng(11)
    texts = HARD_NUMBERS + [repr(float(v)) for v in rng.standard_normal(2000) * 10.0 ** rng.integers(-300, 300, 2000)]
    texts += [f"{rng.integers(0, 10**k)}.{rng.integers(0, 10**j):0{j}d}" for k, j in rng.integers(0, 18, (2000, 2))]
    texts += [repr(float(v)) for v in rng.integers(0, 2**63, 2000, dtype=np.int64).view(np.float64)
              if np.isfinite(v)]  # every exponent, subnormals too
    edges = (csvfmt if csv_file else edgelist).scan(numbers_file(texts, csv_file))
    assert edges is not None
    got = edges.values[:, 0]
    want = np.array([float(t) for t in texts])
    assert np.array_equal(got.view(np.int64), want.view(np.int64))  # bit for bit, the sign of zero too


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.25e}"),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: f"{v:.9g}"),
    st.from_regex(r"[-+]?[0-9]{0,30}(\.[0-9]{0,30})?([eE][-+]?[0-9]{0,4})?", fullmatch=True),
    st.sampled_from(["1.e5", ".e5", "e", "1e5.5", "1.5E+", "- 1", "1 .5", "0x1p3", "0x10", "1.5d", "1e0005",
                     "00001.5", "-.0", ".", "+.5", "+-1", "--1", "1e+-1", "infinity", "-Inf", "NaN", "1.5 ",
                     "1_000", "1e400", "-1e-400"]),
), min_size=1, max_size=30), st.booleans())
def test_bulk_numbers_agree_with_python_float_on_random_texts(texts, csv_file):
    """Arrow's parser either steps aside or gives exactly Python's float for every field."""
    assume(csv_file or all(t and t.split() == [t] for t in texts))  # an edge-list field has no blanks
    edges = (csvfmt if csv_file else edgelist).scan(numbers_file(texts, csv_file))
    try:
        want = np.array([float(t) for t in texts])
    except ValueError:
        assert edges is None  # the exact reader names the bad value
        return
    if not np.isfinite(want).all():
        assert edges is None  # and the non-finite one
        return
    if edges is not None:  # Arrow may step aside (1_000), never differ
        assert np.array_equal(edges.values[:, 0].view(np.int64), want.view(np.int64)), texts
