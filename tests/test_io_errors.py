"""Graph loaders: every bad file is one line naming the file, the place and what was expected."""


from __future__ import annotations

import io
import re

import pytest

from gnnprop.cli.app import cli_message
from gnnprop.errors import ConfigError, InputError, UsageError
from gnnprop.io import load_graph

from .iosamples import SEED_NODES_CSV, SEED_TENSOR_JSON, check_error

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


