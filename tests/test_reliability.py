"""Issue 6's bad inputs, table-driven through the real CLI, plus CLI-level property and soak tests.

Each case: the exit code, the key words of the one stderr line, and an empty stdout.
"""

import gc
import json
import resource

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnnprop.configure import from_mapping
from gnnprop.graph import Graph
from gnnprop.engine.session import prepare

from .clitools import cli, fails
from .conftest import SAMPLES

SEED = str(SAMPLES / "seed_example.json")
GOOD_X = '"x": [[1], [2]]'

# (name, file name, content (str or bytes), exit code, words)
GRAPHS = [
    ("json malformed", "g.json", '{"x": [[1]],\n "edge_index": [[0], [0]', 1, ["g.json:2:", "malformed JSON"]),
    ("json duplicate key", "g.json", '{"x": [[1]], "x": [[2]], "edge_index": [[0], [0]]}', 1, ["duplicate key", '"x"']),
    ("json NaN", "g.json", '{"x": [[NaN]], "edge_index": [[0], [0]]}', 1, ["NaN"]),
    ("json Infinity", "g.json", '{"x": [[Infinity]], "edge_index": [[0], [0]]}', 1, ["Infinity"]),
    ("json 1e400", "g.json", '{"x": [[1e400]], "edge_index": [[0], [0]]}', 1, ["x[0][0]"]),
    ("json int beyond 2**63", "g.json", '{%s, "edge_index": [[0], [99999999999999999999]]}' % GOOD_X, 1,
     ["edge_index[1][0]"]),
    ("json too deep", "g.json", '{"x": [[[1]], [[2]]], "edge_index": [[0], [1]]}', 1, ["x[0][0]"]),
    ("json top-level list", "g.json", "[1, 2, 3]", 1, ["g.json"]),
    ("json ragged x", "g.json", '{"x": [[1, 2], [3]], "edge_index": [[0], [1]]}', 1, ["x[1]"]),
    ("json string feature", "g.json", '{"x": [["a"], [2]], "edge_index": [[0], [1]]}', 1, ["x[0][0]", "number"]),
    ("json edge_index shape", "g.json", '{%s, "edge_index": [[0, 1]]}' % GOOD_X, 1, ["edge_index", "[2, E]"]),
    ("json index out of range", "g.json", '{%s, "edge_index": [[0], [7]]}' % GOOD_X, 1, ["edge_index[1][0]", "7"]),
    ("csv wrong field count", "g.csv", "src,dst\n0,1\n1,2,3,4\n", 1, ["line 3", "data row 2"]),
    ("csv unterminated quote", "g.csv", 'src,dst\n"0,1\n', 1, ["g.csv", "line"]),
    ("csv missing header column", "g.csv", "src,weight\n0,1\n", 1, ["header", "src,dst"]),
    ("csv weight not finite", "g.csv", "src,dst,weight\n0,1,inf\n", 1, ["line 2", "inf"]),
    ("csv weight not a number", "g.csv", "src,dst,weight\n0,1,heavy\n", 1, ["line 2", "heavy"]),
    ("csv empty", "g.csv", "", 1, ["empty"]),
    ("csv header only: 0 nodes", "g.csv", "src,dst\n", 1, ["no nodes"]),
    ("json 0 nodes", "g.json", '{"x": [], "edge_index": [[], []]}', 1, ["no nodes"]),
    ("edgelist only comments", "g.txt", "# nothing\n% here\n", 1, ["g.txt"]),
    ("edgelist binary", "g.txt", b"\x00\x01\x02\xff", 1, ["not a text file"]),
    ("edgelist field count", "g.txt", "0 1\n1 2 0.5 1 2\n0\n", 1, ["line 2", "5 fields"]),
]


@pytest.mark.parametrize("name, fname, content, code, words", GRAPHS, ids=[g[0] for g in GRAPHS])
def test_bad_graph_files(tmp_path, name, fname, content, code, words):
    path = tmp_path / fname
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    fails(cli("run", str(path), "--rounds", "1"), code, str(path), *words)


@pytest.mark.parametrize("content", ["\ufeffsrc,dst\r\n0,1\r\n1,0\r\n", "src,dst\r\n0,1\r\n"], ids=["bom", "crlf"])
def test_bom_and_crlf_are_accepted(tmp_path, content):
    path = tmp_path / "g.csv"
    path.write_bytes(content.encode("utf-8"))
    assert cli("run", str(path), "--rounds", "1").code == 0


def test_edge_naming_a_node_the_node_table_lacks(tmp_path):
    (tmp_path / "n.csv").write_text("id,f\n0,1\n1,2\n")
    (tmp_path / "e.csv").write_text("src,dst\n0,1\n1,5\n")
    fails(cli("run", str(tmp_path / "e.csv"), "--node-features", str(tmp_path / "n.csv")), 1, "line 3", "5")


CONFIGS = [
    ("unknown key", "layer:\n  tpye: nn\n", 2, ["layer.tpye: unknown key"]),
    ("wrong type", "rounds: {mode: converge, max_rounds: many}\n", 2, ["rounds.max_rounds", "integer"]),
    ("no as false", "layer: {type: no}\n", 2, ["expected a string, got false", "quote"]),
    ("duplicate key", "seed: 1\nseed: 2\n", 2, ["duplicate key 'seed'"]),
    ("alias bomb", "a: &a [x, x]\n" + "".join(f"a{i}: &a{i} [*{'a' if i == 0 else f'a{i-1}'}, *{'a' if i == 0 else f'a{i-1}'}]\n"
                                             for i in range(80)), 2, ["aliases"]),
    ("python tag", "seed: !!python/object/apply:os.system ['touch MARKER']\n", 2, ["constructor"]),
    ("bad expression", "layer: {message: \"__import__('os').system('touch MARKER')\"}\n", 2, ["layer.message"]),
    ("lambda", "layer: {update: \"lambda: x\"}\n", 2, ["lambda"]),
    ("rule call", "rounds: {mode: rule, if: \"open('f')\", then: 1, else: 2}\n", 2, ["rounds.if", "open"]),
]


@pytest.mark.parametrize("name, text, code, words", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_bad_configs(tmp_path, monkeypatch, name, text, code, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(text)
    fails(cli("run", SEED, "-c", "c.yaml"), code, "c.yaml", *words)
    assert not (tmp_path / "MARKER").exists()


def test_yaml_1_1_float_is_read_as_the_number(tmp_path):
    (tmp_path / "c.yaml").write_text("rounds: {mode: converge, tol: 1e-3, max_rounds: 50}\n")
    out = cli("run", SEED, "-c", str(tmp_path / "c.yaml"), "--last", "--message", "x_j",
              "--update", "0.5 * x + 0.5 * aggr_out", "--aggr", "mean")
    assert out.code == 0 and json.loads(out.stdout)["meta"]["converged"] is True


# --- property: arbitrary bytes through the CLI ----------------------------------

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.binary(max_size=120), ext=st.sampled_from(["json", "csv", "txt"]))
def test_cli_on_arbitrary_graph_bytes(tmp_path_factory, data, ext):
    path = tmp_path_factory.mktemp("g") / f"g.{ext}"
    path.write_bytes(data)
    _clean(cli("run", str(path), "--rounds", "1"))


@SETTINGS
@given(text=st.text(alphabet="layer:typefixednnaggrmaxroundsmode{}[],: \n-0123456789.\"'&*!#", max_size=120))
def test_cli_on_arbitrary_yaml(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("c") / "c.yaml"
    path.write_text(text)
    _clean(cli("run", SEED, "-c", str(path), "--rounds", "1"))


def _clean(out):
    assert out.code in (0, 1, 2), (out.code, out.stderr)
    assert "Traceback" not in out.stderr
    if out.code != 0:
        assert out.stdout == ""
        assert len(out.stderr.strip().splitlines()) == 1


# --- soak: many small graphs in one process -----------------------------------------

def test_soak_1000_small_graphs_memory_stays_flat():
    def batch(start):
        for k in range(start, start + 500):
            gen = torch.Generator().manual_seed(k)
            n = 3 + k % 9
            g = Graph(torch.randint(0, n, (2, 4 * n), generator=gen), list(range(n)),
                      x=torch.randn(n, 3, generator=gen, dtype=torch.float64))
            layer = ["fixed", "nn", "residual"][k % 3]
            session = prepare(g, from_mapping({"layer": {"type": layer}, "rounds": 2, "seed": k,
                                               "aggr": ["sum", "mean", "max", "min"][k % 4]}))
            for _ in session.propagate():
                pass
        gc.collect()
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux

    batch(0)  # warm up: imports, PyG's generated code, allocator pools
    first = batch(500)
    second = batch(1000)
    assert second - first < 20_000, (first, second)  # under 20 MB growth over the second 500 graphs
