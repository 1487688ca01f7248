"""Graph loaders: every format reads the same graph; edge attributes, ids and order, undirected, stdin, encodings."""


from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from gnnprop.errors import InputError
from gnnprop.io import FORMATS, detect_format, load_graph
from gnnprop.io.ids import index_tokens, parse_token

from .iosamples import (
    ATTR_A,
    ATTR_CSV,
    ATTR_EDGELIST,
    ATTR_NODE_LINK_JSON,
    ATTR_PAIRS,
    ATTR_TENSOR_JSON,
    ATTR_TEXT,
    ATTR_W,
    SEED_CSV,
    SEED_EDGELIST,
    SEED_NODE_LINK_JSON,
    SEED_NODES_CSV,
    SEED_NODES_TXT,
    SEED_TENSOR_JSON,
    assert_seed,
    ei,
)

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
