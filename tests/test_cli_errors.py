"""Every error the run issue lists, through the real CLI: exit code, one line naming file and place, empty stdout."""

import pytest

from .clitools import cli, fails
from .conftest import SAMPLES

SEED = str(SAMPLES / "seed_example.json")

CASES = [
    # (file name, content, extra args, exit code, words in the message)
    ("malformed.json", '{"x": [[1, 2],\n  [3, 4]\n "edge_index": []}', [], 1, ["malformed.json:3:2", "malformed JSON"]),
    ("fields.csv", "src,dst\n0,1\n1,2,3,4\n", [], 1, ["fields.csv", "line 3", "row 2", "expected"]),
    ("fields.txt", "# comment\n0 1\n1 2 0.5 7\n", [], 1, ["fields.txt", "line 3", "4 fields"]),
    ("ghost.csv", "src,dst\n1,2\n2,9\n", ["--node-features", "NODES"], 1, ["ghost.csv", "line 3", "node 9 is not in the node file"]),
    ("negative.json", '{"x": [[1], [2]], "edge_index": [[0, -1], [1, 0]]}', [], 1,
     ["negative.json", "edge_index[0][1]", "-1"]),
    ("fraction.json", '{"x": [[1], [2]], "edge_index": [[0, 1.5], [1, 0]]}', [], 1,
     ["fraction.json", "edge_index[0][1]", "1.5"]),
    ("range.json", '{"x": [[1], [2]], "edge_index": [[0, 2], [1, 0]]}', [], 1, ["range.json", "edge_index[0][1]", "2"]),
    ("ragged.json", '{"x": [[1, 2], [3]], "edge_index": [[0], [1]]}', [], 1, ["ragged.json", "x[1]", "expected 2"]),
    ("text.json", '{"x": [[1, "a"], [3, 4]], "edge_index": [[0], [1]]}', [], 1, ["text.json", "x[0][1]", "number"]),
    ("nan.json", '{"x": [[1, NaN], [3, 4]], "edge_index": [[0], [1]]}', [], 1, ["nan.json", "NaN"]),
    ("huge.json", '{"x": [[1, 1e400], [3, 4]], "edge_index": [[0], [1]]}', [], 1, ["huge.json", "x[0][1]"]),
    ("empty.csv", "", [], 1, ["empty.csv", "empty"]),
    ("empty.json", "  \n", [], 1, ["empty.json", "empty"]),
    ("shape.json", '{"x": [[1], [2]], "edge_index": [[0, 1]]}', [], 1, ["shape.json", "edge_index", "[2, E]"]),
    ("badfeat.csv", "src,dst\n1,2\n", ["--node-features", "BADNODES"], 1, ["nodes.csv", "line 2", "abc"]),
    ("weight.txt", "1 2 heavy\n", [], 1, ["weight.txt", "line 1", "heavy"]),
    ("binary.txt", "\x00\x01\x02", [], 1, ["binary.txt", "not a text file"]),
]


@pytest.mark.parametrize("name, content, extra, code, words", CASES, ids=[c[0] for c in CASES])
def test_bad_graph_input(tmp_path, name, content, extra, code, words):
    path = tmp_path / name
    path.write_text(content)
    nodes = tmp_path / "nodes.csv"
    if "NODES" in extra:
        nodes.write_text("id,f\n1,0.5\n2,1.5\n")
    if "BADNODES" in extra:
        nodes.write_text("id,f\n1,abc\n2,1.5\n")
    args = [str(nodes) if a in ("NODES", "BADNODES") else a for a in extra]
    fails(cli("run", str(path), *args), code, *words)
    fails(cli("validate", str(path), *args), code, *words)


def test_missing_file():
    fails(cli("run", "no/such/graph.json"), 1, "no/such/graph.json: no such file")


def test_unknown_extension(tmp_path):
    p = tmp_path / "graph.xyz"
    p.write_text("1 2\n")
    fails(cli("run", str(p)), 2, "graph.xyz", "--input-format")
    assert cli("run", str(p), "--input-format", "edgelist", "--rounds", "1").code == 0


@pytest.mark.parametrize("args, words", [
    (["--layer", "transfomer"], ["unknown layer 'transfomer'", "closest: TransformerConv"]),
    (["--aggr", "avg"], ["unknown aggregation 'avg'", "valid:"]),
    (["--update", "x + aggr_out.sum()"], ["--update (layer.update)", "calling 'aggr_out.sum'"]),
    (["--message", "x_i + "], ["--message (layer.message)", "cannot parse"]),
    (["--message", "x + 1"], ["name 'x'", "x_i, x_j, edge_weight"]),
])
def test_bad_layer_and_aggregation(args, words):
    fails(cli("run", SEED, *args), 2, *words)
