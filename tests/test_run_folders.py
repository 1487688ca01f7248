"""Run folders describe themselves: a later command (inspect --from-run, run --resume) needs nothing
else, refuses what contradicts the folder, and a stopped or killed run continues bit for bit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from gnnprop import __version__

from .clitools import cli, fails
from .conftest import ROOT, SAMPLES

GRQC = str(SAMPLES / "ca-grqc.txt")  # a real graph: the arXiv GR-QC collaboration network (5,242 nodes)
MEAN = ["--features", "random", "--feature-dim", "4", "--message", "x_j", "--update", "0.5 * x + aggr_out",
        "--aggr", "mean", "--undirected"]


def rounds_in(folder) -> list[int]:
    return sorted(int(n[6:]) for n in os.listdir(folder) if n.startswith("round="))


def table(folder, r: int) -> pa.Table:
    return ds.dataset(os.path.join(folder, f"round={r}"), format="parquet").to_table().sort_by("id")


def test_the_manifest_says_what_made_the_folder(tmp_path):
    out = tmp_path / "out"
    res = cli("run", GRQC, *MEAN, "--rounds", "3", "--dtype", "float64", "-o", f"{out}/")
    assert res.code == 0 and res.stdout == ""
    assert res.stderr == f"gnnprop: wrote {out}/ (a run folder, 3 rounds run)\n"
    assert sorted(os.listdir(out)) == ["_SUCCESS", "_gnnprop.json", "_params.safetensors", "round=0", "round=1",
                                       "round=2", "round=3"]
    m = json.loads((out / "_gnnprop.json").read_text())
    assert m["gnnprop_run"] == 1 and m["gnnprop"] == __version__ and m["engine"] == "local"
    assert m["status"] == "finished" and m["dtype"] == "float64"
    assert m["config"]["layer"] == {"type": "fixed", "message": "x_j", "update": "0.5 * x + aggr_out"}
    assert m["config"]["aggr"] == "mean" and m["config"]["graph"]["undirected"] is True
    assert m["config"]["rounds"] == {"mode": "static", "n": 3}
    import hashlib

    data = open(GRQC, "rb").read()
    assert m["graph"]["path"] == GRQC and m["graph"]["size"] == len(data)
    assert m["graph"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert m["num_nodes"] == 5242 and m["written"] == {"every": 1, "last": False, "nodes": None,
                                                       "rounds": [0, 1, 2, 3]}
    assert m["rounds_run"] == 3 and m["stop_reason"] == "3 rounds (static)" and m["meta"]["engine"] == "fused"


def test_inspect_from_run_needs_nothing_else_and_equals_the_stored_value(tmp_path):
    """On a real graph: every node's derivation from the folder alone, float64 and float32, ends in
    the value the run stored (max bit for bit, mean within the documented bound)."""
    for dtype, aggr in (("float64", "mean"), ("float32", "max")):
        out = tmp_path / f"out-{dtype}"
        args = [a if a != "mean" else aggr for a in MEAN]
        assert cli("run", GRQC, *args, "--rounds", "3", "--dtype", dtype, "-o", f"{out}/").code == 0
        for node in ("3466", "25346", "21012"):
            got = cli("inspect", "--from-run", str(out), "--node", node, "--round", "2", "-f", "json")
            assert got.code == 0, got.stderr
            rec = json.loads(got.stdout)
            stored = table(out, 2).to_pandas().set_index("id").loc[int(node)].to_numpy()
            assert np.array_equal(np.array(rec["steps"][0]["update"]["value"], dtype=stored.dtype), stored)
            assert rec["meta"]["dtype"] == dtype and rec["aggr"] == aggr  # not the defaults: the run's own
            assert rec["meta"]["from_run"] == str(out)
    text = cli("inspect", "--from-run", str(tmp_path / "out-float64"), "--node", "3466", "--round", "2", tty=True)
    assert text.code == 0 and "node 3466, round 2: fixed layer, mean aggregation" in text.stdout


def test_flags_that_contradict_the_run_are_refused_naming_both_values(tmp_path):
    out = tmp_path / "out"
    assert cli("run", GRQC, *MEAN, "--rounds", "2", "--dtype", "float64", "-o", f"{out}/").code == 0
    inspect = ["inspect", "--from-run", str(out), "--node", "3466", "--round", "2"]
    fails(cli(*inspect, "--aggr", "max"), 2, "--aggr (aggr): max is not what the run in", "used (aggr: mean)")
    fails(cli(*inspect, "--dtype", "float32"), 2, "--dtype (dtype): float32", "(dtype: float64)")
    fails(cli(*inspect, "--directed"), 2, "graph.undirected: true")
    fails(cli(*inspect, "--weights", str(out / "_gnnprop.json")), 2, "is not the run's parameters")
    assert cli(*inspect, "--weights", str(out / "_params.safetensors"), "-f", "json").code == 0
    assert cli(*inspect, "--aggr", "mean", "--dtype", "float64", "-f", "json").code == 0  # repeating is fine
    fails(cli("run", "--resume", str(out), "--aggr", "max"), 2, "--aggr (aggr): max is not what the run")


def test_a_moved_graph_is_given_again_and_checked_against_the_recorded_sha256(tmp_path):
    graph = tmp_path / "g.txt"
    shutil.copy(GRQC, graph)
    out = tmp_path / "out"
    assert cli("run", graph, *MEAN, "--rounds", "2", "-o", f"{out}/").code == 0
    moved = tmp_path / "moved.txt"
    graph.rename(moved)
    inspect = ["inspect", "--from-run", str(out), "--node", "3466", "--round", "1", "-f", "json"]
    fails(cli(*inspect), 2, f"the run's graph {graph} is not there any more; give its new path as GRAPH")
    assert cli(*inspect, moved).code == 0
    other = tmp_path / "other.txt"
    other.write_text(moved.read_text().replace("3466", "3467", 1))
    fails(cli(*inspect, other), 2, f"{other} is not the graph the run read: its sha256 is")


def test_a_stopped_or_tampered_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    assert cli("run", GRQC, *MEAN, "--aggr", "max", "--rounds", "2", "-o", f"{out}/").code == 0
    part = out / "round=2" / "part-0.parquet"
    t = pq.read_table(part)
    x0 = t.column("x0").to_numpy().copy()
    row = t.column("id").to_pylist().index(3466)
    x0[row] += 1.0
    pq.write_table(t.set_column(1, "x0", pa.array(x0)), part)
    fails(cli("inspect", "--from-run", str(out), "--node", "3466", "--round", "2"), 1,
          "round 2 of node 3466: the run's stored value", "does not hold what its manifest describes")
    (out / "_SUCCESS").unlink()
    fails(cli("inspect", "--from-run", str(out), "--node", "3466", "--round", "1"), 2,
          "was stopped before it finished (no _SUCCESS)", f"gnnprop run --resume {out}")
    (out / "_gnnprop.json").write_text("{not json")
    fails(cli("inspect", "--from-run", str(out), "--node", "3466"), 1, "_gnnprop.json: line 1: not valid JSON")


def _gnnprop(*args, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "gnnprop", *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _written(folder) -> list[int]:
    try:
        return json.loads((folder / "_gnnprop.json").read_text())["written"]["rounds"]
    except (OSError, ValueError, KeyError):
        return []


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """300,000 nodes, 1.2M edges, written as an edge list."""
    rng = np.random.default_rng(7)
    n, e = 300_000, 1_200_000
    path = tmp_path_factory.mktemp("big") / "big.txt"
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    np.savetxt(path, np.stack([src, dst], axis=1), fmt="%d")
    return path


BIG = ["--features", "random", "--feature-dim", "2", "--message", "x_j", "--update", "0.5 * x + 0.5 * aggr_out",
       "--aggr", "mean", "--rounds", "12"]


def test_resume_after_sigkill_gives_bit_identical_rounds(tmp_path, big):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert cli("run", big, *BIG, "-o", f"{whole}/").code == 0
    p = _gnnprop("run", big, *BIG, "-o", f"{killed}/")
    deadline = time.time() + 120
    while time.time() < deadline and len(_written(killed)) < 3 and p.poll() is None:
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    done = _written(killed)
    assert 3 <= len(done) < 13 and not (killed / "_SUCCESS").exists()
    fails(cli("inspect", "--from-run", str(killed), "--node", "0"), 2, "was stopped before it finished")
    fails(cli("run", big, *BIG, "-o", f"{killed}/"), 2, f"holds a run that was stopped before it finished; "
          f"continue it with --resume {killed}")
    res = cli("run", "--resume", str(killed))
    assert res.code == 0, res.stderr
    assert res.stderr.splitlines()[0] == f"gnnprop: resuming {killed}/ from round {max(done)}"
    assert rounds_in(killed) == list(range(13)) and (killed / "_SUCCESS").exists()
    for r in (max(done), max(done) + 1, 12):
        assert table(killed, r).equals(table(whole, r)), r
    again = cli("run", "--resume", str(killed))
    assert again.code == 0 and "holds a finished run" in again.stderr


def test_ctrl_c_keeps_the_complete_rounds_and_says_how_to_continue(tmp_path, big):
    out = tmp_path / "out"
    p = _gnnprop("run", big, *BIG, "-o", f"{out}/")
    deadline = time.time() + 120
    while time.time() < deadline and len(_written(out)) < 2 and p.poll() is None:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("gnnprop: interrupted (Ctrl-C); stopped during round ")
    assert f"{out}/ holds the rounds written up to round" in line and f"gnnprop run --resume {out}" in line
    assert json.loads((out / "_gnnprop.json").read_text())["status"] == "stopped"
    assert cli("run", "--resume", str(out)).code == 0 and rounds_in(out) == list(range(13))


def test_resume_refusals(tmp_path):
    out = tmp_path / "out"
    fails(cli("run", "--resume", str(tmp_path / "nope")), 2, "--resume:", "nope: no such folder")
    assert cli("run", GRQC, *MEAN, "--rounds", "2", "--nodes", "3466", "-o", f"{out}/").code == 0
    (out / "_SUCCESS").unlink()
    fails(cli("run", "--resume", str(out)), 2, "kept only some nodes (--nodes)")
    fails(cli("run", "--resume", str(out), "-o", "x/"), 2, "--output: --resume takes the run's own")
    fails(cli("run", "--resume", str(out), "--every", "2"), 2, "--every: 2 is not what the run in")


def test_a_failed_run_puts_the_earlier_run_back(tmp_path):
    out = tmp_path / "out"
    assert cli("run", GRQC, *MEAN, "--rounds", "2", "-o", f"{out}/").code == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    fails(cli("run", GRQC, "--rounds", "400", "--aggr", "sum", "--message", "2 * x_j", "-o", f"{out}/"), 1,
          "float32 overflow")
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(os.listdir(tmp_path)) == ["out"]  # nothing left beside it
