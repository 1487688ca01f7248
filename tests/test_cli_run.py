"""`gnnprop run` end to end: golden figures, every output format, terminal and pipe."""

import csv
import io
import json

import numpy as np
import pytest

from .clitools import cli, fails
from .conftest import CONFIGS, ROUND1, ROUND10, SAMPLES

SEED = str(SAMPLES / "seed_example.json")


def test_readme_command_round_1_json():
    out = cli("run", SEED, "--layer", "fixed", "--aggr", "max", "--rounds", "1")
    assert out.code == 0 and out.stderr == ""
    doc = json.loads(out.stdout)
    assert doc["nodes"] == [0, 1, 2, 3]
    assert [r["round"] for r in doc["rounds"]] == [0, 1]
    assert doc["rounds"][1]["x"] == ROUND1
    assert doc["meta"]["layer"] == "fixed" and doc["meta"]["aggr"] == "max"
    assert doc["meta"]["rounds_run"] == 1 and doc["meta"]["device"] == "cpu"
    assert doc["meta"]["stop_reason"] == "1 round (static)"


def test_round_10_figures_read_back_exactly_in_float32():
    out = cli("run", SEED, "--rounds", "10", "--last")
    doc = json.loads(out.stdout)
    assert [r["round"] for r in doc["rounds"]] == [10]
    got = np.array(doc["rounds"][0]["x"], dtype=np.float32)
    assert np.array_equal(got, np.array(ROUND10, dtype=np.float32))
    # shortest round-trip text in float32, not the float64 expansion
    assert "18288.912" in out.stdout and "18288.912109375" not in out.stdout


def test_float32_shortest_text():
    out = cli("run", str(SAMPLES / "path3.json"), "--rounds", "0", "-f", "ndjson")
    first = json.loads(out.stdout.splitlines()[0])
    assert first["x"][0] == -1.1258398
    assert "-1.1258398," in out.stdout and "-1.12583982944" not in out.stdout


def _rounds(fmt: str, payload: bytes, n_nodes: int):
    if fmt == "json":
        doc = json.loads(payload)
        return {r["round"]: np.array(r["x"]) for r in doc["rounds"]}, doc["nodes"]
    if fmt == "ndjson":
        rows = [json.loads(line) for line in payload.decode().splitlines()]
        rounds = {}
        for row in rows:
            rounds.setdefault(row["round"], []).append(row["x"])
        return {k: np.array(v) for k, v in rounds.items()}, [r["node"] for r in rows[:n_nodes]]
    if fmt == "csv":
        reader = list(csv.reader(io.StringIO(payload.decode())))
        assert reader[0][:2] == ["round", "node"]
        rounds = {}
        for row in reader[1:]:
            rounds.setdefault(int(row[0]), []).append([float(v) for v in row[2:]])
        return {k: np.array(v) for k, v in rounds.items()}, [int(r[1]) for r in reader[1:n_nodes + 1]]
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_format_parses_back_to_the_same_numbers(fmt, dtype):
    ref = cli("run", SEED, "--rounds", "3", "--dtype", dtype, "-f", "npy", "--last")
    final = np.load(io.BytesIO(ref.stdout_bytes))
    assert final.dtype == np.dtype(dtype) and final.shape == (4, 2)
    out = cli("run", SEED, "--rounds", "3", "--dtype", dtype, "-f", fmt)
    assert out.code == 0
    rounds, nodes = _rounds(fmt, out.stdout_bytes, 4)
    assert nodes == [0, 1, 2, 3]
    assert sorted(rounds) == [0, 1, 2, 3]
    assert np.array_equal(rounds[3].astype(dtype), final)
    assert np.array_equal(rounds[1].astype(np.float32), np.array(ROUND1, dtype=np.float32))


def test_npy_refused_on_a_terminal():
    fails(cli("run", SEED, "-f", "npy", tty=True), 2, "--format npy", "--output")


def test_terminal_table():
    out = cli("run", SEED, "--rounds", "1", tty=True)
    assert out.code == 0 and out.stderr == ""
    text = out.stdout
    assert "round 0 (input)" in text and "round 1" in text
    assert "12.5" in text and "12.25" in text and "5.25" in text
    assert "12.5000" not in text
    assert "\x1b[" not in text  # colour off in this environment
    assert "fixed layer, max aggregation: 1 round (static); 1 round computed in " in text
    lines = [line for line in text.splitlines() if line.startswith("0 ") or line.startswith("2 ")]
    # decimal points line up in a column
    assert lines[-2].index("12.5") == lines[-1].index("12.25")


def test_table_elides_rows_and_picks_nodes():
    out = cli("run", str(SAMPLES / "karate.json"), "--rounds", "1", "--last", "--max-rows", "6", tty=True)
    assert "… 28 more nodes" in out.stdout
    assert "\n33 " in out.stdout and "\n5 " not in out.stdout
    out = cli("run", str(SAMPLES / "karate.json"), "--rounds", "1", "--nodes", "5,33", "-f", "json")
    doc = json.loads(out.stdout)
    assert doc["nodes"] == [5, 33] and len(doc["rounds"][0]["x"]) == 2


def test_every_and_last():
    doc = json.loads(cli("run", SEED, "--rounds", "7", "--every", "3").stdout)
    assert [r["round"] for r in doc["rounds"]] == [0, 3, 6, 7]
    doc = json.loads(cli("run", SEED, "--rounds", "6", "--every", "3").stdout)
    assert [r["round"] for r in doc["rounds"]] == [0, 3, 6]


def test_output_file_is_written_atomically(tmp_path):
    target = tmp_path / "out.csv"
    out = cli("run", SEED, "--rounds", "2", "-o", str(target))
    assert out.code == 0 and out.stdout == ""
    assert target.read_text().startswith("round,node,x0,x1\n0,0,6.0,4.0\n")
    before = target.read_bytes()
    fails(cli("run", SEED, "--rounds", "300", "-o", str(target)), 1, "round", "became inf")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_output_over_an_input_is_refused(tmp_path):
    src = tmp_path / "g.json"
    src.write_text(open(SEED).read())
    fails(cli("run", str(src), "-o", str(src)), 2, "is one of the input files")
    assert src.read_text() == open(SEED).read()


def test_nonfinite_allowed_writes_null_and_warns():
    out = cli("run", SEED, "--rounds", "200", "--last", "--allow-nonfinite")
    assert out.code == 0
    assert json.loads(out.stdout)["rounds"][0]["x"][0] == [None, None]
    assert "warning: values became inf or nan from round" in out.stderr


def test_dynamic_seed_config_on_path3():
    out = cli("run", str(SAMPLES / "path3.json"), "-c", str(CONFIGS / "dynamic_seed.yaml"), "--last")
    meta = json.loads(out.stdout)["meta"]
    assert meta["rounds_run"] == 3
    assert meta["stop_reason"].startswith("rule mean(x) = 0.0258584 > 0 -> 3 rounds")


def test_seed_003_widths_explained_before_running():
    fails(cli("run", str(SAMPLES / "path3.json"), "--layer", "residual", "--out-dim", "32"), 2,
          "width 16", "width 32", "project")
    out = cli("run", str(SAMPLES / "path3.json"), "--layer", "residual", "--out-dim", "32", "--project",
              "--rounds", "1", "-f", "npy")
    assert np.load(io.BytesIO(out.stdout_bytes)).shape == (3, 32)


def test_converge_config():
    out = cli("run", SEED, "-c", str(CONFIGS / "converge.yaml"), "--last")
    meta = json.loads(out.stdout)["meta"]
    assert meta["converged"] is True and meta["stop_reason"].startswith("converged after")


def test_nn_config_is_deterministic():
    a = cli("run", str(SAMPLES / "karate.json"), "-c", str(CONFIGS / "nn_mean.yaml"), "--features", "degree", "-f", "csv")
    b = cli("run", str(SAMPLES / "karate.json"), "-c", str(CONFIGS / "nn_mean.yaml"), "--features", "degree", "-f", "csv")
    assert a.code == 0 and a.stdout == b.stdout


def test_stdin_graph():
    out = cli("run", "-", "--rounds", "1", input=open(SEED).read())
    assert json.loads(out.stdout)["rounds"][1]["x"] == ROUND1


@pytest.mark.parametrize("args, code, words", [
    (["--layer", "gcnn"], 2, ["unknown layer 'gcnn'", "closest: gcn", "--layer (layer.type)"]),
    (["--aggr", "maximum"], 2, ["unknown aggregation 'maximum'", "max"]),
    (["--message", "x_i ** 2"], 2, ["--message (layer.message)", "'**'", "column 5"]),
    (["--message", "__import__('os')"], 2, ["layer.message", "__import__"]),
    (["--dtype", "float16"], 2, ["unknown dtype"]),
    (["--format", "xml"], 2, ["unknown format 'xml'"]),
    (["--nodes", "0,99"], 1, ["no node with id '99'", "0, 1, 2, 3"]),
    (["-c", "missing.yaml"], 2, ["missing.yaml: no such config file"]),
])
def test_usage_and_config_errors(args, code, words):
    fails(cli("run", SEED, *args), code, *words)


def test_config_error_names_file_and_key(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("layer:\n  type: fixed\n  mesage: x_j\n")
    fails(cli("run", SEED, "-c", str(p)), 2, "c.yaml: layer.mesage: unknown key")


def test_missing_cuda_device():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    fails(cli("run", SEED, "--device", "cuda"), 2, "cuda is not available", "available: cpu")
    fails(cli("run", SEED, "--device", "tpu"), 2, "unknown device 'tpu'")


def test_real_snap_edge_list_runs_undirected():
    """CA-GrQc as SNAP ships it: '#' header, tab separated, non-contiguous integer ids, no features."""
    path = str(SAMPLES / "ca-grqc.txt")
    rep = json.loads(cli("validate", path).stdout)
    assert (rep["num_nodes"], rep["num_edges"], rep["self_loops"]) == (5242, 28980, 12)
    rep = json.loads(cli("validate", path, "--undirected").stdout)
    assert rep["num_edges"] == 28980  # every edge already has its reverse
    out = cli("run", path, "--undirected", "--features", "degree", "--message", "x_j", "--update", "aggr_out",
              "--aggr", "mean", "--rounds", "2", "-f", "json")
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["nodes"][:3] == [13, 14, 22] and doc["nodes"] == sorted(doc["nodes"])
    assert len(doc["nodes"]) == 5242 and doc["meta"]["num_edges"] == 28980
    # round 1 of "mean of the neighbours' degree" equals the average neighbour degree, computed here by hand
    edges = [tuple(map(int, line.split())) for line in open(path) if not line.startswith("#")]
    nbrs = {}
    for s, d in edges:
        nbrs.setdefault(d, []).append(s)
    deg = {n: len(v) for n, v in nbrs.items()}
    pos = {n: k for k, n in enumerate(doc["nodes"])}
    for node in (13, 3466, 26196):
        want = sum(deg[s] for s in nbrs[node]) / len(nbrs[node])
        assert doc["rounds"][1]["x"][pos[node]][0] == pytest.approx(want, rel=1e-6)


def test_graph_without_edges_runs_with_a_warning(tmp_path):
    p = tmp_path / "lonely.json"
    p.write_text(json.dumps({"x": [[1.0], [2.0]], "edge_index": [[], []]}))
    out = cli("run", str(p), "--rounds", "1", "--aggr", "sum")
    assert out.code == 0
    assert json.loads(out.stdout)["rounds"][1]["x"] == [[1.0], [2.0]]
    assert "warning" in out.stderr and "has no edges: nothing propagates" in out.stderr


def test_reference_path_that_would_not_fit_is_refused_before_allocating(monkeypatch):
    import gnnprop.engine.memory as session

    monkeypatch.setattr(session, "available_memory", lambda: 10)
    monkeypatch.setattr(session, "check_layer", lambda *a, **k: None)  # the layer itself is tiny
    fails(cli("run", SEED, "--message", "relu(x_j)"), 1, "reference path would need about",
          "not affine", "GiB is available")
    assert cli("run", SEED, "--rounds", "1").code == 0  # the fused engine needs no per-edge tensors
