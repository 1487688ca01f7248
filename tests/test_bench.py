"""``gnnprop bench`` on a tiny graph: the JSON schema, agreement with plain PyG, the table."""

import json

import numpy as np
import pytest

from gnnprop.bench.cases import CASES, resolve_cases
from gnnprop.bench.graphs import random_edges, rmat_edges, write_edge_csv
from gnnprop.bench.measure import bound_bytes
from gnnprop.errors import ConfigError

from .clitools import cli, fails

TINY = ("--num-nodes", "2000", "--num-edges", "20000", "--num-features", "4", "--repeat", "1")


@pytest.fixture(scope="module")
def tiny_json():
    out = cli("bench", *TINY)  # a pipe: JSON by default
    assert out.code == 0, out.stderr
    return out


def test_json_schema(tiny_json):
    r = json.loads(tiny_json.stdout)
    assert r["schema"] == 1 and r["engine"] == "local" and r["repeat"] == 1
    assert r["graph"] == {"kind": "uniform", "file": None, "nodes": 2000, "edges": 20000, "features": 4, "seed": 0,
                          "simple": True, "csv_mb": r["graph"]["csv_mb"]}
    m = r["machine"]
    assert m["cpus"] >= 1 and m["torch"] and m["copy_bandwidth_gbs"] > 0
    load = r["load"]
    assert load["gnnprop_s"] > 0 and load["numpy_s"] > 0 and load["ratio"] > 0
    assert set(load) >= {"gnnprop_peak_mb", "numpy_peak_mb"}
    assert [c["case"] for c in r["cases"]] == list(CASES)
    for c in r["cases"]:
        assert c["agree"] is True, c
        assert c["engine"] == "fused", c  # a simple graph: every case has a fused path, GCN included
        assert c["engine_s"] > 0 and c["reference_s"] > 0 and c["ratio"] > 0, c
        assert c["prepare_s"] >= 0 and c["max_abs_diff"] < 1e-4
        assert set(c) >= {"engine_peak_mb", "reference_peak_mb", "engine_runs_s", "reference_runs_s"}
        assert len(c["engine_runs_s"]) == len(c["reference_runs_s"]) == 1
    b = r["bound"]
    assert b["bytes"] == bound_bytes(2000, 20000, 4) == 20000 * 4 + 2001 * 4 + 2 * 2000 * 4 * 4
    assert "E*4" in b["formula"] and b["seconds"] > 0 and b["multiple"] > 0
    gather = b["gather"]
    assert gather["bytes"] == 20000 * 4 + 2001 * 4 + 20000 * 64 + 2000 * 4 * 4  # 4 floats: one cache line
    assert gather["multiple"] == pytest.approx(b["multiple"] * b["bytes"] / gather["bytes"], rel=1e-3)
    assert b["engine_s"] == r["cases"][0]["engine_s"]


def test_talk_goes_to_stderr(tiny_json):
    assert "gnnprop bench: " in tiny_json.stderr and "gnnprop bench" not in tiny_json.stdout
    assert "\x1b" not in tiny_json.stdout


def test_table_on_a_terminal():
    out = cli("bench", *TINY, "--cases", "fixed/max,gcn", tty=True)
    assert out.code == 0, out.stderr
    assert not out.stdout.lstrip().startswith("{")
    for word in ("2,000 nodes", "numpy.loadtxt", "fixed/max", "gcn", "fused", "agree", "x the bound", "gathered rows"):
        assert word in out.stdout, word
    assert "fixed/sum" not in out.stdout and "NO" not in out.stdout


def test_cases_subset_and_quiet():
    out = cli("bench", *TINY, "--cases", "residual-add", "--format", "json", "-q")
    assert out.code == 0 and out.stderr == ""
    r = json.loads(out.stdout)
    assert [c["case"] for c in r["cases"]] == ["residual/add"]
    assert r["bound"]["multiple"] is None  # no fixed/max, nothing to compare with the bound


@pytest.mark.parametrize("args, words", [
    (("--cases", "fixd"), ("--cases", "fixd", "fixed/max")),
    (("--format", "csv"), ("--format", "table, json")),
    (("--num-nodes", "10", "--num-edges", "100"), ("--num-edges", "45")),
    (("--repeat", "0"), ("--repeat",)),
])
def test_usage_errors(args, words):
    fails(cli("bench", *args), 2, *words)


def test_random_edges_are_simple_and_reproducible():
    src, dst = random_edges(50, 1000, seed=3)
    assert src.size == dst.size == 1000
    assert not (src == dst).any()
    assert np.unique(src * 50 + dst).size == 1000
    assert src.min() >= 0 and max(src.max(), dst.max()) < 50
    again = random_edges(50, 1000, seed=3)
    assert (again[0] == src).all() and (again[1] == dst).all()
    assert not (random_edges(50, 1000, seed=4)[0] == src).all()


def test_rmat_edges_are_simple_reproducible_and_skewed():
    src, dst = rmat_edges(1000, 8000, seed=3)  # not a power of two: ids 1000..1023 are drawn again
    assert src.size == dst.size == 8000 and src.dtype == np.int64
    assert not (src == dst).any() and np.unique(src * 1000 + dst).size == 8000
    assert src.min() >= 0 and max(src.max(), dst.max()) < 1000
    again = rmat_edges(1000, 8000, seed=3)
    assert (again[0] == src).all() and (again[1] == dst).all()
    out_degree = np.bincount(src, minlength=1000)
    uniform = np.bincount(random_edges(1000, 8000, seed=3)[0], minlength=1000)
    assert out_degree.max() > 4 * uniform.max()  # power-law: a few nodes have most of the edges
    heavy = np.argsort(out_degree)[-10:]
    assert heavy.max() - heavy.min() > 100  # ids shuffled: the heavy nodes are not the first ids
    # a = 0.57 + b = 0.19: the first level sends 76% of the sources to the lower half, before the shuffle
    s0, _ = rmat_edges(1024, 20000, seed=5, abc=(0.57, 0.19, 0.19))
    assert 0.5 < np.mean(np.bincount(s0, minlength=1024) > 0) <= 1.0


def test_bench_on_rmat_and_on_a_file(tmp_path):
    out = cli("bench", "--graph", "rmat", *TINY, "--cases", "fixed/max", "--reorder", "degree", "-q")
    assert out.code == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["graph"]["kind"] == "rmat" and result["graph"]["edges"] == 20000
    assert [c["agree"] for c in result["cases"]] == [True]
    assert result["cases"][0]["reorder"] == "degree" and result["cases"][0]["reorder_s"] > 0
    fails(cli("bench", "--reorder", "sideways"), 2, "--reorder: unknown node order 'sideways'")
    (tmp_path / "g.txt").write_text("# a tiny file\n1 2\n2 3\n3 1\n10 1\n")
    out = cli("bench", "--graph", str(tmp_path / "g.txt"), "--num-features", "4", "--repeat", "1", "--cases", "fixed/max",
              "-q")
    assert out.code == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["graph"]["kind"] == "file" and (result["graph"]["nodes"], result["graph"]["edges"]) == (4, 4)
    assert result["load"]["numpy_s"] is None and result["load"]["gnnprop_s"] > 0
    assert result["cases"][0]["agree"]
    fails(cli("bench", "--graph", "nope"), 2, "--graph: expected uniform, rmat or a graph file, got 'nope'")


def test_edge_csv_round_trips(tmp_path):
    src = np.array([0, 5, 10, 123, 9, 1000000], dtype=np.int64)
    dst = np.array([1, 0, 99, 7, 1000, 0], dtype=np.int64)
    path = tmp_path / "e.csv"
    size = write_edge_csv(str(path), src, dst, chunk=4)
    text = path.read_text()
    assert size == len(text)
    assert text == "src,dst\n0,1\n5,0\n10,99\n123,7\n9,1000\n1000000,0\n"
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64)
    assert (a[:, 0] == src).all() and (a[:, 1] == dst).all()


def test_resolve_cases():
    assert resolve_cases(None) == resolve_cases(["all"]) == list(CASES)
    assert resolve_cases(["GCN", "fixed_max", " nn-mean "]) == ["fixed/max", "nn/mean", "gcn"]
    with pytest.raises(ConfigError, match="valid: "):
        resolve_cases(["nope"])
